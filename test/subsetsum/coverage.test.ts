// Exact coverage of an interval by the ε-neighbourhood of subset sums: the incremental (Lueker) union
// against enumeration of all sorted sums, the exact measure against a dense grid, and its invariants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  coverage,
  coverageByEnumeration,
  coverageIncremental,
  COVERAGE_ENUMERATION_LIMIT,
  type CoverageInterval,
} from '../../src/subsetsum/coverage.js';
import { RandomStream, distributionByName, type Distribution } from '../../src/core/random.js';
import { InputError } from '../../src/core/errors.js';

const DISTRIBUTIONS: Distribution[] = ['uniform', 'product', 'normal', 'log-uniform'].map((name) => distributionByName(name)!);

function draw(stream: RandomStream, distribution: Distribution, start: number, count: number): Float64Array {
  const out = new Float64Array(count);
  stream.fill(distribution, start, out);
  return out;
}

/** Brute force: all 2^n sums by mask, sorted (the oracle's oracle for the grid test). */
function allSums(samples: ArrayLike<number>): Float64Array {
  const n = samples.length;
  const sums = new Float64Array(2 ** n);
  for (let mask = 0; mask < sums.length; mask++) {
    let s = 0;
    for (let t = 0; t < n; t++) if (mask & (1 << t)) s += samples[t]!;
    sums[mask] = s;
  }
  return sums.sort();
}

test('incremental union equals enumeration to 1e-12 on seeded trials, n ≤ 16, every distribution', () => {
  const stream = new RandomStream(11, 5);
  const intervals: CoverageInterval[] = [{ low: -1, high: 1 }, { low: -0.3, high: 0.7 }, { low: 0.5, high: 2.5 }];
  const tolerances = [0.2, 0.05, 0.01, 0.001];
  let trial = 0;
  for (let n = 0; n <= 16; n++) {
    const repeats = n <= 12 ? 40 : 8;
    for (let r = 0; r < repeats; r++, trial++) {
      const distribution = DISTRIBUTIONS[trial % DISTRIBUTIONS.length]!;
      const samples = draw(stream, distribution, trial * 40, n);
      const tolerance = tolerances[trial % tolerances.length]!;
      const interval = intervals[Math.floor(trial / 4) % intervals.length]!;
      const a = coverageByEnumeration(samples, tolerance, interval);
      const b = coverageIncremental(samples, tolerance, interval);
      const where = `n=${n} trial=${trial} ε=${tolerance} [${interval.low}, ${interval.high}]`;
      assert.ok(Math.abs(a.coveredMeasure - b.coveredMeasure) <= 1e-12, `${where}: ${a.coveredMeasure} vs ${b.coveredMeasure}`);
      assert.equal(a.allCovered, b.allCovered, where);
    }
  }
});

test('incremental union equals enumeration at n = 17 and 18 (the proof in coverage.ts, checked)', () => {
  const stream = new RandomStream(12, 5);
  for (let trial = 0; trial < 6; trial++) {
    const n = 17 + (trial % 2);
    const samples = draw(stream, DISTRIBUTIONS[trial % 2]!, trial * 40, n);
    for (const tolerance of [0.01, 0.0005]) {
      const a = coverageByEnumeration(samples, tolerance);
      const b = coverageIncremental(samples, tolerance);
      assert.ok(Math.abs(a.coveredMeasure - b.coveredMeasure) <= 1e-12, `n=${n} ε=${tolerance}`);
      assert.equal(a.allCovered, b.allCovered);
    }
  }
});

test('exact measure agrees with a dense-grid estimate for small n', () => {
  const stream = new RandomStream(13, 5);
  const interval = { low: -1, high: 1 };
  const cells = 100_000;
  const h = (interval.high - interval.low) / cells;
  for (let trial = 0; trial < 12; trial++) {
    const n = 2 + (trial % 7);
    const tolerance = [0.05, 0.01, 0.002][trial % 3]!;
    const samples = draw(stream, DISTRIBUTIONS[trial % 4]!, trial * 40, n);
    const sums = allSums(samples);
    // Midpoint rule: a cell counts when its midpoint is within ε of the nearest sum (binary search).
    let covered = 0;
    for (let c = 0; c < cells; c++) {
      const z = interval.low + (c + 0.5) * h;
      let lo = 0;
      let hi = sums.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sums[mid]! < z) lo = mid + 1;
        else hi = mid;
      }
      const nearest = Math.min(Math.abs(sums[lo]! - z), lo > 0 ? Math.abs(sums[lo - 1]! - z) : Infinity);
      if (nearest <= tolerance) covered++;
    }
    const grid = covered * h;
    const exact = coverage(samples, tolerance, interval).coveredMeasure;
    // Each endpoint of the union (at most 2·2^n of them) misclassifies at most one cell of width h.
    assert.ok(Math.abs(grid - exact) <= 2 * sums.length * h, `n=${n} ε=${tolerance}: grid ${grid} exact ${exact}`);
  }
});

test('coverage is monotone in n for a fixed trial (prefixes of the same draws)', () => {
  const stream = new RandomStream(14, 5);
  for (let trial = 0; trial < 20; trial++) {
    const distribution = DISTRIBUTIONS[trial % 4]!;
    const samples = draw(stream, distribution, trial * 40, 24);
    const tolerance = trial % 2 === 0 ? 0.01 : 0.001;
    let previous = coverage(samples.subarray(0, 0), tolerance);
    for (let n = 1; n <= 24; n++) {
      const current = coverage(samples.subarray(0, n), tolerance);
      assert.ok(current.coveredMeasure >= previous.coveredMeasure - 1e-12, `trial ${trial} n=${n}`);
      if (previous.allCovered) assert.ok(current.allCovered, `trial ${trial} n=${n}`);
      previous = current;
    }
  }
});

test('measure ≤ interval length, fraction in [0, 1], allCovered ⇒ fraction 1, a gap ⇒ not allCovered (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { maxLength: 20 }),
      fc.double({ min: 1e-4, max: 0.5, noNaN: true }),
      fc.double({ min: -2, max: 1.9, noNaN: true }),
      fc.double({ min: 0.01, max: 3, noNaN: true }),
      (values, tolerance, low, length) => {
        const interval = { low, high: low + length };
        const result = coverage(values, tolerance, interval);
        assert.ok(result.coveredMeasure >= 0 && result.coveredMeasure <= interval.high - interval.low);
        assert.ok(result.coveredFraction >= 0 && result.coveredFraction <= 1);
        if (result.allCovered) assert.ok(result.coveredFraction >= 1 - 1e-12);
        // A shortfall bigger than rounding is a gap, so the interval cannot be all covered.
        if (result.coveredFraction < 1 - 1e-9) assert.equal(result.allCovered, false);
        // Both methods, and any order of the samples, give the same set.
        const reversed = [...values].reverse();
        const other = coverageIncremental(reversed, tolerance, interval);
        assert.ok(Math.abs(other.coveredMeasure - result.coveredMeasure) <= 1e-12);
        assert.equal(other.allCovered, result.allCovered);
      },
    ),
    { seed: 20240601, numRuns: 300 },
  );
});

test('a fully covered interval gives allCovered; touching closed intervals count as covered', () => {
  // Sums of -1, 1/2, 1/4, …, 2^-k are the grid -1 + j·2^-k (j = 0..2^(k+1) − 1), exact in float64.
  const k = 6;
  const samples = [-1, ...Array.from({ length: k }, (_, i) => 2 ** -(i + 1))];
  const step = 2 ** -k;
  for (const method of [coverageByEnumeration, coverageIncremental]) {
    // ε = step: neighbourhoods overlap and reach 1 − step + ε = 1.
    const full = method(samples, step, { low: -1, high: 1 });
    assert.equal(full.allCovered, true);
    assert.equal(full.coveredMeasure, 2);
    assert.equal(full.coveredFraction, 1);
    // ε = step/2: consecutive neighbourhoods touch exactly; closed intervals still cover [-1, 1 − step/2].
    const touching = method(samples, step / 2, { low: -1, high: 1 - step / 2 });
    assert.equal(touching.allCovered, true);
    // … but not beyond the last sum + ε.
    const short = method(samples, step / 2, { low: -1, high: 1 });
    assert.equal(short.allCovered, false);
    assert.ok(Math.abs(short.coveredMeasure - (2 - step / 2)) <= 1e-15);
  }
  // One sample 1, ε = 0.49, interval [-0.5, 1.5]: the union [-0.49, 0.49] ∪ [0.51, 1.49] misses the gap
  // (0.49, 0.51) and both ends, 0.04 in all.
  const gap = coverage([1], 0.49, { low: -0.5, high: 1.5 });
  assert.equal(gap.allCovered, false);
  assert.ok(Math.abs(gap.coveredMeasure - 1.96) <= 1e-12);
});

test('coverage picks enumeration up to the limit and the union above it, with equal answers', () => {
  const stream = new RandomStream(15, 5);
  for (const n of [COVERAGE_ENUMERATION_LIMIT, COVERAGE_ENUMERATION_LIMIT + 1]) {
    const samples = draw(stream, DISTRIBUTIONS[0]!, n * 40, n);
    const chosen = coverage(samples, 0.01);
    assert.ok(Math.abs(chosen.coveredMeasure - coverageByEnumeration(samples, 0.01).coveredMeasure) <= 1e-12);
    assert.ok(Math.abs(chosen.coveredMeasure - coverageIncremental(samples, 0.01).coveredMeasure) <= 1e-12);
  }
});

test('bad tolerance, interval or samples are InputErrors', () => {
  assert.throws(() => coverage([0.5], 0), InputError);
  assert.throws(() => coverage([0.5], -0.1), InputError);
  assert.throws(() => coverage([0.5], Number.NaN), InputError);
  assert.throws(() => coverage([0.5], 0.1, { low: 1, high: 1 }), InputError);
  assert.throws(() => coverage([0.5], 0.1, { low: 1, high: -1 }), InputError);
  assert.throws(() => coverage([0.5], 0.1, { low: -Infinity, high: 1 }), InputError);
  assert.throws(() => coverage([Number.NaN], 0.1), InputError);
  assert.throws(() => coverageByEnumeration(new Float64Array(23), 0.1), InputError);
});
