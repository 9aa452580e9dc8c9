/**
 * Edge-popup (Ramanujan et al., "What's hidden in a randomly weighted neural network?", CVPR 2020): the weights of
 * a random network stay frozen, every weight gets a real score s, the forward pass uses W ⊙ m with m keeping the
 * top round(keepFraction·size) of |s| in each weight tensor, and the backward pass sends the gradient straight
 * through the 0/1 mask: ∂L/∂s = (∂L/∂W_eff) ⊙ W ⊙ sign(s) (the sign comes from ranking |s|). Here: the exact
 * top-k mask with a deterministic tie-break, the straight-through op, score and weight initialisation as in the
 * paper's code (allenai/hidden-networks; acnagle/optimal-lottery-tickets), and a tfjs model that trains the scores.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError, RunError } from '../core/errors.js';
import { RandomStream } from '../core/random.js';
import { denseWeightFromTf, denseWeightToTf } from '../nn/tf/model.js';
import { epochOrder, scheduledLearningRate, type LearningRateSchedule } from '../nn/train.js';
import { softmaxCrossEntropy } from '../nn/tf/ops.js';
import { PopupTrainer, defaultPopupThreads, fastTrainable } from './engine.js';

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

// ───────────────────────────── networks ─────────────────────────────

/**
 * A layer of a network trained by edge-popup. `spread` is the block-diagonal first half of the paper's
 * redundant layer: input j copied `copies` times, copy t multiplied by its own weight u[t·features + j]
 * (slot-major, as the Theorem-1 random network numbers its hidden units), giving copies·features outputs.
 * `dense` is an ordinary fully connected layer, weight [out, in]. Every spread/dense weight tensor is masked.
 */
export type PopupLayer = PopupSpreadLayer | PopupDenseLayer | { kind: 'relu' };

export interface PopupSpreadLayer {
  kind: 'spread';
  name: string;
  features: number;
  copies: number;
  /** [copies · features], u[t·features + j]; the frozen weights as the network uses them. */
  weight: Float32Array;
  /** Initial scores, same layout. */
  scores: Float32Array;
}

export interface PopupDenseLayer {
  kind: 'dense';
  name: string;
  inFeatures: number;
  outFeatures: number;
  /** [outFeatures, inFeatures] row-major. */
  weight: Float32Array;
  scores: Float32Array;
}

/** An edge-popup network on flat inputs (pixels, or the features of frozen conv layers). */
export interface PopupNetwork {
  inputFeatures: number;
  classes: number;
  layers: PopupLayer[];
}

export type MaskedLayer = PopupSpreadLayer | PopupDenseLayer;

export function maskedLayers(network: PopupNetwork): MaskedLayer[] {
  return network.layers.filter((l): l is MaskedLayer => l.kind !== 'relu');
}

/** Checks shapes and the chain of widths; throws InputError naming the layer. */
export function checkPopupNetwork(network: PopupNetwork): void {
  let width = network.inputFeatures;
  for (const layer of network.layers) {
    if (layer.kind === 'relu') continue;
    const inWidth = layer.kind === 'spread' ? layer.features : layer.inFeatures;
    const size = layer.kind === 'spread' ? layer.features * layer.copies : layer.inFeatures * layer.outFeatures;
    if (inWidth !== width) throw new InputError(`popup network: layer ${layer.name} expects ${inWidth} inputs, receives ${width}`);
    if (layer.weight.length !== size || layer.scores.length !== size) {
      throw new InputError(`popup network: layer ${layer.name} needs ${size} weights and scores, has ${layer.weight.length} and ${layer.scores.length}`);
    }
    width = layer.kind === 'spread' ? layer.features * layer.copies : layer.outFeatures;
  }
  if (width !== network.classes) throw new InputError(`popup network: ends with ${width} outputs, expected ${network.classes} classes`);
}

// ───────────────────────────── initialisation ─────────────────────────────

/**
 * Frozen-weight initialisation: `kaiming-normal` draws N(0, std²); `signed-kaiming-constant` (Ramanujan et al.'s
 * best variant) keeps only the sign of that draw: ±std. Either way the same draw decides the sign.
 */
export type PopupWeightInit = 'kaiming-normal' | 'signed-kaiming-constant';
export const POPUP_WEIGHT_INITS: readonly PopupWeightInit[] = ['kaiming-normal', 'signed-kaiming-constant'];

/** Fills `out` from stream indices 0… with the scheme at this standard deviation. */
export function initWeights(stream: RandomStream, init: PopupWeightInit, std: number, out: Float32Array): void {
  stream.fill({ kind: 'normal', mean: 0, std }, 0, out);
  if (init === 'signed-kaiming-constant') {
    const c = Math.fround(std);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! < 0 ? -c : c;
  }
}

/**
 * Scores U[−bound, bound) from stream indices 0…: the hidden-networks code uses kaiming_uniform_(a = √5), i.e.
 * bound = 1/√fanIn; the redundant layers of the subset-sum paper's code use bound = the weight std.
 */
export function initScores(stream: RandomStream, bound: number, out: Float32Array): void {
  stream.fill({ kind: 'uniform', low: -bound, high: bound }, 0, out);
}

// ───────────────────────────── training ─────────────────────────────

/** SGD with momentum and weight decay on the scores, PyTorch's rule: g += wd·s; buf = μ·buf + g; s −= lr·buf. */
export interface PopupOptimizerOptions {
  momentum: number;
  weightDecay: number;
}

interface TfMaskedLayer {
  layer: MaskedLayer;
  /** dense: [in, out]; spread: [1, copies, features]. */
  weight: tf.Tensor;
  scores: tf.Variable;
  momentum: tf.Variable;
  keepCount: number;
}

/**
 * The tf twin of a PopupNetwork at one keep fraction: frozen weights as constants, scores as variables. Masks are
 * recomputed from the scores before every forward pass. Call dispose() when done.
 */
export class PopupModel {
  readonly network: PopupNetwork;
  readonly keepFraction: number;
  private readonly layers: TfMaskedLayer[] = [];
  private readonly selector = new ScoreSelector();
  private steps = 0;

  constructor(network: PopupNetwork, keepFraction: number) {
    checkPopupNetwork(network);
    this.network = network;
    this.keepFraction = keepFraction;
    for (const layer of maskedLayers(network)) {
      const size = layer.weight.length;
      const keepCount = keptCount(size, keepFraction);
      const shape: number[] = layer.kind === 'dense' ? [layer.inFeatures, layer.outFeatures] : [1, layer.copies, layer.features];
      const toTf = (values: Float32Array) => (layer.kind === 'dense' ? denseWeightToTf(values, layer.outFeatures, layer.inFeatures) : values);
      const weight = tf.tensor(toTf(layer.weight), shape);
      // tf.tidy disposes the initial tensors; the variables (which share their data) survive it.
      const scores = tf.tidy(() => tf.variable(tf.tensor(toTf(layer.scores), shape), true));
      const momentum = tf.tidy(() => tf.variable(tf.zeros(shape), false));
      this.layers.push({ layer, weight, scores, momentum, keepCount });
    }
  }

  /** Scores, in the order of maskedLayers(network). */
  variables(): tf.Variable[] {
    return this.layers.map((l) => l.scores);
  }

  /** Total masked weights and how many of them the masks keep. */
  counts(): { total: number; kept: number } {
    let total = 0;
    let kept = 0;
    for (const l of this.layers) {
      total += l.weight.size;
      kept += l.keepCount;
    }
    return { total, kept };
  }

  /** Current masks as tensors (caller disposes, or calls inside tf.tidy). */
  masks(): tf.Tensor[] {
    return this.layers.map((l) => maskTensor(l.scores, l.keepCount, this.selector));
  }

  /** Logits [N, classes] for inputs [N, inputFeatures] with these masks. */
  apply(x: tf.Tensor2D, masks: readonly tf.Tensor[]): tf.Tensor2D {
    let h: tf.Tensor2D = x;
    let m = 0;
    let isData = true;
    for (const layer of this.network.layers) {
      if (layer.kind === 'relu') {
        h = tf.relu(h);
        continue;
      }
      const l = this.layers[m]!;
      const w = maskedWeight(l.weight, masks[m]!, l.scores);
      m++;
      if (layer.kind === 'spread') {
        // [B, 1, d] ⊙ [1, r, d] → [B, r, d] → [B, r·d]: broadcasting copies the input (tf.tile and its slice
        // gradient are ~20× slower on wasm); column t·d + j is copy t of input j.
        const batch = h.shape[0];
        h = tf.reshape(tf.mul(tf.reshape(h, [batch, 1, layer.features]), w), [batch, layer.copies * layer.features]);
      } else {
        h = smallBatchMatMul(h, w as tf.Tensor2D, !isData);
      }
      isData = false;
    }
    return h;
  }

  /**
   * One SGD step on a batch: masks from the current scores, loss, straight-through gradients, update.
   * Returns the batch's mean loss and the predicted classes (made before the update).
   */
  trainStep(x: tf.Tensor2D, labels: tf.Tensor1D, learningRate: number, options: PopupOptimizerOptions): { loss: number; predicted: Int32Array } {
    return tf.tidy(() => {
      const masks = this.masks();
      const kept: { logits?: tf.Tensor2D } = {};
      const scores = this.variables();
      const { value, grads } = tf.variableGrads(() => {
        kept.logits = tf.keep(this.apply(x, masks));
        return softmaxCrossEntropy(kept.logits, tf.oneHot(labels, kept.logits.shape[1]).toFloat() as tf.Tensor2D);
      }, scores);
      const first = this.steps === 0;
      for (const l of this.layers) {
        let g = grads[l.scores.name]!;
        if (options.weightDecay !== 0) g = tf.add(g, tf.mul(l.scores, options.weightDecay));
        let direction = g;
        if (options.momentum !== 0) {
          direction = first ? g : tf.add(tf.mul(l.momentum, options.momentum), g);
          l.momentum.assign(direction);
        }
        l.scores.assign(tf.sub(l.scores, tf.mul(direction, learningRate)));
      }
      this.steps++;
      const loss = value.dataSync()[0]!;
      const predicted = tf.argMax(kept.logits!, 1).dataSync() as Int32Array;
      kept.logits!.dispose();
      return { loss, predicted };
    });
  }

  /** Predicted classes of `count` inputs (row-major, inputFeatures each), in chunks. */
  predict(inputs: Float32Array, count: number, batchSize = 2000): Int32Array {
    const out = new Int32Array(count);
    const features = this.network.inputFeatures;
    tf.tidy(() => {
      const masks = this.masks();
      for (let start = 0; start < count; start += batchSize) {
        const n = Math.min(batchSize, count - start);
        tf.tidy(() => {
          const x = tf.tensor2d(inputs.subarray(start * features, (start + n) * features), [n, features]);
          out.set(tf.argMax(this.apply(x, masks), 1).dataSync() as Int32Array, start);
        });
      }
    });
    return out;
  }

  /**
   * Predicted classes of `count` inputs by the layered network (spread, ReLU, dense products as the network is
   * drawn) with these masks (PopupNetwork layouts, order of maskedLayers) instead of the model's own.
   */
  predictWithMasks(inputs: Float32Array, count: number, masks: readonly Uint8Array[], batchSize = 2000): Int32Array {
    if (masks.length !== this.layers.length) throw new RangeError(`${masks.length} masks for ${this.layers.length} masked layers`);
    const out = new Int32Array(count);
    const features = this.network.inputFeatures;
    tf.tidy(() => {
      const tfMasks = this.layers.map((l, i) => {
        const mask = Float32Array.from(masks[i]!);
        const values = l.layer.kind === 'dense' ? denseWeightToTf(mask, l.layer.outFeatures, l.layer.inFeatures) : mask;
        return tf.tensor(values, l.weight.shape);
      });
      for (let start = 0; start < count; start += batchSize) {
        const n = Math.min(batchSize, count - start);
        tf.tidy(() => {
          const x = tf.tensor2d(inputs.subarray(start * features, (start + n) * features), [n, features]);
          out.set(tf.argMax(this.apply(x, tfMasks), 1).dataSync() as Int32Array, start);
        });
      }
    });
    return out;
  }

  /** The current 0/1 masks in the PopupNetwork layouts (dense [out, in], spread [copies·features]). */
  maskArrays(): Uint8Array[] {
    return this.layers.map((l) => {
      const values = new Float32Array(tensorValues(l.scores));
      const mask = topKMask(values, l.keepCount, this.selector);
      if (l.layer.kind !== 'dense') return mask;
      const asFloat = denseWeightFromTf(Float32Array.from(mask), l.layer.outFeatures, l.layer.inFeatures);
      return Uint8Array.from(asFloat);
    });
  }

  /** Current scores in the PopupNetwork layouts. */
  scoreArrays(): Float32Array[] {
    return this.layers.map((l) => {
      const values = new Float32Array(tensorValues(l.scores));
      return l.layer.kind === 'dense' ? denseWeightFromTf(values, l.layer.outFeatures, l.layer.inFeatures) : values;
    });
  }

  dispose(): void {
    for (const l of this.layers) {
      l.weight.dispose();
      l.scores.dispose();
      l.momentum.dispose();
    }
    this.layers.length = 0;
  }
}

/** Preprocessed examples: count × features float32 inputs, one after another, and their labels. */
export interface PopupExamples {
  inputs: Float32Array;
  labels: Uint8Array;
  count: number;
}

export interface PopupTrainOptions extends PopupOptimizerOptions {
  keepFraction: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** 'cosine': lr·½(1 + cos(π·e/E)) in epoch e = 0…E−1 (PyTorch's CosineAnnealingLR stepped per epoch). */
  schedule: LearningRateSchedule;
  /** Seeds the per-epoch shuffling (src/nn/train.ts epochOrder, stream train/shuffle). */
  seed: number;
  test?: PopupExamples;
  /** After the training batches of an epoch, before its evaluation (lets the caller time training alone). */
  onEpochTrained?: (epoch: number) => void;
  onEpoch?: (record: PopupEpochRecord) => void;
  onBatch?: (done: number, total: number) => void;
  /**
   * 'fast' (src/popup/engine.ts, the default when the network is a chain of [relu] [spread [relu]] dense
   * blocks) or 'reference' (PopupModel: tf autodiff through the layered network).
   */
  engine?: 'fast' | 'reference';
  /** Threads of the fast engine (default: defaultPopupThreads); results do not depend on it. */
  threads?: number;
}

export interface PopupEpochRecord {
  /** 1-based. */
  epoch: number;
  learningRate: number;
  /** Mean cross-entropy over the epoch's batches, measured while training. */
  trainLoss: number;
  /** Fraction of training examples classified correctly while training (before each batch's update). */
  trainAccuracy: number;
  /** With a test set: accuracy of the masked network after the epoch. */
  testAccuracy?: number;
}

export interface PopupTrainResult {
  history: PopupEpochRecord[];
  /** Masked weights and kept weights (Σ over tensors of round(keepFraction·size)). */
  total: number;
  kept: number;
  /** Final masks in the PopupNetwork layouts, one per masked layer. */
  masks: Uint8Array[];
}

/** Fraction of `count` predictions equal to the labels. */
export function accuracyOf(predicted: Int32Array, labels: Uint8Array, count: number): number {
  let correct = 0;
  for (let i = 0; i < count; i++) if (predicted[i] === labels[i]) correct++;
  return count > 0 ? correct / count : NaN;
}

/**
 * Edge-popup training of the scores of `network` (weights frozen) at `keepFraction`, mini-batch SGD with momentum
 * and weight decay. Every tf tensor made here is released before returning. Deterministic for fixed inputs.
 * Needs the tfjs backend initialised (src/nn/tf/backend.ts initTf).
 */
export function trainPopup(network: PopupNetwork, train: PopupExamples, options: PopupTrainOptions): PopupTrainResult {
  const features = network.inputFeatures;
  if (train.count < 1 || train.inputs.length < train.count * features || train.labels.length < train.count) {
    throw new InputError(`edge-popup: ${train.count} training examples do not fit ${train.inputs.length} input values of ${features} features`);
  }
  if (!Number.isSafeInteger(options.epochs) || options.epochs < 1) throw new InputError(`edge-popup: epochs must be a positive integer, got ${options.epochs}`);
  if (!Number.isSafeInteger(options.batchSize) || options.batchSize < 1) throw new InputError(`edge-popup: batchSize must be a positive integer, got ${options.batchSize}`);
  const engine = options.engine ?? (fastTrainable(network) ? 'fast' : 'reference');
  const reference = engine === 'reference' ? new PopupModel(network, options.keepFraction) : null;
  const fast = engine === 'fast' ? new PopupTrainer(network, options.keepFraction, options.batchSize, options.threads ?? defaultPopupThreads(network)) : null;
  const batch = new Float32Array(options.batchSize * features);
  const batchLabels = new Int32Array(options.batchSize);
  const batchesPerEpoch = Math.ceil(train.count / options.batchSize);
  const history: PopupEpochRecord[] = [];
  const masks = (): Uint8Array[] => (fast !== null ? fast.maskArrays() : reference!.maskArrays());
  let done = 0;
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const learningRate = scheduledLearningRate(options.learningRate, options.schedule, epoch, options.epochs);
      const order = epochOrder(train.count, options.seed, epoch);
      let lossSum = 0;
      let correct = 0;
      for (let from = 0; from < train.count; from += options.batchSize) {
        const n = Math.min(options.batchSize, train.count - from);
        for (let b = 0; b < n; b++) {
          const example = order[from + b]!;
          batch.set(train.inputs.subarray(example * features, (example + 1) * features), b * features);
          batchLabels[b] = train.labels[example]!;
        }
        const step =
          fast !== null
            ? fast.trainStep(batch, batchLabels, n, learningRate, options)
            : tf.tidy(() => {
                const x = tf.tensor2d(batch.subarray(0, n * features), [n, features]);
                const y = tf.tensor1d(batchLabels.subarray(0, n), 'int32');
                return reference!.trainStep(x, y, learningRate, options);
              });
        if (!Number.isFinite(step.loss)) {
          throw new RunError(`edge-popup diverged: loss ${step.loss} in epoch ${epoch + 1}; lower the learning rate (now ${options.learningRate})`);
        }
        lossSum += step.loss * n;
        for (let b = 0; b < n; b++) if (step.predicted[b] === batchLabels[b]) correct++;
        done++;
        options.onBatch?.(done, batchesPerEpoch * options.epochs);
      }
      options.onEpochTrained?.(epoch + 1);
      const record: PopupEpochRecord = { epoch: epoch + 1, learningRate, trainLoss: lossSum / train.count, trainAccuracy: correct / train.count };
      if (options.test !== undefined) record.testAccuracy = accuracyOf(layeredPredictions(network, masks(), options.test), options.test.labels, options.test.count);
      history.push(record);
      options.onEpoch?.(record);
    }
    const counts = fast !== null ? fast.counts() : reference!.counts();
    return { history, ...counts, masks: masks() };
  } finally {
    reference?.dispose();
    fast?.dispose();
  }
}

/** Predictions of the layered masked network (PopupModel's products, these masks) on a test set. */
export function layeredPredictions(network: PopupNetwork, masks: readonly Uint8Array[], test: PopupExamples): Int32Array {
  const model = new PopupModel(network, 1);
  try {
    return model.predictWithMasks(test.inputs, test.count, masks);
  } finally {
    model.dispose();
  }
}
