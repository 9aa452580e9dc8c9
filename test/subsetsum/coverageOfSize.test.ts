// Coverage by sums of exactly k samples (src/subsetsum/coverageOfSize.ts) against an independent oracle: every
// k-subset enumerated by bit masks, its sums sorted, the union of [s − ε, s + ε] measured by sorting endpoints; for
// every prefix n' and k. Also: fraction 0 below k, and the all-subsets coverage is never smaller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RandomStream } from '../../src/core/random.js';
import { coverageGrowth } from '../../src/subsetsum/coverageGrowth.js';
import { binomial, coverageGrowthOfSize } from '../../src/subsetsum/coverageOfSize.js';

/** Measure of ∪[s − ε, s + ε] ∩ [low, high] over the k-subset sums of values, and whether it is all of it (slow). */
function oracle(values: number[], k: number, tolerance: number, low: number, high: number): { fraction: number; all: boolean } {
  const sums: number[] = [];
  for (let mask = 0; mask < 2 ** values.length; mask++) {
    let count = 0;
    let sum = 0;
    for (let t = 0; t < values.length; t++) if ((mask >>> t) & 1) {
      count++;
      sum += values[t]!;
    }
    if (count === k) sums.push(sum);
  }
  const pieces = sums.map((s) => [Math.max(low, s - tolerance), Math.min(high, s + tolerance)] as const).filter(([a, b]) => b > a).sort((p, q) => p[0] - q[0]);
  let measure = 0;
  let end = low;
  let gap = false;
  for (const [a, b] of pieces) {
    if (a > end) gap = true;
    if (b > end) {
      measure += b - Math.max(a, end);
      end = b;
    }
  }
  return { fraction: measure / (high - low), all: !gap && end >= high && pieces.length > 0 };
}

test('property: the k-subset coverage of every prefix equals the enumeration oracle', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 11 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 1e6 }), fc.constantFrom(0.3, 0.1, 0.02), (n, k, seed, tolerance) => {
      const stream = new RandomStream(seed, 9);
      const values = Array.from({ length: n }, (_, i) => stream.uniform(i, -1, 1));
      const growth = coverageGrowthOfSize(values, k, tolerance);
      for (let m = 0; m <= n; m++) {
        const expected = oracle(values.slice(0, m), k, tolerance, -1, 1);
        assert.ok(Math.abs(growth.coveredFraction[m]! - expected.fraction) <= 1e-12, `n' ${m} k ${k}: ${growth.coveredFraction[m]} vs ${expected.fraction}`);
        assert.equal(growth.allCovered[m], expected.all ? 1 : 0, `n' ${m} k ${k}`);
        if (m < k) assert.equal(growth.coveredFraction[m], 0);
      }
    }),
    { numRuns: 300, seed: 21 },
  );
});

test('k-subsets never cover more than all subsets; large n within the size bound works', () => {
  const stream = new RandomStream(4, 9);
  const values = Array.from({ length: 30 }, (_, i) => stream.uniform(i, -1, 1));
  const all = coverageGrowth(values, 0.001);
  for (const k of [2, 4, 6]) {
    const fixed = coverageGrowthOfSize(values, k, 0.001);
    for (let m = 0; m <= 30; m++) assert.ok(fixed.coveredFraction[m]! <= all.coveredFraction[m]! + 1e-12, `k ${k} n' ${m}`);
    // C(30, 2) = 435 sums cover at most 435·2ε/2 = 0.435 of [−1, 1]; C(30, 4) = 27,405 and C(30, 6) far more.
    if (k === 2) assert.ok(fixed.coveredFraction[30]! <= (binomial(30, 2) * 0.002) / 2 + 1e-12);
    else assert.ok(fixed.coveredFraction[30]! > 0.9, `k ${k}: C(30, ${k}) = ${binomial(30, k)} sums cover ${fixed.coveredFraction[30]}`);
  }
  assert.throws(() => coverageGrowthOfSize(Array.from({ length: 40 }, () => 0.1), 20, 0.01), /exceeds/);
  // k > n/2 (few k-sums, many on the way) within the bound: the same as the oracle's complement view, all k-sums of 18 values.
  const wide = coverageGrowthOfSize(values.slice(0, 18), 15, 0.01);
  assert.ok(wide.coveredFraction[18]! > 0 && wide.coveredFraction[14] === 0);
});
