/**
 * A sorted union of disjoint closed intervals in typed arrays, with the one step of Lueker's
 * incremental view of random subset sum (Lueker 1998, "Exponentially small bounds on the expected
 * optimum of the partition and subset sum problems"): A ← (A ∪ (A + x)) ∩ W, merging intervals that
 * overlap or touch. Used by coverage.ts and coverageGrowth.ts; no allocation per step once warm.
 *
 * Invariant after every operation: starts[i] ≤ ends[i] < starts[i+1] (closed, disjoint, separated by
 * positive gaps), so the count is at most |W|/(2ε) + 2 when every unclipped interval has length ≥ 2ε.
 */

export class IntervalUnion {
  starts: Float64Array;
  ends: Float64Array;
  count = 0;
  private scratchStarts: Float64Array;
  private scratchEnds: Float64Array;

  constructor(initialCapacity = 1024) {
    const capacity = Math.max(4, initialCapacity);
    this.starts = new Float64Array(capacity);
    this.ends = new Float64Array(capacity);
    this.scratchStarts = new Float64Array(capacity);
    this.scratchEnds = new Float64Array(capacity);
  }

  /** Sets the union to the single closed interval [start, end] ∩ [windowLow, windowHigh] (maybe empty). */
  reset(start: number, end: number, windowLow = -Infinity, windowHigh = Infinity): void {
    const a = start > windowLow ? start : windowLow;
    const b = end < windowHigh ? end : windowHigh;
    if (a <= b) {
      this.starts[0] = a;
      this.ends[0] = b;
      this.count = 1;
    } else {
      this.count = 0;
    }
  }

  /**
   * this ← (this ∪ (this + shift)) ∩ [windowLow, windowHigh]. Both lists are sorted by start (a
   * translation keeps order), so one merge pass builds the result; intervals with start ≤ the current
   * end are coalesced, so the invariant holds afterwards.
   */
  addTranslate(shift: number, windowLow: number, windowHigh: number): void {
    const n = this.count;
    if (this.scratchStarts.length < 2 * n) this.growScratch(2 * n);
    const as = this.starts;
    const ae = this.ends;
    const os = this.scratchStarts;
    const oe = this.scratchEnds;
    let i = 0;
    let j = 0;
    let o = 0;
    let curStart = 0;
    let curEnd = -Infinity;
    let open = false;
    while (i < n || j < n) {
      let s: number;
      let e: number;
      const fromOriginal = j >= n || (i < n && as[i]! <= as[j]! + shift);
      if (fromOriginal) {
        s = as[i]!;
        e = ae[i]!;
        i++;
      } else {
        s = as[j]! + shift;
        e = ae[j]! + shift;
        j++;
      }
      if (s > windowHigh) {
        // Everything later in this list starts even further right: skip the rest of it.
        if (fromOriginal) i = n;
        else j = n;
        continue;
      }
      if (e < windowLow) continue;
      if (s < windowLow) s = windowLow;
      if (e > windowHigh) e = windowHigh;
      if (open && s <= curEnd) {
        if (e > curEnd) curEnd = e;
      } else {
        if (open) {
          os[o] = curStart;
          oe[o++] = curEnd;
        }
        curStart = s;
        curEnd = e;
        open = true;
      }
    }
    if (open) {
      os[o] = curStart;
      oe[o++] = curEnd;
    }
    // Swap buffers: the result becomes the current list.
    this.scratchStarts = as;
    this.scratchEnds = ae;
    this.starts = os;
    this.ends = oe;
    this.count = o;
  }

  /** Lebesgue measure of the union ∩ [low, high]. */
  measureWithin(low: number, high: number): number {
    let total = 0;
    const s = this.starts;
    const e = this.ends;
    for (let i = 0; i < this.count; i++) {
      const a = s[i]! > low ? s[i]! : low;
      const b = e[i]! < high ? e[i]! : high;
      if (b > a) total += b - a;
    }
    return total;
  }

  /** True when [low, high] lies inside the union (then inside one interval, by the invariant). */
  covers(low: number, high: number): boolean {
    const s = this.starts;
    const e = this.ends;
    for (let i = 0; i < this.count; i++) {
      if (s[i]! > low) return false;
      if (e[i]! >= low) return e[i]! >= high;
    }
    return false;
  }

  private growScratch(minimum: number): void {
    let capacity = this.scratchStarts.length;
    while (capacity < minimum) capacity *= 2;
    this.scratchStarts = new Float64Array(capacity);
    this.scratchEnds = new Float64Array(capacity);
    // Keep both pairs the same size so the swap in addTranslate never shrinks the next scratch below need.
    const starts = new Float64Array(capacity);
    const ends = new Float64Array(capacity);
    starts.set(this.starts.subarray(0, this.count));
    ends.set(this.ends.subarray(0, this.count));
    this.starts = starts;
    this.ends = ends;
  }
}
