/**
 * Exact sparsest subset within tolerance: the fewest values S with |z − Σ_{i∈S} a_i| ≤ ε, and among those
 * the least error (the minimum-cardinality variant of Pensia et al.'s per-weight problem, cf. Natale et
 * al. NeurIPS 2024). If no subset is within ε, the closest subset is returned with withinTolerance false.
 */
import { closestKernel, halfSums } from './closest.js';
import { canonicalSum, resultFromFlags } from './result.js';
import { sortHalves, sweepSplit, type Found } from './sortedGroups.js';
import { MAX_SAMPLE_COUNT, type SubsetSumInstance, type SubsetSumResult } from './types.js';
import { validateInstance } from './validate.js';

/*
 * Search by increasing cardinality k, exact at every step:
 *   k = 0, 1, 2, 3 by direct enumeration (canonical sums, so errors equal the brute-force oracle's bit
 *   for bit) — cheap, and some real targets stop here;
 *   k ≥ 4 by meet in the middle per cardinality: size k is the least |(z − a) − b| over the splits j + (k − j),
 *   a a subset sum of the first half with j values, b one of the second half with k − j. Only pairs within ε
 *   matter, so each query z − a looks in the grid of the other half's group k − j (the group's sums bucketed on a
 *   uniform grid of as many cells as sums, by counting sort; built the first time a split needs it) at the cells
 *   that [z − a − ε, z − a + ε] touches: about one sum per query. Each split queries from its smaller group, and
 *   groups of small cardinality are small (C(n/2, j)), so the sizes real instances need (5–8) cost about a thousand
 *   look-ups and a few thousand grid entries. The first k with a subset within ε is the answer, the least error
 *   among its pairs the subset. When a grid is crowded (very uneven values), the instance switches to two-pointer
 *   sweeps of sorted groups (sortedGroups.ts). If no size is within ε, the exact closest subset (closestKernel) is
 *   returned; up to n = 20 it is computed first (cheap there, and often the answer).
 * The previous search (closest subset first, then a binary search per query sum and size) is the oracle in
 * test/helpers/sparsestReference.ts.
 */

/* Buffers of the cardinality search (module constants, see closest.ts; pages committed only when used). */
const MAX_HALF = Math.ceil(MAX_SAMPLE_COUNT / 2);
const HALF_SUMS = 2 ** MAX_HALF;
const CANDIDATE = new Uint8Array(MAX_SAMPLE_COUNT);
const SCRATCH_VALUES = new Float64Array(MAX_SAMPLE_COUNT);
/*
 * The grid path. Per half h (h = 0: values [0, ⌊n/2⌋), h = 1: the rest): every subset sum by mask (HALF_SUM, half h
 * at h · HALF_SUMS), and, built only for the cardinality groups a search reaches, a grid per group: the group's
 * sums and masks in cell order (GRID_SUMS, GRID_MASKS: group c of half h at h · HALF_SUMS + first slot of c in
 * the half's cardinality order) and its cell starts (GRID_CELL: size + 1 entries at h · CELL_SLOTS + first
 * slot + c). The masks of each cardinality come from a table computed once per half size.
 */
const GROUP_SLOTS = MAX_HALF + 2;
const CELL_SLOTS = HALF_SUMS + GROUP_SLOTS;
const HALF_SUM = new Float64Array(2 * HALF_SUMS);
const GRID_SUMS = new Float64Array(2 * HALF_SUMS);
const GRID_MASKS = new Int32Array(2 * HALF_SUMS);
const GRID_CELL = new Int32Array(2 * CELL_SLOTS);
const GRID_LOW = new Float64Array(2 * GROUP_SLOTS);
const GRID_SCALE = new Float64Array(2 * GROUP_SLOTS);
/** 0: group not built yet; 1: built; 2: built and crowded (the instance goes to the sorted sweep). */
const GRID_STATE = new Uint8Array(2 * GROUP_SLOTS);
const GRID_SPREAD = new Float64Array(2 * GROUP_SLOTS);
const GRID_KEYS = new Int32Array(HALF_SUMS);
const GROUP_SUMS = new Float64Array(HALF_SUMS);
/** Σ|v| over each half's values: bounds every query |z − x| for the rounding slack of the look-ups. */
const HALF_ABS = new Float64Array(2);
/** A cell holding more sums than this sends the instance to the sorted sweep (see the header). */
const CROWDED_CELL = 24;

/** The masks of `count` bits ordered by popcount (ascending masks within one popcount), and where each popcount starts. */
interface MasksByCardinality {
  masks: Int32Array;
  starts: Int32Array;
}
const MASKS_BY_CARDINALITY: Array<MasksByCardinality | undefined> = [];

function masksByCardinality(count: number): MasksByCardinality {
  const cached = MASKS_BY_CARDINALITY[count];
  if (cached) return cached;
  const L = 2 ** count;
  const popcount = new Uint8Array(L);
  for (let m = 1; m < L; m++) popcount[m] = popcount[m >> 1]! + (m & 1);
  const starts = new Int32Array(count + 2);
  for (let m = 0; m < L; m++) starts[popcount[m]! + 1]!++;
  for (let c = 0; c <= count; c++) starts[c + 1]! += starts[c]!;
  const next = starts.slice(0, count + 1);
  const masks = new Int32Array(L);
  for (let m = 0; m < L; m++) masks[next[popcount[m]!]!++] = m;
  const table = { masks, starts };
  MASKS_BY_CARDINALITY[count] = table;
  return table;
}

/** Half h's part of HALF_SUM, as closest.ts's halfSums fills it (views made once). */
const HALF_SUM_VIEWS = [HALF_SUM.subarray(0, HALF_SUMS), HALF_SUM.subarray(HALF_SUMS)] as const;

/** Every subset sum of values[start .. start+count) by mask into half h's HALF_SUM, and Σ|v| into HALF_ABS[h]. */
function halfSumsByMask(h: 0 | 1, values: Float64Array, start: number, count: number): void {
  let abs = 0;
  for (let t = 0; t < count; t++) abs += Math.abs(values[start + t]!);
  HALF_ABS[h] = abs;
  halfSums(values, start, count, HALF_SUM_VIEWS[h]);
}

/**
 * Builds the grid of half h's cardinality group c (of a half of `count` values): its sums bucketed on a uniform
 * grid over [lowest, highest] with as many cells as sums (counting sort). Returns false when a cell is crowded.
 */
function buildGroupGrid(h: number, count: number, c: number): boolean {
  const { masks, starts } = masksByCardinality(count);
  const first = starts[c]!;
  const size = starts[c + 1]! - first;
  const sums = h * HALF_SUMS;
  const slots = h * HALF_SUMS + first;
  const cells = h * CELL_SLOTS + first + c;
  const g = h * GROUP_SLOTS + c;
  let low = Infinity;
  let high = -Infinity;
  for (let x = 0; x < size; x++) {
    const b = HALF_SUM[sums + masks[first + x]!]!;
    GROUP_SUMS[x] = b;
    if (b < low) low = b;
    if (b > high) high = b;
  }
  const spread = high - low;
  // size / (spread + margin): the highest sum lands in the last cell; a group of one sum (or equal sums) uses one cell
  const scale = spread > 0 ? size / (spread * (1 + 1e-9)) : 0;
  GRID_LOW[g] = low;
  GRID_SCALE[g] = scale;
  GRID_SPREAD[g] = spread;
  GRID_CELL.fill(0, cells, cells + size + 1);
  for (let x = 0; x < size; x++) {
    let cell = ((GROUP_SUMS[x]! - low) * scale) | 0; // ≥ 0: the sum is ≥ low
    if (cell >= size) cell = size - 1;
    GRID_KEYS[x] = cell;
    GRID_CELL[cells + cell + 1]!++;
  }
  let crowded = 0;
  for (let cell = cells; cell < cells + size; cell++) {
    if (GRID_CELL[cell + 1]! > crowded) crowded = GRID_CELL[cell + 1]!;
    GRID_CELL[cell + 1]! += GRID_CELL[cell]!;
  }
  for (let x = 0; x < size; x++) {
    const slot = slots + GRID_CELL[cells + GRID_KEYS[x]!]!++;
    GRID_SUMS[slot] = GROUP_SUMS[x]!;
    GRID_MASKS[slot] = masks[first + x]!;
  }
  // GRID_CELL[cells + k] now holds the end of cell k: shift back so that cell k is [GRID_CELL[k], GRID_CELL[k+1]).
  for (let cell = cells + size; cell > cells; cell--) GRID_CELL[cell] = GRID_CELL[cell - 1]!;
  GRID_CELL[cells] = 0;
  GRID_STATE[g] = crowded > CROWDED_CELL ? 2 : 1;
  return crowded <= CROWDED_CELL;
}

const FOUND: Found = { error: Infinity, maskA: 0, maskB: 0 };
/** Up to this n the closest subset is computed first (see sparsestKernel). */
const CLOSEST_FIRST_MAX_N = 20;

/**
 * Least |(target − x) − y| below found.error over x in cardinality group j of half `queryHalf` (of qCount values)
 * and y in group m of the other half (of gCount values), looking each query q = target − x up in the cells of
 * group m's grid that [q − window, q + window] touches (one more cell each side covers the rounding of the cell
 * computation). The caller queries from the smaller group, so a split costs about min(C(h, j), C(h', m)) look-ups
 * of about one sum each. Returns false (nothing searched) when group m's grid is crowded.
 */
function lookUpGroups(queryHalf: number, qCount: number, j: number, gCount: number, m: number, target: number, window: number, found: Found): boolean {
  const gridHalf = 1 - queryHalf;
  const g = gridHalf * GROUP_SLOTS + m;
  if (GRID_STATE[g] === 0 && !buildGroupGrid(gridHalf, gCount, m)) return false;
  if (GRID_STATE[g] === 2) return false;
  const query = masksByCardinality(qCount);
  const qSums = queryHalf * HALF_SUMS;
  const gStarts = masksByCardinality(gCount).starts;
  const first = gStarts[m]!;
  const size = gStarts[m + 1]! - first;
  const cells = gridHalf * CELL_SLOTS + first + m;
  const gSlots = gridHalf * HALF_SUMS + first;
  const low = GRID_LOW[g]!;
  const scale = GRID_SCALE[g]!;
  // Cells of [q − window, q + window], widened by a slack (in cells) far above the rounding of q, q − low and the
  // products with scale (each within a few ulps of numbers bounded by qBound, |low| and the spread), as closest.ts does.
  const qBound = Math.abs(target) + HALF_ABS[queryHalf]!;
  const reach = window * scale + 1e-6 + 1e-12 * (size + (qBound + Math.abs(low) + GRID_SPREAD[g]!) * scale);
  let best = found.error;
  let bestQuery = -1;
  let bestGrid = -1;
  for (let x = query.starts[j]!; x < query.starts[j + 1]!; x++) {
    const q = target - HALF_SUM[qSums + query.masks[x]!]!;
    const position = (q - low) * scale;
    const above = position + reach;
    const below = position - reach;
    if (above < 0 || below >= size) continue;
    const from = gSlots + GRID_CELL[cells + (below > 0 ? below | 0 : 0)]!;
    const to = gSlots + GRID_CELL[cells + (above < size ? above | 0 : size - 1) + 1]!;
    for (let p = from; p < to; p++) {
      const d = q - GRID_SUMS[p]!;
      const e = d < 0 ? -d : d;
      if (e < best) {
        best = e;
        bestQuery = query.masks[x]!;
        bestGrid = p;
      }
    }
  }
  if (bestQuery >= 0) {
    found.error = best;
    const gridMask = GRID_MASKS[bestGrid]!;
    found.maskA = queryHalf === 0 ? bestQuery : gridMask;
    found.maskB = queryHalf === 0 ? gridMask : bestQuery;
  }
  return true;
}


/**
 * Sizes 0 to 3 by direct enumeration (canonical sums, so errors equal the brute-force oracle's bit for bit): the
 * least-error subset of the smallest size ≤ 3 within `tolerance`, its error returned and flags[t] set for t < n; −1
 * (flags all 0) if no subset of at most 3 values is within tolerance.
 */
export function fewValuesKernel(values: Float64Array, start: number, n: number, target: number, tolerance: number, flags: Uint8Array): number {
  flags.fill(0, 0, n);
  // k = 0
  const e0 = Math.abs(target);
  if (e0 <= tolerance) return e0;
  // k = 1
  let best = Infinity;
  let i1 = -1;
  let i2 = -1;
  let i3 = -1;
  for (let i = 0; i < n; i++) {
    const e = Math.abs(target - values[start + i]!);
    if (e < best) {
      best = e;
      i1 = i;
    }
  }
  if (best <= tolerance) {
    flags[i1] = 1;
    return best;
  }
  // k = 2
  best = Infinity;
  for (let i = 0; i < n; i++) {
    const vi = values[start + i]!;
    for (let j = i + 1; j < n; j++) {
      const e = Math.abs(target - (vi + values[start + j]!));
      if (e < best) {
        best = e;
        i1 = i;
        i2 = j;
      }
    }
  }
  if (best <= tolerance) {
    flags[i1] = 1;
    flags[i2] = 1;
    return best;
  }
  // k = 3
  best = Infinity;
  for (let i = 0; i < n; i++) {
    const vi = values[start + i]!;
    for (let j = i + 1; j < n; j++) {
      const vij = vi + values[start + j]!;
      for (let k = j + 1; k < n; k++) {
        const e = Math.abs(target - (vij + values[start + k]!));
        if (e < best) {
          best = e;
          i1 = i;
          i2 = j;
          i3 = k;
        }
      }
    }
  }
  if (best <= tolerance) {
    flags[i1] = 1;
    flags[i2] = 1;
    flags[i3] = 1;
    return best;
  }
  return -1;
}

/**
 * The sparsest subset of values[start .. start+n) within `tolerance` of `target` (see the file header):
 * writes flags[t] ∈ {0, 1} for t < n and returns the subset's canonical error.
 */
export function sparsestKernel(values: Float64Array, start: number, n: number, target: number, tolerance: number, flags: Uint8Array): number {
  const few = fewValuesKernel(values, start, n, target, tolerance, flags);
  if (few >= 0) return few;

  // Small n: the closest subset is cheap (2^(n/2) ≤ 1,024 sums per half) and often not within ε (then it is the
  // answer); the search below would walk every size before learning that.
  if (n <= CLOSEST_FIRST_MAX_N) {
    closestKernel(values, start, n, target, flags);
    const closestError = Math.abs(target - canonicalSum(values, start, n, flags));
    if (closestError > tolerance) return closestError;
    flags.fill(0, 0, n);
  }
  // k ≥ 4: per-cardinality meet in the middle (lazily built grids; sorted groups once a grid is crowded).
  const nA = n >> 1;
  const nB = n - nA;
  halfSumsByMask(0, values, start, nA);
  halfSumsByMask(1, values, start + nA, nB);
  GRID_STATE.fill(0);
  const sizesA = masksByCardinality(nA).starts;
  const sizesB = masksByCardinality(nB).starts;
  let sorted = false;
  // Split sums (z − a) − b differ from canonical sums by rounding only: search with a relative slack far above
  // it, then accept on the canonical error.
  const window = tolerance * (1 + 1e-9);
  const found = FOUND;
  const candidate = CANDIDATE;
  for (let k = 4; k <= n; k++) {
    found.error = window;
    found.maskA = -1;
    const jLow = k - nB > 0 ? k - nB : 0;
    const jHigh = k < nA ? k : nA;
    for (let j = jLow; j <= jHigh && !sorted; j++) {
      const m = k - j;
      const searched =
        sizesA[j + 1]! - sizesA[j]! <= sizesB[m + 1]! - sizesB[m]!
          ? lookUpGroups(0, nA, j, nB, m, target, window, found)
          : lookUpGroups(1, nB, m, nA, j, target, window, found);
      if (!searched) {
        // A crowded grid: from this size on, sweep sorted groups (exact too, and insensitive to how sums spread).
        sorted = true;
        sortHalves(values, start, nA, nB);
        found.error = window;
        found.maskA = -1;
      }
    }
    if (sorted) for (let j = jLow; j <= jHigh; j++) sweepSplit(j, k - j, target, window, found);
    if (found.maskA < 0) continue;
    for (let t = 0; t < nA; t++) candidate[t] = (found.maskA >>> t) & 1;
    for (let t = 0; t < nB; t++) candidate[nA + t] = (found.maskB >>> t) & 1;
    const error = Math.abs(target - canonicalSum(values, start, n, candidate));
    if (error <= tolerance) {
      for (let t = 0; t < n; t++) flags[t] = candidate[t]!;
      return error;
    }
  }
  // Nothing within ε: the closest subset.
  closestKernel(values, start, n, target, flags);
  return Math.abs(target - canonicalSum(values, start, n, flags));
}

/** The fewest values within tolerance (then least error); the closest subset if none is within tolerance. */
export function sparsest(instance: SubsetSumInstance): SubsetSumResult {
  validateInstance(instance);
  const n = instance.values.length;
  const values = SCRATCH_VALUES;
  for (let t = 0; t < n; t++) values[t] = instance.values[t]!;
  const flags = new Uint8Array(n);
  sparsestKernel(values, 0, n, instance.target, instance.tolerance, flags);
  return resultFromFlags(values, n, flags, instance.target, instance.tolerance);
}
