// The predicted shape for fixed-size subsets (src/subsetsum/fixedSizePrediction.ts): with one measured point the
// fitted constant reproduces it; the prediction is the smallest n meeting the criterion (checked by brute force on
// log-binomials from factorials); finer ε′ never needs fewer samples; no measured point, no prediction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { predictedFixedSizeSampleCounts } from '../../src/subsetsum/fixedSizePrediction.js';

const log2Factorial = (n: number): number => {
  let s = 0;
  for (let i = 2; i <= n; i++) s += Math.log2(i);
  return s;
};
const log2Choose = (n: number, k: number): number => log2Factorial(n) - log2Factorial(k) - log2Factorial(n - k);

test('one measured point is reproduced; others are the smallest n meeting the fitted criterion', () => {
  for (const [k, n] of [[2, 20], [3, 17], [6, 20]] as const) {
    assert.deepEqual(predictedFixedSizeSampleCounts([{ subsetSize: k, entryTolerance: 1.4e-3, smallestSampleCount: n }]), [n]);
  }
  const points = [
    { subsetSize: 2, entryTolerance: 1e-3, smallestSampleCount: 30 },
    { subsetSize: 4, entryTolerance: 1e-3, smallestSampleCount: 14 },
    { subsetSize: 3, entryTolerance: 1e-3, smallestSampleCount: null },
  ];
  const predicted = predictedFixedSizeSampleCounts(points);
  const score = (n: number, k: number): number => log2Choose(n, k) - 0.5 * Math.log2(k) - Math.log2(1e3);
  const c = (score(30, 2) + score(14, 4)) / 2;
  points.forEach((p, i) => {
    const m = predicted[i]!;
    assert.ok(score(m, p.subsetSize) >= c - 1e-9 && !(score(m - 1, p.subsetSize) >= c + 1e-9), `k = ${p.subsetSize}: n = ${m}`);
  });
});

test('finer tolerances never predict fewer samples; no measured point gives no prediction', () => {
  const at = (eps: number, k: number) => predictedFixedSizeSampleCounts([{ subsetSize: 3, entryTolerance: 1e-3, smallestSampleCount: 16 }, { subsetSize: k, entryTolerance: eps, smallestSampleCount: null }])[1]!;
  for (const k of [2, 3, 5]) {
    let previous = 0;
    for (const eps of [1e-1, 1e-2, 1e-3, 1e-4, 1e-5]) {
      const n = at(eps, k);
      assert.ok(n >= previous, `k = ${k}, ε′ = ${eps}: ${n} < ${previous}`);
      previous = n;
    }
  }
  assert.deepEqual(predictedFixedSizeSampleCounts([{ subsetSize: 3, entryTolerance: 1e-3, smallestSampleCount: null }]), [null]);
});
