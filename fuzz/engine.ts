/**
 * The fuzz loop and its watchdog. `fuzzSlice` runs inputs start…end−1 of one reader in this thread, timing each
 * input and checking how much ArrayBuffer (external) memory it left allocated; `runFuzz` runs readers in worker threads and
 * watches them from the main thread: a worker whose current input does not change for `hangSeconds` is
 * terminated and the input recorded as a hang (then the worker restarts after it), and a worker that dies (out
 * of memory, native crash) is recorded the same way. Input i is regenerated from (seed, reader, i) when needed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { Rng } from './mutate.js';
import { callLimit, createTarget, lastRejection, type FuzzTarget } from './targets.js';

export type FailureKind = 'exception' | 'check' | 'slow' | 'memory' | 'hang' | 'crash';

export interface FuzzFailure {
  reader: string;
  iteration: number;
  kind: FailureKind;
  /** Error name and message (and stack for exceptions). */
  error: string;
  inputLength: number;
}

export interface ReaderCounts {
  tried: number;
  accepted: number;
  rejected: number;
  failed: number;
  /** Slowest input (ms) and its iteration. */
  slowestMs: number;
  slowestIteration: number;
  /** Largest growth of external (ArrayBuffer) memory over one input (bytes), and that input's length. */
  largestGrowth: number;
  largestGrowthInput: number;
  /** Rejections by reason (the message with file names and numbers blanked, cut to 70 characters). */
  reasons: Record<string, number>;
}

export interface ReaderReport extends ReaderCounts {
  reader: string;
  seconds: number;
  restarts: number;
  failures: FuzzFailure[];
}

export interface SliceOptions {
  reader: string;
  seed: number;
  start: number;
  end: number;
  /** Stop early at this wall-clock time (ms since the epoch). */
  deadline?: number;
  /** A reader call slower than this is a failure. Default 2 s. */
  inputSeconds?: number;
  /** Shared progress words (see PROGRESS_*); the watchdog reads them. */
  progress?: Int32Array;
  onFailure?: (failure: FuzzFailure, input: Uint8Array) => void;
}

/** Indices into the shared progress array. */
export const PROGRESS_CURRENT = 0;
export const PROGRESS_TRIED = 1;
export const PROGRESS_ACCEPTED = 2;
export const PROGRESS_REJECTED = 3;
export const PROGRESS_FAILED = 4;
/** Set to 1 by the worker once its modules are loaded and its harness is built. */
export const PROGRESS_STARTED = 5;
export const PROGRESS_WORDS = 8;

/** Time limit of one reader call (the brief's "anything > 2 s is a failure"). */
export const DEFAULT_INPUT_SECONDS = 2;
/** An input may make several reader calls (the CLI harness makes 14): its total is held to this many call limits. */
const INPUT_CALLS = 10;
/**
 * Time allowed per MB of input on top of inputSeconds: 100 ms, i.e. a reader must get through at least 10 MB/s
 * (a linear pass; anything superlinear on a 50 MB input takes minutes). Replayed alone, the 50 MB inputs take
 * 0.3–1.5 s (a ticket reads its 50 MB header three times: UTF-8, JSON, checksum); during full runs on the
 * shared 2-core machine at load 6–8, with two workers generating such inputs, they took up to 4.6 s.
 */
const MS_PER_MB = 100;

/** Time limit of one reader call on an input of `length` bytes, ms. */
export function callMilliseconds(inputSeconds: number, length: number): number {
  return inputSeconds * 1000 + (MS_PER_MB * length) / 1e6;
}

/**
 * ArrayBuffer memory one input may leave allocated: 16 bytes per input byte (a float16 file widened to float32,
 * plus a copy or a transpose) and 32 MiB besides. More means an allocation sized by a declared, unchecked size.
 */
export function memoryBound(inputLength: number): number {
  return 16 * inputLength + 32 * 2 ** 20;
}

/**
 * Memory outside the JS heap held by this thread's isolate: ArrayBuffer backing stores (typed arrays) and
 * external strings. Per thread, unlike process-wide RSS, and 0.4 µs a call (process.memoryUsage() takes ~9 µs).
 */
function externalMemory(): number {
  return getHeapStatistics().external_memory;
}

export function emptyCounts(): ReaderCounts {
  return { tried: 0, accepted: 0, rejected: 0, failed: 0, slowestMs: 0, slowestIteration: -1, largestGrowth: 0, largestGrowthInput: 0, reasons: {} };
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.slice(0, 2000)}\n${(error.stack ?? '').split('\n').slice(1, 12).join('\n')}`;
  return `thrown non-Error: ${String(error).slice(0, 2000)}`;
}

const targets = new Map<string, Promise<FuzzTarget>>();

/** The reader's harness, built once per thread. */
export function targetFor(reader: string): Promise<FuzzTarget> {
  let target = targets.get(reader);
  if (!target) {
    target = createTarget(reader);
    targets.set(reader, target);
  }
  return target;
}

export function inputFileName(target: FuzzTarget, iteration: number): string {
  return `fuzz-input/${target.name}-${iteration}${target.extension}`;
}

/** Runs one input through the reader; returns the failure, if any (the outcome counts go into `counts`). */
export function runOne(target: FuzzTarget, input: Uint8Array, iteration: number, counts: ReaderCounts, inputSeconds = DEFAULT_INPUT_SECONDS): FuzzFailure | null {
  const file = inputFileName(target, iteration);
  callLimit.ms = callMilliseconds(inputSeconds, input.length);
  const memoryBefore = externalMemory();
  const started = performance.now();
  let failure: Omit<FuzzFailure, 'reader' | 'iteration' | 'inputLength'> | null = null;
  try {
    const outcome = target.run(input, file);
    if (outcome === 'accepted') counts.accepted++;
    else {
      counts.rejected++;
      const reason = lastRejection.replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/g, 'N').slice(0, 70);
      counts.reasons[reason] = (counts.reasons[reason] ?? 0) + 1;
    }
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    failure = { kind: name === 'FuzzCheckError' ? 'check' : name === 'FuzzSlowError' ? 'slow' : 'exception', error: describeError(error) };
  }
  const ms = performance.now() - started;
  const growth = externalMemory() - memoryBefore;
  counts.tried++;
  if (ms > counts.slowestMs) {
    counts.slowestMs = ms;
    counts.slowestIteration = iteration;
  }
  if (growth > counts.largestGrowth) {
    counts.largestGrowth = growth;
    counts.largestGrowthInput = input.length;
  }
  // Each reader call is held to inputSeconds (in attempt); the whole input, which may make several calls, to 10×.
  const inputLimit = INPUT_CALLS * callMilliseconds(inputSeconds, input.length);
  if (!failure && ms > inputLimit) failure = { kind: 'slow', error: `took ${ms.toFixed(0)} ms (limit ${inputLimit.toFixed(0)} ms)` };
  if (!failure && growth > memoryBound(input.length)) {
    failure = { kind: 'memory', error: `left ${growth} bytes of ArrayBuffer (external) memory allocated for a ${input.length}-byte input (bound ${memoryBound(input.length)})` };
  }
  if (!failure) return null;
  counts.failed++;
  return { reader: target.name, iteration, inputLength: input.length, ...failure };
}

/** Inputs start…end−1 of one reader, in this thread. */
export async function fuzzSlice(options: SliceOptions, counts: ReaderCounts = emptyCounts()): Promise<ReaderCounts> {
  const target = await targetFor(options.reader);
  const progress = options.progress;
  if (progress) Atomics.store(progress, PROGRESS_STARTED, 1);
  for (let i = options.start; i < options.end; i++) {
    if (options.deadline !== undefined && Date.now() >= options.deadline) break;
    if (progress) Atomics.store(progress, PROGRESS_CURRENT, i);
    const input = target.generate(Rng.forInput(options.seed, options.reader, i));
    const failure = runOne(target, input, i, counts, options.inputSeconds);
    if (failure) options.onFailure?.(failure, input);
    if (progress) {
      Atomics.store(progress, PROGRESS_TRIED, counts.tried);
      Atomics.store(progress, PROGRESS_ACCEPTED, counts.accepted);
      Atomics.store(progress, PROGRESS_REJECTED, counts.rejected);
      Atomics.store(progress, PROGRESS_FAILED, counts.failed);
    }
  }
  return counts;
}

// ---- workers and the watchdog -----------------------------------------------------------------------------------

export interface FuzzOptions {
  readers: readonly string[];
  iterations: number;
  seed: number;
  /** First iteration (to replay a range). Default 0. */
  start?: number;
  /** Wall-clock budget per reader, seconds. */
  seconds?: number;
  /** Readers run at the same time (one worker each). */
  jobs?: number;
  inputSeconds?: number;
  /** No progress for this long means a hang (generating and reading one input). Default max(30, 15 × inputSeconds). */
  hangSeconds?: number;
  /** Folder for failing inputs (<reader>-<iteration>.bin and .txt); null: do not write. */
  failureDir?: string | null;
  /** Failures kept in the report per reader (all are counted). */
  maxFailures?: number;
  log?: (line: string) => void;
}

export type WorkerMessage =
  | { type: 'failure'; failure: FuzzFailure; input: Uint8Array }
  | { type: 'done'; counts: ReaderCounts }
  | { type: 'error'; error: string };

export interface WorkerData {
  reader: string;
  seed: number;
  start: number;
  end: number;
  deadline?: number;
  inputSeconds: number;
  progress: SharedArrayBuffer;
  counts: ReaderCounts;
}

function saveFailure(dir: string, failure: FuzzFailure, input: Uint8Array, seed: number): void {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${failure.reader}-${failure.iteration}`);
  writeFileSync(`${base}.bin`, input);
  writeFileSync(
    `${base}.txt`,
    `reader ${failure.reader}, seed ${seed}, iteration ${failure.iteration}, ${failure.inputLength} bytes: ${failure.kind}\n` +
      `replay: node dist/fuzz/run.js --reader ${failure.reader} --replay ${base}.bin\n` +
      `regenerate: node dist/fuzz/run.js --reader ${failure.reader} --seed ${seed} --start ${failure.iteration} --iterations 1\n\n${failure.error}\n`,
  );
}

/** Time a worker may take to load its modules and build the reader's harness. */
const STARTUP_MS = 120_000;

/** One worker thread, reused for reader after reader (loading the toolkit's modules takes ~1 s). */
interface Lane {
  worker: Worker | null;
}

function spawnWorker(): Worker {
  // A worker's heap is capped so that an input that allocates without bound kills only the worker.
  const worker = new Worker(new URL('./worker.js', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: 4096 } });
  worker.unref(); // an idle worker does not keep the process alive; runFuzz terminates it anyway
  return worker;
}

/** Runs one reader in workers until its iterations (or seconds) are used up; hangs and crashes restart the worker. */
async function fuzzReader(reader: string, options: FuzzOptions, lane: Lane): Promise<ReaderReport> {
  const started = Date.now();
  const start = options.start ?? 0;
  const end = start + options.iterations;
  const deadline = options.seconds !== undefined ? started + options.seconds * 1000 : undefined;
  const inputSeconds = options.inputSeconds ?? DEFAULT_INPUT_SECONDS;
  const hangMs = (options.hangSeconds ?? Math.max(30, 15 * inputSeconds)) * 1000;
  const maxFailures = options.maxFailures ?? 50;
  const failures: FuzzFailure[] = [];
  let counts = emptyCounts();
  let restarts = 0;
  let startFailures = 0;
  let next = start;

  const record = (failure: FuzzFailure, input: Uint8Array | null): void => {
    if (failures.length < maxFailures) failures.push(failure);
    options.log?.(`${reader}: FAILURE at iteration ${failure.iteration} (${failure.kind}): ${failure.error.split('\n')[0]!.slice(0, 200)}`);
    if (options.failureDir && input && failures.length <= maxFailures) saveFailure(options.failureDir, failure, input, options.seed);
  };

  while (next < end && (deadline === undefined || Date.now() < deadline)) {
    const progress = new Int32Array(new SharedArrayBuffer(PROGRESS_WORDS * 4));
    Atomics.store(progress, PROGRESS_CURRENT, next);
    const data: WorkerData = { reader, seed: options.seed, start: next, end, inputSeconds, progress: progress.buffer as SharedArrayBuffer, counts };
    if (deadline !== undefined) data.deadline = deadline;
    const worker = lane.worker ?? spawnWorker();
    lane.worker = worker;
    worker.postMessage(data);
    const result = await new Promise<{ counts: ReaderCounts | null; problem: { kind: FailureKind; error: string } | null }>((resolve) => {
      let settled = false;
      let lastSeen = Atomics.load(progress, PROGRESS_CURRENT);
      let lastChange = Date.now();
      const onMessage = (message: WorkerMessage): void => {
        if (message.type === 'failure') record(message.failure, message.input);
        else if (message.type === 'done') finish({ counts: message.counts, problem: null });
        else finish({ counts: null, problem: { kind: 'crash', error: message.error } });
      };
      const onError = (error: Error): void => finish({ counts: null, problem: { kind: 'crash', error: describeError(error) } });
      const onExit = (code: number): void => finish({ counts: null, problem: { kind: 'crash', error: `the worker exited with code ${code}` } });
      const finish = (value: { counts: ReaderCounts | null; problem: { kind: FailureKind; error: string } | null }): void => {
        if (settled) return;
        settled = true;
        clearInterval(watchdog);
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        resolve(value);
      };
      const posted = Date.now();
      const watchdog = setInterval(() => {
        const current = Atomics.load(progress, PROGRESS_CURRENT);
        if (Atomics.load(progress, PROGRESS_STARTED) === 0) {
          // Loading the modules and building the harness (~1 s) is not an input's time.
          lastChange = Date.now();
          if (Date.now() - posted > STARTUP_MS) finish({ counts: null, problem: { kind: 'crash', error: `the worker did not start within ${STARTUP_MS / 1000} s` } });
        } else if (current !== lastSeen) {
          lastSeen = current;
          lastChange = Date.now();
        } else if (Date.now() - lastChange > hangMs) {
          finish({ counts: null, problem: { kind: 'hang', error: `no result after ${((Date.now() - lastChange) / 1000).toFixed(1)} s: the worker was terminated` } });
        }
      }, 200);
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
    if (!result.counts) {
      // Hung, crashed or broken: this worker is not reused.
      void worker.terminate();
      lane.worker = null;
    }
    if (result.counts) {
      counts = result.counts;
      break;
    }
    // A worker that died before running anything did not meet an input: most often its modules were being
    // rewritten by a concurrent build of dist/. Start it again (a few times) rather than blame input `next`.
    if (Atomics.load(progress, PROGRESS_STARTED) === 0 && startFailures < 3) {
      startFailures++;
      options.log?.(`${reader}: the worker failed to start (${result.problem!.error.split('\n')[0]!.slice(0, 200)}); starting it again`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      continue;
    }
    // Hang or crash: the counts so far come from the shared words; the input is regenerated here.
    const iteration = Atomics.load(progress, PROGRESS_CURRENT);
    counts = {
      ...counts,
      tried: Atomics.load(progress, PROGRESS_TRIED) + 1,
      accepted: Atomics.load(progress, PROGRESS_ACCEPTED),
      rejected: Atomics.load(progress, PROGRESS_REJECTED),
      failed: Atomics.load(progress, PROGRESS_FAILED) + 1,
    };
    const target = await targetFor(reader);
    let input: Uint8Array;
    try {
      input = target.generate(Rng.forInput(options.seed, reader, iteration));
    } catch (error) {
      input = new Uint8Array(0); // the harness itself failed on this input: the error says how
      result.problem!.error += `\n(the input could not be regenerated: ${describeError(error)})`;
    }
    record({ reader, iteration, kind: result.problem!.kind, error: result.problem!.error, inputLength: input.length }, input);
    restarts++;
    next = iteration + 1;
  }
  return { reader, ...counts, seconds: (Date.now() - started) / 1000, restarts, failures };
}

/** Runs every reader (up to `jobs` at once) and reports per reader. */
export async function runFuzz(options: FuzzOptions): Promise<ReaderReport[]> {
  const jobs = Math.max(1, Math.min(options.jobs ?? Math.min(2, availableParallelism()), options.readers.length));
  const reports: ReaderReport[] = new Array(options.readers.length);
  let nextReader = 0;
  const lane = async (): Promise<void> => {
    const own: Lane = { worker: null };
    try {
      while (nextReader < options.readers.length) {
        const index = nextReader++;
        const reader = options.readers[index]!;
        const report = await fuzzReader(reader, options, own);
        reports[index] = report;
        options.log?.(formatReport(report));
      }
    } finally {
      await own.worker?.terminate();
    }
  };
  await Promise.all(Array.from({ length: jobs }, lane));
  return reports;
}

/** The most frequent rejection reasons of a reader, one per line. */
export function formatReasons(r: ReaderReport, top = 12): string {
  return Object.entries(r.reasons)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([reason, count]) => `  ${String(count).padStart(7)}  ${reason}`)
    .join('\n');
}

export function formatReport(r: ReaderReport): string {
  const rate = r.seconds > 0 ? Math.round(r.tried / r.seconds) : 0;
  return (
    `${r.reader.padEnd(12)} tried ${String(r.tried).padStart(8)}  accepted ${String(r.accepted).padStart(7)}  rejected ${String(r.rejected).padStart(8)}  ` +
    `failures ${String(r.failed).padStart(4)}  ${r.seconds.toFixed(1).padStart(6)} s  ${String(rate).padStart(6)} inputs/s  ` +
    `slowest ${r.slowestMs.toFixed(1)} ms  max external-memory growth ${(r.largestGrowth / 2 ** 20).toFixed(1)} MiB` +
    (r.restarts > 0 ? `  (${r.restarts} worker restarts)` : '')
  );
}
