/**
 * The MNIST architectures of the paper's experiments (Pensia et al. 2020, §5): FC2 784-500-10,
 * FC4 784-500-500-500-10, LeNet5, and any MLP written `mlp:784-300-100-10`. Networks are created with
 * zero weights and PyTorch module names (fc1, fc2, …; conv1, conv2, fc1, fc2, fc3), so a state_dict of
 * the classes in docs/model-files.md maps onto them one to one.
 */
import { InputError } from '../core/errors.js';
import { formatBytes } from '../core/limits.js';
import type { Conv2dLayer, DenseLayer, Layer, Network, Preprocess } from './network.js';

export type ArchSpec =
  | { kind: 'mlp'; /** canonical name: fc2, fc4 or mlp:… */ name: string; /** layer widths, input first */ sizes: number[] }
  | { kind: 'lenet5'; name: 'lenet5' };

export const ARCH_NAMES = ['fc2', 'fc4', 'lenet5', 'mlp:784-…-10'] as const;

const NAMED_MLPS: Record<string, number[]> = {
  fc2: [784, 500, 10],
  fc4: [784, 500, 500, 500, 10],
};

/** Largest width accepted in an `mlp:` spec (keeps one weight matrix within typed-array limits). */
const MAX_WIDTH = 1_000_000;
const MAX_WEIGHTS_PER_LAYER = 2 ** 30;

/** Canonical name of an MLP with these widths: fc2/fc4 when they match, else mlp:a-b-…. */
export function mlpName(sizes: readonly number[]): string {
  for (const [name, known] of Object.entries(NAMED_MLPS)) {
    if (known.length === sizes.length && known.every((size, i) => size === sizes[i])) return name;
  }
  return `mlp:${sizes.join('-')}`;
}

/** Parses an architecture name: fc2, fc4, lenet5 or mlp:784-300-100-10 (case-insensitive). */
export function parseArch(text: string): ArchSpec {
  const name = text.trim().toLowerCase();
  if (name === 'lenet5') return { kind: 'lenet5', name: 'lenet5' };
  const known = NAMED_MLPS[name];
  if (known !== undefined && Object.hasOwn(NAMED_MLPS, name)) return { kind: 'mlp', name, sizes: [...known] };
  if (name.startsWith('mlp:')) {
    const parts = name.slice(4).split('-');
    const sizes = parts.map((part) => (/^[0-9]+$/.test(part) ? Number(part) : NaN));
    if (sizes.length < 2 || sizes.some((size) => !Number.isSafeInteger(size) || size < 1)) {
      throw new InputError(`arch '${text}': an MLP is written mlp:IN-HIDDEN-…-OUT with widths 1..${MAX_WIDTH}, e.g. mlp:784-300-100-10`);
    }
    // Refused before anything is allocated, with what the layer would need.
    for (let i = 1; i < sizes.length; i++) {
      const weights = sizes[i - 1]! * sizes[i]!;
      if (weights > MAX_WEIGHTS_PER_LAYER || sizes[i - 1]! > MAX_WIDTH || sizes[i]! > MAX_WIDTH) {
        throw new InputError(
          `arch '${text}': layer ${i} (${sizes[i - 1]}→${sizes[i]}) would hold ${weights.toLocaleString('en-US')} weights (${formatBytes(4 * weights)} as float32); ` +
            `the limit is widths ≤ ${MAX_WIDTH.toLocaleString('en-US')} and ${MAX_WEIGHTS_PER_LAYER.toLocaleString('en-US')} weights (${formatBytes(4 * MAX_WEIGHTS_PER_LAYER)}) per layer`,
        );
      }
    }
    return { kind: 'mlp', name: mlpName(sizes), sizes };
  }
  throw new InputError(`arch: expected fc2, fc4, lenet5 or mlp:784-…-10, got '${text}'`);
}

export interface CreateNetworkOptions {
  bias: boolean;
  preprocess?: Preprocess;
}

export function denseLayer(name: string, inFeatures: number, outFeatures: number, bias: boolean): DenseLayer {
  return {
    kind: 'dense',
    name,
    inFeatures,
    outFeatures,
    weight: new Float32Array(inFeatures * outFeatures),
    bias: bias ? new Float32Array(outFeatures) : null,
  };
}

export function conv2dLayer(name: string, inChannels: number, outChannels: number, kernelSize: number, padding: number, bias: boolean): Conv2dLayer {
  return {
    kind: 'conv2d',
    name,
    inChannels,
    outChannels,
    kernelSize,
    padding,
    weight: new Float32Array(outChannels * inChannels * kernelSize * kernelSize),
    bias: bias ? new Float32Array(outChannels) : null,
  };
}

/** An MLP with widths `sizes`: fc1 … fc(L), ReLU between consecutive layers, none after the last. */
export function createMlp(sizes: readonly number[], options: CreateNetworkOptions): Network {
  const layers: Layer[] = [];
  for (let i = 1; i < sizes.length; i++) {
    if (i > 1) layers.push({ kind: 'relu' });
    layers.push(denseLayer(`fc${i}`, sizes[i - 1]!, sizes[i]!, options.bias));
  }
  const network: Network = { inputShape: [sizes[0]!], layers, arch: mlpName(sizes) };
  if (options.preprocess !== undefined) network.preprocess = options.preprocess;
  return network;
}

/**
 * LeNet5 as in the paper's code: conv1 1→6 5×5 pad 2, ReLU, maxpool 2, conv2 6→16 5×5, ReLU, maxpool 2,
 * flatten (16·5·5 = 400), fc1 400→120, ReLU, fc2 120→84, ReLU, fc3 84→10. Input [1, 28, 28].
 */
export function createLenet5(options: CreateNetworkOptions): Network {
  const b = options.bias;
  const layers: Layer[] = [
    conv2dLayer('conv1', 1, 6, 5, 2, b),
    { kind: 'relu' },
    { kind: 'maxpool2d', size: 2 },
    conv2dLayer('conv2', 6, 16, 5, 0, b),
    { kind: 'relu' },
    { kind: 'maxpool2d', size: 2 },
    { kind: 'flatten' },
    denseLayer('fc1', 400, 120, b),
    { kind: 'relu' },
    denseLayer('fc2', 120, 84, b),
    { kind: 'relu' },
    denseLayer('fc3', 84, 10, b),
  ];
  const network: Network = { inputShape: [1, 28, 28], layers, arch: 'lenet5' };
  if (options.preprocess !== undefined) network.preprocess = options.preprocess;
  return network;
}

/** A zero-weight network of the named architecture (see parseArch). */
export function createNetwork(arch: string | ArchSpec, options: CreateNetworkOptions): Network {
  const spec = typeof arch === 'string' ? parseArch(arch) : arch;
  return spec.kind === 'lenet5' ? createLenet5(options) : createMlp(spec.sizes, options);
}
