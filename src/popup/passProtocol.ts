/** The shared control block between the fast edge-popup trainer and its pass workers (popupPassWorker.ts). */
import type { PassLayer } from './passes.js';

/** Int32 slots of the control block. */
/** `ready`: workers that finished starting (tfjs loaded); `failed`: set by a worker whose command threw. */
export const CONTROL = { sequence: 0, done: 1, command: 2, layer: 3, ready: 4, failed: 5, size: 6 } as const;
export const COMMAND = { update: 1, rebuild: 2, exit: 3, forward: 4, gradient: 5 } as const;
/** Float64 slots of the parameter block. */
export const PARAMS = { lr: 0, wd: 1, mu: 2, lo: 3, hi: 4, threshold: 5, batch: 6, size: 7 } as const;

export interface PassWorkerData {
  control: SharedArrayBuffer;
  params: SharedArrayBuffer;
  layers: PassLayer[];
  /** This worker's thread index (1…threads−1; the trainer's own thread is 0). */
  thread: number;
  threads: number;
}
