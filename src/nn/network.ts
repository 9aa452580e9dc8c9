/**
 * The network representation shared by training, import/export, tickets and verification: a chain of
 * layers applied to one input tensor. Weights are float32, row-major, in PyTorch's layouts:
 * dense `[out, in]`, conv2d `[outChannels, inChannels, kernelH, kernelW]`. Activations are `[batch, …]`.
 */

/** How raw MNIST pixels (bytes 0..255) become network inputs. */
export type Preprocess = 'pixels' | 'standard';
export const PREPROCESS_STANDARD_MEAN = 0.1307;
export const PREPROCESS_STANDARD_STD = 0.3081;

export interface DenseLayer {
  kind: 'dense';
  /** state_dict prefix, e.g. "fc1" or "layers.0": weight is `${name}.weight`. */
  name: string;
  inFeatures: number;
  outFeatures: number;
  /** [outFeatures, inFeatures] */
  weight: Float32Array;
  bias: Float32Array | null;
}

export interface Conv2dLayer {
  kind: 'conv2d';
  name: string;
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  padding: number;
  /** Step between output positions (PyTorch stride); absent: 1. */
  stride?: number;
  /** [outChannels, inChannels, kernelSize, kernelSize] */
  weight: Float32Array;
  bias: Float32Array | null;
}

export interface ReluLayer {
  kind: 'relu';
}

/** Max-pooling with a square window equal to its stride (PyTorch MaxPool2d(size)). */
export interface MaxPool2dLayer {
  kind: 'maxpool2d';
  size: number;
}

/** Flattens [batch, c, h, w] to [batch, c·h·w] in row-major order (torch.flatten(x, 1)). */
export interface FlattenLayer {
  kind: 'flatten';
}

/**
 * Batch norm in eval mode as the per-channel affine map it is, y = scale[c]·x + shift[c] (scale = γ/√(var + eps),
 * shift = β − mean·scale), channel c being the first dimension of an item ([C, H, W] or [C]). Imports fold it into
 * a dense/conv layer right before it; this layer is what remains where nothing precedes it.
 */
export interface BatchNormLayer {
  kind: 'batchnorm';
  name: string;
  channels: number;
  scale: Float32Array;
  shift: Float32Array;
}

/** Average pooling with a square window equal to its stride, no padding (PyTorch AvgPool2d(size)). */
export interface AvgPool2dLayer {
  kind: 'avgpool2d';
  size: number;
}

/** Global average pooling: [C, H, W] → [C, 1, 1] (PyTorch adaptive_avg_pool2d(x, 1)). */
export interface GlobalAvgPoolLayer {
  kind: 'globalavgpool';
}

/**
 * A residual block: y = body(x) + skip(x), skip empty for the identity (h + relu(fc(h))), or a projection (a strided
 * 1×1 conv with batch norm). Both paths read the same input; their outputs must have the same shape.
 */
export interface ResidualLayer {
  kind: 'residual';
  body: Layer[];
  skip: Layer[];
}

export type Layer = DenseLayer | Conv2dLayer | ReluLayer | MaxPool2dLayer | FlattenLayer | BatchNormLayer | AvgPool2dLayer | GlobalAvgPoolLayer | ResidualLayer;

/** The kinds a plain chain network had before residual blocks: what training, export and Theorem 1 handle. */
const CHAIN_LAYER_KINDS: readonly Layer['kind'][] = ['dense', 'conv2d', 'relu', 'maxpool2d', 'flatten'];

export interface Network {
  /** Shape of one input, without the batch dimension: [784] for an MLP, [1, 28, 28] for LeNet5. */
  inputShape: number[];
  layers: Layer[];
  /** Recorded preprocessing of MNIST inputs; absent for a file that did not record it (then `pixels`). */
  preprocess?: Preprocess;
  /** Architecture name when known: "fc2", "fc4", "lenet5", "mlp:784-300-100-10". */
  arch?: string;
  /** The file the network was read from and the SHA-256 of its bytes (tickets record it; verify checks it). */
  source?: { file: string; sha256: string };
  /**
   * Set when the layer chain was inferred from a PyTorch state_dict's names and shapes (no recorded architecture):
   * the chain, and that ReLU was assumed between the layers. The CLI prints it, so such a model is never used
   * silently.
   */
  inferredChain?: string;
}

export function isParameterised(layer: Layer): layer is DenseLayer | Conv2dLayer {
  return layer.kind === 'dense' || layer.kind === 'conv2d';
}

/** Every layer, residual blocks' bodies and skips included (depth first, in forward order). */
export function allLayers(layers: readonly Layer[]): Layer[] {
  const out: Layer[] = [];
  for (const layer of layers) {
    out.push(layer);
    if (layer.kind === 'residual') out.push(...allLayers(layer.body), ...allLayers(layer.skip));
  }
  return out;
}

/** Number of weights and biases (batch norms count their scale and shift). */
export function parameterCount(network: Network): number {
  let count = 0;
  for (const layer of allLayers(network.layers)) {
    if (isParameterised(layer)) count += layer.weight.length + (layer.bias?.length ?? 0);
    else if (layer.kind === 'batchnorm') count += 2 * layer.channels;
  }
  return count;
}

/** Whether a layer belongs to a plain chain (not a residual block, batch norm, average pooling or strided conv). */
export function isChainLayer(layer: Layer): boolean {
  return CHAIN_LAYER_KINDS.includes(layer.kind) && !(layer.kind === 'conv2d' && (layer.stride ?? 1) !== 1);
}
