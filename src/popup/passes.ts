/**
 * The per-weight passes of the fast edge-popup trainer (src/popup/engine.ts) over one dense tensor, split
 * into a fixed number of row shards so that worker threads can share them (SharedArrayBuffers) while the results
 * stay bit-identical for any number of threads: every weight is updated by the same arithmetic whoever runs its
 * shard, and the only sums across rows (∂L/∂ũ of a spread) are kept per shard and added in shard order.
 *
 * Pass 1 (updateShard): ∂L/∂W̃ from D (times ũ after a spread), ∂L/∂ũ, g = ∂L/∂W̃·W·sign(s) + wd·s,
 * buf = μ·buf + g, s −= lr·buf, and the new |s| counted above a band around the last threshold / copied when
 * inside it (BandSelection in popupEngine.ts finishes the exact top-k). Pass 3 (rebuildShard): the mask from the
 * threshold and V, the block's linear map (W̃ itself without spread; V[o, j(+d)] = Σ_t ũ[t,j]·W̃[o,t,j] after one).
 *
 * Branch-free wherever the outcome is random (signs of scores and spread weights, kept or not, above the band or
 * not): on 2 M entries of random sign, mispredicted branches cost 2.5× the arithmetic (measured). Signs and
 * comparisons use float32 bit patterns: for |x| the bits are ordered like the values, (b − a) >>> 31 is 1 exactly
 * when a > b (both < 2³¹), and NaN's bits exceed +∞'s. Only rare cases (exact zeros, ties, values inside the
 * band) take a branch.
 */

/** Row shards per tensor, whatever the number of threads. */
export const SHARDS = 4;
/** Band values each shard may copy per step; more means the band was too wide (BandSelection narrows it). */
export const SHARD_CANDIDATES = 1 << 14;

/** One dense tensor (after an optional spread) and the arrays its passes read and write. */
export interface PassLayer {
  /** Rows (outputs), row length (inputs of the dense layer = copies·d with a spread), copies, features d, columns of D and V. */
  out: number;
  hidden: number;
  copies: number;
  d: number;
  k: number;
  /** 1 with a spread before the dense layer, 1 with a ReLU after that spread. */
  spread: number;
  relu: number;
  w: Float32Array;
  s: Float32Array;
  sBits: Uint32Array;
  m: Float32Array;
  mask: Uint8Array;
  /** D [out, k] of the current batch. */
  dv: Float32Array;
  /** The block input as A [B, k] and Aᵀ [k, B], the output zᵀ [out, B] and its gradient dzᵀ [out, B] (B ≤ max batch). */
  aRows: Float32Array;
  aCols: Float32Array;
  zT: Float32Array;
  dzT: Float32Array;
  /** V [out, k]. */
  v: Float32Array;
  /** ũ and its bits (length hidden with a spread, else empty). */
  u: Float32Array;
  uBits: Uint32Array;
  /** ∂L/∂ũ per shard: [SHARDS, hidden] (empty without a spread). */
  du: Float64Array;
  /** Band copies per shard: [SHARDS, SHARD_CANDIDATES]. */
  candidates: Float32Array;
  /** Per shard: values above the band, values inside it. */
  results: Float64Array;
}

/** Rows [start, end) of a shard. */
export function shardRows(out: number, shard: number): [number, number] {
  return [Math.floor((out * shard) / SHARDS), Math.floor((out * (shard + 1)) / SHARDS)];
}

const F32 = new Float32Array(1);
const F32_BITS = new Uint32Array(F32.buffer);

/** The bits of a float32 (for a non-negative x, ordered like the values). */
export function float32Bits(x: number): number {
  F32[0] = x;
  return F32_BITS[0]!;
}

/** Pass 1 over the rows of one shard; band [lo, hi] as float32 values (+∞, +∞ for none). */
export function updateShard(p: PassLayer, shard: number, lr: number, wd: number, mu: number, lo: number, hi: number): void {
  const [start, end] = shardRows(p.out, shard);
  const loBits = float32Bits(lo);
  const hiBits = float32Bits(hi);
  const range = (hiBits - loBits) >>> 0;
  const { w, s, sBits, m, mask, dv, u, uBits, candidates } = p;
  const hidden = p.hidden;
  const copies = p.copies;
  const d = p.d;
  const k = p.k;
  const relu = p.relu;
  const withSpread = p.spread === 1;
  const candidateStart = shard * SHARD_CANDIDATES;
  const du = withSpread ? p.du.subarray(shard * hidden, (shard + 1) * hidden) : p.du;
  if (withSpread) du.fill(0);
  let found = 0;
  let above = 0;
  let idx = start * hidden;
  for (let o = start; o < end; o++) {
    const dRow = o * k;
    if (!withSpread) {
      for (let h = 0; h < hidden; h++, idx++) {
        const score = s[idx]!;
        const bits = sBits[idx]!;
        let ws = w[idx]! * (1 - 2 * (bits >>> 31));
        if (bits << 1 === 0) ws = 0; // sign(±0) = 0
        const step = mu * m[idx]! + (dv[dRow + h]! * ws + wd * score);
        m[idx] = step;
        s[idx] = score - lr * step;
        const a = sBits[idx]! & 0x7fffffff;
        above += (hiBits - a) >>> 31;
        if ((a - loBits) >>> 0 <= range) {
          if (found < SHARD_CANDIDATES) candidates[candidateStart + found] = Math.abs(s[idx]!);
          found++;
        }
      }
      continue;
    }
    for (let t = 0; t < copies; t++) {
      const uRow = t * d;
      for (let j = 0; j < d; j++, idx++) {
        const ut = u[uRow + j]!;
        const ub = uBits[uRow + j]!;
        // Linear: D[o, j]. ReLU: D[o, j + d·(ũ < 0)] times (ũ ≠ 0): nothing flows through relu′(0) = 0.
        const nonzero = 1 - relu + relu * ((((ub & 0x7fffffff) + 0x7fffffff) >>> 0) >>> 31);
        const dd = nonzero * dv[dRow + j + relu * (ub >>> 31) * d]!;
        const weight = w[idx]!;
        du[uRow + j] = du[uRow + j]! + mask[idx]! * weight * dd;
        const score = s[idx]!;
        const bits = sBits[idx]!;
        let ws = weight * (1 - 2 * (bits >>> 31));
        if (bits << 1 === 0) ws = 0;
        const step = mu * m[idx]! + (ut * dd * ws + wd * score);
        m[idx] = step;
        s[idx] = score - lr * step;
        const a = sBits[idx]! & 0x7fffffff;
        above += (hiBits - a) >>> 31;
        if ((a - loBits) >>> 0 <= range) {
          if (found < SHARD_CANDIDATES) candidates[candidateStart + found] = Math.abs(s[idx]!);
          found++;
        }
      }
    }
  }
  p.results[2 * shard] = above;
  p.results[2 * shard + 1] = found;
}

/**
 * Pass 3 over the rows of one shard when every entry equal to the threshold is kept (no tie to break): mask =
 * |s| ≥ t (NaN included), V rebuilt. `t` finite and ≥ 0.
 */
export function rebuildShard(p: PassLayer, shard: number, t: number): void {
  const [start, end] = shardRows(p.out, shard);
  rebuildRows(p, start, end, float32Bits(t) - 1, -1, 0);
}

/**
 * Pass 3 over all rows with a tie to break: entries above t kept, entries equal to t kept in index order while
 * `ties` remain (the tie-break of topKMask). Sequential: rare.
 */
export function rebuildWithTies(p: PassLayer, t: number, ties: number): void {
  rebuildRows(p, 0, p.out, float32Bits(t), float32Bits(t), ties);
}

/** mask = (|s| bits > above) or (bits = tieBits while ties remain); V rows [start, end) rebuilt. */
function rebuildRows(p: PassLayer, start: number, end: number, aboveBits: number, tieBits: number, ties: number): void {
  const { w, sBits, mask, v, u, uBits } = p;
  const hidden = p.hidden;
  const copies = p.copies;
  const d = p.d;
  const k = p.k;
  const relu = p.relu;
  let tiesLeft = ties;
  let idx = start * hidden;
  if (p.spread === 1) v.fill(0, start * k, end * k);
  for (let o = start; o < end; o++) {
    if (p.spread !== 1) {
      for (let h = 0; h < hidden; h++, idx++) {
        const a = sBits[idx]! & 0x7fffffff;
        let keep = (aboveBits - a) >>> 31;
        if (a === tieBits && tiesLeft > 0) {
          keep = 1;
          tiesLeft--;
        }
        mask[idx] = keep;
        v[idx] = keep * w[idx]!;
      }
      continue;
    }
    const vRow = o * k;
    for (let c = 0; c < copies; c++) {
      const uRow = c * d;
      for (let j = 0; j < d; j++, idx++) {
        const a = sBits[idx]! & 0x7fffffff;
        let keep = (aboveBits - a) >>> 31;
        if (a === tieBits && tiesLeft > 0) {
          keep = 1;
          tiesLeft--;
        }
        mask[idx] = keep;
        // ReLU spread: ũ > 0 adds to V⁺ (column j), ũ < 0 to V⁻ (column d + j); ũ = 0 adds 0 either way.
        const col = vRow + j + relu * (uBits[uRow + j]! >>> 31) * d;
        v[col] = v[col]! + keep * u[uRow + j]! * w[idx]!;
      }
    }
  }
}
