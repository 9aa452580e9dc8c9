/**
 * Evaluates target f and ticket g on many inputs, in this thread or split across worker threads. The ticket's kept
 * weights are regenerated once, here, and handed to the workers (structured clone copies the typed arrays); every
 * sample is computed by the same code in the same order whatever the split, so results are identical for any
 * worker count.
 */
import { platform, type WorkerHandle } from '../core/platform.js';
import type { Network } from '../nn/network.js';
import { prepareTargetForward } from './targetForward.js';
import { materializeTicket, ticketForward, type MaterializedTicket, type Ticket } from './ticket.js';

/** Samples per forward pass (each sample's result does not depend on it). */
export const EVALUATION_BATCH = 32;

export interface Evaluation {
  /** Row-major [count, outputSize], float64. */
  target: Float64Array;
  ticket: Float64Array;
}

export interface Evaluator {
  readonly outputSize: number;
  /** The ticket's regenerated kept weights (verify checks their checksum without regenerating them again). */
  readonly materialized: MaterializedTicket;
  evaluate(inputs: Float64Array, count: number): Promise<Evaluation>;
  close(): Promise<void>;
}

/** Target and ticket prepared for repeated evaluation in one thread. */
export interface EvaluationPair {
  target: (input: ArrayLike<number>, batch: number) => Float64Array;
  ticket: MaterializedTicket;
}

export function evaluationPair(network: Network, ticket: MaterializedTicket): EvaluationPair {
  return { target: prepareTargetForward(network), ticket };
}

/** Evaluates samples [0, count) of row-major inputs in batches of EVALUATION_BATCH. */
export function evaluateRange(pair: EvaluationPair, inputs: Float64Array, count: number, outputSize: number): Evaluation {
  const inputSize = inputs.length / Math.max(1, count);
  const target = new Float64Array(count * outputSize);
  const out = new Float64Array(count * outputSize);
  for (let start = 0; start < count; start += EVALUATION_BATCH) {
    const n = Math.min(EVALUATION_BATCH, count - start);
    const x = inputs.subarray(start * inputSize, (start + n) * inputSize);
    target.set(pair.target(x, n), start * outputSize);
    out.set(ticketForward(pair.ticket, x, n), start * outputSize);
  }
  return { target, ticket: out };
}

export function createEvaluator(network: Network, ticket: Ticket, workers: number): Evaluator {
  const outputSize = ticket.meta.outputShape.reduce((a, b) => a * b, 1);
  const materialized = materializeTicket(ticket);
  if (workers <= 1) {
    const pair = evaluationPair(network, materialized);
    return {
      outputSize,
      materialized,
      evaluate: async (inputs, count) => evaluateRange(pair, inputs, count, outputSize),
      close: async () => undefined,
    };
  }
  const pool: WorkerHandle[] = [];
  for (let w = 0; w < workers; w++) {
    const worker = platform().startWorker('theorem1-evaluate', { network, ticket: materialized, outputSize });
    worker.unref();
    pool.push(worker);
  }
  let jobs = 0;
  const run = (worker: WorkerHandle, inputs: Float64Array, count: number): Promise<Evaluation> =>
    new Promise((resolve, reject) => {
      const id = ++jobs;
      const onMessage = (message: { id: number; target?: Float64Array; ticket?: Float64Array; error?: string }): void => {
        if (message.id !== id) return;
        worker.off('message', onMessage);
        worker.off('error', onError);
        if (message.error !== undefined) reject(new Error(message.error));
        else resolve({ target: message.target!, ticket: message.ticket! });
      };
      const onError = (error: Error): void => {
        worker.off('message', onMessage);
        reject(error);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      // The slice is transferred, not copied a second time.
      worker.postMessage({ id, inputs, count }, [inputs.buffer as ArrayBuffer]);
    });
  return {
    outputSize,
    materialized,
    async evaluate(inputs, count) {
      const inputSize = inputs.length / Math.max(1, count);
      // Whole batches per worker, so that a small call (the adversarial search's 32 candidates) still splits.
      const batches = Math.ceil(count / EVALUATION_BATCH);
      const per = count <= EVALUATION_BATCH * pool.length ? Math.ceil(count / pool.length) : Math.ceil(batches / pool.length) * EVALUATION_BATCH;
      const parts: Promise<Evaluation>[] = [];
      const starts: number[] = [];
      for (let w = 0; w < pool.length; w++) {
        const start = w * per;
        const n = Math.min(per, count - start);
        if (n <= 0) break;
        starts.push(start);
        parts.push(run(pool[w]!, inputs.slice(start * inputSize, (start + n) * inputSize), n));
      }
      const results = await Promise.all(parts);
      const target = new Float64Array(count * outputSize);
      const out = new Float64Array(count * outputSize);
      results.forEach((r, i) => {
        target.set(r.target, starts[i]! * outputSize);
        out.set(r.ticket, starts[i]! * outputSize);
      });
      return { target, ticket: out };
    },
    async close() {
      await Promise.all(pool.map((w) => w.terminate()));
    },
  };
}
