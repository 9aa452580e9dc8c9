// Cross-check on MNIST: onnxruntime-node runs what our exporter writes and agrees with our own forward pass (on
// the network read back by our importer) for a random-weight fc2 on all 10,000 test images and a random LeNet5
// on the first 2,000: max |logit difference| ≤ 1e-4 and the same argmax for every image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { RandomStream, namedStream } from '../../src/core/random.js';
import { createNetwork } from '../../src/nn/architectures.js';
import { forward } from '../../src/nn/forward.js';
import { isParameterised, type Network } from '../../src/nn/network.js';
import { loadMnist } from '../../src/io/mnist.js';
import { preprocessImages, MNIST_CLASSES } from '../../src/nn/images.js';
import { networkFromOnnxBytes, onnxBytesFromNetwork } from '../../src/io/onnx.js';

/** Weights and biases U[-1/√fan_in, 1/√fan_in) (PyTorch's default init range), one named stream per tensor. */
function randomNetwork(arch: string, seed: number): Network {
  const network = createNetwork(arch, { bias: true, preprocess: 'standard' });
  for (const layer of network.layers) {
    if (!isParameterised(layer)) continue;
    const fanIn = layer.kind === 'dense' ? layer.inFeatures : layer.inChannels * layer.kernelSize * layer.kernelSize;
    const bound = 1 / Math.sqrt(fanIn);
    new RandomStream(seed, namedStream(`${layer.name}.weight`)).fill({ kind: 'uniform', low: -bound, high: bound }, 0, layer.weight);
    new RandomStream(seed, namedStream(`${layer.name}.bias`)).fill({ kind: 'uniform', low: -bound, high: bound }, 0, layer.bias!);
  }
  return network;
}

function argmax(logits: Float32Array, row: number): number {
  let best = 0;
  for (let k = 1; k < MNIST_CLASSES; k++) if (logits[row * MNIST_CLASSES + k]! > logits[row * MNIST_CLASSES + best]!) best = k;
  return best;
}

for (const [arch, count] of [['fc2', 10_000], ['lenet5', 2_000]] as const) {
  test(`onnxruntime agrees with our forward pass on ${count} MNIST test images: random ${arch}`, async (t) => {
    const network = randomNetwork(arch, 2020);
    const bytes = onnxBytesFromNetwork(network);
    const imported = networkFromOnnxBytes(bytes, `${arch}.onnx`);
    const mnist = loadMnist('test');
    const input = preprocessImages(mnist.images, 'standard', 0, count);

    const ours = forward(imported, input, count);
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    let theirs: Float32Array;
    try {
      const result = await session.run({ input: new ort.Tensor('float32', input, [count, ...network.inputShape]) });
      theirs = result['logits']!.data as Float32Array;
    } finally {
      await session.release();
    }

    assert.equal(theirs.length, count * MNIST_CLASSES);
    assert.equal(ours.length, count * MNIST_CLASSES);
    let maxDifference = 0;
    let argmaxDisagreements = 0;
    for (let i = 0; i < theirs.length; i++) maxDifference = Math.max(maxDifference, Math.abs(theirs[i]! - ours[i]!));
    for (let row = 0; row < count; row++) if (argmax(theirs, row) !== argmax(ours, row)) argmaxDisagreements++;
    t.diagnostic(`${arch}: max |logit difference| ${maxDifference.toExponential(2)} over ${count} images`);
    assert.ok(maxDifference <= 1e-4, `max |logit difference| ${maxDifference}`);
    assert.equal(argmaxDisagreements, 0);
    // Random weights still have to spread predictions, or the argmax comparison would be vacuous.
    const predicted = new Set(Array.from({ length: count }, (_, row) => argmax(ours, row)));
    assert.ok(predicted.size >= 2, `all ${count} images predicted as ${[...predicted]}`);
  });
}
