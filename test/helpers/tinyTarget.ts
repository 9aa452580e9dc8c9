// A tiny random target for CLI-level tests: mlp:784-16-10 without biases, weights U[−0.3, 0.3] from stream 3 of
// the given seed, so that every test file builds the same network for the same seed.
import { RandomStream } from '../../src/core/random.js';
import { saveModel } from '../../src/io/modelFile.js';
import { createNetwork } from '../../src/nn/architectures.js';
import type { Network } from '../../src/nn/network.js';

export function tinyNetwork(seed: number): Network {
  const network = createNetwork('mlp:784-16-10', { bias: false, preprocess: 'pixels' });
  const stream = new RandomStream(seed, 3);
  let i = 0;
  for (const layer of network.layers) if (layer.kind === 'dense') for (let k = 0; k < layer.weight.length; k++) layer.weight[k] = stream.uniform(i++, -0.3, 0.3);
  return network;
}

/** Saves tinyNetwork(seed) as safetensors at `path` and returns the path. */
export function saveTinyTarget(path: string, seed: number): string {
  saveModel(path, tinyNetwork(seed));
  return path;
}
