/**
 * What the pure folders need from the machine they run on, injected instead of imported: worker threads, a
 * clock, where TensorFlow.js finds its .wasm binaries, and a place for warnings. The maths folders (core,
 * subsetsum, nn, approximate, theorem1, popup, report) import no `node:` module and touch no `process`,
 * `console` or clock; they ask `platform()`. The Node implementation is src/node/platform.ts (installed by the
 * public entry and the CLI); a browser page installs its own. Without one, everything runs in the calling
 * thread with timings 0.
 */
import { RunError } from './errors.js';

/** The worker entry points of the library (each a file the platform knows how to start). */
export type WorkerEntry = 'subsetsum-batch' | 'theorem1-evaluate' | 'popup-pass';

/** The part of a worker that the pools use (a Node `Worker` has it; a browser adapter provides it). */
export interface WorkerHandle {
  postMessage(message: unknown, transfer?: readonly ArrayBuffer[]): void;
  on(event: 'message', listener: (message: any) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  off(event: 'message' | 'error' | 'exit', listener: (...args: any[]) => void): unknown;
  /** Keeps the process alive while this worker works / lets it end while the worker idles (no-ops where there is no such notion). */
  ref(): void;
  unref(): void;
  terminate(): Promise<unknown> | void;
}

export interface Platform {
  /** Threads that may usefully run at once (the default worker count). */
  parallelism(): number;
  /** Starts a worker running `entry` with `workerData`; throws where there are no workers. */
  startWorker(entry: WorkerEntry, workerData?: unknown): WorkerHandle;
  /** Milliseconds on a monotonic clock (only differences are used). */
  now(): number;
  /** URL or folder (with trailing slash) holding @tensorflow/tfjs-backend-wasm's .wasm files. */
  tfWasmPrefix(): string;
  /** A line for the user that is not a result (a worker's crash message). */
  warn(text: string): void;
  /**
   * Whether its workers can share memory with this thread (SharedArrayBuffer jobs); default yes when the runtime has
   * SharedArrayBuffer. The browser page's workers take chunks by message only.
   */
  sharedMemory?(): boolean;
}

/** The platform with no threads and no clock: every pool runs in the calling thread, timings are 0. */
export const inThreadPlatform: Platform = {
  parallelism: () => 1,
  startWorker(entry) {
    throw new RunError(`workers: this platform has no worker threads (asked for '${entry}'); use workers: 1, or install a platform (src/core/platform.ts)`);
  },
  now: () => 0,
  tfWasmPrefix() {
    throw new RunError('TensorFlow.js: this platform does not say where the tfjs-backend-wasm .wasm files are (src/core/platform.ts)');
  },
  warn: () => undefined,
};

let current: Platform = inThreadPlatform;

export function platform(): Platform {
  return current;
}

/** Installs the platform used from now on (the Node one is installed by importing src/node/platform.ts). */
export function setPlatform(next: Platform): void {
  current = next;
}
