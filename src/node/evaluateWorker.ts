/** Worker thread of evaluator.ts: receives the regenerated ticket once, then evaluates f and g on slices. */
import { parentPort, workerData } from 'node:worker_threads';
import type { Network } from '../nn/network.js';
import { evaluateRange, evaluationPair } from '../theorem1/evaluator.js';
import type { MaterializedTicket } from '../theorem1/ticket.js';

const { network, ticket, outputSize } = workerData as { network: Network; ticket: MaterializedTicket; outputSize: number };
const pair = evaluationPair(network, ticket);
parentPort!.on('message', (message: { id: number; inputs: Float64Array; count: number }) => {
  try {
    const r = evaluateRange(pair, message.inputs, message.count, outputSize);
    parentPort!.postMessage({ id: message.id, target: r.target, ticket: r.ticket }, [r.target.buffer as ArrayBuffer, r.ticket.buffer as ArrayBuffer]);
  } catch (error) {
    parentPort!.postMessage({ id: message.id, error: (error as Error).stack ?? String(error) });
  }
});
