/**
 * Random fixed-size subset sum: the exact measure of the part of [low, high] within ε of a sum of exactly k of the
 * first n' samples, for n' = 0..n (the fixed-size analogue of coverageGrowth.ts, after Natale et al., NeurIPS 2024).
 * The sums of c-subsets of the first n' samples are kept sorted for c = 0..k and updated by merging, sample by
 * sample: S_c ← S_c ∪ (S_{c−1} + a_{n'}); the covered measure is one pass over the sorted k-sums, merging the
 * intervals [s − ε, s + ε]. It keeps C(n, c) sums for every c ≤ k (and a scratch buffer as large as the largest):
 * fixedSizeCoverageSums(n, k) in all, bounded by MAX_FIXED_SIZE_SUMS.
 */
import { checkCoverageInput, DEFAULT_COVERAGE_INTERVAL, type CoverageInterval } from './coverage.js';
import type { CoverageGrowthResult } from './coverageGrowth.js';

/** Most sums the fixed-size coverage may hold at once (2^25 float64: 268 MB). */
export const MAX_FIXED_SIZE_SUMS = 2 ** 25;

/** C(n, k) as a float (exact for the sizes used here). */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let result = 1;
  for (let i = 1; i <= Math.min(k, n - k); i++) result = (result * (n - i + 1)) / i;
  return Math.round(result);
}

/** Sums coverageGrowthOfSize holds for n samples and size k: Σ_{c ≤ k} C(n, c), plus the largest C(n, c) as scratch. */
export function fixedSizeCoverageSums(n: number, k: number): number {
  let total = 0;
  let largest = 0;
  for (let c = 0; c <= Math.min(k, n); c++) {
    const count = binomial(n, c);
    total += count;
    largest = Math.max(largest, count);
  }
  return total + largest;
}

/**
 * Measure of the union of the closed intervals [s − ε, s + ε] over ascending sums, within [low, high], and whether
 * the union contains all of [low, high] (then one merged run does).
 */
export function unionMeasure(sorted: Float64Array, count: number, tolerance: number, interval: CoverageInterval): { measure: number; covers: boolean } {
  const { low, high } = interval;
  let measure = 0;
  let covers = false;
  let runStart = 0;
  let runEnd = -Infinity;
  const close = (): void => {
    measure += Math.max(0, Math.min(runEnd, high) - Math.max(runStart, low));
    if (runStart <= low && runEnd >= high) covers = true;
  };
  for (let i = 0; i < count; i++) {
    const from = sorted[i]! - tolerance;
    const to = sorted[i]! + tolerance;
    if (from > runEnd) {
      if (i > 0) close();
      runStart = from;
      runEnd = to;
    } else if (to > runEnd) runEnd = to;
  }
  if (count > 0) close();
  return { measure: Math.min(measure, high - low), covers };
}

/** Coverage by k-subset sums of the first n' samples, n' = 0..n (fraction 0 while n' < k). */
export function coverageGrowthOfSize(samples: ArrayLike<number>, size: number, tolerance: number, interval: CoverageInterval = DEFAULT_COVERAGE_INTERVAL): CoverageGrowthResult {
  checkCoverageInput(samples, tolerance, interval);
  const n = samples.length;
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`coverageGrowthOfSize: size must be an integer ≥ 0, got ${size}`);
  if (fixedSizeCoverageSums(n, size) > MAX_FIXED_SIZE_SUMS) throw new RangeError(`coverageGrowthOfSize: n = ${n}, k = ${size} needs ${fixedSizeCoverageSums(n, size)} sums, which exceeds ${MAX_FIXED_SIZE_SUMS}`);
  const length = interval.high - interval.low;
  const coveredMeasure = new Float64Array(n + 1);
  const coveredFraction = new Float64Array(n + 1);
  const allCovered = new Uint8Array(n + 1);
  // sums[c] holds the c-subset sums of the samples so far, ascending (capacity C(n, c)).
  const sums: Float64Array[] = [];
  const counts = new Int32Array(size + 1);
  for (let c = 0; c <= size; c++) sums.push(new Float64Array(Math.max(1, binomial(n, c))));
  const scratch = new Float64Array(Math.max(1, ...Array.from({ length: size + 1 }, (_, c) => binomial(n, c))));
  sums[0]![0] = 0;
  counts[0] = 1;
  const record = (at: number): void => {
    if (counts[size] === 0) return;
    const { measure, covers } = unionMeasure(sums[size]!, counts[size]!, tolerance, interval);
    coveredMeasure[at] = measure;
    coveredFraction[at] = measure / length;
    allCovered[at] = covers ? 1 : 0;
  };
  record(0);
  for (let t = 0; t < n; t++) {
    const v = samples[t]!;
    for (let c = Math.min(size, t + 1); c >= 1; c--) {
      // S_c ← merge(S_c, S_{c−1} + v), in ascending order (ties: the old sum first).
      const old = sums[c]!;
      const shifted = sums[c - 1]!;
      const oldCount = counts[c]!;
      const shiftedCount = counts[c - 1]!;
      let i = 0;
      let j = 0;
      let o = 0;
      while (i < oldCount && j < shiftedCount) {
        const x = old[i]!;
        const y = shifted[j]! + v;
        if (x <= y) {
          scratch[o++] = x;
          i++;
        } else {
          scratch[o++] = y;
          j++;
        }
      }
      while (i < oldCount) scratch[o++] = old[i++]!;
      while (j < shiftedCount) scratch[o++] = shifted[j++]! + v;
      old.set(scratch.subarray(0, o));
      counts[c] = o;
    }
    record(t + 1);
  }
  return { coveredMeasure, coveredFraction, allCovered };
}
