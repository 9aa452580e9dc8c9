/**
 * Worker thread of the fuzz engine: for each job the main thread posts, runs one reader's inputs start…end−1
 * (fuzzSlice), posting each failure as it happens and the counts at the end, while the main thread's watchdog
 * reads the shared progress words. The worker is reused for job after job.
 */
import { parentPort } from 'node:worker_threads';
import { fuzzSlice, type WorkerData, type WorkerMessage } from './engine.js';

const post = (message: WorkerMessage): void => parentPort!.postMessage(message);

parentPort!.on('message', (data: WorkerData) => {
  fuzzSlice(
    {
      reader: data.reader,
      seed: data.seed,
      start: data.start,
      end: data.end,
      inputSeconds: data.inputSeconds,
      progress: new Int32Array(data.progress),
      onFailure: (failure, input) => post({ type: 'failure', failure, input }),
      ...(data.deadline !== undefined ? { deadline: data.deadline } : {}),
    },
    data.counts,
  ).then(
    (counts) => post({ type: 'done', counts }),
    (error: unknown) => post({ type: 'error', error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error) }),
  );
});
