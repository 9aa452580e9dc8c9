/**
 * The canonical sum of a subset and the result built from it. Every solver reports the sum of its
 * subset added in ascending index order in float64 (0 + a_{i1} + a_{i2} + …), so a sum and its error
 * are a function of the subset and the numbers only, not of the order a solver happened to add them in.
 */
import type { SubsetSumResult } from './types.js';

/** Σ values[start + t] over t with flags[t] ≠ 0, t ascending. */
export function canonicalSum(values: ArrayLike<number>, start: number, n: number, flags: ArrayLike<number>): number {
  let sum = 0;
  for (let t = 0; t < n; t++) if (flags[t] !== 0) sum += values[start + t]!;
  return sum;
}

/** The SubsetSumResult of the subset {t : flags[t] ≠ 0} of values[0 .. n). */
export function resultFromFlags(values: ArrayLike<number>, n: number, flags: ArrayLike<number>, target: number, tolerance: number): SubsetSumResult {
  const indices: number[] = [];
  let sum = 0;
  for (let t = 0; t < n; t++) {
    if (flags[t] !== 0) {
      indices.push(t);
      sum += values[t]!;
    }
  }
  const error = Math.abs(target - sum);
  return { indices, sum, error, withinTolerance: error <= tolerance };
}

/** The SubsetSumResult of a subset given by its indices (sorted and checked here). */
export function resultFromIndices(values: ArrayLike<number>, indices: readonly number[], target: number, tolerance: number): SubsetSumResult {
  const flags = new Uint8Array(values.length);
  for (const i of indices) flags[i] = 1;
  return resultFromFlags(values, values.length, flags, target, tolerance);
}
