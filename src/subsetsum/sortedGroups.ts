/**
 * Each half's subset sums grouped by cardinality, sorted within each group, and the two-pointer sweep that finds
 * the least |z − (a + b)| over one pair of groups: the exact search of one split j + (k − j) that the sparsest
 * solver falls back to (when sums crowd its grids) and that the fixed-size solver runs for every split of its k.
 * Not re-entrant: module buffers (see closest.ts), filled by sortHalves and read by sweepSplit.
 */
import { MAX_SAMPLE_COUNT } from './types.js';

const MAX_HALF = Math.ceil(MAX_SAMPLE_COUNT / 2);
const HALF_SUMS = 2 ** MAX_HALF;
const A_SUMS = new Float64Array(HALF_SUMS);
const A_MASKS = new Int32Array(HALF_SUMS);
const A_START = new Int32Array(MAX_HALF + 2);
const B_SUMS = new Float64Array(HALF_SUMS);
const B_MASKS = new Int32Array(HALF_SUMS);
const B_START = new Int32Array(MAX_HALF + 2);
const SCRATCH_SUMS = new Float64Array(HALF_SUMS);
const SCRATCH_MASKS = new Int32Array(HALF_SUMS);
const SCRATCH_START = new Int32Array(MAX_HALF + 2);

/** The best pair of one size: its error |(z − a) − b| and the two halves' masks. */
export interface Found {
  error: number;
  maskA: number;
  maskB: number;
}

/**
 * The 2^count subset sums of values[start .. start+count), grouped by cardinality and ascending within each
 * group: group c is sums[starts[c] .. starts[c+1]), with its subsets' masks (bit t = values[start + t]). Built by
 * merging, value by value, group c with group c − 1 shifted by the new value; every sum adds its values in
 * ascending index order (the canonical order of result.ts, restricted to the half). Ties keep the subset without
 * the new value first, so the order is a pure function of the values.
 */
function groupedSortedSums(values: Float64Array, start: number, count: number, sums: Float64Array, masks: Int32Array, starts: Int32Array): void {
  // Ping-pong between the output and the scratch buffers, starting where the last merge lands in the output.
  let fromSums = count % 2 === 0 ? sums : SCRATCH_SUMS;
  let fromMasks = count % 2 === 0 ? masks : SCRATCH_MASKS;
  let fromStart = count % 2 === 0 ? starts : SCRATCH_START;
  let toSums = count % 2 === 0 ? SCRATCH_SUMS : sums;
  let toMasks = count % 2 === 0 ? SCRATCH_MASKS : masks;
  let toStart = count % 2 === 0 ? SCRATCH_START : starts;
  fromSums[0] = 0;
  fromMasks[0] = 0;
  fromStart[0] = 0;
  fromStart[1] = 1;
  for (let t = 0; t < count; t++) {
    const v = values[start + t]!;
    const bit = 1 << t;
    let o = 0;
    // new group c = merge(old group c, old group c − 1 + v), for c = 0 .. t + 1
    for (let c = 0; c <= t + 1; c++) {
      toStart[c] = o;
      let i = c <= t ? fromStart[c]! : 0;
      const iEnd = c <= t ? fromStart[c + 1]! : 0;
      let j = c >= 1 ? fromStart[c - 1]! : 0;
      const jEnd = c >= 1 ? fromStart[c]! : 0;
      while (i < iEnd && j < jEnd) {
        const x = fromSums[i]!;
        const y = fromSums[j]! + v;
        if (x <= y) {
          toSums[o] = x;
          toMasks[o++] = fromMasks[i++]!;
        } else {
          toSums[o] = y;
          toMasks[o++] = fromMasks[j++]! | bit;
        }
      }
      while (i < iEnd) {
        toSums[o] = fromSums[i]!;
        toMasks[o++] = fromMasks[i++]!;
      }
      while (j < jEnd) {
        toSums[o] = fromSums[j]! + v;
        toMasks[o++] = fromMasks[j++]! | bit;
      }
    }
    toStart[t + 2] = o;
    const s = fromSums;
    fromSums = toSums;
    toSums = s;
    const m = fromMasks;
    fromMasks = toMasks;
    toMasks = m;
    const g = fromStart;
    fromStart = toStart;
    toStart = g;
  }
}

/** Sorts both halves' sums by cardinality: values[start .. start+nA) into A, the next nB into B. */
export function sortHalves(values: Float64Array, start: number, nA: number, nB: number): void {
  groupedSortedSums(values, start, nA, A_SUMS, A_MASKS, A_START);
  groupedSortedSums(values, start + nA, nB, B_SUMS, B_MASKS, B_START);
}

/**
 * Least |(target − a) − b| over a in A's group j and b in B's group m (both ascending): one two-pointer sweep
 * (a rising, b falling), updating `found` when it beats found.error. Pairs whose every sum is farther than
 * `window` from the target are skipped without a sweep.
 */
export function sweepSplit(j: number, m: number, target: number, window: number, found: Found): void {
  let i = A_START[j]!;
  const iEnd = A_START[j + 1]!;
  const pEnd = B_START[m]!;
  let p = B_START[m + 1]! - 1;
  if (i === iEnd || p < pEnd) return;
  if (target - A_SUMS[iEnd - 1]! - B_SUMS[p]! > window || A_SUMS[i]! + B_SUMS[pEnd]! - target > window) return;
  let best = found.error;
  let bestI = -1;
  let bestP = -1;
  while (i < iEnd && p >= pEnd) {
    const d = target - A_SUMS[i]! - B_SUMS[p]!;
    const e = d < 0 ? -d : d;
    if (e < best) {
      best = e;
      bestI = i;
      bestP = p;
    }
    if (d > 0) i++;
    else p--;
  }
  if (bestI >= 0) {
    found.error = best;
    found.maskA = A_MASKS[bestI]!;
    found.maskB = B_MASKS[bestP]!;
  }
}
