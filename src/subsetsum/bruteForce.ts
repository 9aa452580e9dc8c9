/**
 * The oracle: enumerates all 2^n subsets (n ≤ 20) with canonical sums (ascending index order, as every
 * solver reports them) and picks the optimum of either objective under an exact tie-breaking rule.
 * Slow on purpose and simple enough to trust; the fast solvers are tested against it.
 */
import { InputError } from '../core/errors.js';
import { resultFromFlags } from './result.js';
import type { Objective, SubsetSumInstance, SubsetSumResult } from './types.js';
import { validateInstance } from './validate.js';

export const BRUTE_FORCE_MAX_COUNT = 20;

/*
 * Tie-breaking (exact, on float64 canonical errors):
 *   closest:  least error, then fewest values, then smallest mask (Σ 2^i over chosen i).
 *   sparsest: among subsets with error ≤ ε: fewest values, then least error, then smallest mask;
 *             if none is within ε, the closest subset (withinTolerance false).
 * The fast solvers add in a different order while searching, so their errors can differ from these in
 * the last bits: tests compare errors with an absolute tolerance of 1e-12, cardinalities exactly, and
 * indices only where the optimum is unique by a margin.
 */

/** The optimal subset for `objective` by exhaustive enumeration. Throws an InputError above n = 20. */
export function bruteForce(instance: SubsetSumInstance, objective: Objective): SubsetSumResult {
  validateInstance(instance);
  const { values, target, tolerance } = instance;
  const n = values.length;
  if (n > BRUTE_FORCE_MAX_COUNT) {
    throw new InputError(`brute force: at most ${BRUTE_FORCE_MAX_COUNT} values (2^n subsets), got ${n}`);
  }
  const size = 2 ** n;
  const sums = new Float64Array(size);
  const cardinality = new Uint8Array(size);
  // sums[mask] = sums[mask without its highest bit] + values[highest bit]: ascending index order.
  for (let t = 0, length = 1; t < n; t++, length *= 2) {
    const v = values[t]!;
    for (let j = 0; j < length; j++) {
      sums[length + j] = sums[j]! + v;
      cardinality[length + j] = cardinality[j]! + 1;
    }
  }
  let closestMask = 0;
  let closestError = Infinity;
  let sparsestMask = -1;
  let sparsestError = Infinity;
  for (let mask = 0; mask < size; mask++) {
    const error = Math.abs(target - sums[mask]!);
    const c = cardinality[mask]!;
    if (error < closestError || (error === closestError && c < cardinality[closestMask]!)) {
      closestError = error;
      closestMask = mask;
    }
    if (error <= tolerance) {
      const bestC = sparsestMask < 0 ? Infinity : cardinality[sparsestMask]!;
      if (c < bestC || (c === bestC && error < sparsestError)) {
        sparsestError = error;
        sparsestMask = mask;
      }
    }
  }
  const mask = objective === 'sparsest' && sparsestMask >= 0 ? sparsestMask : closestMask;
  const flags = new Uint8Array(n);
  for (let t = 0; t < n; t++) flags[t] = (mask >>> t) & 1;
  return resultFromFlags(values, n, flags, target, tolerance);
}

/** The closest subset of exactly `size` values by exhaustive enumeration (n ≤ 20): least canonical error, then smallest mask. */
export function bruteForceOfSize(instance: SubsetSumInstance, size: number): SubsetSumResult {
  validateInstance(instance);
  const { values, target, tolerance } = instance;
  const n = values.length;
  if (n > BRUTE_FORCE_MAX_COUNT) throw new InputError(`brute force: at most ${BRUTE_FORCE_MAX_COUNT} values (2^n subsets), got ${n}`);
  if (!Number.isInteger(size) || size < 0 || size > n) throw new InputError(`subsetSize: expected an integer in [0, ${n}] (the number of values), got ${size}`);
  let bestMask = -1;
  let bestError = Infinity;
  const flags = new Uint8Array(n);
  for (let mask = 0; mask < 2 ** n; mask++) {
    let count = 0;
    let sum = 0;
    for (let t = 0; t < n; t++) {
      if ((mask >>> t) & 1) {
        count++;
        sum += values[t]!;
      }
    }
    if (count !== size) continue;
    const error = Math.abs(target - sum);
    if (error < bestError) {
      bestError = error;
      bestMask = mask;
    }
  }
  for (let t = 0; t < n; t++) flags[t] = (bestMask >>> t) & 1;
  return resultFromFlags(values, n, flags, target, tolerance);
}
