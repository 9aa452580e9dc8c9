/**
 * A Network held as TensorFlow.js variables, with a forward pass for every layer kind of
 * src/nn/network.ts. Inside tfjs, images are NHWC and weights are stored in the layouts the fast
 * kernels want (dense [in, out], conv2d [KH, KW, in, out]); conversion from and to PyTorch's layouts
 * (dense [out, in], conv2d [out, in, KH, KW], activations NCHW) happens only at the edges, so the
 * flatten order and every weight match src/nn/forward.ts exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { isParameterised, type Layer, type Network } from '../network.js';
import { conv2d, matMul, softmaxCrossEntropy } from './ops.js';

/** PyTorch dense weight [out, in] → tfjs matMul operand [in, out]. */
export function denseWeightToTf(weight: Float32Array, outFeatures: number, inFeatures: number): Float32Array {
  const out = new Float32Array(weight.length);
  for (let o = 0; o < outFeatures; o++) {
    const row = o * inFeatures;
    for (let i = 0; i < inFeatures; i++) out[i * outFeatures + o] = weight[row + i]!;
  }
  return out;
}

/** tfjs [in, out] → PyTorch [out, in]. */
export function denseWeightFromTf(values: Float32Array, outFeatures: number, inFeatures: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < inFeatures; i++) {
    const row = i * outFeatures;
    for (let o = 0; o < outFeatures; o++) out[o * inFeatures + i] = values[row + o]!;
  }
  return out;
}

/** PyTorch conv weight [O, I, K, K] → tfjs filter [K, K, I, O]. */
export function conv2dWeightToTf(weight: Float32Array, outChannels: number, inChannels: number, kernelSize: number): Float32Array {
  const out = new Float32Array(weight.length);
  const k2 = kernelSize * kernelSize;
  for (let o = 0; o < outChannels; o++) {
    for (let c = 0; c < inChannels; c++) {
      for (let p = 0; p < k2; p++) out[(p * inChannels + c) * outChannels + o] = weight[(o * inChannels + c) * k2 + p]!;
    }
  }
  return out;
}

/** tfjs filter [K, K, I, O] → PyTorch [O, I, K, K]. */
export function conv2dWeightFromTf(values: Float32Array, outChannels: number, inChannels: number, kernelSize: number): Float32Array {
  const out = new Float32Array(values.length);
  const k2 = kernelSize * kernelSize;
  for (let o = 0; o < outChannels; o++) {
    for (let c = 0; c < inChannels; c++) {
      for (let p = 0; p < k2; p++) out[(o * inChannels + c) * k2 + p] = values[(p * inChannels + c) * outChannels + o]!;
    }
  }
  return out;
}

export interface TfParameter {
  /** Index of the dense or conv2d layer in network.layers. */
  layerIndex: number;
  weight: tf.Variable;
  bias: tf.Variable | null;
}

function flattenNhwc(x: tf.Tensor4D): tf.Tensor2D {
  const [n, h, w, c] = x.shape;
  // torch.flatten of NCHW reads channel-major: go back to NCHW first (a no-op layout when c = 1).
  const nchw = c === 1 ? x : tf.transpose(x, [0, 3, 1, 2]);
  return tf.reshape(nchw, [n, c * h * w]);
}

/**
 * The trainable twin of a Network. Weights live in tf variables until `toNetwork()` copies them out;
 * call `dispose()` when done (tf memory is not garbage-collected).
 */
export class TfModel {
  readonly network: Network;
  readonly parameters: TfParameter[] = [];
  private readonly byLayer = new Map<number, TfParameter>();

  constructor(network: Network, trainable = true) {
    this.network = network;
    network.layers.forEach((layer, layerIndex) => {
      if (!isParameterised(layer)) return;
      // tf.tidy disposes the initial tensors; the variables (which share their data) survive it.
      const weight = tf.tidy(() =>
        layer.kind === 'dense'
          ? tf.variable(tf.tensor2d(denseWeightToTf(layer.weight, layer.outFeatures, layer.inFeatures), [layer.inFeatures, layer.outFeatures]), trainable)
          : tf.variable(
              tf.tensor4d(conv2dWeightToTf(layer.weight, layer.outChannels, layer.inChannels, layer.kernelSize), [layer.kernelSize, layer.kernelSize, layer.inChannels, layer.outChannels]),
              trainable,
            ),
      );
      const bias = layer.bias === null ? null : tf.tidy(() => tf.variable(tf.tensor1d(layer.bias!), trainable));
      const parameter = { layerIndex, weight, bias };
      this.parameters.push(parameter);
      this.byLayer.set(layerIndex, parameter);
    });
  }

  variables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (const p of this.parameters) {
      out.push(p.weight);
      if (p.bias !== null) out.push(p.bias);
    }
    return out;
  }

  /**
   * Model input from `count` examples in PyTorch layout ([count, ...inputShape], row-major):
   * [count, features] for a flat input, NHWC [count, H, W, C] for an image input [C, H, W].
   */
  inputTensor(data: Float32Array, count: number): tf.Tensor {
    const shape = this.network.inputShape;
    if (shape.length === 3) {
      const [c, h, w] = shape as [number, number, number];
      if (c === 1) return tf.tensor4d(data, [count, h, w, 1]);
      return tf.tidy(() => tf.transpose(tf.tensor4d(data, [count, c, h, w]), [0, 2, 3, 1]));
    }
    const features = shape.reduce((a, b) => a * b, 1);
    return tf.tensor2d(data, [count, features]);
  }

  /**
   * Logits [N, classes] for an input made by inputTensor. The gradient with respect to the input is
   * computed only with `inputGradient` (otherwise the first weighted layer skips it, saving about a
   * third of its backward pass). A relu directly followed by a maxpool2d is applied after the pooling:
   * max and relu commute (relu is monotone), the values and gradients are identical, and the relu
   * then touches a quarter of the elements.
   */
  apply(input: tf.Tensor, inputGradient = false): tf.Tensor2D {
    let x: tf.Tensor = input;
    let needsGradient = inputGradient;
    const layers = this.network.layers;
    for (let index = 0; index < layers.length; index++) {
      const layer = layers[index]!;
      switch (layer.kind) {
        case 'dense': {
          const p = this.byLayer.get(index)!;
          const flat = x.rank === 4 ? flattenNhwc(x as tf.Tensor4D) : (x as tf.Tensor2D);
          const y = matMul(flat, p.weight as tf.Tensor2D, needsGradient);
          x = p.bias === null ? y : tf.add(y, p.bias);
          needsGradient = true;
          break;
        }
        case 'conv2d': {
          if (x.rank !== 4) throw new Error(`layer ${index} (${layer.name}): conv2d needs an image input, got rank ${x.rank}`);
          const p = this.byLayer.get(index)!;
          const y = conv2d(x as tf.Tensor4D, p.weight as tf.Tensor4D, layer.padding, needsGradient);
          x = p.bias === null ? y : tf.add(y, p.bias);
          needsGradient = true;
          break;
        }
        case 'relu': {
          const next = layers[index + 1];
          if (next?.kind === 'maxpool2d' && x.rank === 4) {
            x = tf.relu(tf.maxPool(x as tf.Tensor4D, next.size, next.size, 'valid'));
            index++;
          } else {
            x = tf.relu(x);
          }
          break;
        }
        case 'maxpool2d':
          if (x.rank !== 4) throw new Error(`layer ${index}: maxpool2d needs an image input, got rank ${x.rank}`);
          x = tf.maxPool(x as tf.Tensor4D, layer.size, layer.size, 'valid');
          break;
        case 'flatten':
          if (x.rank === 4) x = flattenNhwc(x as tf.Tensor4D);
          break;
      }
    }
    if (x.rank !== 2) throw new Error(`network output must be [batch, classes], got rank ${x.rank}`);
    return x as tf.Tensor2D;
  }

  /** Mean softmax cross-entropy of the logits against integer labels (int32). */
  loss(input: tf.Tensor, labels: tf.Tensor1D, inputGradient = false): tf.Scalar {
    return this.lossFromLogits(this.apply(input, inputGradient), labels);
  }

  lossFromLogits(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
    return softmaxCrossEntropy(logits, tf.oneHot(labels, logits.shape[1]).toFloat() as tf.Tensor2D);
  }

  /** A copy of the network carrying the current variable values, in PyTorch layouts. */
  toNetwork(): Network {
    const layers = this.network.layers.map((layer, index): Layer => {
      if (!isParameterised(layer)) return { ...layer };
      const p = this.byLayer.get(index)!;
      const values = p.weight.dataSync() as Float32Array;
      const weight =
        layer.kind === 'dense'
          ? denseWeightFromTf(values, layer.outFeatures, layer.inFeatures)
          : conv2dWeightFromTf(values, layer.outChannels, layer.inChannels, layer.kernelSize);
      const bias = p.bias === null ? null : new Float32Array(p.bias.dataSync() as Float32Array);
      return { ...layer, weight, bias };
    });
    return { ...this.network, inputShape: [...this.network.inputShape], layers };
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}

export interface TfEvaluation {
  count: number;
  correct: number;
  /** Mean cross-entropy. */
  loss: number;
}

/**
 * Accuracy and mean loss of the model on `count` examples (PyTorch layout, already preprocessed),
 * in chunks of `batchSize` (large chunks are much faster than small ones on wasm).
 */
export function evaluateTf(model: TfModel, inputs: Float32Array, labels: Uint8Array, count: number, batchSize = 2000): TfEvaluation {
  const features = model.network.inputShape.reduce((a, b) => a * b, 1);
  let correct = 0;
  let lossSum = 0;
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    let predicted: Int32Array = new Int32Array(0);
    let loss = 0;
    tf.tidy(() => {
      const x = model.inputTensor(inputs.subarray(start * features, (start + n) * features), n);
      const logits = model.apply(x);
      const y = tf.tensor1d(labels.subarray(start, start + n), 'int32');
      const l = softmaxCrossEntropy(logits, tf.oneHot(y, logits.shape[1]).toFloat() as tf.Tensor2D);
      predicted = tf.argMax(logits, 1).dataSync() as Int32Array;
      loss = l.dataSync()[0]!;
    });
    for (let i = 0; i < n; i++) if (predicted[i] === labels[start + i]) correct++;
    lossSum += loss * n;
  }
  return { count, correct, loss: count > 0 ? lossSum / count : NaN };
}
