// The combination search for sizes 4..6 (src/subsetsum/smallSubsets.ts) against the full exact search as the oracle,
// on instances with n = 24..40 where the full search is slow but still exact: the same cardinality and the same
// least error (the canonical sum of the subset returned), whatever the distribution, target and tolerance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RandomStream } from '../../src/core/random.js';
import { canonicalSum } from '../../src/subsetsum/result.js';
import { SMALL_SEARCH_MIN_N, sparsestKernel } from '../../src/subsetsum/sparsest.js';

function solve(values: Float64Array, target: number, tolerance: number, smallSearch: boolean): { size: number; error: number } {
  const flags = new Uint8Array(values.length);
  sparsestKernel(values, 0, values.length, target, tolerance, flags, smallSearch);
  let size = 0;
  for (const f of flags) size += f;
  return { size, error: Math.abs(target - canonicalSum(values, 0, values.length, flags)) };
}

test('property: same size and error as the full search for n = 24..34', () => {
  fc.assert(
    fc.property(fc.integer({ min: 24, max: 34 }), fc.integer({ min: 0, max: 1e6 }), fc.constantFrom(1e-2, 1e-3, 1e-4, 1e-5), fc.boolean(), (n, seed, tolerance, product) => {
      const stream = new RandomStream(seed, 3);
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = product ? stream.sample({ kind: 'product' }, i) : stream.uniform(i, -1, 1);
      const target = stream.uniform(1000, -1.5, 1.5);
      const fast = solve(values, target, tolerance, true);
      const full = solve(values, target, tolerance, false);
      assert.equal(fast.size, full.size, `n ${n} seed ${seed} ε ${tolerance}`);
      assert.equal(fast.error <= tolerance, full.error <= tolerance);
      if (full.error <= tolerance) assert.ok(Math.abs(fast.error - full.error) <= 1e-15, `errors ${fast.error} vs ${full.error}`);
    }),
    { numRuns: 150, seed: 24 },
  );
});

test('sizes 4, 5 and 6 are each found (planted subsets) and n = 40 works', () => {
  const stream = new RandomStream(9, 4);
  for (const size of [4, 5, 6]) {
    for (const n of [SMALL_SEARCH_MIN_N, 31, 40]) {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = 0.3 + 0.4 * stream.uniform(size * 1000 + n * 50 + i, 0, 1); // all in [0.3, 0.7]: sizes 0..3 cannot reach
      let target = 0;
      for (let i = 0; i < size; i++) target += values[(i * 7) % n]!;
      const fast = solve(values, target, 1e-12, true);
      const full = n <= 32 ? solve(values, target, 1e-12, false) : null;
      assert.ok(fast.error <= 1e-12 && fast.size <= size, `size ${size} n ${n}: ${fast.size} values, error ${fast.error}`);
      if (full) assert.equal(fast.size, full.size);
    }
  }
});
