/**
 * Exact search for the sparsest subset among subsets of 4 to 6 values, for the large n (24–40) where the full meet in
 * the middle (2^(n/2) half sums per instance) dominates: subsets of size k = k1 + k2 are met as a combination of k1
 * values and a disjoint combination of k2 values (pairs × pairs, pairs × triples, triples × triples), both lists
 * sorted by sum, with the search window capped by ε so that only sums within ε of the target are ever looked at.
 * C(40, 3) = 9,880 triples, so this costs microseconds where the full search costs milliseconds. It returns the
 * least error among the k-subsets within ε for the smallest such k ≤ 6, exactly as the full cardinality search
 * would (both look for the least error at each k in turn), or nothing — then the caller goes on with k ≥ 7.
 */
import { canonicalSum } from './result.js';

/** Combinations of `size` values: sums sorted ascending, and their index masks (indices < 20 in lo, ≥ 20 in hi). */
interface Combinations {
  sums: Float64Array;
  lo: Int32Array;
  hi: Int32Array;
  count: number;
}

const MAX_N = 40;
const MAX_TRIPLES = (MAX_N * (MAX_N - 1) * (MAX_N - 2)) / 6;
const MAX_PAIRS = (MAX_N * (MAX_N - 1)) / 2;
/** The mask bits of index i: 1 << i in lo for i < 20, 1 << (i − 20) in hi otherwise. */
const BIT_LO = Int32Array.from({ length: MAX_N }, (_, i) => (i < 20 ? 1 << i : 0));
const BIT_HI = Int32Array.from({ length: MAX_N }, (_, i) => (i < 20 ? 0 : 1 << (i - 20)));
/* Module buffers (as in closest.ts): unsorted combinations, their order, and the sorted pairs and triples. */
const RAW_SUMS = new Float64Array(MAX_TRIPLES);
const RAW_LO = new Int32Array(MAX_TRIPLES);
const RAW_HI = new Int32Array(MAX_TRIPLES);
const ORDER = new Int32Array(MAX_TRIPLES);
const PAIRS: Combinations = { sums: new Float64Array(MAX_PAIRS), lo: new Int32Array(MAX_PAIRS), hi: new Int32Array(MAX_PAIRS), count: 0 };
const TRIPLES: Combinations = { sums: new Float64Array(MAX_TRIPLES), lo: new Int32Array(MAX_TRIPLES), hi: new Int32Array(MAX_TRIPLES), count: 0 };

/** Fills `out` with the combinations of `size` values of values[start .. start+n), sorted by sum (then by enumeration order). */
function makeCombinations(values: Float64Array, start: number, n: number, size: 2 | 3, out: Combinations): Combinations {
  let count = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const sum = values[start + i]! + values[start + j]!;
      const lo = BIT_LO[i]! | BIT_LO[j]!;
      const hi = BIT_HI[i]! | BIT_HI[j]!;
      if (size === 2) {
        RAW_SUMS[count] = sum;
        RAW_LO[count] = lo;
        RAW_HI[count] = hi;
        count++;
        continue;
      }
      for (let k = j + 1; k < n; k++) {
        RAW_SUMS[count] = sum + values[start + k]!;
        RAW_LO[count] = lo | BIT_LO[k]!;
        RAW_HI[count] = hi | BIT_HI[k]!;
        count++;
      }
    }
  }
  const order = ORDER.subarray(0, count);
  for (let i = 0; i < count; i++) order[i] = i;
  order.sort((x, y) => RAW_SUMS[x]! - RAW_SUMS[y]! || x - y);
  for (let i = 0; i < count; i++) {
    out.sums[i] = RAW_SUMS[order[i]!]!;
    out.lo[i] = RAW_LO[order[i]!]!;
    out.hi[i] = RAW_HI[order[i]!]!;
  }
  out.count = count;
  return out;
}

interface Best {
  error: number;
  lo: number;
  hi: number;
}

/** Least |target − (a + b)| ≤ best.error over disjoint a ∈ A, b ∈ B (updates best). */
function meet(A: Combinations, B: Combinations, target: number, best: Best): void {
  for (let x = 0; x < A.count; x++) {
    const q = target - A.sums[x]!;
    const alo = A.lo[x]!;
    const ahi = A.hi[x]!;
    // first b with sum ≥ q − best.error
    let low = 0;
    let high = B.count;
    const from = q - best.error;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (B.sums[mid]! < from) low = mid + 1;
      else high = mid;
    }
    for (let y = low; y < B.count; y++) {
      const s = B.sums[y]!;
      if (s > q + best.error) break;
      if ((B.lo[y]! & alo) !== 0 || (B.hi[y]! & ahi) !== 0) continue;
      const e = Math.abs(q - s);
      if (e <= best.error) {
        if (e < best.error || (alo | B.lo[y]!) < best.lo || ((alo | B.lo[y]!) === best.lo && (ahi | B.hi[y]!) < best.hi)) {
          best.error = e;
          best.lo = alo | B.lo[y]!;
          best.hi = ahi | B.hi[y]!;
        }
      }
    }
  }
}

/**
 * The least-error subset of the smallest size k in 4..6 that lies within `tolerance` of `target` (canonical sum):
 * its error, with flags[t] set for t < n. −1: no subset of size 4..6 is within ε. −2: the best one is within ε only
 * up to the split's rounding (the full search decides). Call only after sizes 0..3 failed.
 */
export function smallSubsetSearch(values: Float64Array, start: number, n: number, target: number, tolerance: number, flags: Uint8Array): number {
  if (n > MAX_N || n < 4) return -1;
  const pairs = makeCombinations(values, start, n, 2, PAIRS);
  let triples: Combinations | null = null;
  for (const k of [4, 5, 6]) {
    if (k > n) break;
    if (k >= 5 && triples === null) triples = makeCombinations(values, start, n, 3, TRIPLES);
    const best: Best = { error: tolerance * (1 + 1e-9), lo: 0x7fffffff, hi: 0x7fffffff };
    if (k === 4) meet(pairs, pairs, target, best);
    else if (k === 5) meet(pairs, triples!, target, best);
    else meet(triples!, triples!, target, best);
    if (best.lo === 0x7fffffff) continue;
    for (let t = 0; t < n; t++) flags[t] = t < 20 ? (best.lo >>> t) & 1 : (best.hi >>> (t - 20)) & 1;
    const error = Math.abs(target - canonicalSum(values, start, n, flags));
    if (error <= tolerance) return error;
    flags.fill(0, 0, n); // within ε only by the split's rounding: let the full search decide
    return -2;
  }
  return -1;
}
