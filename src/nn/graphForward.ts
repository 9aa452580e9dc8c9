/**
 * The fast forward pass of networks that are more than a chain: residual blocks (body + skip, each compiled on its
 * own), batch norm (a per-channel affine map), average and global average pooling, strided convolutions (the
 * stride-1 convolution in the WebAssembly kernels, then every s-th position: the same sums). Runs of plain chain
 * layers between them are compiled by forward.ts's chain compiler, passed in (no import cycle). Float32 between
 * operations, as the chain kernels; checked against referenceForward.
 */
import { isChainLayer, type Layer, type Network } from './network.js';

/** What a compiled network offers (forward.ts's CompiledNetwork). */
export interface CompiledPart {
  inputSize: number;
  outputSize: number;
  outputShape: number[];
  run(input: Float32Array, batchSize: number): Float32Array;
}

type Op = (input: Float32Array, batch: number) => Float32Array;

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Compiles `network` as chains joined by graph operations; `compileChain` compiles a run of chain layers. */
export function compileGraph(network: Network, compileChain: (chain: Network) => CompiledPart, shapesOf: (network: Network) => number[][]): CompiledPart {
  const shapes = shapesOf(network);
  const ops: Op[] = [];
  let chain: Layer[] = [];
  /** Index of the chain's first layer (its input shape). */
  let chainStart = 0;
  const flush = (): void => {
    if (chain.length > 0) {
      const compiled = compileChain({ inputShape: shapes[chainStart]!, layers: chain });
      ops.push((x, batch) => compiled.run(x, batch));
    }
    chain = [];
  };
  network.layers.forEach((layer, i) => {
    const shape = shapes[i]!;
    if (isChainLayer(layer)) {
      if (chain.length === 0) chainStart = i;
      chain.push(layer);
      return;
    }
    flush();
    const out = shapes[i + 1]!;
    switch (layer.kind) {
      case 'conv2d': {
        const stride = layer.stride!;
        const full = compileChain({ inputShape: shape, layers: [{ ...layer, stride: 1 }] });
        const [channels, fullHeight, fullWidth] = full.outputShape as [number, number, number];
        ops.push((x, batch) => subsample(full.run(x, batch), batch, channels, fullHeight, fullWidth, stride, out[1]!, out[2]!));
        break;
      }
      case 'batchnorm': {
        const plane = size(shape) / layer.channels;
        const { scale, shift } = layer;
        ops.push((x) => {
          const y = new Float32Array(x.length);
          for (let i = 0; i < x.length; i++) {
            const c = Math.floor(i / plane) % layer.channels;
            y[i] = x[i]! * scale[c]! + shift[c]!;
          }
          return y;
        });
        break;
      }
      case 'avgpool2d':
        ops.push((x, batch) => averagePool(x, batch * shape[0]!, shape[1]!, shape[2]!, layer.size, layer.size));
        break;
      case 'globalavgpool':
        ops.push((x, batch) => averagePool(x, batch * shape[0]!, shape[1]!, shape[2]!, shape[1]!, shape[2]!));
        break;
      case 'residual': {
        const body = compileGraph({ inputShape: shape, layers: layer.body }, compileChain, shapesOf);
        const skip = layer.skip.length === 0 ? null : compileGraph({ inputShape: shape, layers: layer.skip }, compileChain, shapesOf);
        ops.push((x, batch) => {
          const y = body.run(x, batch);
          const z = skip === null ? x : skip.run(x, batch);
          const sum = new Float32Array(y.length);
          for (let i = 0; i < y.length; i++) sum[i] = y[i]! + z[i]!;
          return sum;
        });
        break;
      }
      default:
        throw new RangeError(`compileGraph: unexpected ${layer.kind}`);
    }
  });
  flush();
  const inputSize = size(shapes[0]!);
  const outputShape = shapes[shapes.length - 1]!;
  const outputSize = size(outputShape);
  return {
    inputSize,
    outputSize,
    outputShape,
    run(input: Float32Array, batchSize: number): Float32Array {
      checkBatch(input, batchSize, inputSize);
      let x = input;
      for (const op of ops) x = op(x, batchSize);
      return x === input ? Float32Array.from(input) : x;
    },
  };
}

/** A forward pass's input must hold batchSize items of inputSize values. */
export function checkBatch(input: Float32Array, batchSize: number, inputSize: number): void {
  if (!Number.isSafeInteger(batchSize) || batchSize < 0 || input.length !== batchSize * inputSize) {
    throw new RangeError(`forward: input has ${input.length} values, expected batchSize ${batchSize} × ${inputSize}`);
  }
}

/** Every `stride`-th position of a stride-1 output: position (y, x) of the strided map is (y·s, x·s). */
function subsample(full: Float32Array, batch: number, channels: number, height: number, width: number, stride: number, outHeight: number, outWidth: number): Float32Array {
  const out = new Float32Array(batch * channels * outHeight * outWidth);
  let o = 0;
  for (let plane = 0; plane < batch * channels; plane++) {
    const base = plane * height * width;
    for (let y = 0; y < outHeight; y++) for (let x = 0; x < outWidth; x++) out[o++] = full[base + y * stride * width + x * stride]!;
  }
  return out;
}

/** Mean over windows of windowH × windowW with strides equal to the window (remainder dropped), in float64. */
function averagePool(x: Float32Array, planes: number, height: number, width: number, windowH: number, windowW: number): Float32Array {
  const oh = Math.floor(height / windowH);
  const ow = Math.floor(width / windowW);
  const out = new Float32Array(planes * oh * ow);
  const count = windowH * windowW;
  let o = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * height * width;
    for (let y = 0; y < oh; y++) {
      for (let xx = 0; xx < ow; xx++) {
        let sum = 0;
        for (let a = 0; a < windowH; a++) for (let b = 0; b < windowW; b++) sum += x[base + (y * windowH + a) * width + xx * windowW + b]!;
        out[o++] = sum / count;
      }
    }
  }
  return out;
}
