/**
 * Edge-popup's masks: the exact top-k of |scores| with a deterministic tie-break (and its sorting oracle), and the
 * tfjs pieces that apply a mask with the straight-through gradient. Shared by the tf reference (edgePopup.ts) and
 * the fast engine (engine.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../core/errors.js';
// ───────────────────────────── masks ─────────────────────────────

/** Weights kept in a tensor of `size` entries: round(keepFraction · size) (the official code keeps size − ⌊pruneFraction·size⌋). */
export function keptCount(size: number, keepFraction: number): number {
  if (!(keepFraction >= 0 && keepFraction <= 1)) throw new InputError(`keepFraction: expected a number in [0, 1], got ${keepFraction}`);
  return Math.round(keepFraction * size);
}

/**
 * The slow truth: m[i] = 1 for the `keepCount` entries of largest |s|, ties broken by the smaller index
 * (entry i before entry j > i when |s_i| = |s_j|). O(n log n); the oracle of topKMask.
 */
export function topKMaskReference(scores: ArrayLike<number>, keepCount: number): Uint8Array {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => Math.abs(scores[b]!) - Math.abs(scores[a]!) || a - b);
  const mask = new Uint8Array(n);
  for (let q = 0; q < Math.min(keepCount, n); q++) mask[order[q]!] = 1;
  return mask;
}

/** Where the k-th largest |s| sits: its float32 value, how many entries are strictly above it and how many equal it. */
export interface ScoreThreshold {
  /** The k-th largest |s| (float32); +Infinity when keepCount = 0. */
  threshold: number;
  /** Entries with |s| > threshold. */
  greater: number;
  /** Entries with |s| = threshold. greater < keepCount ≤ greater + ties. */
  ties: number;
  /** keepCount = greater + ties: "|s| ≥ threshold" is the mask itself, no tie to break. */
  exact: boolean;
}

/**
 * Exact selection of the k-th largest |s| in two linear passes (radix select on the float32 bit patterns: for
 * non-negative floats the order of the bit patterns as unsigned integers is the order of the values). Pass 1
 * histograms the high 16 bits of |s|, pass 2 the low 16 bits inside the one bucket that holds the k-th value.
 * NaN scores rank above every number. Reuses its histograms: one selector per thread of work, not re-entrant.
 */
export class ScoreSelector {
  private readonly high = new Uint32Array(1 << 15);
  private readonly low = new Uint32Array(1 << 16);
  private readonly word = new Float32Array(1);
  private readonly wordBits = new Uint32Array(this.word.buffer);

  select(scores: Float32Array, keepCount: number): ScoreThreshold {
    const n = scores.length;
    if (!Number.isInteger(keepCount) || keepCount < 0 || keepCount > n) throw new RangeError(`keepCount ${keepCount} outside 0..${n}`);
    if (keepCount === 0) return { threshold: Infinity, greater: 0, ties: 0, exact: true };
    const bits = new Uint32Array(scores.buffer, scores.byteOffset, n);
    const high = this.high;
    high.fill(0);
    for (let i = 0; i < n; i++) high[(bits[i]! & 0x7fffffff) >>> 16]!++;
    let above = 0;
    let bucket = high.length - 1;
    for (; bucket > 0; bucket--) {
      const count = high[bucket]!;
      if (above + count >= keepCount) break;
      above += count;
    }
    const low = this.low;
    low.fill(0);
    for (let i = 0; i < n; i++) {
      const v = bits[i]! & 0x7fffffff;
      if (v >>> 16 === bucket) low[v & 0xffff]!++;
    }
    let value = low.length - 1;
    for (; value > 0; value--) {
      const count = low[value]!;
      if (above + count >= keepCount) break;
      above += count;
    }
    const ties = low[value]!;
    this.wordBits[0] = ((bucket << 16) | value) >>> 0;
    return { threshold: this.word[0]!, greater: above, ties, exact: above + ties === keepCount };
  }
}

/** The float32 just below a non-negative float32 x (the largest float32 < x); −min subnormal for x = 0. */
export function float32Below(x: number): number {
  const word = new Float32Array([x]);
  const bits = new Uint32Array(word.buffer);
  if (x === 0) {
    bits[0] = 0x80000001;
  } else {
    bits[0] = bits[0]! - 1;
  }
  return word[0]!;
}

/**
 * Writes the top-k mask of |scores| into `out` (1 kept, 0 pruned) using a selection already made; entries equal
 * to the threshold are kept in index order until keepCount is reached (the tie-break of topKMaskReference).
 */
export function fillMask(scores: Float32Array, keepCount: number, selection: ScoreThreshold, out: Float32Array | Uint8Array): void {
  const n = scores.length;
  const t = selection.threshold;
  let tiesLeft = keepCount - selection.greater;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(scores[i]!);
    if (a > t || (Number.isNaN(a) && keepCount > 0)) out[i] = 1;
    else if (a === t && tiesLeft > 0) {
      out[i] = 1;
      tiesLeft--;
    } else out[i] = 0;
  }
}

/** The top-k mask of |scores| in linear time (ScoreSelector + fillMask); equal to topKMaskReference. */
export function topKMask(scores: Float32Array, keepCount: number, selector = new ScoreSelector()): Uint8Array {
  const out = new Uint8Array(scores.length);
  fillMask(scores, keepCount, selector.select(scores, keepCount), out);
  return out;
}

// ───────────────────────────── tf ops ─────────────────────────────

interface WasmBackendInternals {
  dataIdMap?: { get(dataId: object): { memoryOffset: number } | undefined };
  wasm?: { HEAPU8: Uint8Array };
}

/**
 * The values of a float32 tensor without copying: a view into the wasm heap (tfjs-backend-wasm 4.22 internals),
 * or a copy through dataSync on any other backend. Use it at once: the view is invalid after the next tf op
 * that may grow the heap.
 */
export function tensorValues(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as WasmBackendInternals;
  const info = backend.dataIdMap?.get(t.dataId as object);
  const heap = backend.wasm?.HEAPU8;
  if (t.dtype === 'float32' && info !== undefined && heap !== undefined && info.memoryOffset % 4 === 0 && info.memoryOffset + 4 * t.size <= heap.byteLength) {
    return new Float32Array(heap.buffer, info.memoryOffset, t.size);
  }
  return t.dataSync() as Float32Array;
}

/**
 * The 0/1 float mask (same shape as `scores`) of the top keepCount entries by |s|. Without a tie at the threshold
 * it is step(|s| − below(threshold)) (three tf ops, no copy); with one, it is built in JS with the index tie-break.
 */
export function maskTensor(scores: tf.Tensor, keepCount: number, selector: ScoreSelector): tf.Tensor {
  if (keepCount === 0) return tf.zerosLike(scores);
  if (keepCount === scores.size) return tf.onesLike(scores);
  const values = tensorValues(scores);
  const selection = selector.select(values, keepCount);
  if (selection.exact && Number.isFinite(selection.threshold)) {
    return tf.tidy(() => tf.step(tf.sub(tf.abs(scores), float32Below(selection.threshold))));
  }
  const mask = new Float32Array(scores.size);
  fillMask(values, keepCount, selection, mask);
  return tf.tensor(mask, scores.shape);
}

/**
 * sign(s) in two fast wasm ops: clip(s·2^100, −1, 1) is exactly ±1 for |s| ≥ 2^−100 and 0 at s = 0 (tf.sign has
 * no fast wasm kernel: ~30× slower). Scores are never that small except when exactly 0.
 */
export function signOf(s: tf.Tensor): tf.Tensor {
  return tf.clipByValue(tf.mul(s, 2 ** 100), -1, 1);
}

/**
 * The straight-through masked weight: value W ⊙ mask, gradient to the scores (∂L/∂W_eff) ⊙ W ⊙ sign(s). Every
 * score gets a gradient, kept or not: that is how pruned weights come back. W and mask are constants here.
 */
export function maskedWeight(weight: tf.Tensor, mask: tf.Tensor, scores: tf.Tensor): tf.Tensor {
  const op = tf.customGrad((s, save) => {
    (save as tf.GradSaveFunc)([s as tf.Tensor]);
    return {
      value: tf.mul(weight, mask),
      gradFunc: (dy, saved) => tf.mul(tf.mul(dy as tf.Tensor, weight), signOf((saved as tf.Tensor[])[0]!)),
    };
  });
  return op(scores);
}

/**
 * a·b for a [m, k] (a small batch), b [k, n] (a large weight): backward da = (b·dyᵀ)ᵀ and db = aᵀ·dy, so only the
 * small operands are ever transposed (ops.ts's matMul transposes b, a full pass over the big weight every step).
 */
function makeSmallBatchMatMul(inputGradient: boolean): (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D {
  const op = tf.customGrad((a, b, save) => {
    (save as tf.GradSaveFunc)([a as tf.Tensor2D, b as tf.Tensor2D]);
    return {
      value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
      gradFunc: (dy, saved) => {
        const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
        const g = dy as tf.Tensor2D;
        const da = inputGradient ? tf.transpose(tf.matMul(sb, tf.transpose(g))) : tf.zerosLike(sa);
        return [da, tf.matMul(tf.transpose(sa), g)];
      },
    };
  });
  return (a, b) => op(a, b) as tf.Tensor2D;
}

const smallBatchMatMulWithInputGradient = makeSmallBatchMatMul(true);
const smallBatchMatMulWithoutInputGradient = makeSmallBatchMatMul(false);

/** See makeSmallBatchMatMul; with `inputGradient` false da is zeros, not computed (for data inputs). */
export function smallBatchMatMul(a: tf.Tensor2D, b: tf.Tensor2D, inputGradient = true): tf.Tensor2D {
  return inputGradient ? smallBatchMatMulWithInputGradient(a, b) : smallBatchMatMulWithoutInputGradient(a, b);
}

