/**
 * Classification metrics of a network on an MNIST split: accuracy, mean cross-entropy (natural log, from
 * logits through a max-shifted log-sum-exp), per-class accuracy and the predicted labels. The forward pass
 * runs in chunks so memory stays bounded (LeNet5's first activations are 18 KB per image). Single-threaded on
 * purpose: splitting the 10,000 test images over two worker threads was measured slower on the 2-core machine
 * (each worker's start, module loading and network compilation cost ~0.15 s of CPU, close to fc2's whole
 * evaluation, and the cores are shared).
 */
import { InputError } from '../core/errors.js';
import { MNIST_CLASSES, MNIST_PIXELS, preprocessImages, type MnistSet } from './images.js';
import { compileNetwork } from './forward.js';
import { parameterCount, type Network, type Preprocess } from './network.js';

export interface LogitsEvaluation {
  /** Fraction of rows whose largest logit is the label's, in [0, 1]. */
  accuracy: number;
  /** Mean over rows of −log softmax(logits)[label] (natural log). */
  loss: number;
  correct: number;
  count: number;
  /** Per class c: correct / count over rows labelled c (NaN when no row has label c). */
  perClassAccuracy: number[];
  perClassCorrect: number[];
  perClassCount: number[];
  /** Index of the largest logit per row (the first one on ties; a NaN logit counts as largest, as torch.argmax). */
  predictions: Uint8Array;
}

export interface EvaluationResult extends LogitsEvaluation {
  /** Weights and biases of the network. */
  params: number;
}

export interface EvaluateOptions {
  /** Overrides the network's recorded preprocessing (default: network.preprocess, else 'pixels'). */
  preprocess?: Preprocess;
  /** Images per forward pass (memory bound); default 1000. Results do not depend on it. */
  batchSize?: number;
}

/** Running sums of evaluateLogits over consecutive chunks of rows. */
class LogitsTally {
  correct = 0;
  lossSum = 0;
  readonly perClassCorrect: number[];
  readonly perClassCount: number[];
  readonly predictions: Uint8Array;

  constructor(
    readonly classes: number,
    readonly count: number,
  ) {
    this.perClassCorrect = new Array<number>(classes).fill(0);
    this.perClassCount = new Array<number>(classes).fill(0);
    this.predictions = new Uint8Array(count);
  }

  /** Adds rows start … start + labels.length − 1 (logits row-major, `classes` per row). */
  add(logits: Float32Array | Float64Array, labels: Uint8Array, start: number): void {
    const classes = this.classes;
    for (let r = 0; r < labels.length; r++) {
      const row = r * classes;
      const label = labels[r]!;
      let best = 0;
      let max = logits[row]!;
      for (let c = 1; c < classes; c++) {
        const v = logits[row + c]!;
        if (v > max || (Number.isNaN(v) && !Number.isNaN(max))) {
          max = v;
          best = c;
        }
      }
      // log Σ exp(l_c) = max + log Σ exp(l_c − max): no overflow, and the largest term is exactly 1.
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(logits[row + c]! - max);
      this.lossSum += max + Math.log(sum) - logits[row + label]!;
      this.predictions[start + r] = best;
      this.perClassCount[label]!++;
      if (best === label) {
        this.correct++;
        this.perClassCorrect[label]!++;
      }
    }
  }

  result(): LogitsEvaluation {
    const { correct, count } = this;
    return {
      accuracy: count > 0 ? correct / count : NaN,
      loss: count > 0 ? this.lossSum / count : NaN,
      correct,
      count,
      perClassAccuracy: this.perClassCorrect.map((c, i) => (this.perClassCount[i]! > 0 ? c / this.perClassCount[i]! : NaN)),
      perClassCorrect: [...this.perClassCorrect],
      perClassCount: [...this.perClassCount],
      predictions: this.predictions,
    };
  }
}

function checkLabels(labels: Uint8Array, classes: number, start = 0): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! >= classes) throw new RangeError(`label ${start + i} is ${labels[i]}, but there are only ${classes} classes`);
  }
}

/** Metrics of logits (row-major, labels.length rows of classes = logits.length / labels.length values). */
export function evaluateLogits(logits: Float32Array | Float64Array, labels: Uint8Array): LogitsEvaluation {
  if (labels.length === 0 || logits.length % labels.length !== 0) {
    throw new RangeError(`evaluateLogits: ${logits.length} logits do not split into ${labels.length} rows`);
  }
  const classes = logits.length / labels.length;
  if (classes > 256) throw new RangeError(`evaluateLogits: ${classes} classes do not fit the Uint8Array predictions`);
  checkLabels(labels, classes);
  const tally = new LogitsTally(classes, labels.length);
  tally.add(logits, labels, 0);
  return tally.result();
}

/** Accuracy, loss and per-class accuracy of `network` on `set` (all of its images). */
export function evaluate(network: Network, set: MnistSet, options: EvaluateOptions = {}): EvaluationResult {
  const preprocess = options.preprocess ?? network.preprocess ?? 'pixels';
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`evaluate: batchSize must be a positive integer, got ${batchSize}`);
  const compiled = compileNetwork(network);
  if (compiled.inputSize !== MNIST_PIXELS) {
    throw new InputError(`network takes inputs of ${compiled.inputSize} values ([${network.inputShape}]), MNIST images have ${MNIST_PIXELS}`);
  }
  if (compiled.outputSize !== MNIST_CLASSES) {
    throw new InputError(`network has ${compiled.outputSize} outputs, MNIST has ${MNIST_CLASSES} classes`);
  }
  checkLabels(set.labels.subarray(0, set.count), MNIST_CLASSES);
  const tally = new LogitsTally(MNIST_CLASSES, set.count);
  for (let start = 0; start < set.count; start += batchSize) {
    const n = Math.min(batchSize, set.count - start);
    const logits = compiled.run(preprocessImages(set.images, preprocess, start, n), n);
    tally.add(logits, set.labels.subarray(start, start + n), start);
  }
  return { ...tally.result(), params: parameterCount(network) };
}

/** What `lottery eval --json` prints. */
export interface EvalCommandReport {
  accuracy: number;
  loss: number;
  params: number;
  perClassAccuracy: number[];
  count: number;
  preprocess: Preprocess;
  seconds: number;
}
