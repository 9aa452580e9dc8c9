// The public entry (src/index.ts) against the CLI and against the slow paths: the library's typed results carry
// exactly the fields `lottery prune --json` and `lottery verify --json` print (same values, timings aside), the
// ticket it returns is the one the CLI writes, approximateNetwork equals the single-threaded reference, and bad
// options are InputErrors that name the option field, never a flag.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, approximateNetwork, loadNetwork, pruneTheorem1, readTicket, solveSubsetSum, verifyTicket, writeTicket, randomSubsetSumCoverage } from '../src/index.js';
import { approximateNetworkSync } from '../src/approximate/approximate.js';
import { bruteForce } from '../src/subsetsum/bruteForce.js';
import { solveBatchSync } from '../src/subsetsum/batch.js';
import { RandomStream } from '../src/core/random.js';
import { cli } from './helpers/cli.js';
import { saveTinyTarget, tinyNetwork } from './helpers/tinyTarget.js';

const work = mkdtempSync(join(tmpdir(), 'lottery-library-'));
after(() => rmSync(work, { recursive: true, force: true }));
const targetFile = saveTinyTarget(join(work, 'tiny.safetensors'), 4);
const TIMINGS = new Set(['seconds', 'solveSeconds', 'phaseSeconds']);
const withoutTimings = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([k]) => !TIMINGS.has(k)));

test('pruneTheorem1 and verifyTicket return the fields of prune --json and verify --json, with the same values', async () => {
  const ticketFile = join(work, 'cli.ticket.safetensors');
  const run = await cli(['prune', '--target', targetFile, '--tolerance', '0.5', '--seed', '3', '--samples', '8', '--workers', '2', '--json', '--no-progress', '--out', ticketFile]);
  assert.equal(run.code, 0, run.stderr);
  const printed = JSON.parse(run.stdout) as Record<string, unknown>;

  const network = await loadNetwork(targetFile);
  const result = await pruneTheorem1(network, { tolerance: 0.5, seed: 3, samples: 8, workers: 1 });
  const { ticket, ...fields } = result;
  assert.deepEqual(Object.keys(fields).sort(), Object.keys(printed).filter((k) => k !== 'ticket').sort());
  const printedFields = Object.fromEntries(Object.entries(printed).filter(([k]) => k !== 'ticket'));
  // As JSON carries the typed value (what --json prints is JSON.stringify of the same report).
  assert.deepEqual(withoutTimings(JSON.parse(JSON.stringify(fields)) as Record<string, unknown>), withoutTimings(printedFields));
  // The same ticket, byte for byte, as the CLI wrote (whatever the worker count).
  const libraryFile = join(work, 'library.ticket.safetensors');
  await writeTicket(libraryFile, ticket);
  assert.deepEqual(readFileSync(libraryFile), readFileSync(ticketFile));

  const verified = await verifyTicket(await readTicket(libraryFile), network, { limit: 300, randomPoints: 200, adversarialEvaluations: 64, workers: 2 });
  const verifyRun = await cli(['verify', '--ticket', ticketFile, '--target', targetFile, '--limit', '300', '--random-points', '200', '--adversarial-evaluations', '64', '--json']);
  assert.equal(verifyRun.code, 0, verifyRun.stderr);
  const verifyPrinted = JSON.parse(verifyRun.stdout) as Record<string, unknown>;
  assert.deepEqual(withoutTimings(JSON.parse(JSON.stringify({ ticket: ticketFile, target: targetFile, ...verified })) as Record<string, unknown>), withoutTimings(verifyPrinted));
  assert.ok(verified.maxOutputError <= verified.certifiedBound && verified.withinCertificate);
  assert.ok(verified.ticketAccuracy !== null && verified.targetAccuracy !== null);
});

test('a network built in memory is identified by its weights: verify accepts it and refuses another', async () => {
  const network = tinyNetwork(5);
  const result = await pruneTheorem1(network, { tolerance: 0.5, seed: 1, samples: 6, malachSample: 0 });
  assert.equal(result.target, null);
  const report = await verifyTicket(result.ticket, tinyNetwork(5), { mnist: false, randomPoints: 50, adversarialEvaluations: 32 });
  assert.ok(report.withinCertificate);
  await assert.rejects(verifyTicket(result.ticket, tinyNetwork(6), { mnist: false }), (e) => e instanceof InputError && /^target: .*wrong target/.test(e.message));
});

test('approximateNetwork equals the single-threaded reference, and its network is the approximation', async () => {
  const network = tinyNetwork(2);
  const options = { tolerance: 0.01, seed: 7, samples: 12 } as const;
  const fast = await approximateNetwork(network, { ...options, workers: 2 });
  const slow = approximateNetworkSync(
    network,
    { tolerance: 0.01, seed: 7, sampleCount: 12, sampleFactor: 3, coefficients: 'per-row', distribution: 'target-range', objective: 'closest' },
    (batch) => solveBatchSync(batch),
  );
  assert.deepEqual(fast.summary, slow.summary);
  const layer = (n: typeof network, i: number) => n.layers.filter((l) => l.kind === 'dense')[i] as { weight: Float32Array };
  assert.deepEqual(layer(fast.network, 0).weight, layer(slow.network, 0).weight);
  assert.equal(fast.outsideTolerance.length, fast.summary.weightsOutsideTolerance);
});

test('solveSubsetSum equals brute force on random instances, and coverage runs from the entry', () => {
  const stream = new RandomStream(11, 0);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + (trial % 14);
    const values = Array.from({ length: n }, (_, i) => stream.uniform(trial * 100 + i, -1, 1));
    const target = stream.uniform(1_000_000 + trial, -2, 2);
    for (const objective of ['closest', 'sparsest'] as const) {
      const ours = solveSubsetSum(values, target, { tolerance: 0.05, objective });
      const oracle = bruteForce({ values, target, tolerance: 0.05 }, objective);
      assert.equal(ours.error, oracle.error, `trial ${trial} ${objective}`);
      if (objective === 'sparsest') assert.equal(ours.indices.length, oracle.indices.length);
    }
  }
  const coverage = randomSubsetSumCoverage({ distributions: ['uniform'], sampleCounts: [6, 10], tolerances: [0.1], trials: 20, seed: 1 });
  assert.equal(coverage.records.length, 2);
});

test('bad options are InputErrors naming the option field, never a flag', async () => {
  const network = tinyNetwork(1);
  const cases: Array<[() => unknown, RegExp]> = [
    [() => solveSubsetSum([0.5, Number.NaN], 0.2, { tolerance: 0.01 }), /^values\[1\]: /],
    [() => solveSubsetSum([0.5], 0.2, { tolerance: -1 }), /^tolerance: /],
    [() => solveSubsetSum([0.5], 0.2, { tolerance: 0.1, objective: 'best' as never }), /^objective: /],
    [() => pruneTheorem1(network, { tolerance: 1.5, seed: 1 }), /^tolerance: /],
    [() => pruneTheorem1(network, { tolerance: 0.5, seed: -1 }), /^seed: /],
    [() => pruneTheorem1(network, { tolerance: 0.5, seed: 1, samples: 0 }), /^samples: /],
    [() => pruneTheorem1(network, { tolerance: 0.5, seed: 1, workers: 0 }), /^workers: /],
    [() => approximateNetwork(network, { tolerance: 0, seed: 1 }), /^tolerance: /],
  ];
  for (const [call, pattern] of cases) {
    await assert.rejects(async () => call(), (e) => e instanceof InputError && pattern.test(e.message) && !/--/.test(e.message.split(':')[0]!), String(pattern));
  }
});
