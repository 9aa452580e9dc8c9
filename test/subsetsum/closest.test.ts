// closest (grid meet-in-the-middle) against the brute-force oracle on thousands of seeded instances,
// plus invariants: well-formed results, negation symmetry, more samples never hurt, exact hits at n = 40.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { closest } from '../../src/subsetsum/closest.js';
import { bruteForce } from '../../src/subsetsum/bruteForce.js';
import type { SubsetSumInstance, SubsetSumResult } from '../../src/subsetsum/types.js';
import { RandomStream } from '../../src/core/random.js';

/** Errors of the same optimum summed in different orders differ in the last bits only (see bruteForce.ts). */
const ERROR_TOLERANCE = 1e-12;

/** Values from several shapes: uniform (the paper's), a coarse lattice (many exact ties), tiny and huge spreads. */
const valueArb = fc.oneof(
  fc.double({ min: -0.4642, max: 0.5407, noNaN: true }),
  fc.integer({ min: -16, max: 16 }).map((k) => k / 8),
  fc.double({ min: -1e-6, max: 1e-6, noNaN: true }),
  fc.double({ min: -1000, max: 1000, noNaN: true }),
);
const instanceArb = (maxLength: number): fc.Arbitrary<SubsetSumInstance> =>
  fc.record({
    values: fc.array(valueArb, { minLength: 1, maxLength, size: 'max' }),
    target: fc.oneof(fc.double({ min: -3, max: 3, noNaN: true }), fc.integer({ min: -24, max: 24 }).map((k) => k / 8), fc.double({ min: -1e4, max: 1e4, noNaN: true })),
    tolerance: fc.constantFrom(1e-3, 0.01, 0.1, 0.5),
  });

function assertWellFormed(instance: SubsetSumInstance, result: SubsetSumResult): void {
  const { values, target, tolerance } = instance;
  let sum = 0;
  result.indices.forEach((index, k) => {
    assert.ok(Number.isInteger(index) && index >= 0 && index < values.length, `index ${index} in range`);
    if (k > 0) assert.ok(index > result.indices[k - 1]!, 'indices unique and ascending');
    sum += values[index]!;
  });
  assert.equal(result.sum, sum, 'reported sum is the canonical sum of the indices');
  assert.equal(result.error, Math.abs(target - sum));
  assert.equal(result.withinTolerance, result.error <= tolerance);
}

/** Least and second-least error over all subsets (direct enumeration, independent of bruteForce). */
function twoBest(values: readonly number[], target: number): { best: number; second: number; mask: number } {
  let best = Infinity;
  let second = Infinity;
  let bestMask = -1;
  for (let mask = 0; mask < 2 ** values.length; mask++) {
    let sum = 0;
    for (let i = 0; i < values.length; i++) if (mask & (1 << i)) sum += values[i]!;
    const error = Math.abs(target - sum);
    if (error < best) {
      second = best;
      best = error;
      bestMask = mask;
    } else if (error < second) {
      second = error;
    }
  }
  return { best, second, mask: bestMask };
}

test('closest error equals the brute-force error on 3,000 instances, n ≤ 14 (property)', () => {
  fc.assert(
    fc.property(instanceArb(14), (instance) => {
      const result = closest(instance);
      assertWellFormed(instance, result);
      const oracle = bruteForce(instance, 'closest');
      assert.ok(Math.abs(result.error - oracle.error) <= ERROR_TOLERANCE, `closest ${result.error} vs brute force ${oracle.error}`);
    }),
    { seed: 20250221, numRuns: 3000 },
  );
});

test('closest error equals the brute-force error at n = 13..20 on the paper distribution', () => {
  const stream = new RandomStream(11, 3);
  let index = 0;
  for (let trial = 0; trial < 200; trial++) {
    const n = 13 + (trial % 8);
    const values = Array.from({ length: n }, () => stream.uniform(index++, -0.4642, 0.5407));
    const target = stream.uniform(index++, -0.4642, 0.5407) * (trial % 3 === 0 ? 6 : 1);
    const instance = { values, target, tolerance: 0.01 };
    const result = closest(instance);
    assertWellFormed(instance, result);
    const oracle = bruteForce(instance, 'closest');
    assert.ok(Math.abs(result.error - oracle.error) <= ERROR_TOLERANCE, `trial ${trial}: ${result.error} vs ${oracle.error}`);
  }
});

test('closest picks the brute-force subset whenever the optimum is unique by a margin', () => {
  const stream = new RandomStream(17, 2);
  let index = 0;
  let checked = 0;
  for (let trial = 0; trial < 1500; trial++) {
    const n = 1 + (trial % 12);
    const values = Array.from({ length: n }, () => stream.uniform(index++, -1, 1));
    const target = stream.uniform(index++, -2, 2);
    const { best, second, mask } = twoBest(values, target);
    const result = closest({ values, target, tolerance: 0.01 });
    assert.ok(Math.abs(result.error - best) <= ERROR_TOLERANCE);
    if (second - best > 1e-9) {
      checked++;
      assert.deepEqual(result.indices, values.map((_, i) => i).filter((i) => mask & (1 << i)), `trial ${trial}`);
    }
  }
  assert.ok(checked > 1000, `only ${checked} instances had a unique optimum`);
});

test('negating the target and every value keeps the optimal error (property)', () => {
  fc.assert(
    fc.property(instanceArb(24), (instance) => {
      const negated = { ...instance, values: Array.from(instance.values, (v) => -v), target: -instance.target };
      const a = closest(instance);
      const b = closest(negated);
      assert.ok(Math.abs(a.error - b.error) <= ERROR_TOLERANCE, `${a.error} vs ${b.error}`);
    }),
    { seed: 99, numRuns: 500 },
  );
});

test('one more sample never increases the closest error (property)', () => {
  fc.assert(
    fc.property(instanceArb(23), valueArb, (instance, extra) => {
      const before = closest(instance);
      const after = closest({ ...instance, values: [...Array.from(instance.values), extra] });
      assert.ok(after.error <= before.error + ERROR_TOLERANCE, `${after.error} > ${before.error}`);
    }),
    { seed: 123, numRuns: 500 },
  );
});

test('a planted subset is found exactly at n = 30 and n = 40', () => {
  const stream = new RandomStream(5, 9);
  for (const n of [30, 40]) {
    const values = Array.from({ length: n }, (_, i) => stream.uniform(1000 * n + i, -1, 1));
    // Target: the canonical sum of every third value; the closest error must be (essentially) 0.
    let target = 0;
    for (let i = 0; i < n; i += 3) target += values[i]!;
    const instance = { values, target, tolerance: 1e-9 };
    const result = closest(instance);
    assertWellFormed(instance, result);
    assert.ok(result.error <= 1e-12, `n=${n}: error ${result.error}`);
  }
});

test('skewed values (a far outlier, an integer lattice, mixed scales) still match brute force', () => {
  const stream = new RandomStream(8, 8);
  let index = 0;
  const u = (): number => stream.uniform(index++, -0.4642, 0.5407);
  for (let trial = 0; trial < 30; trial++) {
    const n = 14 + (trial % 7);
    const kind = trial % 3;
    const values = Array.from({ length: n }, (_, i) =>
      kind === 0 ? (i === n - 2 ? 1000 : u()) : kind === 1 ? Math.floor(10 * (u() + 0.5)) : i % 2 === 0 ? 1e-7 * u() : u(),
    );
    const target = kind === 0 ? 1000 * (trial % 2) + 3 * u() : kind === 1 ? Math.round(40 * u()) + 0.5 * (trial % 2) : u();
    const instance = { values, target, tolerance: 0.01 };
    const result = closest(instance);
    assertWellFormed(instance, result);
    const oracle = bruteForce(instance, 'closest');
    assert.ok(Math.abs(result.error - oracle.error) <= ERROR_TOLERANCE, `trial ${trial}: ${result.error} vs ${oracle.error}`);
  }
});

test('edge cases: a single value, all zeros, a target far outside every sum, exact zero error', () => {
  assert.deepEqual(closest({ values: [0.3], target: 0.2, tolerance: 0.01 }).indices, [0]);
  assert.deepEqual(closest({ values: [0.3], target: 0.1, tolerance: 0.01 }).indices, []);
  const zeros = closest({ values: [0, 0, 0, 0], target: 1, tolerance: 0.01 });
  assert.equal(zeros.error, 1);
  const far = closest({ values: [0.1, -0.2, 0.3, 0.4, -0.5], target: 1e6, tolerance: 0.01 });
  assert.deepEqual(far.indices, [0, 2, 3]);
  const farBelow = closest({ values: [0.1, -0.2, 0.3, 0.4, -0.5], target: -1e6, tolerance: 0.01 });
  assert.deepEqual(farBelow.indices, [1, 4]);
  const exact = closest({ values: [0.25, 0.5, 0.125, -1], target: 0.375, tolerance: 0.01 });
  assert.equal(exact.error, 0);
  assert.equal(exact.withinTolerance, true);
});
