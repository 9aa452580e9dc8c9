/**
 * Solves many independent instances (CSR batch) with the exact solvers, in the calling thread or on a
 * pool of worker threads sharing the batch through SharedArrayBuffers. Each instance is solved on its
 * own by the same code, so the output is bit-identical whatever the worker count or chunking.
 */
import { InputError, RunError } from '../core/errors.js';
import { platform, type WorkerHandle } from '../core/platform.js';
import { closestKernel } from './closest.js';
import { closestOfSizeKernel } from './fixedSize.js';
import { sparsestKernel } from './sparsest.js';
import { MAX_SAMPLE_COUNT, type BatchOptions, type Objective, type SubsetSumBatch, type SubsetSumBatchResult } from './types.js';
import { validateBatch } from './validate.js';

/** Instances [start, end) of a batch. */
export interface BatchRange {
  start: number;
  end: number;
}

/** Where solved instances are written: arrays of the full batch's shape. */
export interface BatchOutput {
  selected: Uint8Array;
  sums: Float64Array;
  errors: Float64Array;
}

/** Largest chunk of instances handed to a worker at a time (smaller for small batches, for balance). */
const MAX_CHUNK = 2000;
const FLAGS = new Uint8Array(MAX_SAMPLE_COUNT);

/**
 * Solves instances [start, end) of an already validated batch into `out`; returns how many have
 * error > tolerance. Sums are canonical (ascending index order).
 */
export function solveBatchInto(
  batch: SubsetSumBatch,
  start: number,
  end: number,
  out: BatchOutput,
): number {
  const { values, offsets, targets, tolerance } = batch;
  const sparse = batch.objective === 'sparsest';
  const size = batch.subsetSize;
  const { selected, sums, errors } = out;
  const flags = FLAGS;
  let outside = 0;
  for (let i = start; i < end; i++) {
    const offset = offsets[i]!;
    const n = offsets[i + 1]! - offset;
    const target = targets[i]!;
    if (size !== undefined) closestOfSizeKernel(values, offset, n, size, target, flags);
    else if (sparse) sparsestKernel(values, offset, n, target, tolerance, flags);
    else closestKernel(values, offset, n, target, flags);
    let sum = 0;
    for (let t = 0; t < n; t++) {
      const f = flags[t]!;
      selected[offset + t] = f;
      if (f !== 0) sum += values[offset + t]!;
    }
    const error = Math.abs(target - sum);
    sums[i] = sum;
    errors[i] = error;
    if (error > tolerance) outside++;
  }
  return outside;
}

function checkRange(range: BatchRange, count: number): void {
  const { start, end } = range;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > count || start > end) {
    throw new InputError(`range: expected integers 0 ≤ start ≤ end ≤ ${count}, got [${start}, ${end})`);
  }
}

/**
 * Solves a batch (or instances [range.start, range.end) of it) in the calling thread. The output arrays
 * have the whole batch's shape; outsideToleranceCount counts the solved range only.
 */
export function solveBatchSync(batch: SubsetSumBatch, range?: BatchRange): SubsetSumBatchResult {
  validateBatch(batch);
  const count = batch.targets.length;
  const { start, end } = range ?? { start: 0, end: count };
  checkRange({ start, end }, count);
  const out: BatchOutput = {
    selected: new Uint8Array(batch.values.length),
    sums: new Float64Array(count),
    errors: new Float64Array(count),
  };
  const outsideToleranceCount = solveBatchInto(batch, start, end, out);
  return { ...out, outsideToleranceCount };
}

// ---------------------------------------------------------------------------------------------
// Worker pool

/** Message from the main thread to a worker: solve chunks of this batch (shared arrays) until none is left. */
export type WorkerJob = SubsetSumBatch &
  BatchOutput & {
    job: number;
    /** nextChunk[0]: index of the next chunk to claim (Atomics.add). */
    nextChunk: Int32Array;
    chunkSize: number;
  };

/** Messages from a worker. */
export type WorkerReply =
  | { job: number; kind: 'chunk'; instances: number; outside: number }
  | { job: number; kind: 'idle' }
  | { job: number; kind: 'error'; message: string };

let pool: WorkerHandle[] = [];
let jobCounter = 0;
let queue: Promise<unknown> = Promise.resolve();

function poolOf(size: number): WorkerHandle[] {
  while (pool.length < size) {
    const worker = platform().startWorker('subsetsum-batch');
    worker.unref();
    pool.push(worker);
  }
  return pool.slice(0, size);
}

/** Terminates the worker pool (it is re-created on demand). Idle workers never keep the process alive. */
export async function closeSolverPool(): Promise<void> {
  const workers = pool;
  pool = [];
  await Promise.all(workers.map((worker) => worker.terminate()));
}

function sharedCopy<T extends Float64Array | Uint32Array>(array: T, make: (buffer: SharedArrayBuffer) => T): T {
  if (array.buffer instanceof SharedArrayBuffer) return array;
  const copy = make(new SharedArrayBuffer(array.byteLength));
  copy.set(array);
  return copy;
}

function checkWorkers(workers: number): void {
  if (!Number.isInteger(workers) || workers < 1) throw new InputError(`workers: expected an integer ≥ 1, got ${workers}`);
}

/**
 * Solves every instance of the batch, on `options.workers` threads (default: all cores; 1 = this
 * thread). Progress is reported as chunks finish. Validates the batch first (InputError).
 */
export function solveBatch(batch: SubsetSumBatch, options: BatchOptions = {}): Promise<SubsetSumBatchResult> {
  validateBatch(batch);
  const workers = options.workers ?? platform().parallelism();
  checkWorkers(workers);
  const run = queue.then(() => runBatch(batch, workers, options.onProgress));
  queue = run.catch(() => undefined);
  return run;
}

/** How a reply handler ends a pool run: `finish` when the work is done, `fail` to abort it (the pool is closed). */
interface TeamRun {
  finish(): void;
  fail(error: unknown): void;
}

/**
 * One pool run on `team`: every worker's replies to `job` go to `onReply` (an 'error' reply fails the run, as does a
 * worker's error or exit), `start` is called for each worker once it is listened to, and every listener is removed
 * when the run finishes or fails. Workers are kept referenced (the process stays alive) for the run's duration.
 */
function runTeam<Reply extends { job: number; kind: string; message?: string }>(
  team: readonly WorkerHandle[],
  job: number,
  onReply: (reply: Reply, worker: WorkerHandle, run: TeamRun) => void,
  start: (worker: WorkerHandle) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const attached: Array<{ worker: WorkerHandle; message: (reply: Reply) => void }> = [];
    const cleanup = (): void => {
      for (const { worker, message } of attached) {
        worker.off('message', message);
        worker.off('error', onError);
        worker.off('exit', onExit);
        worker.unref();
      }
    };
    const run: TeamRun = {
      finish() {
        if (settled) return;
        settled = true;
        cleanup();
        resolve();
      },
      fail(error) {
        if (settled) return;
        settled = true;
        cleanup();
        void closeSolverPool();
        reject(error instanceof Error ? error : new RunError(String(error)));
      },
    };
    const onError = (error: Error): void => run.fail(new RunError(`subset-sum worker failed: ${error.message}`));
    const onExit = (code: number): void => run.fail(new RunError(`subset-sum worker exited with code ${code}`));
    for (const worker of team) {
      const message = (reply: Reply): void => {
        if (reply.job !== job || settled) return;
        if (reply.kind === 'error') run.fail(new RunError(`subset-sum worker failed: ${reply.message}`));
        else onReply(reply, worker, run);
      };
      attached.push({ worker, message });
      worker.ref(); // keep the process alive while this batch runs
      worker.on('message', message);
      worker.on('error', onError);
      worker.on('exit', onExit);
      start(worker);
    }
  });
}

/**
 * Whether the workers share memory with this thread: the platform says so (the browser page's workers take chunks
 * by message only), and the runtime must have SharedArrayBuffer (a page that is not cross-origin isolated — any
 * page opened from file:// — has none). Otherwise chunks travel in messages.
 */
function sharedMemoryAvailable(): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false && platform().sharedMemory?.() !== false;
}

async function runBatch(batch: SubsetSumBatch, workers: number, onProgress?: (done: number, total: number) => void): Promise<SubsetSumBatchResult> {
  const count = batch.targets.length;
  const chunkSize = Math.min(MAX_CHUNK, Math.max(64, Math.ceil(count / (8 * workers))));
  const chunkCount = Math.ceil(count / chunkSize);
  if (workers === 1 || chunkCount <= 1) return runInThisThread(batch, chunkSize, onProgress);
  if (!sharedMemoryAvailable()) return runByMessages(batch, workers, chunkSize, onProgress);

  const selected = new Uint8Array(new SharedArrayBuffer(batch.values.length));
  const sums = new Float64Array(new SharedArrayBuffer(8 * count));
  const errors = new Float64Array(new SharedArrayBuffer(8 * count));
  const job = ++jobCounter;
  const message: WorkerJob = {
    ...batch,
    job,
    values: sharedCopy(batch.values, (b) => new Float64Array(b)),
    offsets: sharedCopy(batch.offsets, (b) => new Uint32Array(b)),
    targets: sharedCopy(batch.targets, (b) => new Float64Array(b)),
    selected,
    sums,
    errors,
    nextChunk: new Int32Array(new SharedArrayBuffer(4)),
    chunkSize,
  };
  const team = poolOf(Math.min(workers, chunkCount));
  let outsideToleranceCount = 0;
  let done = 0;
  let idle = 0;
  await runTeam<WorkerReply>(
    team,
    job,
    (reply, _worker, run) => {
      if (reply.kind === 'chunk') {
        done += reply.instances;
        outsideToleranceCount += reply.outside;
        try {
          onProgress?.(done, count);
        } catch (error) {
          run.fail(error);
        }
      } else if (++idle === team.length) run.finish();
    },
    (worker) => worker.postMessage(message),
  );
  // Plain (non-shared) copies: callers get ordinary typed arrays.
  return { selected: selected.slice(), sums: sums.slice(), errors: errors.slice(), outsideToleranceCount };
}

/**
 * A chunk of a batch, sent to a worker when threads share no memory: its values, offsets from 0 and targets, with
 * the batch's tolerance, objective and subset size.
 */
export type ChunkJob = SubsetSumBatch & {
  job: number;
  kind: 'chunk';
  /** Index of the chunk's first instance in the whole batch. */
  start: number;
};

/** A worker's answer to a ChunkJob (arrays of the chunk's shape), or its failure. */
export type ChunkReply =
  | { job: number; kind: 'chunk-result'; start: number; selected: Uint8Array; sums: Float64Array; errors: Float64Array; outside: number }
  | { job: number; kind: 'error'; message: string };

/** Solves a ChunkJob (what a message-driven worker runs). */
export function solveChunk(job: ChunkJob): ChunkReply {
  try {
    const count = job.targets.length;
    const out: BatchOutput = { selected: new Uint8Array(job.values.length), sums: new Float64Array(count), errors: new Float64Array(count) };
    const outside = solveBatchInto(job, 0, count, out);
    return { job: job.job, kind: 'chunk-result', start: job.start, ...out, outside };
  } catch (error) {
    return { job: job.job, kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
}

/**
 * The pool without shared memory: each worker is sent a chunk (a copy of its values), answers with its results, and
 * is sent the next; the same per-instance solver, so the same output as every other path.
 */
async function runByMessages(batch: SubsetSumBatch, workers: number, chunkSize: number, onProgress?: (done: number, total: number) => void): Promise<SubsetSumBatchResult> {
  const { values, offsets, targets } = batch;
  const count = targets.length;
  const chunkCount = Math.ceil(count / chunkSize);
  const selected = new Uint8Array(values.length);
  const sums = new Float64Array(count);
  const errors = new Float64Array(count);
  const job = ++jobCounter;
  const team = poolOf(Math.min(workers, chunkCount));
  let next = 0;
  let finished = 0;
  let done = 0;
  let outsideToleranceCount = 0;
  const send = (worker: WorkerHandle): void => {
    if (next >= chunkCount) return;
    const start = next++ * chunkSize;
    const end = Math.min(count, start + chunkSize);
    const first = offsets[start]!;
    const chunkOffsets = new Uint32Array(end - start + 1);
    for (let i = 0; i <= end - start; i++) chunkOffsets[i] = offsets[start + i]! - first;
    const message: ChunkJob = { ...batch, job, kind: 'chunk', start, values: values.slice(first, offsets[end]!), offsets: chunkOffsets, targets: targets.slice(start, end) };
    worker.postMessage(message, [message.values.buffer as ArrayBuffer, message.offsets.buffer as ArrayBuffer, message.targets.buffer as ArrayBuffer]);
  };
  await runTeam<ChunkReply>(
    team,
    job,
    (reply, worker, run) => {
      if (reply.kind !== 'chunk-result') return run.fail(new RunError(`subset-sum worker answered '${String((reply as { kind?: unknown }).kind)}' to a chunk`));
      selected.set(reply.selected, offsets[reply.start]!);
      sums.set(reply.sums, reply.start);
      errors.set(reply.errors, reply.start);
      outsideToleranceCount += reply.outside;
      done += reply.sums.length;
      try {
        onProgress?.(done, count);
      } catch (error) {
        return run.fail(error);
      }
      if (++finished === chunkCount) run.finish();
      else send(worker);
    },
    send,
  );
  return { selected, sums, errors, outsideToleranceCount };
}

async function runInThisThread(batch: SubsetSumBatch, chunkSize: number, onProgress?: (done: number, total: number) => void): Promise<SubsetSumBatchResult> {
  const count = batch.targets.length;
  const out: BatchOutput = {
    selected: new Uint8Array(batch.values.length),
    sums: new Float64Array(count),
    errors: new Float64Array(count),
  };
  let outsideToleranceCount = 0;
  for (let start = 0; start < count; start += chunkSize) {
    const end = Math.min(count, start + chunkSize);
    outsideToleranceCount += solveBatchInto(batch, start, end, out);
    onProgress?.(end, count);
    if (end < count) await new Promise<void>((resolve) => setImmediate(resolve)); // let timers (progress bars) run
  }
  if (count === 0) onProgress?.(0, 0);
  return { ...out, outsideToleranceCount };
}
