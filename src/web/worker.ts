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

scope.onmessage = (event: MessageEvent) => {
  const message = event.data as WorkerStart | ChunkJob | { id: number; inputs: Float64Array; count: number };
  if (entry === null) {
    const start = message as WorkerStart;
    entry = start.start;
    if (entry === 'theorem1-evaluate') {
      const data = start.workerData as { network: Network; ticket: MaterializedTicket; outputSize: number };
      evaluation = { pair: evaluationPair(data.network, data.ticket), outputSize: data.outputSize };
    }
    return;
  }
  if (entry === 'subsetsum-batch') {
    const reply = solveChunk(message as ChunkJob);
    scope.postMessage(reply, reply.kind === 'chunk-result' ? [reply.selected.buffer, reply.sums.buffer, reply.errors.buffer] : []);
    return;
  }
  if (entry === 'theorem1-evaluate' && evaluation) {
    const job = message as { id: number; inputs: Float64Array; count: number };
    try {
      const r = evaluateRange(evaluation.pair, job.inputs, job.count, evaluation.outputSize);
      scope.postMessage({ id: job.id, target: r.target, ticket: r.ticket }, [r.target.buffer, r.ticket.buffer]);
    } catch (error) {
      scope.postMessage({ id: job.id, error: (error as Error).stack ?? String(error) });
    }
    return;
  }
  scope.postMessage({ job: (message as { job?: number }).job ?? -1, kind: 'error', message: `worker entry '${String(entry)}' is not part of the page` });
};
