/**
 * All 2^k subset sums of k values, in ascending order, with the subset of each as a bit mask
 * (bit t set = values[start + t] is in the subset). Built by k merges of L and L + v (Horowitz and
 * Sahni 1974), so the cost is O(2^k) with no sort. Ties keep the subset without the new value first,
 * which makes the order a pure function of the inputs.
 */

export interface SortedSumsBuffers {
  sums: Float64Array;
  masks: Uint32Array;
  scratchSums: Float64Array;
  scratchMasks: Uint32Array;
}

export function allocateSortedSums(maxCount: number): SortedSumsBuffers {
  const size = 2 ** maxCount;
  return {
    sums: new Float64Array(size),
    masks: new Uint32Array(size),
    scratchSums: new Float64Array(size),
    scratchMasks: new Uint32Array(size),
  };
}

/**
 * Writes the 2^count sorted subset sums of values[start .. start+count) into buffers.sums[0 .. 2^count)
 * and their masks into buffers.masks. count ≤ 30 (masks are 32-bit; memory limits it well before).
 */
export function sortedSubsetSums(values: ArrayLike<number>, start: number, count: number, buffers: SortedSumsBuffers): number {
  // Ping-pong between the two buffer pairs; start in the pair that makes the last merge land in `sums`.
  let aSums = count % 2 === 0 ? buffers.sums : buffers.scratchSums;
  let aMasks = count % 2 === 0 ? buffers.masks : buffers.scratchMasks;
  let bSums = count % 2 === 0 ? buffers.scratchSums : buffers.sums;
  let bMasks = count % 2 === 0 ? buffers.scratchMasks : buffers.masks;
  aSums[0] = 0;
  aMasks[0] = 0;
  let length = 1;
  for (let t = 0; t < count; t++) {
    const v = values[start + t]!;
    const bit = (1 << t) >>> 0;
    // merge aSums[0..length) with aSums[0..length) + v into b
    let i = 0;
    let j = 0;
    let o = 0;
    let shifted = aSums[0]! + v;
    while (i < length && j < length) {
      const left = aSums[i]!;
      if (left <= shifted) {
        bSums[o] = left;
        bMasks[o++] = aMasks[i++]!;
      } else {
        bSums[o] = shifted;
        bMasks[o++] = (aMasks[j++]! | bit) >>> 0;
        if (j < length) shifted = aSums[j]! + v;
      }
    }
    while (i < length) {
      bSums[o] = aSums[i]!;
      bMasks[o++] = aMasks[i++]!;
    }
    while (j < length) {
      bSums[o] = aSums[j]! + v;
      bMasks[o++] = (aMasks[j++]! | bit) >>> 0;
    }
    length *= 2;
    const ts = aSums;
    aSums = bSums;
    bSums = ts;
    const tm = aMasks;
    aMasks = bMasks;
    bMasks = tm;
  }
  return length;
}
