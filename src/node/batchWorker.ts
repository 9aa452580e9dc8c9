/**
 * Worker thread of the batch solver pool: for each job, claims chunks of instances from a shared counter
 * (Atomics.add) and solves them into the shared output arrays, reporting each chunk, then 'idle'. Chunks sent as
 * messages (the pool without shared memory) are solved and sent back.
 */
import { parentPort } from 'node:worker_threads';
import { solveBatchInto, solveChunk, type ChunkJob, type WorkerJob, type WorkerReply } from '../subsetsum/batch.js';

const port = parentPort;
if (!port) throw new Error('batchWorker.js must run as a worker thread');

port.on('message', (message: WorkerJob | ChunkJob) => {
  if ('kind' in message && message.kind === 'chunk') {
    // The pool without shared memory (batch.ts runByMessages): one chunk in, its results out.
    const reply = solveChunk(message);
    port.postMessage(reply, reply.kind === 'chunk-result' ? [reply.selected.buffer as ArrayBuffer, reply.sums.buffer as ArrayBuffer, reply.errors.buffer as ArrayBuffer] : []);
    return;
  }
  const job = message as WorkerJob;
  const count = job.targets.length;
  try {
    for (;;) {
      const chunk = Atomics.add(job.nextChunk, 0, 1);
      const start = chunk * job.chunkSize;
      if (start >= count) break;
      const end = Math.min(count, start + job.chunkSize);
      const outside = solveBatchInto(job, start, end, job); // the job is the batch and holds the shared output arrays
      port.postMessage({ job: job.job, kind: 'chunk', instances: end - start, outside } satisfies WorkerReply);
    }
    port.postMessage({ job: job.job, kind: 'idle' } satisfies WorkerReply);
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    port.postMessage({ job: job.job, kind: 'error', message } satisfies WorkerReply);
  }
});
