// The oracle itself: its tie-breaking rule on hand-made ties, its refusal above n = 20, and its optimum
// checked against a recursive enumeration written independently (Array.reduce over index lists).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bruteForce, BRUTE_FORCE_MAX_COUNT } from '../../src/subsetsum/bruteForce.js';
import { InputError } from '../../src/core/errors.js';

function allSubsets(n: number): number[][] {
  if (n === 0) return [[]];
  const rest = allSubsets(n - 1);
  return [...rest, ...rest.map((s) => [...s, n - 1])];
}

test('tie-breaking: least error, then fewest values, then smallest mask', () => {
  // {0} and {1} both hit 0.5 exactly: the smaller mask wins.
  assert.deepEqual(bruteForce({ values: [0.5, 0.5], target: 0.5, tolerance: 0.01 }, 'closest').indices, [0]);
  // {0,1} and {2} both hit 0.5 exactly: fewer values win.
  assert.deepEqual(bruteForce({ values: [0.25, 0.25, 0.5], target: 0.5, tolerance: 0.01 }, 'closest').indices, [2]);
  // sparsest: {2} (error 0.005) beats {0,1} (error 0) because it is smaller.
  assert.deepEqual(bruteForce({ values: [0.3, 0.2, 0.495], target: 0.5, tolerance: 0.01 }, 'sparsest').indices, [2]);
  // sparsest with nothing within ε falls back to the closest subset.
  const none = bruteForce({ values: [0.3, 0.2], target: 2, tolerance: 0.01 }, 'sparsest');
  assert.deepEqual(none.indices, [0, 1]);
  assert.equal(none.withinTolerance, false);
});

test('brute force refuses more than 20 values with an InputError', () => {
  const values = Array.from({ length: BRUTE_FORCE_MAX_COUNT + 1 }, () => 0.1);
  assert.throws(() => bruteForce({ values, target: 0, tolerance: 0.01 }, 'closest'), (e: unknown) => e instanceof InputError && /at most 20/.test(e.message));
});

test('brute force agrees with an independent enumeration (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { maxLength: 9, minLength: 1 }),
      fc.double({ min: -4, max: 4, noNaN: true }),
      fc.constantFrom(0.01, 0.1),
      (values, target, tolerance) => {
        const subsets = allSubsets(values.length).map((indices) => {
          const sum = indices.reduce((s, i) => s + values[i]!, 0);
          return { indices, error: Math.abs(target - sum) };
        });
        const minError = Math.min(...subsets.map((s) => s.error));
        const closestResult = bruteForce({ values, target, tolerance }, 'closest');
        assert.equal(closestResult.error, minError);
        const within = subsets.filter((s) => s.error <= tolerance);
        const sparse = bruteForce({ values, target, tolerance }, 'sparsest');
        if (within.length === 0) {
          assert.equal(sparse.withinTolerance, false);
          assert.equal(sparse.error, minError);
        } else {
          const size = Math.min(...within.map((s) => s.indices.length));
          assert.equal(sparse.indices.length, size);
          assert.equal(sparse.error, Math.min(...within.filter((s) => s.indices.length === size).map((s) => s.error)));
        }
      },
    ),
    { seed: 4242, numRuns: 500 },
  );
});
