// sparsest against the brute-force oracle: same minimum cardinality, error ≤ ε and the same least error
// among subsets of that size; the closest subset when nothing is within ε. Covers the k ≤ 3 fast paths
// and the per-cardinality meet in the middle (instances that need 4 to 12 values).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sparsest } from '../../src/subsetsum/sparsest.js';
import { closest } from '../../src/subsetsum/closest.js';
import { bruteForce } from '../../src/subsetsum/bruteForce.js';
import type { SubsetSumInstance, SubsetSumResult } from '../../src/subsetsum/types.js';
import { RandomStream } from '../../src/core/random.js';

/** Errors of the same optimum summed in different orders differ in the last bits only (see bruteForce.ts). */
const ERROR_TOLERANCE = 1e-12;

const valueArb = fc.oneof(
  fc.double({ min: -0.4642, max: 0.5407, noNaN: true }),
  fc.integer({ min: -16, max: 16 }).map((k) => k / 8),
  fc.double({ min: 0, max: 0.2, noNaN: true }),
  fc.double({ min: -1e-3, max: 1e-3, noNaN: true }),
);
const instanceArb = (maxLength: number): fc.Arbitrary<SubsetSumInstance> =>
  fc.record({
    values: fc.array(valueArb, { minLength: 1, maxLength, size: 'max' }),
    target: fc.oneof(fc.double({ min: -3, max: 3, noNaN: true }), fc.integer({ min: -24, max: 24 }).map((k) => k / 8)),
    tolerance: fc.constantFrom(1e-3, 0.01, 0.05, 0.2),
  });

function assertWellFormed(instance: SubsetSumInstance, result: SubsetSumResult): void {
  let sum = 0;
  result.indices.forEach((index, k) => {
    assert.ok(Number.isInteger(index) && index >= 0 && index < instance.values.length, `index ${index} in range`);
    if (k > 0) assert.ok(index > result.indices[k - 1]!, 'indices unique and ascending');
    sum += instance.values[index]!;
  });
  assert.equal(result.sum, sum);
  assert.equal(result.error, Math.abs(instance.target - sum));
  assert.equal(result.withinTolerance, result.error <= instance.tolerance);
}

function assertMatchesOracle(instance: SubsetSumInstance, label = ''): void {
  const result = sparsest(instance);
  assertWellFormed(instance, result);
  const oracle = bruteForce(instance, 'sparsest');
  assert.equal(result.withinTolerance, oracle.withinTolerance, `${label} withinTolerance`);
  if (oracle.withinTolerance) {
    assert.equal(result.indices.length, oracle.indices.length, `${label} cardinality ${result.indices.length} vs ${oracle.indices.length}`);
    assert.ok(result.error <= instance.tolerance);
  }
  // Within ε: the least error among minimum-size subsets. Otherwise: the closest subset's error.
  assert.ok(Math.abs(result.error - oracle.error) <= ERROR_TOLERANCE, `${label} error ${result.error} vs ${oracle.error}`);
}

test('sparsest matches brute force on 3,000 instances, n ≤ 14 (property)', () => {
  fc.assert(
    fc.property(instanceArb(14), (instance) => assertMatchesOracle(instance)),
    { seed: 31337, numRuns: 3000 },
  );
});

test('sparsest matches brute force where 4 to 12 values are needed (cardinality search), n = 12..20', () => {
  const stream = new RandomStream(3, 14);
  let index = 0;
  const sizes: number[] = [];
  for (let trial = 0; trial < 80; trial++) {
    const n = 12 + (trial % 9);
    const values = Array.from({ length: n }, () => stream.uniform(index++, 0, 0.25));
    const target = stream.uniform(index++, 0.6, 2.4);
    const instance = { values, target, tolerance: trial % 2 === 0 ? 0.01 : 0.002 };
    assertMatchesOracle(instance, `trial ${trial}`);
    sizes.push(sparsest(instance).indices.length);
  }
  assert.ok(sizes.filter((s) => s >= 5).length > 40, `too few instances reached the cardinality search: ${sizes.join(',')}`);
});

test('sparsest on the paper workload (n = 21, U[−0.4642, 0.5407], ε = 0.01): within ε with ≤ 3 values, never worse than closest allows', () => {
  const stream = new RandomStream(21, 1);
  let index = 0;
  for (let trial = 0; trial < 200; trial++) {
    const values = Array.from({ length: 21 }, () => stream.uniform(index++, -0.4642, 0.5407));
    const target = stream.uniform(index++, -0.4642, 0.5407);
    const instance = { values, target, tolerance: 0.01 };
    const result = sparsest(instance);
    assertWellFormed(instance, result);
    const best = closest(instance);
    assert.equal(result.withinTolerance, best.withinTolerance);
    if (result.withinTolerance) assert.ok(result.indices.length <= best.indices.length);
  }
});

test('fast paths: a target within ε of 0 takes no values; one or two values when they suffice', () => {
  assert.deepEqual(sparsest({ values: [0.3, -0.2, 0.71], target: 0.004, tolerance: 0.01 }).indices, []);
  assert.deepEqual(sparsest({ values: [0.3, -0.2, 0.71, 0.1], target: 0.705, tolerance: 0.01 }).indices, [2]);
  assert.deepEqual(sparsest({ values: [0.3, -0.2, 0.71, 0.1], target: 0.51, tolerance: 0.001 }).indices, [1, 2]);
  const none = sparsest({ values: [0.3, -0.2], target: 5, tolerance: 0.01 });
  assert.equal(none.withinTolerance, false);
  assert.deepEqual(none.indices, [0]);
});
