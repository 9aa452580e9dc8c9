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

export type Layer = DenseLayer | Conv2dLayer | ReluLayer | MaxPool2dLayer | FlattenLayer;

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

/** Number of weights and biases. */
export function parameterCount(network: Network): number {
  let count = 0;
  for (const layer of network.layers) {
    if (isParameterised(layer)) count += layer.weight.length + (layer.bias?.length ?? 0);
  }
  return count;
}
