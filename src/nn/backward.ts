/**
 * The slow truth for gradients: a naive float64 forward and backward pass for every layer kind
 * (dense, conv2d, relu, maxpool2d, flatten) and for the mean softmax cross-entropy loss, written
 * straight from the definitions in PyTorch's layouts (weights [out, in] / [out, in, K, K], images NCHW).
 * It is checked against central finite differences (test/nn/backward.test.ts) and is the oracle for
 * the tfjs custom gradients (test/nn/tfOps.test.ts). Do not optimise it.
 */
import { isParameterised, type Network } from './network.js';

/** Batch of images in NCHW layout. */
export interface ImageDims {
  batch: number;
  channels: number;
  height: number;
  width: number;
}

export interface LayerGradients {
  dx: Float64Array;
  dWeight: Float64Array;
  /** Gradient of the bias (Σ over batch and positions of dy), whether or not the layer has one. */
  dBias: Float64Array;
}

type Values = ArrayLike<number>;

/** y[b, o] = bias[o] + Σ_i w[o, i] x[b, i]. */
export function denseForward(x: Values, batch: number, inFeatures: number, outFeatures: number, weight: Values, bias: Values | null): Float64Array {
  const y = new Float64Array(batch * outFeatures);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outFeatures; o++) {
      let sum = bias === null ? 0 : bias[o]!;
      for (let i = 0; i < inFeatures; i++) sum += weight[o * inFeatures + i]! * x[b * inFeatures + i]!;
      y[b * outFeatures + o] = sum;
    }
  }
  return y;
}

/** dx[b, i] = Σ_o dy[b, o] w[o, i];  dw[o, i] = Σ_b dy[b, o] x[b, i];  db[o] = Σ_b dy[b, o]. */
export function denseBackward(x: Values, batch: number, inFeatures: number, outFeatures: number, weight: Values, dy: Values): LayerGradients {
  const dx = new Float64Array(batch * inFeatures);
  const dWeight = new Float64Array(outFeatures * inFeatures);
  const dBias = new Float64Array(outFeatures);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outFeatures; o++) {
      const g = dy[b * outFeatures + o]!;
      dBias[o]! += g;
      for (let i = 0; i < inFeatures; i++) {
        dx[b * inFeatures + i]! += g * weight[o * inFeatures + i]!;
        dWeight[o * inFeatures + i]! += g * x[b * inFeatures + i]!;
      }
    }
  }
  return { dx, dWeight, dBias };
}

/** Output height/width of a stride-1 convolution with symmetric zero padding. */
export function conv2dOutputSize(size: number, kernelSize: number, padding: number): number {
  return size + 2 * padding - kernelSize + 1;
}

/**
 * y[b, o, i, j] = bias[o] + Σ_{c, p, q} w[o, c, p, q] · x[b, c, i + p − pad, j + q − pad]
 * (cross-correlation, stride 1, x = 0 outside the image).
 */
export function conv2dForward(x: Values, dims: ImageDims, weight: Values, outChannels: number, kernelSize: number, padding: number, bias: Values | null): Float64Array {
  const { batch, channels: c, height: h, width: w } = dims;
  const k = kernelSize;
  const oh = conv2dOutputSize(h, k, padding);
  const ow = conv2dOutputSize(w, k, padding);
  const y = new Float64Array(batch * outChannels * oh * ow);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outChannels; o++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          let sum = bias === null ? 0 : bias[o]!;
          for (let ch = 0; ch < c; ch++) {
            for (let p = 0; p < k; p++) {
              const r = i + p - padding;
              if (r < 0 || r >= h) continue;
              for (let q = 0; q < k; q++) {
                const s = j + q - padding;
                if (s < 0 || s >= w) continue;
                sum += weight[((o * c + ch) * k + p) * k + q]! * x[((b * c + ch) * h + r) * w + s]!;
              }
            }
          }
          y[((b * outChannels + o) * oh + i) * ow + j] = sum;
        }
      }
    }
  }
  return y;
}

/** Backward of conv2dForward: every product in the forward sum sends dy back to both of its factors. */
export function conv2dBackward(x: Values, dims: ImageDims, weight: Values, outChannels: number, kernelSize: number, padding: number, dy: Values): LayerGradients {
  const { batch, channels: c, height: h, width: w } = dims;
  const k = kernelSize;
  const oh = conv2dOutputSize(h, k, padding);
  const ow = conv2dOutputSize(w, k, padding);
  const dx = new Float64Array(batch * c * h * w);
  const dWeight = new Float64Array(outChannels * c * k * k);
  const dBias = new Float64Array(outChannels);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outChannels; o++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          const g = dy[((b * outChannels + o) * oh + i) * ow + j]!;
          dBias[o]! += g;
          for (let ch = 0; ch < c; ch++) {
            for (let p = 0; p < k; p++) {
              const r = i + p - padding;
              if (r < 0 || r >= h) continue;
              for (let q = 0; q < k; q++) {
                const s = j + q - padding;
                if (s < 0 || s >= w) continue;
                const wi = ((o * c + ch) * k + p) * k + q;
                const xi = ((b * c + ch) * h + r) * w + s;
                dx[xi]! += g * weight[wi]!;
                dWeight[wi]! += g * x[xi]!;
              }
            }
          }
        }
      }
    }
  }
  return { dx, dWeight, dBias };
}

export function reluForward(x: Values): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i]! > 0 ? x[i]! : 0;
  return y;
}

/** dx = dy where x > 0, else 0 (the subgradient 0 at x = 0, as PyTorch and tfjs use). */
export function reluBackward(x: Values, dy: Values): Float64Array {
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) dx[i] = x[i]! > 0 ? dy[i]! : 0;
  return dx;
}

export interface MaxPoolResult {
  y: Float64Array;
  /** For each output, the index into x of the (first) maximum of its window. */
  argmax: Int32Array;
  dims: ImageDims;
}

/** Max over non-overlapping size×size windows (stride = size, a remainder row/column is dropped). */
export function maxPool2dForward(x: Values, dims: ImageDims, size: number): MaxPoolResult {
  const { batch, channels: c, height: h, width: w } = dims;
  const oh = Math.floor(h / size);
  const ow = Math.floor(w / size);
  const y = new Float64Array(batch * c * oh * ow);
  const argmax = new Int32Array(y.length);
  for (let bc = 0; bc < batch * c; bc++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let best = -Infinity;
        let where = -1;
        for (let p = 0; p < size; p++) {
          for (let q = 0; q < size; q++) {
            const index = (bc * h + i * size + p) * w + j * size + q;
            if (where < 0 || x[index]! > best) {
              best = x[index]!;
              where = index;
            }
          }
        }
        const out = (bc * oh + i) * ow + j;
        y[out] = best;
        argmax[out] = where;
      }
    }
  }
  return { y, argmax, dims: { batch, channels: c, height: oh, width: ow } };
}

/** Routes each output's gradient to the input that was its window's maximum. */
export function maxPool2dBackward(dy: Values, argmax: Int32Array, inputLength: number): Float64Array {
  const dx = new Float64Array(inputLength);
  for (let i = 0; i < argmax.length; i++) dx[argmax[i]!]! += dy[i]!;
  return dx;
}

export interface CrossEntropyResult {
  /** Mean over the batch of −log softmax(z)[label]. */
  loss: number;
  /** dLoss/dz = (softmax(z) − onehot(label)) / batch. */
  dLogits: Float64Array;
}

export function softmaxCrossEntropy(logits: Values, labels: ArrayLike<number>, batch: number, classes: number): CrossEntropyResult {
  const dLogits = new Float64Array(batch * classes);
  let total = 0;
  for (let b = 0; b < batch; b++) {
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, logits[b * classes + k]!);
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(logits[b * classes + k]! - max);
    const logSumExp = max + Math.log(sum);
    const label = labels[b]!;
    total += logSumExp - logits[b * classes + label]!;
    for (let k = 0; k < classes; k++) {
      const p = Math.exp(logits[b * classes + k]! - logSumExp);
      dLogits[b * classes + k] = (p - (k === label ? 1 : 0)) / batch;
    }
  }
  return { loss: total / batch, dLogits };
}

/** float64 values of a weighted layer's parameters; null for layers without parameters. */
export type ParameterValues = ({ weight: Float64Array; bias: Float64Array | null } | null)[];

/** The network's weights and biases as float64, aligned with network.layers. */
export function parameterValues(network: Network): ParameterValues {
  return network.layers.map((layer) =>
    isParameterised(layer) ? { weight: Float64Array.from(layer.weight), bias: layer.bias === null ? null : Float64Array.from(layer.bias) } : null,
  );
}

export interface NetworkGradients {
  loss: number;
  logits: Float64Array;
  /** Aligned with network.layers: parameter gradients of weighted layers, null elsewhere. */
  layers: ({ weight: Float64Array; bias: Float64Array | null } | null)[];
  /** dLoss/dInput, [batch, ...inputShape]. */
  input: Float64Array;
}

type Shape = { flat: number } | { image: ImageDims };

/**
 * Mean softmax cross-entropy of `network` on `batch` inputs and its gradient with respect to every
 * parameter and the input, in float64. `parameters` overrides the network's (float32) weights, so a
 * finite-difference check can perturb them in float64.
 */
export function networkGradients(
  network: Network,
  input: Values,
  labels: ArrayLike<number>,
  batch: number,
  parameters: ParameterValues = parameterValues(network),
): NetworkGradients {
  const inputShape = network.inputShape;
  let shape: Shape =
    inputShape.length === 3
      ? { image: { batch, channels: inputShape[0]!, height: inputShape[1]!, width: inputShape[2]! } }
      : { flat: inputShape.reduce((a, b) => a * b, 1) };
  let x: Float64Array = Float64Array.from(input);
  // Forward, keeping what each backward step needs.
  const tape: { x: Float64Array; shape: Shape; pool?: MaxPoolResult }[] = [];
  network.layers.forEach((layer, index) => {
    const step: { x: Float64Array; shape: Shape; pool?: MaxPoolResult } = { x, shape };
    tape.push(step);
    switch (layer.kind) {
      case 'dense': {
        const features = 'flat' in shape ? shape.flat : shape.image.channels * shape.image.height * shape.image.width;
        if (features !== layer.inFeatures) throw new RangeError(`networkGradients: ${layer.name} expects ${layer.inFeatures} inputs, got ${features}`);
        const p = parameters[index]!;
        x = denseForward(x, batch, layer.inFeatures, layer.outFeatures, p.weight, p.bias);
        shape = { flat: layer.outFeatures };
        break;
      }
      case 'conv2d': {
        if (!('image' in shape) || shape.image.channels !== layer.inChannels) throw new RangeError(`networkGradients: ${layer.name} expects ${layer.inChannels} input channels`);
        const p = parameters[index]!;
        const d = shape.image;
        x = conv2dForward(x, d, p.weight, layer.outChannels, layer.kernelSize, layer.padding, p.bias);
        shape = {
          image: { batch, channels: layer.outChannels, height: conv2dOutputSize(d.height, layer.kernelSize, layer.padding), width: conv2dOutputSize(d.width, layer.kernelSize, layer.padding) },
        };
        break;
      }
      case 'relu':
        x = reluForward(x);
        break;
      case 'maxpool2d': {
        if (!('image' in shape)) throw new RangeError(`networkGradients: maxpool2d (layer ${index}) needs an image input`);
        const pool = maxPool2dForward(x, shape.image, layer.size);
        step.pool = pool;
        x = pool.y;
        shape = { image: pool.dims };
        break;
      }
      case 'flatten':
        // NCHW row-major memory is already torch.flatten(x, 1)'s order.
        if ('image' in shape) shape = { flat: shape.image.channels * shape.image.height * shape.image.width };
        break;
    }
  });
  if (!('flat' in shape)) throw new RangeError('networkGradients: the network must end in a flat [batch, classes] output');
  const logits = x;
  const { loss, dLogits } = softmaxCrossEntropy(logits, labels, batch, shape.flat);

  const gradients: NetworkGradients['layers'] = network.layers.map(() => null);
  let dy: Float64Array = dLogits;
  for (let index = network.layers.length - 1; index >= 0; index--) {
    const layer = network.layers[index]!;
    const step = tape[index]!;
    switch (layer.kind) {
      case 'dense': {
        const p = parameters[index]!;
        const g = denseBackward(step.x, batch, layer.inFeatures, layer.outFeatures, p.weight, dy);
        gradients[index] = { weight: g.dWeight, bias: p.bias === null ? null : g.dBias };
        dy = g.dx;
        break;
      }
      case 'conv2d': {
        const p = parameters[index]!;
        const d = (step.shape as { image: ImageDims }).image;
        const g = conv2dBackward(step.x, d, p.weight, layer.outChannels, layer.kernelSize, layer.padding, dy);
        gradients[index] = { weight: g.dWeight, bias: p.bias === null ? null : g.dBias };
        dy = g.dx;
        break;
      }
      case 'relu':
        dy = reluBackward(step.x, dy);
        break;
      case 'maxpool2d':
        dy = maxPool2dBackward(dy, step.pool!.argmax, step.x.length);
        break;
      case 'flatten':
        break;
    }
  }
  return { loss, logits, layers: gradients, input: dy };
}
