// examples/library.mjs with types, as a TypeScript user writes it: test/package/ type-checks it with `tsc --noEmit`
// against the installed package's declarations (strict, NodeNext). A random subset sum solved exactly and checked by brute force,
// then a strong lottery ticket for a small trained MNIST network (Theorem 1), written, read back and verified by its
// own forward pass. Run it where `npm install <lottery checkout or tarball>` was done, with target.safetensors
// beside it (node_modules/lottery/examples/ ships both). test/package/ runs it and compares with the README.
import { InputError, RandomStream, loadNetwork, pruneTheorem1, readTicket, solveSubsetSum, verifyTicket, writeTicket } from 'lottery';
import type { Network, PruneResult, SubsetSumSolution, Ticket, VerifyReport } from 'lottery';

// 1. Sixteen random numbers from the counter-based generator: value i is a pure function of (seed 1, stream 0, i).
const stream = new RandomStream(1, 0);
const values = Array.from({ length: 16 }, (_, i) => stream.uniform(i, -1, 1));
const target = 0.3141;
const closest: SubsetSumSolution = solveSubsetSum(values, target, { tolerance: 0.001 });
const sparsest = solveSubsetSum(values, target, { tolerance: 0.001, objective: 'sparsest' });
let bruteForce = Infinity; // all 2^16 subsets
for (let mask = 0; mask < 1 << values.length; mask++) {
  let sum = 0;
  for (let i = 0; i < values.length; i++) if (mask & (1 << i)) sum += values[i]!;
  bruteForce = Math.min(bruteForce, Math.abs(target - sum));
}
console.log(`closest : ${closest.indices.length} values, error ${closest.error.toExponential(2)} (brute force ${bruteForce.toExponential(2)})`);
console.log(`sparsest: ${sparsest.indices.length} values, error ${sparsest.error.toExponential(2)}, within ε: ${sparsest.withinTolerance}`);

// 2. A ticket for a trained 784-32-10 MLP: the random network (depth 4) is regenerated from the seed, never stored.
const network: Network = await loadNetwork(new URL('./target.safetensors', import.meta.url).pathname);
const pruned: PruneResult = await pruneTheorem1(network, { tolerance: 0.5, seed: 1, samples: 10, malachSample: 0 });
console.log(`ticket  : ${pruned.keptParams} weights kept of ${pruned.randomParams}, depth ${pruned.depth}, certified ‖f − g‖ ≤ ${pruned.certifiedBound.toFixed(2)}`);
await writeTicket('ticket.safetensors', pruned.ticket);
const ticket: Ticket = await readTicket('ticket.safetensors');
const report: VerifyReport = await verifyTicket(ticket, network, { limit: 1000, randomPoints: 1000, adversarialEvaluations: 256 });
console.log(`verify  : accuracy ${report.targetAccuracy} (target) → ${report.ticketAccuracy} (ticket), max measured ${report.maxOutputError.toFixed(3)} ≤ certified: ${report.withinCertificate}`);

// 3. Bad input is refused with an InputError that names the field.
try {
  solveSubsetSum([0.5, Number.NaN], target, { tolerance: 0.001 });
} catch (error: unknown) {
  if (!(error instanceof InputError)) throw error;
  console.log(`refused : ${error.message}`);
}
