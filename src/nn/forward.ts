/**
 * Fast float32 forward pass over a batch (float64 accumulation, float32 activations between layers), in the
 * WebAssembly SIMD kernels of wasmKernels.ts over one heap per compiled network. Dense layers gather each row's
 * inputs that differ from a baseline z (0 for raw pixels and activations after ReLU, the row's dominant value
 * for standardised pixels) and compute b + z·Σ_k Wᵀ[k,:] + Σ_{k: x_k ≠ z} (x_k − z)·Wᵀ[k,:], so the ~80 %
 * background pixels of MNIST and the zeros after ReLU cost nothing. Conv2d is an implicit im2col through the
 * same kernel (one row per output position, read through an offset map), or, below 16 output channels,
 * vectorised over output positions. A ReLU after a dense or conv layer is applied as its outputs are written.
 * Every output depends on its own input alone (bit for bit, whatever the batch). Checked against
 * referenceForward (float64, naive loops).
 */
import { InputError } from '../core/errors.js';
import { columnsKernel, denseKernel, denseScratch, type ColumnsKernel, type DenseKernel, type DenseScratch } from './wasmKernels.js';
import { isChainLayer, type Network } from './network.js';
import { checkBatch, compileGraph } from './graphForward.js';
import { WasmHeap } from './wasmAssembler.js';

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
        const stride = layer.stride ?? 1;
        if (![c, o, k, stride].every((v) => Number.isSafeInteger(v) && v > 0) || !(Number.isSafeInteger(p) && p >= 0)) {
          throw new InputError(`${where}: channels ${c}→${o}, kernel ${k}, padding ${p} must be positive integers (padding ≥ 0), stride ${stride} too`);
        }
        if (shape.length !== 3 || shape[0] !== c) throw new InputError(`${where}: expects input [${c}, height, width], gets [${shape}]`);
        const oh = Math.floor((shape[1]! + 2 * p - k) / stride) + 1;
        const ow = Math.floor((shape[2]! + 2 * p - k) / stride) + 1;
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
      case 'batchnorm':
        if (shape[0] !== layer.channels || layer.scale.length !== layer.channels || layer.shift.length !== layer.channels) {
          throw new InputError(`${where}: ${layer.channels} channels (${layer.scale.length} scales, ${layer.shift.length} shifts) for input [${shape}]`);
        }
        break;
      case 'avgpool2d': {
        const s = layer.size;
        if (!(Number.isSafeInteger(s) && s > 0)) throw new InputError(`${where}: size ${s} must be a positive integer`);
        if (shape.length !== 3 || shape[1]! < s || shape[2]! < s) throw new InputError(`${where}: expects input [channels, ≥${s}, ≥${s}], gets [${shape}]`);
        shape = [shape[0]!, Math.floor(shape[1]! / s), Math.floor(shape[2]! / s)];
        break;
      }
      case 'globalavgpool':
        if (shape.length !== 3) throw new InputError(`${where}: expects input [channels, height, width], gets [${shape}]`);
        shape = [shape[0]!, 1, 1];
        break;
      case 'residual': {
        const body = networkShapes({ inputShape: shape, layers: layer.body });
        const skip = networkShapes({ inputShape: shape, layers: layer.skip });
        const a = body[body.length - 1]!;
        const b = skip[skip.length - 1]!;
        if (a.length !== b.length || a.some((d, i) => d !== b[i])) throw new InputError(`${where}: the block's body gives [${a}] and its skip [${b}]; they must match to be added`);
        shape = a;
        break;
      }
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

/** Inputs per pass through the layers inside `run` (bounds the heap: LeNet5 holds ~25 KB per image). */
const CHUNK = 256;

/**
 * Convolutions with fewer output channels than this run vectorised over positions: the per-position gather of
 * the rows kernel costs more than it saves when a patch feeds only a few outputs (LeNet5's conv1: 6).
 */
const COLUMNS_BELOW_CHANNELS = 16;

type Step =
  | { kind: 'dense'; kernel: DenseKernel; relu: boolean }
  | {
      kind: 'conv2d';
      /**
       * The conv as a dense map from one patch (c·k·k values) to the outChannels outputs of a position (rows,
       * skipping zeros), or, for fewer than 16 output channels, vectorised over positions (columns).
       */
      kernel: { rows: DenseKernel } | { columns: ColumnsKernel };
      channels: number;
      height: number;
      width: number;
      padding: number;
      /** Heap addresses: element offset of each output position's patch corner, and of each patch entry. */
      rowStarts: number;
      map: number;
      positions: number;
      outHeight: number;
      outWidth: number;
      /** A following ReLU, applied as the outputs are written. */
      relu: boolean;
    }
  | { kind: 'relu' }
  | { kind: 'maxpool2d'; channels: number; height: number; width: number; size: number }
  | { kind: 'flatten' };

/** A step with the sizes of one item before and after it. */
interface SizedStep {
  step: Step;
  inSize: number;
  outSize: number;
}

/** A network prepared for repeated forward passes (weights packed into a WebAssembly heap, shapes resolved). */
export interface CompiledNetwork {
  inputSize: number;
  outputSize: number;
  outputShape: number[];
  /** Outputs for `batchSize` inputs laid out one after another: batchSize × outputSize float32 values. */
  run(input: Float32Array, batchSize: number): Float32Array;
}

/**
 * Prepares `network` for forward passes. The weights are copied: later edits to the network are not seen. A network
 * with residual blocks, batch norm, average pooling or strided convolutions runs as plain chains compiled here,
 * joined by those operations (graphForward.ts).
 */
export function compileNetwork(network: Network): CompiledNetwork {
  if (!network.layers.every(isChainLayer)) return compileGraph(network, compileChain, networkShapes);
  return compileChain(network);
}

/** A plain chain (dense, conv2d with stride 1, relu, maxpool2d, flatten) in the WebAssembly kernels. */
function compileChain(network: Network): CompiledNetwork {
  const shapes = networkShapes(network);
  let maxInputs = 1;
  let maxOutputs = 1;
  for (const layer of network.layers) {
    if (layer.kind === 'dense') {
      maxInputs = Math.max(maxInputs, layer.inFeatures);
      maxOutputs = Math.max(maxOutputs, layer.outFeatures);
    } else if (layer.kind === 'conv2d') {
      maxInputs = Math.max(maxInputs, layer.inChannels * layer.kernelSize * layer.kernelSize);
      maxOutputs = Math.max(maxOutputs, layer.outChannels);
    }
  }
  const heap = new WasmHeap();
  const scratch = denseScratch(heap, maxInputs, maxOutputs);
  const steps: Step[] = network.layers.map((layer, i): Step => {
    const shape = shapes[i]!;
    switch (layer.kind) {
      case 'batchnorm':
      case 'avgpool2d':
      case 'globalavgpool':
      case 'residual':
        throw new RangeError(`compileChain: ${layer.kind} is not a chain layer`);
      case 'dense':
        return { kind: 'dense', kernel: denseKernel(scratch, layer.weight, layer.bias, layer.inFeatures, layer.outFeatures), relu: false };
      case 'conv2d': {
        const { inChannels: c, outChannels: oc, kernelSize: k, padding } = layer;
        const [, height, width] = shape as [number, number, number];
        const [, outHeight, outWidth] = shapes[i + 1] as [number, number, number];
        const kernel = oc >= COLUMNS_BELOW_CHANNELS
          ? { rows: denseKernel(scratch, layer.weight, layer.bias, c * k * k, oc) }
          : { columns: columnsKernel(scratch, layer.weight, layer.bias, c * k * k, oc) };
        const ph = height + 2 * padding;
        const pw = width + 2 * padding;
        const positions = outHeight * outWidth;
        const rowStarts = heap.reserve(4 * positions);
        const map = heap.reserve(4 * c * k * k);
        const starts = heap.i32(rowStarts, positions);
        for (let yy = 0; yy < outHeight; yy++) for (let xx = 0; xx < outWidth; xx++) starts[yy * outWidth + xx] = yy * pw + xx;
        const offsets = heap.i32(map, c * k * k);
        for (let ch = 0; ch < c; ch++) for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) offsets[(ch * k + ky) * k + kx] = (ch * ph + ky) * pw + kx;
        return { kind: 'conv2d', kernel, channels: c, height, width, padding, rowStarts, map, positions, outHeight, outWidth, relu: false };
      }
      case 'maxpool2d':
        return { kind: 'maxpool2d', channels: shape[0]!, height: shape[1]!, width: shape[2]!, size: layer.size };
      case 'relu':
        return { kind: 'relu' };
      case 'flatten':
        return { kind: 'flatten' };
    }
  });
  const sizes = shapes.map(size);
  // A ReLU right after a dense or conv layer is applied by its kernel as the outputs are written.
  const sized: SizedStep[] = [];
  steps.forEach((step, s) => {
    const previous = sized[sized.length - 1]?.step;
    if (step.kind === 'relu' && (previous?.kind === 'dense' || previous?.kind === 'conv2d') && !previous.relu) previous.relu = true;
    else sized.push({ step, inSize: sizes[s]!, outSize: sizes[s + 1]! });
  });
  const inputSize = sizes[0]!;
  const outputShape = shapes[shapes.length - 1]!;
  const outputSize = sizes[sizes.length - 1]!;
  return {
    inputSize,
    outputSize,
    outputShape,
    run(input: Float32Array, batchSize: number): Float32Array {
      checkBatch(input, batchSize, inputSize);
      const out = new Float32Array(batchSize * outputSize);
      for (let done = 0; done < batchSize; done += CHUNK) {
        const rows = Math.min(CHUNK, batchSize - done);
        const mark = heap.mark();
        let x = heap.reserve(4 * rows * inputSize);
        heap.f32(x, rows * inputSize).set(input.subarray(done * inputSize, (done + rows) * inputSize));
        for (const { step, inSize, outSize } of sized) x = runStep(scratch, step, x, rows, inSize, outSize);
        out.set(heap.f32(x, rows * outputSize), done * outputSize);
        heap.release(mark);
      }
      return out;
    },
  };
}

/** Runs one layer on `rows` items at heap address x (inSize values each); returns the heap address of the outputs. */
function runStep(scratch: DenseScratch, step: Step, x: number, rows: number, inSize: number, outSize: number): number {
  const { heap } = scratch;
  switch (step.kind) {
    case 'dense': {
      const y = heap.reserve(4 * rows * outSize);
      const rowStarts = heap.reserve(4 * rows);
      const starts = heap.i32(rowStarts, rows);
      for (let r = 0; r < rows; r++) starts[r] = r * inSize;
      step.kernel.run(x, rows, rowStarts, step.kernel.identityMap, y, outSize, 1, step.relu);
      return y;
    }
    case 'conv2d':
      return convForward(heap, step, x, rows, outSize);
    case 'relu': {
      const d = heap.f32(x, rows * inSize);
      // (only a ReLU that does not follow a dense or conv layer gets here) NaN stays NaN, as torch.relu
      for (let i = 0; i < d.length; i++) if (d[i]! < 0) d[i] = 0;
      return x;
    }
    case 'maxpool2d':
      return maxPoolForward(scratch, step, x, rows, outSize);
    case 'flatten':
      return x;
  }
}

/**
 * Conv2d (stride 1, zero padding) as an implicit im2col: each image is copied into a zero-bordered buffer, and
 * each output position is one kernel row whose c·k·k inputs are read through an offset map (so background
 * pixels, padding and post-ReLU zeros are skipped); outputs are written straight into PyTorch's
 * [out, height, width] layout (row stride 1, column stride = positions).
 */
function convForward(heap: WasmHeap, step: Extract<Step, { kind: 'conv2d' }>, x: number, batch: number, outSize: number): number {
  const { kernel, channels: c, height: h, width: w, padding: p, rowStarts, map, positions, outHeight, outWidth } = step;
  const ph = h + 2 * p;
  const pw = w + 2 * p;
  const y = heap.reserve(4 * batch * outSize);
  const padded = heap.reserve(4 * c * ph * pw + 16); // slack: the columns kernel reads up to 3 values past a row
  const pad = heap.f32(padded, c * ph * pw);
  pad.fill(0); // the heap is reused between calls: borders must be cleared once per call
  const imageSize = c * h * w;
  const input = heap.f32(x, batch * imageSize);
  for (let b = 0; b < batch; b++) {
    const image = b * imageSize;
    for (let ch = 0; ch < c; ch++) {
      for (let iy = 0; iy < h; iy++) {
        const src = image + (ch * h + iy) * w;
        pad.set(input.subarray(src, src + w), (ch * ph + iy + p) * pw + p);
      }
    }
    if ('rows' in kernel) kernel.rows.run(padded, positions, rowStarts, map, y + 4 * b * outSize, 1, positions, step.relu);
    else kernel.columns.run(padded, outHeight, outWidth, pw, map, y + 4 * b * outSize, step.relu);
  }
  return y;
}

function maxPoolForward(scratch: DenseScratch, step: Extract<Step, { kind: 'maxpool2d' }>, x: number, batch: number, outSize: number): number {
  const y = scratch.heap.reserve(4 * batch * outSize);
  scratch.maxPool(x, batch * step.channels, step.height, step.width, step.size, y);
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
  checkBatch(input, batchSize, compiled.inputSize);
  const out = new Float32Array(batchSize * compiled.outputSize);
  for (let done = 0; done < batchSize; done += chunk) {
    const n = Math.min(chunk, batchSize - done);
    const part = compiled.run(input.subarray(done * compiled.inputSize, (done + n) * compiled.inputSize), n);
    out.set(part, done * compiled.outputSize);
    options.onProgress?.(done + n, batchSize);
  }
  return out;
}
