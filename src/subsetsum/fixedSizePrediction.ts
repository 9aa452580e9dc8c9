/**
 * The shape Natale et al. (NeurIPS 2024) predict for random fixed-size subset sum, used beside measured tickets:
 * the smallest n at which k-subsets of n random numbers reach a resolution ε′, up to one constant.
 */

/** A measured point: subset size k, the per-entry tolerance ε′ and the smallest n that worked (null: none). */
export interface FixedSizePoint {
  subsetSize: number;
  entryTolerance: number;
  smallestSampleCount: number | null;
}

/** log2 C(n, k), exactly summed (n ≤ a few hundred). */
function log2Binomial(n: number, k: number): number {
  if (k < 0 || k > n) return -Infinity;
  let sum = 0;
  for (let i = 1; i <= k; i++) sum += Math.log2((n - k + i) / i);
  return sum;
}

/**
 * Natale et al.'s shape for fixed-size subsets: k-subsets of n numbers reach resolution ε′ once
 * log2 C(n, k) − ½·log2 k ≳ log2(1/ε′) + c (the sum of k values spreads like √k). One constant c is fitted to the
 * measured smallest n (mean residual); returns the predicted smallest n of every point (all null when no point has a
 * measured n; null for a point that would need n > 400).
 */
export function predictedFixedSizeSampleCounts(points: readonly FixedSizePoint[]): Array<number | null> {
  const measured = points.filter((p) => p.smallestSampleCount !== null);
  if (measured.length === 0) return points.map(() => null);
  const score = (n: number, p: FixedSizePoint): number => log2Binomial(n, p.subsetSize) - 0.5 * Math.log2(p.subsetSize) - Math.log2(1 / p.entryTolerance);
  const c = measured.reduce((sum, p) => sum + score(p.smallestSampleCount!, p), 0) / measured.length;
  return points.map((p) => {
    for (let n = p.subsetSize; n <= 400; n++) if (score(n, p) >= c) return n;
    return null;
  });
}

