/**
 * A small MNIST MLP trained in the page, without TensorFlow.js: mini-batch Adam on the mean softmax cross-entropy,
 * gradients from the toolkit's float64 reference backward pass (src/nn/backward.ts), weights initialised and
 * batches shuffled from counter-based streams (a seed gives the same network on every run in one browser; the
 * loss's exp and log are the engine's, so not across engines). The result is a safetensors
 * file like `lottery train` writes, so pruning and verifying it goes through exactly the path a file would.
 */
import type { ProgressListener } from '../core/progress.js';
import { RandomStream, namedStream } from '../core/random.js';
import { modelMetadata, modelTensors } from '../io/modelBytes.js';
import { encodeSafetensorsBytes } from '../io/safetensors.js';
import { denseLayer } from '../nn/architectures.js';
import { networkGradients, type ParameterValues } from '../nn/backward.js';
import { preprocessImages } from '../nn/images.js';
import type { Network } from '../nn/network.js';

export interface PageTrainingOptions {
  hidden: number;
  epochs: number;
  batch: number;
  learningRate: number;
  seed: number;
  /** Batches done of all batches; the phase names the epoch. */
  onProgress?: ProgressListener;
  /** The mean loss of each batch. */
  onLoss?: (loss: number) => void;
  /** Lets the page breathe (draw the progress bar) between batches. */
  yieldToPage?: () => Promise<void>;
}

export const PAGE_TRAINING_DEFAULTS: Omit<PageTrainingOptions, 'onProgress' | 'onLoss' | 'yieldToPage'> = { hidden: 32, epochs: 4, batch: 50, learningRate: 2e-3, seed: 1 };

/** Trains 784-hidden-10 (with biases, ReLU) on the images (u8 pixels, row-major) and returns its safetensors bytes. */
export async function trainPageMlp(images: Uint8Array, labels: Uint8Array, count: number, options: PageTrainingOptions): Promise<{ bytes: Uint8Array; network: Network; finalLoss: number }> {
  const { hidden, epochs, batch, learningRate, seed } = options;
  const fc1 = denseLayer('fc1', 784, hidden, true);
  const fc2 = denseLayer('fc2', hidden, 10, true);
  const network: Network = { inputShape: [784], layers: [fc1, { kind: 'relu' }, fc2], arch: `mlp:784-${hidden}-10`, preprocess: 'pixels' };
  // He-uniform initialisation (as torch's kaiming_uniform for ReLU) from the stream "web/train/init".
  const init = new RandomStream(seed, namedStream('web/train/init'));
  const parameters: ParameterValues = [
    { weight: new Float64Array(784 * hidden), bias: new Float64Array(hidden) },
    null,
    { weight: new Float64Array(hidden * 10), bias: new Float64Array(10) },
  ];
  let counter = 0;
  for (const [p, fanIn] of [[parameters[0]!, 784], [parameters[2]!, hidden]] as const) {
    const bound = Math.sqrt(6 / fanIn);
    for (let i = 0; i < p.weight.length; i++) p.weight[i] = init.uniform(counter++, -bound, bound);
  }
  const inputs = preprocessImages(images, 'pixels', 0, count);
  const order = new RandomStream(seed, namedStream('web/train/order'));
  const flat = (): Float64Array[] => parameters.flatMap((p) => (p ? [p.weight, p.bias!] : []));
  const m = flat().map((a) => new Float64Array(a.length));
  const v = flat().map((a) => new Float64Array(a.length));
  const beta1 = 0.9;
  const beta2 = 0.999;
  let correction1 = 1; // 1 − β^t, kept as running products
  let correction2 = 1;
  let power1 = 1;
  let power2 = 1;
  let finalLoss = NaN;
  const batches = Math.floor(count / batch);
  const permutation = new Int32Array(count);
  const x = new Float64Array(batch * 784);
  const y = new Uint8Array(batch);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = 0; i < count; i++) permutation[i] = i;
    for (let i = count - 1; i > 0; i--) {
      const j = Math.floor(order.uniform01(epoch * count + i) * (i + 1));
      const t = permutation[i]!;
      permutation[i] = permutation[j]!;
      permutation[j] = t;
    }
    for (let b = 0; b < batches; b++) {
      for (let k = 0; k < batch; k++) {
        const sample = permutation[b * batch + k]!;
        x.set(inputs.subarray(sample * 784, (sample + 1) * 784), k * 784);
        y[k] = labels[sample]!;
      }
      const g = networkGradients(network, x, y, batch, parameters);
      finalLoss = g.loss;
      const grads = g.layers.flatMap((p) => (p ? [p.weight, p.bias!] : []));
      power1 *= beta1;
      power2 *= beta2;
      correction1 = 1 - power1;
      correction2 = 1 - power2;
      flat().forEach((w, a) => {
        const d = grads[a]!;
        const ma = m[a]!;
        const va = v[a]!;
        for (let i = 0; i < w.length; i++) {
          ma[i] = beta1 * ma[i]! + (1 - beta1) * d[i]!;
          va[i] = beta2 * va[i]! + (1 - beta2) * d[i]! * d[i]!;
          w[i]! -= (learningRate * (ma[i]! / correction1)) / (Math.sqrt(va[i]! / correction2) + 1e-8);
        }
      });
      options.onLoss?.(finalLoss);
      options.onProgress?.(epoch * batches + b + 1, epochs * batches, `epoch ${epoch + 1} of ${epochs}`);
      if (options.yieldToPage) await options.yieldToPage();
    }
  }
  fc1.weight.set(parameters[0]!.weight);
  fc1.bias!.set(parameters[0]!.bias!);
  fc2.weight.set(parameters[2]!.weight);
  fc2.bias!.set(parameters[2]!.bias!);
  return { bytes: encodeSafetensorsBytes(modelTensors(network), modelMetadata(network)), network, finalLoss };
}
