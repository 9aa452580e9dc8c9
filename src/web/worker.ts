/**
 * The page's worker script (bundled on its own, started by src/web/platform.ts): the first message names the
 * entry point; then it runs the subset-sum chunks of batch.ts (messages: a page from file:// shares no memory) or
 * the evaluator's slices, as the Node workers in src/node/ do.
 */
import type { Network } from '../nn/network.js';
import { solveChunk, type ChunkJob } from '../subsetsum/batch.js';
import { evaluateRange, evaluationPair, type EvaluationPair } from '../theorem1/evaluator.js';
import type { MaterializedTicket } from '../theorem1/ticket.js';
import type { WorkerStart } from './platform.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}
const scope = globalThis as unknown as WorkerScope;

let evaluation: { pair: EvaluationPair; outputSize: number } | null = null;
let entry: WorkerStart['start'] | null = null;
/** Why the start message could not be honoured: every later job is answered with it, so no caller waits forever. */
let startError: string | null = null;

const describe = (error: unknown): string => (error instanceof Error ? (error.stack ?? error.message) : String(error));

scope.onmessage = (event: MessageEvent) => {
  const message = event.data as WorkerStart | ChunkJob | { id: number; inputs: Float64Array; count: number };
  if (entry === null) {
    const start = message as WorkerStart;
    entry = start.start;
    try {
      if (entry === 'theorem1-evaluate') {
        const data = start.workerData as { network: Network; ticket: MaterializedTicket; outputSize: number };
        evaluation = { pair: evaluationPair(data.network, data.ticket), outputSize: data.outputSize };
      } else if (entry !== 'subsetsum-batch') startError = `worker entry '${String(entry)}' is not part of the page`;
    } catch (error) {
      startError = describe(error);
    }
    return;
  }
  if (entry === 'subsetsum-batch') {
    const job = message as ChunkJob;
    const reply = startError === null ? solveChunk(job) : { job: job.job, kind: 'error' as const, message: startError };
    scope.postMessage(reply, reply.kind === 'chunk-result' ? [reply.selected.buffer, reply.sums.buffer, reply.errors.buffer] : []);
    return;
  }
  const job = message as { id: number; inputs: Float64Array; count: number };
  if (startError !== null || evaluation === null) {
    scope.postMessage({ id: job.id, error: startError ?? `worker entry '${String(entry)}' is not part of the page` });
    return;
  }
  try {
    const r = evaluateRange(evaluation.pair, job.inputs, job.count, evaluation.outputSize);
    scope.postMessage({ id: job.id, target: r.target, ticket: r.ticket }, [r.target.buffer, r.ticket.buffer]);
  } catch (error) {
    scope.postMessage({ id: job.id, error: describe(error) });
  }
};
