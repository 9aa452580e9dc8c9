/**
 * Exact coverage of an interval by the ε-neighbourhood of the subset sums of n samples, the event
 * behind Lueker's random-subset-sum lemma (Lueker 1998; Pensia et al. 2020, Lemma 1): with
 * n ≥ C·log2(1/ε) i.i.d. U[-1,1] samples, every z ∈ [-1,1] is within ε of some subset sum w.h.p.
 * Two exact methods (enumerating the 2^n sorted sums, or Lueker's incremental interval union) and
 * `coverage`, which picks the cheaper one. Measures are computed on unions of intervals, never a grid.
 *
 * Notation: samples x_1..x_n, tolerance ε > 0, interval [lo, hi], s_S = Σ_{i∈S} x_i, and
 *   N_k = ∪_{S ⊆ {1..k}} [s_S − ε, s_S + ε]      (ε-neighbourhood of the sums of the first k samples)
 *   covered set = [lo, hi] ∩ N_n,  coveredFraction = |covered set| / (hi − lo).
 *
 * Why the incremental method is exact.
 * (1) N_0 = [−ε, ε], and N_{k+1} = N_k ∪ (N_k + x_{k+1}): a subset of {1..k+1} either omits k+1 or is
 *     S ∪ {k+1} with sum s_S + x_{k+1}, and translation distributes over unions. So growing the set from
 *     [−ε, ε] by union-with-translate gives exactly the ε-neighbourhood of all sums; merging intervals
 *     that overlap changes how the set is stored, not the set.
 * (2) Pruning. With P_k = Σ_{j>k} max(x_j, 0) and M_k = Σ_{j>k} min(x_j, 0) (exact suffix sums: the
 *     samples of a trial are known in advance) let W_k = [lo − P_k, hi − M_k]. Any later sum is y + t with
 *     t ∈ [M_k, P_k], so points of N_k outside W_k never reach [lo, hi]. W_n = [lo, hi], W_{k+1} ⊆ W_k, and
 *     W_{k+1} ⊆ W_k + x_{k+1} (for x ≥ 0: P_k = P_{k+1} + x, M_k = M_{k+1}; for x < 0: P_k = P_{k+1},
 *     M_k = M_{k+1} + x). Hence, by induction, A_0 = N_0 ∩ W_0, A_{k+1} = (A_k ∪ (A_k + x_{k+1})) ∩ W_{k+1}
 *     satisfies A_k = N_k ∩ W_k:
 *       (A_k ∪ (A_k + x)) ∩ W_{k+1} = (N_k ∩ W_k ∩ W_{k+1}) ∪ ((N_k + x) ∩ (W_k + x) ∩ W_{k+1})
 *                                   = (N_k ∪ (N_k + x)) ∩ W_{k+1} = N_{k+1} ∩ W_{k+1},
 *     and A_n = N_n ∩ [lo, hi] is the covered set. Each A_k is a union of disjoint closed intervals inside
 *     W_k separated by gaps, each unclipped one of length ≥ 2ε, so it has at most min(2^k, |W_k|/(2ε) + 2)
 *     intervals. test/subsetsum/coverage.test.ts checks both methods agree to 1e-12.
 * Floating point: the two methods add the same numbers in different orders, so endpoints differ by a
 * few ulps; measures agree to ~1e-15, and `allCovered` can differ only when a gap is a few ulps wide.
 */
import { InputError } from '../core/errors.js';
import { allocateSortedSums, sortedSubsetSums, type SortedSumsBuffers } from './sortedSums.js';
import { IntervalUnion } from './coverageIntervals.js';

/** The closed interval [low, high] whose coverage is measured (Lueker's lemma uses [-1, 1]). */
export interface CoverageInterval {
  low: number;
  high: number;
}

export const DEFAULT_COVERAGE_INTERVAL: CoverageInterval = { low: -1, high: 1 };

export interface CoverageResult {
  /** Lebesgue measure of [low, high] ∩ ∪_S [s_S − ε, s_S + ε]. */
  coveredMeasure: number;
  /** coveredMeasure / (high − low), in [0, 1]. */
  coveredFraction: number;
  /** Every point of the closed interval [low, high] is within ε of some subset sum. */
  allCovered: boolean;
}

/** Enumeration holds 2^n sums (24 bytes each with masks): 2^22 is ~100 MB, the most it will take. */
export const MAX_ENUMERATION_COUNT = 22;

/**
 * Up to this many samples `coverage` enumerates; above it, it grows the interval union. Measured
 * (one U[-1,1] trial, Node 20, shared 2-core machine): n = 12: enumeration 0.08–0.12 ms, union
 * 0.05–0.2 ms; n = 16: 3.5 ms vs 0.01 ms (ε = 0.01) or 1 ms (ε = 1e-4); n = 20: 35–50 ms vs < 0.7 ms.
 * Enumeration costs ~2^(n+1) whatever ε is; the union at most min(2^k, |W_k|/(2ε) + 2) per step.
 */
export const COVERAGE_ENUMERATION_LIMIT = 12;

export function checkCoverageInput(samples: ArrayLike<number>, tolerance: number, interval: CoverageInterval): void {
  if (!(tolerance > 0) || !Number.isFinite(tolerance)) throw new InputError(`coverage: tolerance must be a finite number > 0, got ${tolerance}`);
  if (!Number.isFinite(interval.low) || !Number.isFinite(interval.high) || !(interval.low < interval.high)) {
    throw new InputError(`coverage: interval needs finite low < high, got [${interval.low}, ${interval.high}]`);
  }
  for (let i = 0; i < samples.length; i++) {
    if (!Number.isFinite(samples[i]!)) throw new InputError(`coverage: sample ${i} is not finite: ${samples[i]}`);
  }
}

/**
 * Exact coverage by enumeration: sorts all 2^n subset sums (sortedSubsetSums) and sweeps the intervals
 * [s − ε, s + ε] left to right, merging those that overlap or touch. n ≤ MAX_ENUMERATION_COUNT.
 * Pass `buffers` (allocateSortedSums(≥ n)) to reuse memory across calls.
 */
export function coverageByEnumeration(
  samples: ArrayLike<number>,
  tolerance: number,
  interval: CoverageInterval = DEFAULT_COVERAGE_INTERVAL,
  buffers?: SortedSumsBuffers,
): CoverageResult {
  checkCoverageInput(samples, tolerance, interval);
  const n = samples.length;
  if (n > MAX_ENUMERATION_COUNT) throw new InputError(`coverage: enumeration takes at most ${MAX_ENUMERATION_COUNT} samples, got ${n}`);
  const work = buffers !== undefined && buffers.sums.length >= 2 ** n ? buffers : allocateSortedSums(n);
  const count = sortedSubsetSums(samples, 0, n, work);
  const sums = work.sums;
  const { low, high } = interval;
  let measure = 0;
  let open = false;
  let curStart = 0;
  let curEnd = 0;
  // Whole-interval coverage: the first merged piece reaching `low` must also reach `high`.
  let allCovered = false;
  let decided = false;
  const close = (): void => {
    const a = curStart > low ? curStart : low;
    const b = curEnd < high ? curEnd : high;
    if (b > a) measure += b - a;
    if (!decided && curEnd >= low) {
      allCovered = curStart <= low && curEnd >= high;
      decided = true;
    }
  };
  for (let i = 0; i < count; i++) {
    const s = sums[i]! - tolerance;
    const e = sums[i]! + tolerance;
    if (e < low) continue;
    if (s > high) break;
    if (open && s <= curEnd) {
      if (e > curEnd) curEnd = e;
    } else {
      if (open) close();
      curStart = s;
      curEnd = e;
      open = true;
    }
  }
  if (open) close();
  return result(measure, interval, allCovered);
}

/**
 * Exact coverage by Lueker's incremental union (see the file header): starts from [−ε, ε] and applies
 * A ← (A ∪ (A + x_k)) ∩ W_k for k = 1..n, W_k the window of points the remaining samples can still bring
 * into [low, high]. Any n; cost O(Σ_k |A_k|). Samples are taken in ascending |x| (the covered set
 * does not depend on the order). Pass `union` to reuse memory across calls.
 */
export function coverageIncremental(
  samples: ArrayLike<number>,
  tolerance: number,
  interval: CoverageInterval = DEFAULT_COVERAGE_INTERVAL,
  union: IntervalUnion = new IntervalUnion(),
): CoverageResult {
  checkCoverageInput(samples, tolerance, interval);
  const n = samples.length;
  // N_n does not depend on the order of the samples; small steps first keep the union merged and short
  // (n = 40, ε = 1e-4, U[-1,1]: 1.0 ms per trial in ascending |x| order, 5.5 ms in draw order).
  const ordered = Float64Array.from(samples as ArrayLike<number>).sort((a, b) => Math.abs(a) - Math.abs(b));
  const windowLow = new Float64Array(n + 1);
  const windowHigh = new Float64Array(n + 1);
  pruningWindows(ordered, interval, windowLow, windowHigh);
  union.reset(-tolerance, tolerance, windowLow[0]!, windowHigh[0]!);
  for (let k = 0; k < n; k++) union.addTranslate(ordered[k]!, windowLow[k + 1]!, windowHigh[k + 1]!);
  return result(union.measureWithin(interval.low, interval.high), interval, union.covers(interval.low, interval.high));
}

/**
 * Pruning windows W_k = [low − P_k, high − M_k] for k = 0..n (file header, step 2), written into
 * windowLow[k], windowHigh[k]; P_k, M_k are the sums of the positive and negative samples after k.
 */
export function pruningWindows(samples: ArrayLike<number>, interval: CoverageInterval, windowLow: Float64Array, windowHigh: Float64Array): void {
  const n = samples.length;
  let positive = 0;
  let negative = 0;
  windowLow[n] = interval.low;
  windowHigh[n] = interval.high;
  for (let k = n - 1; k >= 0; k--) {
    const x = samples[k]!;
    if (x > 0) positive += x;
    else negative += x;
    windowLow[k] = interval.low - positive;
    windowHigh[k] = interval.high - negative;
  }
}

/** Exact coverage of `interval` (default [-1, 1]) by the ε-neighbourhood of the subset sums of `samples`. */
export function coverage(
  samples: ArrayLike<number>,
  tolerance: number,
  interval: CoverageInterval = DEFAULT_COVERAGE_INTERVAL,
): CoverageResult {
  return samples.length <= COVERAGE_ENUMERATION_LIMIT
    ? coverageByEnumeration(samples, tolerance, interval)
    : coverageIncremental(samples, tolerance, interval);
}

function result(measure: number, interval: CoverageInterval, allCovered: boolean): CoverageResult {
  const length = interval.high - interval.low;
  const coveredMeasure = Math.min(measure, length); // summing disjoint pieces cannot exceed it but for rounding
  return { coveredMeasure, coveredFraction: coveredMeasure / length, allCovered };
}
