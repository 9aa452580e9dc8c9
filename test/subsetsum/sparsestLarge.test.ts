// The per-cardinality sweep of src/subsetsum/sparsest.ts against the previous exact search (closest subset first,
// then a binary search per query sum and size; test/helpers/sparsestReference.ts) as the oracle, on the sizes where
// brute force is out of reach: n = 16..34, the products of uniform weights the construction solves, the unit
// uniform, and tolerances from 1e-2 down to 1e-7. Same cardinality, same within-ε verdict, same least error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RandomStream } from '../../src/core/random.js';
import { canonicalSum } from '../../src/subsetsum/result.js';
import { sparsestKernel } from '../../src/subsetsum/sparsest.js';
import { sparsestReferenceKernel } from '../helpers/sparsestReference.js';

type Kernel = (values: Float64Array, start: number, n: number, target: number, tolerance: number, flags: Uint8Array) => number;

function solve(kernel: Kernel, values: Float64Array, target: number, tolerance: number): { size: number; error: number; flags: Uint8Array; returned: number } {
  const flags = new Uint8Array(values.length);
  const returned = kernel(values, 0, values.length, target, tolerance, flags);
  let size = 0;
  for (const f of flags) size += f;
  return { size, error: Math.abs(target - canonicalSum(values, 0, values.length, flags)), flags, returned };
}

function randomInstance(n: number, seed: number, product: boolean): { values: Float64Array; target: number } {
  const stream = new RandomStream(seed, 3);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = product ? stream.sample({ kind: 'product' }, i) : stream.uniform(i, -1, 1);
  return { values, target: stream.uniform(1000, -1.5, 1.5) };
}

test('property: same size, verdict and least error as the previous exact search for n = 16..34', () => {
  fc.assert(
    fc.property(fc.integer({ min: 16, max: 34 }), fc.integer({ min: 0, max: 1e6 }), fc.constantFrom(1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7), fc.boolean(), (n, seed, tolerance, product) => {
      const { values, target } = randomInstance(n, seed, product);
      const fast = solve(sparsestKernel, values, target, tolerance);
      const oracle = solve(sparsestReferenceKernel, values, target, tolerance);
      const label = `n ${n} seed ${seed} ε ${tolerance}`;
      assert.equal(fast.returned, fast.error, `${label}: returns the canonical error`);
      assert.equal(fast.error <= tolerance, oracle.error <= tolerance, label);
      if (oracle.error <= tolerance) {
        assert.equal(fast.size, oracle.size, label);
        assert.ok(Math.abs(fast.error - oracle.error) <= 1e-15, `${label}: errors ${fast.error} vs ${oracle.error}`);
      } else {
        assert.equal(fast.error, oracle.error, `${label}: the closest subset when nothing is within ε`);
      }
    }),
    { numRuns: 200, seed: 24 },
  );
});

test('planted subsets of 4 to 9 values among values that cannot reach the target with fewer, n up to 40', () => {
  const stream = new RandomStream(9, 4);
  for (const size of [4, 5, 6, 7, 9]) {
    for (const n of [18, 24, 31, 40]) {
      const values = new Float64Array(n);
      // all in [0.3, 0.7], so fewer than ⌈target / 0.7⌉ values cannot reach the planted sum
      for (let i = 0; i < n; i++) values[i] = 0.3 + 0.4 * stream.uniform(size * 1000 + n * 50 + i, 0, 1);
      let target = 0;
      for (let i = 0; i < size; i++) target += values[(i * 7) % n]!;
      const fast = solve(sparsestKernel, values, target, 1e-12);
      assert.ok(fast.error <= 1e-12 && fast.size <= size && fast.size >= Math.ceil(target / 0.7), `size ${size} n ${n}: ${fast.size} values, error ${fast.error}`);
      if (n <= 31) assert.equal(fast.size, solve(sparsestReferenceKernel, values, target, 1e-12).size, `size ${size} n ${n}`);
    }
  }
});

test('the subset chosen at n ≤ 24 is the previous solver\'s on the construction\'s instances (tickets unchanged)', () => {
  let differing = 0;
  let total = 0;
  for (const n of [12, 16, 20, 22, 24]) {
    for (let seed = 0; seed < 150; seed++) {
      const { values, target } = randomInstance(n, 7000 + seed, true);
      const scaled = target / 30; // normalised target weights are small
      for (const tolerance of [1e-3, 1e-5]) {
        const fast = solve(sparsestKernel, values, scaled, tolerance);
        const oracle = solve(sparsestReferenceKernel, values, scaled, tolerance);
        total++;
        if (fast.flags.some((f, t) => f !== oracle.flags[t])) differing++;
      }
    }
  }
  // Exact ties between different subsets of the same size and error are the only way to differ.
  assert.equal(differing, 0, `${differing} of ${total} instances chose a different subset`);
});

test('crowded grids (an outlier squeezes the sums into few cells): the sorted-sweep fallback gives the oracle\'s answer', () => {
  let checked = 0;
  for (let seed = 0; seed < 60; seed++) {
    for (const n of [22, 26]) {
      const { values } = randomInstance(n, 9000 + seed, false);
      values[seed % n] = 1e6 * (seed % 2 === 0 ? 1 : -1); // every sum with it sits far away from those without
      values[(seed + 5) % n] = 1e-9; // and a near-duplicate zero
      const target = randomInstance(1, 500 + seed, false).target * 0.5;
      for (const tolerance of [1e-3, 1e-5]) {
        const fast = solve(sparsestKernel, values, target, tolerance);
        const oracle = solve(sparsestReferenceKernel, values, target, tolerance);
        assert.equal(fast.error <= tolerance, oracle.error <= tolerance, `seed ${seed} n ${n}`);
        if (oracle.error <= tolerance) {
          assert.equal(fast.size, oracle.size, `seed ${seed} n ${n}`);
          assert.ok(Math.abs(fast.error - oracle.error) <= 1e-15);
        } else assert.equal(fast.error, oracle.error);
        checked++;
      }
    }
  }
  assert.equal(checked, 240);
});
