/**
 * Fast float32 forward pass over a batch (float64 accumulation, float32 activations between layers).
 * Dense layers run as sparse-input axpys: with Wᵀ stored [in, out], each output row is
 * b + z·Σ_k Wᵀ[k,:] + Σ_{k: x_k ≠ z} (x_k − z)·Wᵀ[k,:], where z is 0 (raw pixels, activations after ReLU) or
 * the row's dominant value (the background of standardised pixels), so the ~80 % background pixels of MNIST
 * and the zeros after ReLU cost nothing; eight rows of Wᵀ are folded per pass over the accumulator.
 * Conv2d is an implicit im2col (one row per output position, read through an offset map) through the same
 * kernel. Checked against referenceForward (float64, naive loops).
 */
import { InputError } from '../core/errors.js';
import type { Network } from './network.js';

/**
 * Shape of one item before each layer and after the last: shapes[i] is layer i's input shape,
 * shapes[layers.length] the output shape. Throws InputError when the chain does not fit together.
 */
export function networkShapes(network: Network): number[][] {
  const shapes: number[][] = [];
  let shape = [...network.inputShape];
  if (shape.length === 0 || !shape.every((size) => Number.isSafeInteger(size) && size > 0)) {
    throw new InputError(`network input shape [${shape}] must be a non-empty list of positive integers`);
  }
  network.layers.forEach((layer, index) => {
    shapes.push(shape);
    const where = `layer ${index} (${layer.kind}${'name' in layer ? ` '${layer.name}'` : ''})`;
    switch (layer.kind) {
      case 'dense': {
        const { inFeatures: n, outFeatures: m } = layer;
        if (!(Number.isSafeInteger(n) && n > 0 && Number.isSafeInteger(m) && m > 0)) throw new InputError(`${where}: sizes ${n}→${m} must be positive integers`);
        if (shape.length !== 1 || shape[0] !== n) throw new InputError(`${where}: expects input [${n}], gets [${shape}]${shape.length > 1 ? ' (add a flatten layer)' : ''}`);
        if (layer.weight.length !== n * m) throw new InputError(`${where}: weight has ${layer.weight.length} values, expected ${m}×${n}`);
        if (layer.bias && layer.bias.length !== m) throw new InputError(`${where}: bias has ${layer.bias.length} values, expected ${m}`);
        shape = [m];
        break;
      }
      case 'conv2d': {
        const { inChannels: c, outChannels: o, kernelSize: k, padding: p } = layer;
        if (![c, o, k].every((v) => Number.isSafeInteger(v) && v > 0) || !(Number.isSafeInteger(p) && p >= 0)) {
          throw new InputError(`${where}: channels ${c}→${o}, kernel ${k}, padding ${p} must be positive integers (padding ≥ 0)`);
        }
        if (shape.length !== 3 || shape[0] !== c) throw new InputError(`${where}: expects input [${c}, height, width], gets [${shape}]`);
        const oh = shape[1]! + 2 * p - k + 1;
        const ow = shape[2]! + 2 * p - k + 1;
        if (oh < 1 || ow < 1) throw new InputError(`${where}: kernel ${k} with padding ${p} does not fit input [${shape}]`);
        if (layer.weight.length !== o * c * k * k) throw new InputError(`${where}: weight has ${layer.weight.length} values, expected ${o}×${c}×${k}×${k}`);
        if (layer.bias && layer.bias.length !== o) throw new InputError(`${where}: bias has ${layer.bias.length} values, expected ${o}`);
        shape = [o, oh, ow];
        break;
      }
      case 'maxpool2d': {
        const s = layer.size;
        if (!(Number.isSafeInteger(s) && s > 0)) throw new InputError(`${where}: size ${s} must be a positive integer`);
        if (shape.length !== 3 || shape[1]! < s || shape[2]! < s) throw new InputError(`${where}: expects input [channels, ≥${s}, ≥${s}], gets [${shape}]`);
        shape = [shape[0]!, Math.floor(shape[1]! / s), Math.floor(shape[2]! / s)];
        break;
      }
      case 'flatten':
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      case 'relu':
        break;
      default:
        throw new InputError(`${where}: unknown layer kind`);
    }
  });
  shapes.push(shape);
  return shapes;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** y = x·Wᵀ + b for rows of n inputs, with Wᵀ stored [n, m] (see denseRows). */
interface DenseKernel {
  n: number;
  m: number;
  /** [n, m]: row k holds the weights of input k to every output. */
  weightT: Float32Array;
  bias: Float64Array;
  /** columnSums[j] = Σ_k Wᵀ[k, j], for the baseline term z·Σ_k Wᵀ[k, j]. */
  columnSums: Float64Array;
}

/** Builds a kernel from PyTorch-layout weights [m, n] (a dense weight, or a conv weight seen as [out, c·k·k]). */
function denseKernel(weight: Float32Array, bias: Float32Array | null, n: number, m: number): DenseKernel {
  const weightT = new Float32Array(n * m);
  const columnSums = new Float64Array(m);
  for (let o = 0; o < m; o++) {
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const w = weight[o * n + k]!;
      weightT[k * m + o] = w;
      sum += w;
    }
    columnSums[o] = sum;
  }
  const b = new Float64Array(m);
  if (bias) b.set(bias);
  return { n, m, weightT, bias: b, columnSums };
}

/** Scratch buffers of one denseRows caller (allocated once per layer call, not per row). */
interface DenseScratch {
  acc: Float64Array;
  offsets: Int32Array;
  deltas: Float64Array;
}

function denseScratch(kernel: DenseKernel): DenseScratch {
  return { acc: new Float64Array(kernel.m), offsets: new Int32Array(kernel.n), deltas: new Float64Array(kernel.n) };
}

/**
 * Where denseRows finds row r's n inputs: x[rowStarts[r] + map[k]] for k < n. Null fields mean plain
 * row-major rows (rowStarts[r] = r·n, map[k] = k); conv2d uses them to read patches straight out of a
 * zero-padded image instead of materialising im2col.
 */
interface RowLayout {
  rowStarts: Int32Array | null;
  map: Int32Array | null;
}

const ROW_MAJOR: RowLayout = { rowStarts: null, map: null };

/**
 * y[r·m + j] = b_j + Σ_k x_r[k]·W[j, k] for r < rows. Per row, z is the row's first nonzero value if it
 * is more common than zero, else zero; the row is computed as b + z·ΣWᵀ + Σ_{x_k ≠ z} (x_k − z)·Wᵀ[k] (equal for
 * any z in real arithmetic; chosen per row so a row's result never depends on its neighbours in the
 * batch). Assumes finite weights: a skipped input does not multiply an infinite one.
 */
function denseRows(kernel: DenseKernel, scratch: DenseScratch, x: Float32Array, rows: number, layout: RowLayout, y: Float32Array): void {
  const { n, m, weightT: w, bias, columnSums } = kernel;
  const { acc, offsets, deltas } = scratch;
  const { rowStarts, map } = layout;
  for (let r = 0; r < rows; r++) {
    const row = rowStarts === null ? r * n : rowStarts[r]!;
    // Gather the nonzero inputs (branch-free: the slot is always written, the count only advances on a
    // nonzero, which avoids mispredicted branches on random sparsity patterns).
    let count = 0;
    if (map === null) {
      for (let k = 0; k < n; k++) {
        const v = x[row + k]!;
        offsets[count] = k * m;
        deltas[count] = v;
        count += v !== 0 ? 1 : 0;
      }
    } else {
      for (let k = 0; k < n; k++) {
        const v = x[row + map[k]!]!;
        offsets[count] = k * m;
        deltas[count] = v;
        count += v !== 0 ? 1 : 0;
      }
    }
    // A mostly nonzero row may still be mostly one value (standardised background pixels): then use it as z.
    let z = 0;
    const first = deltas[0]!;
    if (2 * count > n && Number.isFinite(first) && first !== 0) {
      let firsts = 0;
      for (let i = 0; i < count; i++) if (deltas[i] === first) firsts++;
      if (firsts > n - count) {
        z = first;
        let kept = 0;
        for (let i = 0; i < count; i++) {
          const v = deltas[i]!;
          offsets[kept] = offsets[i]!;
          deltas[kept] = v - z;
          kept += v !== z ? 1 : 0;
        }
        // zeros of the row were skipped above but are now nonzero deltas (0 − z): add them back
        if (count < n) {
          let k = 0;
          for (let i = 0; i < n; i++) {
            const v = map === null ? x[row + i]! : x[row + map[i]!]!;
            if (v === 0) {
              offsets[kept + k] = i * m;
              deltas[kept + k] = -z;
              k++;
            }
          }
          kept += k;
        }
        count = kept;
      }
    }
    if (z === 0) acc.set(bias);
    else for (let j = 0; j < m; j++) acc[j] = bias[j]! + z * columnSums[j]!;
    let i = 0;
    // Fold 8 (then 4) rows of Wᵀ per pass: one load and store of acc[j] per 8 multiply-adds (measured
    // ~1.3× faster than 4 on fc2; 16 was slower again).
    for (; i + 7 < count; i += 8) {
      const o0 = offsets[i]!;
      const o1 = offsets[i + 1]!;
      const o2 = offsets[i + 2]!;
      const o3 = offsets[i + 3]!;
      const o4 = offsets[i + 4]!;
      const o5 = offsets[i + 5]!;
      const o6 = offsets[i + 6]!;
      const o7 = offsets[i + 7]!;
      const a0 = deltas[i]!;
      const a1 = deltas[i + 1]!;
      const a2 = deltas[i + 2]!;
      const a3 = deltas[i + 3]!;
      const a4 = deltas[i + 4]!;
      const a5 = deltas[i + 5]!;
      const a6 = deltas[i + 6]!;
      const a7 = deltas[i + 7]!;
      for (let j = 0; j < m; j++) {
        acc[j] =
          acc[j]! +
          a0 * w[o0 + j]! + a1 * w[o1 + j]! + a2 * w[o2 + j]! + a3 * w[o3 + j]! +
          a4 * w[o4 + j]! + a5 * w[o5 + j]! + a6 * w[o6 + j]! + a7 * w[o7 + j]!;
      }
    }
    for (; i + 3 < count; i += 4) {
      const o0 = offsets[i]!;
      const o1 = offsets[i + 1]!;
      const o2 = offsets[i + 2]!;
      const o3 = offsets[i + 3]!;
      const a0 = deltas[i]!;
      const a1 = deltas[i + 1]!;
      const a2 = deltas[i + 2]!;
      const a3 = deltas[i + 3]!;
      for (let j = 0; j < m; j++) {
        acc[j] = acc[j]! + a0 * w[o0 + j]! + a1 * w[o1 + j]! + a2 * w[o2 + j]! + a3 * w[o3 + j]!;
      }
    }
    for (; i < count; i++) {
      const o0 = offsets[i]!;
      const a0 = deltas[i]!;
      for (let j = 0; j < m; j++) acc[j] = acc[j]! + a0 * w[o0 + j]!;
    }
    const out = r * m;
    for (let j = 0; j < m; j++) y[out + j] = acc[j]!;
  }
}

type Step =
  | { kind: 'dense'; kernel: DenseKernel }
  | {
      kind: 'conv2d';
      /** The conv as a dense map from one patch (c·k·k values) to the outChannels outputs of a position. */
      kernel: DenseKernel;
      channels: number;
      height: number;
      width: number;
      kernelSize: number;
      padding: number;
      outHeight: number;
      outWidth: number;
    }
  | { kind: 'relu' }
  | { kind: 'maxpool2d'; channels: number; height: number; width: number; size: number }
  | { kind: 'flatten' };

/** A network prepared for repeated forward passes (transposed weights, shapes resolved). */
export interface CompiledNetwork {
  inputSize: number;
  outputSize: number;
  outputShape: number[];
  /** Outputs for `batchSize` inputs laid out one after another: batchSize × outputSize float32 values. */
  run(input: Float32Array, batchSize: number): Float32Array;
}

/** Prepares `network` for forward passes. The weights are copied: later edits to the network are not seen. */
export function compileNetwork(network: Network): CompiledNetwork {
  const shapes = networkShapes(network);
  const steps: Step[] = network.layers.map((layer, i): Step => {
    const shape = shapes[i]!;
    switch (layer.kind) {
      case 'dense':
        return { kind: 'dense', kernel: denseKernel(layer.weight, layer.bias, layer.inFeatures, layer.outFeatures) };
      case 'conv2d': {
        const { inChannels: c, outChannels: oc, kernelSize: k, padding } = layer;
        const [, height, width] = shape as [number, number, number];
        const [, outHeight, outWidth] = shapes[i + 1] as [number, number, number];
        const kernel = denseKernel(layer.weight, layer.bias, c * k * k, oc);
        return { kind: 'conv2d', kernel, channels: c, height, width, kernelSize: k, padding, outHeight, outWidth };
      }
      case 'maxpool2d':
        return { kind: 'maxpool2d', channels: shape[0]!, height: shape[1]!, width: shape[2]!, size: layer.size };
      case 'relu':
        return { kind: 'relu' };
      case 'flatten':
        return { kind: 'flatten' };
    }
  });
  const inputSize = size(shapes[0]!);
  const outputShape = shapes[shapes.length - 1]!;
  const outputSize = size(outputShape);
  return {
    inputSize,
    outputSize,
    outputShape,
    run(input: Float32Array, batchSize: number): Float32Array {
      if (!Number.isSafeInteger(batchSize) || batchSize < 0 || input.length !== batchSize * inputSize) {
        throw new RangeError(`forward: input has ${input.length} values, expected batchSize ${batchSize} × ${inputSize}`);
      }
      let x = input;
      for (const step of steps) x = runStep(step, x, batchSize, x !== input);
      // Never hand back the caller's own array (a network without parameterised layers).
      return x === input ? input.slice() : x;
    },
  };
}

function runStep(step: Step, x: Float32Array, batch: number, owned: boolean): Float32Array {
  switch (step.kind) {
    case 'dense': {
      const y = new Float32Array(batch * step.kernel.m);
      denseRows(step.kernel, denseScratch(step.kernel), x, batch, ROW_MAJOR, y);
      return y;
    }
    case 'conv2d':
      return convForward(step, x, batch);
    case 'relu': {
      const y = owned ? x : new Float32Array(x.length);
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        y[i] = v < 0 ? 0 : v; // NaN stays NaN, as torch.relu
      }
      return y;
    }
    case 'maxpool2d':
      return maxPoolForward(step, x, batch);
    case 'flatten':
      return x;
  }
}

/**
 * Conv2d (stride 1, zero padding) as an implicit im2col: each image is copied into a zero-bordered buffer,
 * each output position is one denseRows row whose c·k·k inputs are read through an offset map (so
 * background pixels, padding and post-ReLU zeros are skipped), and the [positions, out] result is
 * transposed to PyTorch's [out, height, width] layout.
 */
function convForward(step: Extract<Step, { kind: 'conv2d' }>, x: Float32Array, batch: number): Float32Array {
  const { kernel, channels: c, height: h, width: w, kernelSize: k, padding: p, outHeight: oh, outWidth: ow } = step;
  const oc = kernel.m;
  const positions = oh * ow;
  const ph = h + 2 * p;
  const pw = w + 2 * p;
  const padded = new Float32Array(c * ph * pw); // borders stay zero
  const rowStarts = new Int32Array(positions);
  for (let yy = 0; yy < oh; yy++) for (let xx = 0; xx < ow; xx++) rowStarts[yy * ow + xx] = yy * pw + xx;
  const map = new Int32Array(kernel.n);
  for (let ch = 0; ch < c; ch++) for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) map[(ch * k + ky) * k + kx] = (ch * ph + ky) * pw + kx;
  const layout: RowLayout = { rowStarts, map };
  const perPosition = new Float32Array(positions * oc);
  const scratch = denseScratch(kernel);
  const y = new Float32Array(batch * oc * positions);
  const imageSize = c * h * w;
  for (let b = 0; b < batch; b++) {
    const image = b * imageSize;
    for (let ch = 0; ch < c; ch++) {
      for (let iy = 0; iy < h; iy++) {
        const src = image + (ch * h + iy) * w;
        padded.set(x.subarray(src, src + w), (ch * ph + iy + p) * pw + p);
      }
    }
    denseRows(kernel, scratch, padded, positions, layout, perPosition);
    const out = b * oc * positions;
    for (let pos = 0; pos < positions; pos++) {
      for (let o = 0; o < oc; o++) y[out + o * positions + pos] = perPosition[pos * oc + o]!;
    }
  }
  return y;
}

function maxPoolForward(step: Extract<Step, { kind: 'maxpool2d' }>, x: Float32Array, batch: number): Float32Array {
  const { channels: c, height: h, width: w, size: s } = step;
  const oh = Math.floor(h / s);
  const ow = Math.floor(w / s);
  const y = new Float32Array(batch * c * oh * ow);
  let at = 0;
  for (let plane = 0; plane < batch * c; plane++) {
    const base = plane * h * w;
    for (let yy = 0; yy < oh; yy++) {
      for (let xx = 0; xx < ow; xx++) {
        let best = -Infinity;
        const corner = base + yy * s * w + xx * s;
        for (let dy = 0; dy < s; dy++) {
          for (let dx = 0; dx < s; dx++) {
            const v = x[corner + dy * w + dx]!;
            if (v > best || v !== v) best = v; // a NaN wins and then sticks (nothing is > NaN), as in torch
          }
        }
        y[at++] = best;
      }
    }
  }
  return y;
}

/** Forward pass of `batchSize` inputs laid out one after another; returns batchSize × outputs float32. */
export function forward(network: Network, input: Float32Array, batchSize: number): Float32Array {
  return compileNetwork(network).run(input, batchSize);
}

export interface ForwardInChunksOptions {
  /** Inputs per pass (bounds the memory of intermediate activations). Default 1000. */
  chunkSize?: number;
  /** Called after each chunk with (inputs done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** Same result as forward, computed chunkSize inputs at a time (the weights are prepared once). */
export function forwardInChunks(network: Network, input: Float32Array, batchSize: number, options: ForwardInChunksOptions = {}): Float32Array {
  const compiled = compileNetwork(network);
  const chunk = options.chunkSize ?? 1000;
  if (!Number.isSafeInteger(chunk) || chunk < 1) throw new RangeError(`forwardInChunks: chunkSize must be a positive integer, got ${chunk}`);
  if (!Number.isSafeInteger(batchSize) || batchSize < 0 || input.length !== batchSize * compiled.inputSize) {
    throw new RangeError(`forward: input has ${input.length} values, expected batchSize ${batchSize} × ${compiled.inputSize}`);
  }
  const out = new Float32Array(batchSize * compiled.outputSize);
  for (let done = 0; done < batchSize; done += chunk) {
    const n = Math.min(chunk, batchSize - done);
    const part = compiled.run(input.subarray(done * compiled.inputSize, (done + n) * compiled.inputSize), n);
    out.set(part, done * compiled.outputSize);
    options.onProgress?.(done + n, batchSize);
  }
  return out;
}
