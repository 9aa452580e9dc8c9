/**
 * The closest subset of exactly k values: min over the C(n, k) subsets S with |S| = k of |z − Σ_{i∈S} a_i|, the
 * per-entry problem of a fixed-size construction (Natale et al., NeurIPS 2024: every target weight uses exactly k
 * random products, so a ticket's density is known before pruning). Meet in the middle bucketed by size: each half's
 * subset sums grouped by cardinality and sorted (sortedGroups.ts), then for every split j + (k − j) one two-pointer
 * sweep of A's group j against B's group k − j; the least error over the splits is the answer. Exact up to the
 * order of summation: the search compares (z − a) − b, the reported error is the canonical sum's, so subsets
 * whose errors tie to the last bits may be chosen differently from the brute-force oracle (bruteForceOfSize),
 * whose error it matches to 1e-12 in the tests.
 */
import { InputError } from '../core/errors.js';
import { canonicalSum, resultFromFlags } from './result.js';
import { sortHalves, sweepSplit, type Found } from './sortedGroups.js';
import { MAX_SAMPLE_COUNT, type SubsetSumInstance, type SubsetSumResult } from './types.js';
import { validateInstance } from './validate.js';

const FOUND: Found = { error: Infinity, maskA: 0, maskB: 0 };
const SCRATCH_VALUES = new Float64Array(MAX_SAMPLE_COUNT);

/**
 * The closest subset of exactly k of values[start .. start+n) to `target` (0 ≤ k ≤ n ≤ 40): writes flags[t] for
 * t < n and returns the subset's canonical error. Not re-entrant (module buffers).
 */
export function closestOfSizeKernel(values: Float64Array, start: number, n: number, k: number, target: number, flags: Uint8Array): number {
  flags.fill(0, 0, n);
  if (k === 0) return Math.abs(target);
  const nA = n >> 1;
  const nB = n - nA;
  sortHalves(values, start, nA, nB);
  const found = FOUND;
  found.error = Infinity;
  found.maskA = -1;
  found.maskB = -1;
  const jLow = k - nB > 0 ? k - nB : 0;
  const jHigh = k < nA ? k : nA;
  for (let j = jLow; j <= jHigh; j++) sweepSplit(j, k - j, target, Infinity, found);
  for (let t = 0; t < nA; t++) flags[t] = (found.maskA >>> t) & 1;
  for (let t = 0; t < nB; t++) flags[nA + t] = (found.maskB >>> t) & 1;
  return Math.abs(target - canonicalSum(values, start, n, flags));
}

/** Throws naming the field unless k is an integer in [0, n]. */
export function checkSubsetSize(size: number, n: number, field = 'subsetSize'): void {
  if (!Number.isInteger(size) || size < 0 || size > n) throw new InputError(`${field}: expected an integer in [0, ${n}] (the number of values), got ${size}`);
}

/** The closest subset of exactly `size` values (withinTolerance: its error ≤ the instance's tolerance). */
export function closestOfSize(instance: SubsetSumInstance, size: number): SubsetSumResult {
  validateInstance(instance);
  const n = instance.values.length;
  checkSubsetSize(size, n);
  const values = SCRATCH_VALUES;
  for (let t = 0; t < n; t++) values[t] = instance.values[t]!;
  const flags = new Uint8Array(n);
  closestOfSizeKernel(values, 0, n, size, instance.target, flags);
  return resultFromFlags(values, n, flags, instance.target, instance.tolerance);
}
