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
import { denseWeightFromTf, denseWeightToTf } from '../nn/tf/model.js';
import { epochOrder, scheduledLearningRate, type LearningRateSchedule } from '../nn/train.js';
import { softmaxCrossEntropy } from '../nn/tf/ops.js';
import { PopupTrainer, defaultPopupThreads, fastTrainable } from './engine.js';
import { ScoreSelector, keptCount, maskTensor, maskedWeight, smallBatchMatMul, tensorValues, topKMask } from './masks.js';
import { checkPopupNetwork, maskedLayers, type MaskedLayer, type PopupNetwork, type PopupOptimizerOptions } from './network.js';

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
