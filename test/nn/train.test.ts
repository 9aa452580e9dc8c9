/**
 * Training: seeded shuffling and initialisation, a tiny MNIST run that must lower the loss (judged by
 * our own forward pass, src/nn/evaluate.ts), bit-for-bit repeatability, and no leaked tf tensors.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/node/platform.js'; // the Node platform: worker threads, clock, tfjs wasm files
import { InputError } from '../../src/core/errors.js';
import { loadMnist } from '../../src/io/mnist.js';
import { type MnistSet } from '../../src/nn/images.js';
import { createNetwork } from '../../src/nn/architectures.js';
import { evaluate } from '../../src/nn/evaluate.js';
import type { DenseLayer, Network } from '../../src/nn/network.js';
import { initTf, type Tf } from '../../src/nn/tf/backend.js';
import { defaultTraining, epochOrder, initializeNetwork, scheduledLearningRate, trainNetwork, type TrainOptions } from '../../src/nn/train.js';

let tf: Tf;
let train: MnistSet;
before(async () => {
  tf = await initTf();
  train = loadMnist('train');
});

function subset(set: MnistSet, start: number, count: number): MnistSet {
  return { images: set.images.subarray(start * 784, (start + count) * 784), labels: set.labels.subarray(start, start + count), count, rows: set.rows, cols: set.cols };
}

test('epochOrder is a permutation, repeatable, and different across epochs and seeds', () => {
  const a = epochOrder(1000, 5, 0);
  assert.deepEqual([...a].sort((x, y) => x - y), [...Array(1000).keys()]);
  assert.deepEqual(epochOrder(1000, 5, 0), a);
  assert.notDeepEqual(epochOrder(1000, 5, 1), a);
  assert.notDeepEqual(epochOrder(1000, 6, 0), a);
  // Each position is roughly uniform: over 400 epochs, element 0 lands in the first half about half the time.
  let firstHalf = 0;
  for (let epoch = 0; epoch < 400; epoch++) if (epochOrder(10, 1, epoch).indexOf(0) < 5) firstHalf++;
  assert.ok(firstHalf > 150 && firstHalf < 250, `element 0 in the first half ${firstHalf}/400 times`);
});

test('initializeNetwork follows each scheme\'s distribution and is repeatable', () => {
  const template = createNetwork('mlp:784-300-10', { bias: true });
  const fc1 = (n: Network) => n.layers[0] as DenseLayer;
  const stats = (values: Float32Array) => {
    let sum = 0;
    let squares = 0;
    let max = 0;
    for (const v of values) {
      sum += v;
      squares += v * v;
      max = Math.max(max, Math.abs(v));
    }
    return { mean: sum / values.length, std: Math.sqrt(squares / values.length), max };
  };
  const bound = 1 / Math.sqrt(784);
  const pytorch = initializeNetwork(template, 3, 'pytorch-default');
  const s = stats(fc1(pytorch).weight);
  assert.ok(s.max < bound && s.max > 0.99 * bound, `max |w| ${s.max} vs bound ${bound}`);
  assert.ok(Math.abs(s.std - bound / Math.sqrt(3)) < 0.01 * bound, `std ${s.std}`);
  assert.ok(stats(fc1(pytorch).bias!).max < bound && stats(fc1(pytorch).bias!).max > 0);
  const normal = stats(fc1(initializeNetwork(template, 3, 'kaiming-normal')).weight);
  assert.ok(Math.abs(normal.std - Math.sqrt(2 / 784)) < 0.01 * Math.sqrt(2 / 784), `kaiming-normal std ${normal.std}`);
  const uniform = stats(fc1(initializeNetwork(template, 3, 'kaiming-uniform')).weight);
  assert.ok(uniform.max < Math.sqrt(6 / 784) && Math.abs(uniform.std - Math.sqrt(2 / 784)) < 0.01 * Math.sqrt(2 / 784));
  assert.ok(fc1(initializeNetwork(template, 3, 'kaiming-normal')).bias!.every((v) => v === 0));
  assert.deepEqual(fc1(initializeNetwork(template, 3)).weight, fc1(pytorch).weight);
  assert.notDeepEqual(fc1(initializeNetwork(template, 4)).weight, fc1(pytorch).weight);
  // The template (zero weights) is not modified.
  assert.ok(fc1(template).weight.every((v) => v === 0));
  // Streams are per layer name: fc1 draws the same weights in a network with different later layers.
  assert.deepEqual(fc1(initializeNetwork(createNetwork('mlp:784-300-20-10', { bias: true }), 3)).weight, fc1(pytorch).weight);
});

test('scheduledLearningRate: constant, and cosine from lr down towards 0', () => {
  assert.equal(scheduledLearningRate(0.1, 'constant', 3, 5), 0.1);
  assert.equal(scheduledLearningRate(0.1, 'cosine', 0, 4), 0.1);
  assert.ok(Math.abs(scheduledLearningRate(0.1, 'cosine', 2, 4) - 0.05) < 1e-15);
  assert.ok(scheduledLearningRate(0.1, 'cosine', 3, 4) < 0.015);
});

const tiny = (overrides: Partial<TrainOptions> = {}): TrainOptions => ({
  epochs: 1,
  batchSize: 50,
  optimizer: 'adam',
  learningRate: 2e-3,
  preprocess: 'pixels',
  seed: 9,
  ...overrides,
});

test('a tiny MLP trained on 2,000 MNIST images for one epoch lowers the loss; same seed, same weights bit for bit; no leaked tensors', async () => {
  const set = subset(train, 0, 2000);
  const heldOut = subset(train, 2000, 1000);
  const network = initializeNetwork(createNetwork('mlp:784-64-10', { bias: false }), 9);
  const lossBefore = evaluate(network, heldOut, { preprocess: 'pixels' }).loss;
  const tensorsBefore = tf.memory().numTensors;
  const epochs: number[] = [];
  let batches = 0;
  const first = await trainNetwork(network, set, tiny({ testSet: heldOut, onEpoch: (r) => epochs.push(r.epoch), onBatch: () => batches++ }));
  assert.equal(tf.memory().numTensors, tensorsBefore, 'no tf tensors leaked');
  assert.deepEqual(epochs, [1]);
  assert.equal(batches, 40);
  const after = evaluate(first.network, heldOut, { preprocess: 'pixels' });
  assert.ok(after.loss < lossBefore / 3, `held-out loss ${lossBefore} → ${after.loss}`);
  assert.ok(after.accuracy > 0.75, `held-out accuracy ${after.accuracy}`);
  // tfjs's own evaluation of the same weights agrees with our forward pass.
  assert.ok(Math.abs(first.history[0]!.testLoss! - after.loss) < 1e-4, `tf loss ${first.history[0]!.testLoss} vs ours ${after.loss}`);
  assert.ok(Math.abs(first.history[0]!.testAccuracy! - after.accuracy) <= 1 / 1000);
  assert.equal(first.network.preprocess, 'pixels');
  // The input network is not modified.
  assert.notDeepEqual((first.network.layers[0] as DenseLayer).weight, (network.layers[0] as DenseLayer).weight);
  const second = await trainNetwork(network, set, tiny());
  second.network.layers.forEach((layer, i) => {
    if (layer.kind === 'dense') assert.deepEqual(layer.weight, (first.network.layers[i] as DenseLayer).weight, `layer ${i} repeats bit for bit`);
  });
  assert.equal(second.history[0]!.trainLoss, first.history[0]!.trainLoss);
  const otherSeed = await trainNetwork(network, set, tiny({ seed: 10 }));
  assert.notDeepEqual((otherSeed.network.layers[0] as DenseLayer).weight, (first.network.layers[0] as DenseLayer).weight, 'the seed changes the shuffling');
});

test('SGD with momentum and a LeNet5 (conv, maxpool, biases) also learn on a few hundred images', async () => {
  const set = subset(train, 0, 600);
  const heldOut = subset(train, 3000, 500);
  const network = initializeNetwork(createNetwork('lenet5', { bias: true }), 2);
  const before = evaluate(network, heldOut, { preprocess: 'standard' }).loss;
  const result = await trainNetwork(network, set, tiny({ epochs: 2, batchSize: 20, optimizer: 'sgd', learningRate: 0.02, momentum: 0.9, preprocess: 'standard' }));
  const after = evaluate(result.network, heldOut, { preprocess: 'standard' }).loss;
  assert.ok(after < before / 2, `held-out loss ${before} → ${after}`);
  assert.ok(result.history[1]!.trainLoss < result.history[0]!.trainLoss);
});

test('bad options are InputErrors naming the option', async () => {
  const network = initializeNetwork(createNetwork('mlp:784-8-10', { bias: false }), 1);
  const set = subset(train, 0, 10);
  for (const [overrides, word] of [
    [{ epochs: 0 }, 'epochs'],
    [{ batchSize: 1.5 }, 'batchSize'],
    [{ learningRate: -1 }, 'learningRate'],
    [{ optimizer: 'rmsprop' as 'sgd' }, 'optimizer'],
    [{ momentum: 1 }, 'momentum'],
  ] as const) {
    await assert.rejects(trainNetwork(network, set, tiny(overrides)), (error: unknown) => error instanceof InputError && error.message.includes(word));
  }
  await assert.rejects(trainNetwork(createNetwork('lenet5', { bias: false }), { images: new Uint8Array(10), labels: new Uint8Array(1), count: 1 }, tiny()), InputError);
  // Labels beyond the network's outputs (MNIST has 10 classes, this network 5).
  await assert.rejects(trainNetwork(createNetwork('mlp:784-8-5', { bias: false }), subset(train, 0, 100), tiny()), (error: unknown) => error instanceof InputError && /label \d+ is [5-9]/.test(error.message));
});

test('defaults exist for every named architecture and mlp:…', () => {
  for (const arch of ['fc2', 'fc4', 'lenet5', 'mlp:784-300-100-10']) {
    const d = defaultTraining(arch);
    assert.ok(d.epochs >= 1 && d.batchSize >= 1 && d.learningRate > 0);
  }
  assert.equal(defaultTraining('lenet5').preprocess, 'standard');
  assert.equal(defaultTraining('fc2').preprocess, 'pixels');
});

test('weight decay adds wd·w to every gradient: one plain SGD step differs from the undecayed one by −lr·wd·w', async () => {
  const set = subset(train, 0, 16);
  const network = initializeNetwork(createNetwork('mlp:784-8-10', { bias: false }), 4);
  const options = tiny({ epochs: 1, batchSize: 16, optimizer: 'sgd', learningRate: 0.5, momentum: 0 });
  const plain = await trainNetwork(network, set, options);
  const decayed = await trainNetwork(network, set, { ...options, weightDecay: 0.1 });
  network.layers.forEach((layer, l) => {
    if (layer.kind !== 'dense') return;
    const w0 = layer.weight;
    const a = (plain.network.layers[l] as DenseLayer).weight;
    const b = (decayed.network.layers[l] as DenseLayer).weight;
    for (let i = 0; i < w0.length; i++) {
      const expected = -0.5 * 0.1 * w0[i]!;
      assert.ok(Math.abs(b[i]! - a[i]! - expected) <= 1e-6 + 1e-4 * Math.abs(expected), `layer ${l} weight ${i}: ${b[i]! - a[i]!} vs ${expected}`);
    }
  });
});
