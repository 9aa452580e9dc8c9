/**
 * The previous sparsest solver, kept as the oracle of src/subsetsum/sparsest.ts: the exact closest subset first, then
 * per cardinality a binary search of every query-half sum against the sorted grid-half sums of the complementary
 * cardinality. Exact, and slow at large n (2^(n/2) queries per size).
 *
 * Exact sparsest subset within tolerance: the fewest values S with |z − Σ_{i∈S} a_i| ≤ ε, and among those
 * the least error (the minimum-cardinality variant of Pensia et al.'s per-weight problem, cf. Natale et
 * al. NeurIPS 2024). If no subset is within ε, the closest subset is returned with withinTolerance false.
 */
import { closestKernel, halfSums } from '../../src/subsetsum/closest.js';
import { canonicalSum } from '../../src/subsetsum/result.js';
import { fewValuesKernel } from '../../src/subsetsum/sparsest.js';
import { MAX_SAMPLE_COUNT } from '../../src/subsetsum/types.js';

/*
 * Search by increasing cardinality k, exact at every step:
 *   k = 0, 1, 2, 3 by direct enumeration (canonical sums, so errors equal the brute-force oracle's bit
 *   for bit) — in the real workload most targets stop here (68 % of MNIST fc1 weights have |w| ≤ 0.01);
 *   then the exact closest subset (closestKernel): if its error exceeds ε nothing is within ε; else its
 *   cardinality c bounds k*, and k = 4 .. c−1 are searched by meet in the middle per cardinality split
 *   (query half sums of cardinality j against the sorted grid-half sums of cardinality k − j, binary
 *   search); if none is within ε, k* = c and the closest subset is also the least-error one of size c.
 * */

/* Buffers of the cardinality search (module constants, see closest.ts; pages committed only when used). */
const MAX_HALF = Math.ceil(MAX_SAMPLE_COUNT / 2);
const QUERY_SUMS = new Float64Array(2 ** MAX_HALF);
const QUERY_COUNTS = new Uint8Array(2 ** MAX_HALF);
const GRID_SUMS = new Float64Array(2 ** MAX_HALF);
const GRID_COUNTS = new Uint8Array(2 ** MAX_HALF);
const GROUPED = new Float64Array(2 ** MAX_HALF);
const GROUP_START = new Int32Array(MAX_HALF + 2);
const CANDIDATE = new Uint8Array(MAX_SAMPLE_COUNT);

function cardinalities(count: number, out: Uint8Array): void {
  out[0] = 0;
  for (let t = 0, length = 1; t < count; t++, length *= 2) {
    for (let j = 0; j < length; j++) out[length + j] = out[j]! + 1;
  }
}

/** Error of the best subset found so far by a cardinality search, and its subset. */
interface Found {
  error: number;
  maskA: number;
  gridSum: number;
  gridCardinality: number;
}

/** Least |target − (a + b)| over query-half subsets a and grid-half subsets b with |a| + |b| = k. */
function searchCardinality(nA: number, nB: number, target: number, k: number, found: Found): void {
  const UA = QUERY_SUMS;
  const popA = QUERY_COUNTS;
  const sorted = GROUPED;
  const starts = GROUP_START;
  found.error = Infinity;
  const LA = 2 ** nA;
  for (let a = 0; a < LA; a++) {
    const c = k - popA[a]!;
    if (c < 0 || c > nB) continue;
    let low = starts[c]!;
    const end = starts[c + 1]!;
    if (low === end) continue;
    const q = target - UA[a]!;
    // first slot in [low, end) with sorted[slot] ≥ q
    let high = end;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (sorted[mid]! < q) low = mid + 1;
      else high = mid;
    }
    if (low < end) {
      const e = Math.abs(q - sorted[low]!);
      if (e < found.error) {
        found.error = e;
        found.maskA = a;
        found.gridSum = sorted[low]!;
        found.gridCardinality = c;
      }
    }
    if (low > starts[c]!) {
      const e = Math.abs(q - sorted[low - 1]!);
      if (e < found.error) {
        found.error = e;
        found.maskA = a;
        found.gridSum = sorted[low - 1]!;
        found.gridCardinality = c;
      }
    }
  }
}

/**
 * The sparsest subset of values[start .. start+n) within `tolerance` of `target` (see the file header):
 * writes flags[t] ∈ {0, 1} for t < n and returns the subset's canonical error.
 */
export function sparsestReferenceKernel(
  values: Float64Array,
  start: number,
  n: number,
  target: number,
  tolerance: number,
  flags: Uint8Array,
): number {
  const few = fewValuesKernel(values, start, n, target, tolerance, flags); // sizes 0..3, shared with the new solver
  if (few >= 0) return few;
  const firstK = 4;
  // The closest subset: nothing within ε if it is not; otherwise its size bounds the answer.
  closestKernel(values, start, n, target, flags);
  const closestError = Math.abs(target - canonicalSum(values, start, n, flags));
  if (closestError > tolerance) return closestError;
  let closestSize = 0;
  for (let t = 0; t < n; t++) closestSize += flags[t]!;
  if (closestSize <= firstK) return closestError;

  const nA = n >> 1;
  const nB = n - nA;
  halfSums(values, start, nA, QUERY_SUMS);
  cardinalities(nA, QUERY_COUNTS);
  const LB = halfSums(values, start + nA, nB, GRID_SUMS);
  cardinalities(nB, GRID_COUNTS);
  // Group the grid half's sums by cardinality (counting sort), then sort each group.
  const starts = GROUP_START;
  starts.fill(0, 0, nB + 2);
  for (let m = 0; m < LB; m++) starts[GRID_COUNTS[m]! + 1]!++;
  for (let c = 0; c <= nB; c++) starts[c + 1]! += starts[c]!;
  const cursor = starts.slice(0, nB + 1);
  for (let m = 0; m < LB; m++) GROUPED[cursor[GRID_COUNTS[m]!]!++] = GRID_SUMS[m]!;
  for (let c = 0; c <= nB; c++) GROUPED.subarray(starts[c]!, starts[c + 1]!).sort();

  const found: Found = { error: Infinity, maskA: 0, gridSum: 0, gridCardinality: 0 };
  const candidate = CANDIDATE;
  for (let k = firstK; k < closestSize; k++) {
    searchCardinality(nA, nB, target, k, found);
    if (!(found.error <= tolerance * (1 + 1e-9))) continue;
    let maskB = 0;
    while (GRID_SUMS[maskB] !== found.gridSum || GRID_COUNTS[maskB] !== found.gridCardinality) maskB++;
    for (let t = 0; t < nA; t++) candidate[t] = (found.maskA >>> t) & 1;
    for (let t = 0; t < nB; t++) candidate[nA + t] = (maskB >>> t) & 1;
    const error = Math.abs(target - canonicalSum(values, start, n, candidate));
    if (error <= tolerance) {
      for (let t = 0; t < n; t++) flags[t] = candidate[t]!;
      return error;
    }
  }
  return closestError;
}
