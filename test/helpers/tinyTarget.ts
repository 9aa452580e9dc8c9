// A tiny random target for CLI-level tests: mlp:784-16-10 without biases, weights U[−0.3, 0.3] from stream 3 of
// the given seed, so that every test file builds the same network for the same seed.
import { RandomStream } from '../../src/core/random.js';
import { saveModel } from '../../src/io/modelFile.js';
import { createNetwork, denseLayer } from '../../src/nn/architectures.js';
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

/** Fills the arrays in order with U[−halfWidth, halfWidth) draws of `stream`, one running index across them all. */
export function fillUniform(stream: RandomStream, arrays: readonly Float32Array[], halfWidth: number): void {
  let i = 0;
  for (const array of arrays) for (let k = 0; k < array.length; k++) array[k] = stream.uniform(i++, -halfWidth, halfWidth);
}

/** 784-hidden-10 with biases (MNIST pixels), weights U[−0.1, 0.1) from stream 2 of `seed`. */
export function biasedMlp(hidden: number, seed: number): Network {
  const a = denseLayer('fc1', 784, hidden, true);
  const b = denseLayer('fc2', hidden, 10, true);
  fillUniform(new RandomStream(seed, 2), [a.weight, a.bias!, b.weight, b.bias!], 0.1);
  return { inputShape: [784], preprocess: 'pixels', layers: [a, { kind: 'relu' }, b] };
}

