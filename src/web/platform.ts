/**
 * The browser platform (src/core/platform.ts): Web Workers for the pools, performance.now for timings, console.warn
 * for warnings. Every worker runs the one bundled worker script (src/web/worker.ts), started from a blob: URL so
 * that a page opened from file:// can start it, and told its entry point and data in a first message.
 */
import { RunError } from '../core/errors.js';
import type { Platform, WorkerEntry, WorkerHandle } from '../core/platform.js';

/** First message to a worker: which entry it runs and that entry's data (what Node passes as workerData). */
export interface WorkerStart {
  start: WorkerEntry;
  workerData: unknown;
}

type Listener = (...args: any[]) => void;

/** A Web Worker behind the part of Node's Worker interface the pools use. */
function handleOf(worker: Worker): WorkerHandle {
  const wrapped = new Map<Listener, EventListener>();
  return {
    postMessage: (message, transfer) => worker.postMessage(message, (transfer ?? []) as Transferable[]),
    on(event: 'message' | 'error' | 'exit', listener: Listener) {
      if (event === 'exit') return; // a Web Worker does not exit on its own
      const wrapper: EventListener =
        event === 'message' ? (e) => listener((e as MessageEvent).data) : (e) => listener(new Error((e as ErrorEvent).message ?? 'worker error'));
      wrapped.set(listener, wrapper);
      worker.addEventListener(event, wrapper);
    },
    off(event: 'message' | 'error' | 'exit', listener: Listener) {
      const wrapper = wrapped.get(listener);
      if (event === 'exit' || !wrapper) return;
      worker.removeEventListener(event, wrapper);
      wrapped.delete(listener);
    },
    ref: () => undefined,
    unref: () => undefined,
    terminate: () => worker.terminate(),
  } as WorkerHandle;
}

/** The platform of a page whose bundled worker script is `workerSource` (JavaScript text). */
export function webPlatform(workerSource: string): Platform {
  let url: string | null = null;
  return {
    parallelism: () => Math.max(1, Math.min(8, navigator.hardwareConcurrency || 2)),
    startWorker(entry, workerData) {
      url ??= URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }));
      const worker = new Worker(url);
      worker.postMessage({ start: entry, workerData } satisfies WorkerStart);
      return handleOf(worker);
    },
    now: () => performance.now(),
    tfWasmPrefix() {
      throw new RunError('TensorFlow.js is not part of the page');
    },
    warn: (text) => console.warn(text),
    sharedMemory: () => false, // worker.ts takes subset-sum chunks by message, cross-origin isolated or not
  };
}
