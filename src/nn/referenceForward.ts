/**
 * The slow truth: a forward pass written as plainly as possible, in float64, one output value at a time,
 * straight from the definitions (PyTorch semantics: Linear y = xWᵀ + b; Conv2d cross-correlation with
 * zero padding, stride 1; MaxPool2d(size) with stride = size, remainder dropped; flatten row-major).
 * It is the oracle the fast forward pass is tested against; do not optimise it.
 */
import type { Layer, Network } from './network.js';

/** Logits (or last-layer outputs) for `batchSize` inputs laid out one after another, in float64. */
export function referenceForward(network: Network, input: Float64Array | Float32Array, batchSize: number): Float64Array {
  const itemSize = network.inputShape.reduce((a, b) => a * b, 1);
  if (input.length !== batchSize * itemSize) throw new RangeError(`referenceForward: input has ${input.length} values, expected ${batchSize}×${itemSize}`);
  return applyLayers(network.layers, Float64Array.from(input), [...network.inputShape], batchSize).x;
}

function applyLayers(layers: readonly Layer[], input: Float64Array, inputShape: number[], batchSize: number): { x: Float64Array; shape: number[] } {
  let x = input;
  let shape = inputShape;
  for (const layer of layers) {
    switch (layer.kind) {
      case 'dense': {
        const { inFeatures: n, outFeatures: m, weight, bias } = layer;
        if (shape.length !== 1 || shape[0] !== n) throw new RangeError(`referenceForward: ${layer.name} expects [${n}], got [${shape}]`);
        const y = new Float64Array(batchSize * m);
        for (let b = 0; b < batchSize; b++) {
          for (let o = 0; o < m; o++) {
            let sum = bias ? bias[o]! : 0;
            for (let i = 0; i < n; i++) sum += weight[o * n + i]! * x[b * n + i]!;
            y[b * m + o] = sum;
          }
        }
        x = y;
        shape = [m];
        break;
      }
      case 'conv2d': {
        const { inChannels: c, outChannels: oc, kernelSize: k, padding: p, weight, bias } = layer;
        const stride = layer.stride ?? 1;
        const [ci, h, w] = shape as [number, number, number];
        if (shape.length !== 3 || ci !== c) throw new RangeError(`referenceForward: ${layer.name} expects [${c}, h, w], got [${shape}]`);
        const oh = Math.floor((h + 2 * p - k) / stride) + 1;
        const ow = Math.floor((w + 2 * p - k) / stride) + 1;
        const y = new Float64Array(batchSize * oc * oh * ow);
        for (let b = 0; b < batchSize; b++) {
          for (let o = 0; o < oc; o++) {
            for (let yy = 0; yy < oh; yy++) {
              for (let xx = 0; xx < ow; xx++) {
                let sum = bias ? bias[o]! : 0;
                for (let ch = 0; ch < c; ch++) {
                  for (let ky = 0; ky < k; ky++) {
                    for (let kx = 0; kx < k; kx++) {
                      const iy = yy * stride + ky - p;
                      const ix = xx * stride + kx - p;
                      if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue; // zero padding
                      sum += weight[((o * c + ch) * k + ky) * k + kx]! * x[((b * c + ch) * h + iy) * w + ix]!;
                    }
                  }
                }
                y[((b * oc + o) * oh + yy) * ow + xx] = sum;
              }
            }
          }
        }
        x = y;
        shape = [oc, oh, ow];
        break;
      }
      case 'relu': {
        // x < 0 ? 0 : x keeps NaN as NaN, as torch.relu does.
        for (let i = 0; i < x.length; i++) x[i] = x[i]! < 0 ? 0 : x[i]!;
        break;
      }
      case 'maxpool2d': {
        const s = layer.size;
        const [c, h, w] = shape as [number, number, number];
        const oh = Math.floor(h / s);
        const ow = Math.floor(w / s);
        const y = new Float64Array(batchSize * c * oh * ow);
        for (let b = 0; b < batchSize; b++) {
          for (let ch = 0; ch < c; ch++) {
            for (let yy = 0; yy < oh; yy++) {
              for (let xx = 0; xx < ow; xx++) {
                let best = -Infinity;
                for (let dy = 0; dy < s; dy++) {
                  for (let dx = 0; dx < s; dx++) {
                    const v = x[((b * c + ch) * h + yy * s + dy) * w + xx * s + dx]!;
                    if (v > best || Number.isNaN(v)) best = v; // NaN wins, as in torch
                    if (Number.isNaN(best)) break;
                  }
                  if (Number.isNaN(best)) break;
                }
                y[((b * c + ch) * oh + yy) * ow + xx] = best;
              }
            }
          }
        }
        x = y;
        shape = [c, oh, ow];
        break;
      }
      case 'flatten': {
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      }
      case 'batchnorm': {
        const plane = shape.slice(1).reduce((a, b) => a * b, 1);
        const y = new Float64Array(x.length);
        for (let i = 0; i < x.length; i++) {
          const c = Math.floor(i / plane) % layer.channels;
          y[i] = x[i]! * layer.scale[c]! + layer.shift[c]!;
        }
        x = y;
        break;
      }
      case 'avgpool2d':
      case 'globalavgpool': {
        const [c, h, w] = shape as [number, number, number];
        const sh = layer.kind === 'avgpool2d' ? layer.size : h;
        const sw = layer.kind === 'avgpool2d' ? layer.size : w;
        const oh = Math.floor(h / sh);
        const ow = Math.floor(w / sw);
        const y = new Float64Array(batchSize * c * oh * ow);
        for (let b = 0; b < batchSize; b++) {
          for (let ch = 0; ch < c; ch++) {
            for (let yy = 0; yy < oh; yy++) {
              for (let xx = 0; xx < ow; xx++) {
                let sum = 0;
                for (let dy = 0; dy < sh; dy++) for (let dx = 0; dx < sw; dx++) sum += x[((b * c + ch) * h + yy * sh + dy) * w + xx * sw + dx]!;
                y[((b * c + ch) * oh + yy) * ow + xx] = sum / (sh * sw);
              }
            }
          }
        }
        x = y;
        shape = [c, oh, ow];
        break;
      }
      case 'residual': {
        const body = applyLayers(layer.body, Float64Array.from(x), [...shape], batchSize);
        const skip = applyLayers(layer.skip, Float64Array.from(x), [...shape], batchSize);
        if (body.shape.join() !== skip.shape.join()) throw new RangeError(`referenceForward: residual body gives [${body.shape}], skip [${skip.shape}]`);
        const y = new Float64Array(body.x.length);
        for (let i = 0; i < y.length; i++) y[i] = body.x[i]! + skip.x[i]!;
        x = y;
        shape = body.shape;
        break;
      }
    }
  }
  return { x, shape };
}
