/**
 * The slow truth: a forward pass written as plainly as possible, in float64, one output value at a time,
 * straight from the definitions (PyTorch semantics: Linear y = xWᵀ + b; Conv2d cross-correlation with
 * zero padding, stride 1; MaxPool2d(size) with stride = size, remainder dropped; flatten row-major).
 * It is the oracle the fast forward pass is tested against; do not optimise it.
 */
import type { Network } from './network.js';

/** Logits (or last-layer outputs) for `batchSize` inputs laid out one after another, in float64. */
export function referenceForward(network: Network, input: Float64Array | Float32Array, batchSize: number): Float64Array {
  let shape = [...network.inputShape];
  let x = Float64Array.from(input);
  const itemSize = shape.reduce((a, b) => a * b, 1);
  if (x.length !== batchSize * itemSize) throw new RangeError(`referenceForward: input has ${x.length} values, expected ${batchSize}×${itemSize}`);

  for (const layer of network.layers) {
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
        const [ci, h, w] = shape as [number, number, number];
        if (shape.length !== 3 || ci !== c) throw new RangeError(`referenceForward: ${layer.name} expects [${c}, h, w], got [${shape}]`);
        const oh = h + 2 * p - k + 1;
        const ow = w + 2 * p - k + 1;
        const y = new Float64Array(batchSize * oc * oh * ow);
        for (let b = 0; b < batchSize; b++) {
          for (let o = 0; o < oc; o++) {
            for (let yy = 0; yy < oh; yy++) {
              for (let xx = 0; xx < ow; xx++) {
                let sum = bias ? bias[o]! : 0;
                for (let ch = 0; ch < c; ch++) {
                  for (let ky = 0; ky < k; ky++) {
                    for (let kx = 0; kx < k; kx++) {
                      const iy = yy + ky - p;
                      const ix = xx + kx - p;
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
    }
  }
  return x;
}
