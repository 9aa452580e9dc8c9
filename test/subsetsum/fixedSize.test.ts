// The closest subset of exactly k values (src/subsetsum/fixedSize.ts) against the brute-force oracle: exactly k
// indices, the least error over all C(n, k) subsets (to float64 summation order), for every k of random instances;
// planted k-subsets are found at n up to 40.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RandomStream } from '../../src/core/random.js';
import { bruteForceOfSize } from '../../src/subsetsum/bruteForce.js';
import { closestOfSize } from '../../src/subsetsum/fixedSize.js';
import { InputError } from '../../src/core/errors.js';

test('property: exactly k values and the least error over all k-subsets, every k, n ≤ 14', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 14 }), fc.integer({ min: 0, max: 1e6 }), fc.boolean(), (n, seed, product) => {
      const stream = new RandomStream(seed, 5);
      const values = Array.from({ length: n }, (_, i) => (product ? stream.sample({ kind: 'product' }, i) : stream.uniform(i, -1, 1)));
      const target = stream.uniform(999, -2, 2);
      for (let k = 0; k <= n; k++) {
        const fast = closestOfSize({ values, target, tolerance: 0.01 }, k);
        const oracle = bruteForceOfSize({ values, target, tolerance: 0.01 }, k);
        assert.equal(fast.indices.length, k, `n ${n} k ${k}`);
        assert.ok(Math.abs(fast.error - oracle.error) <= 1e-12, `n ${n} k ${k}: ${fast.error} vs ${oracle.error}`);
        assert.equal(fast.withinTolerance, fast.error <= 0.01);
      }
    }),
    { numRuns: 300, seed: 15 },
  );
});

test('a planted subset of k values is found (error at rounding level) for n = 20..40', () => {
  const stream = new RandomStream(3, 6);
  for (const n of [20, 27, 33, 40]) {
    for (const k of [1, 3, 7, 12]) {
      const values = Array.from({ length: n }, (_, i) => stream.uniform(n * 100 + k * 1000 + i, -1, 1));
      let target = 0;
      for (let i = 0; i < k; i++) target += values[(i * 7 + 2) % n]!; // distinct indices: 7 is prime to every n here
      const result = closestOfSize({ values, target, tolerance: 1e-9 }, k);
      assert.equal(result.indices.length, k);
      assert.ok(result.error <= 1e-12, `n ${n} k ${k}: error ${result.error}`);
    }
  }
});

test('k outside [0, n] is refused with the field named', () => {
  assert.throws(() => closestOfSize({ values: [0.1, 0.2], target: 0, tolerance: 0.01 }, 3), (e) => e instanceof InputError && /^subsetSize: expected an integer in \[0, 2\]/.test(e.message));
  assert.throws(() => closestOfSize({ values: [0.1, 0.2], target: 0, tolerance: 0.01 }, 1.5), InputError);
  assert.equal(closestOfSize({ values: [0.1, 0.2], target: 0.05, tolerance: 0.01 }, 0).indices.length, 0);
});
