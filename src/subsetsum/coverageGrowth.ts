/**
 * Coverage of every prefix x_1..x_k (k = 0..n) of one trial's samples in a single pass of Lueker's
 * incremental union (coverage.ts explains the method and why it is exact). This is what makes coverage
 * curves over n cheap and smooth: the curve for one trial reuses the same draws at every n.
 *
 * Why one pass suffices: the pass prunes with the windows W_k of the FULL sample list, so after k steps
 * the union is A_k = N_k ∩ W_k (coverage.ts, step 2). Since P_k ≥ 0 ≥ M_k, [lo, hi] ⊆ W_k, hence
 * A_k ∩ [lo, hi] = N_k ∩ [lo, hi]: exactly the covered set of the k-sample prefix. And [lo, hi] ⊆ N_k
 * iff one interval of A_k contains [lo, hi] (the intervals are closed and separated by gaps).
 */
import { IntervalUnion } from './coverageIntervals.js';
import { checkCoverageInput, pruningWindows, DEFAULT_COVERAGE_INTERVAL, type CoverageInterval } from './coverage.js';

export interface CoverageGrowthResult {
  /** coveredMeasure[k]: measure covered by the first k samples, k = 0..n (length n + 1). */
  coveredMeasure: Float64Array;
  /** coveredFraction[k] = coveredMeasure[k] / (high − low). */
  coveredFraction: Float64Array;
  /** allCovered[k] = 1 when the first k samples cover the whole closed interval. */
  allCovered: Uint8Array;
}

/** Reusable memory for coverageGrowth: pass one per thread to avoid allocation in loops. */
export class CoverageGrowthWorkspace {
  readonly union = new IntervalUnion();
  windowLow = new Float64Array(0);
  windowHigh = new Float64Array(0);
}

export function coverageGrowth(
  samples: ArrayLike<number>,
  tolerance: number,
  interval: CoverageInterval = DEFAULT_COVERAGE_INTERVAL,
  workspace: CoverageGrowthWorkspace = new CoverageGrowthWorkspace(),
): CoverageGrowthResult {
  checkCoverageInput(samples, tolerance, interval);
  const n = samples.length;
  if (workspace.windowLow.length < n + 1) {
    workspace.windowLow = new Float64Array(n + 1);
    workspace.windowHigh = new Float64Array(n + 1);
  }
  const windowLow = workspace.windowLow;
  const windowHigh = workspace.windowHigh;
  pruningWindows(samples, interval, windowLow, windowHigh);
  const { low, high } = interval;
  const length = high - low;
  const coveredMeasure = new Float64Array(n + 1);
  const coveredFraction = new Float64Array(n + 1);
  const allCovered = new Uint8Array(n + 1);
  const union = workspace.union;
  union.reset(-tolerance, tolerance, windowLow[0]!, windowHigh[0]!);
  for (let k = 0; k <= n; k++) {
    if (k > 0) union.addTranslate(samples[k - 1]!, windowLow[k]!, windowHigh[k]!);
    const measure = Math.min(union.measureWithin(low, high), length);
    coveredMeasure[k] = measure;
    coveredFraction[k] = measure / length;
    allCovered[k] = union.covers(low, high) ? 1 : 0;
  }
  return { coveredMeasure, coveredFraction, allCovered };
}
