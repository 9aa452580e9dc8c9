// Architecture names and the networks they build: PyTorch module names, layer chains, parameter counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/errors.js';
import { createNetwork, mlpName, parseArch } from '../../src/nn/architectures.js';
import { networkShapes } from '../../src/nn/forward.js';
import { parameterCount } from '../../src/nn/network.js';

test('parseArch knows fc2, fc4, lenet5 and mlp:…, and names known MLPs canonically', () => {
  assert.deepEqual(parseArch('fc2'), { kind: 'mlp', name: 'fc2', sizes: [784, 500, 10] });
  assert.deepEqual(parseArch(' FC4 '), { kind: 'mlp', name: 'fc4', sizes: [784, 500, 500, 500, 10] });
  assert.deepEqual(parseArch('lenet5'), { kind: 'lenet5', name: 'lenet5' });
  assert.deepEqual(parseArch('mlp:784-300-100-10'), { kind: 'mlp', name: 'mlp:784-300-100-10', sizes: [784, 300, 100, 10] });
  assert.equal(parseArch('mlp:784-500-10').name, 'fc2');
  assert.equal(mlpName([784, 10]), 'mlp:784-10');
  for (const bad of ['fc3', 'mlp:', 'mlp:784', 'mlp:784-0-10', 'mlp:784--10', 'mlp:784-1e3-10', 'mlp:784-x-10', 'constructor', 'mlp:100000-100000']) {
    assert.throws(() => parseArch(bad), InputError, bad);
  }
});

test('MLPs: fc1…fcL with a ReLU between layers and none after the last', () => {
  const net = createNetwork('mlp:784-300-100-10', { bias: true, preprocess: 'standard' });
  assert.deepEqual(
    net.layers.map((l) => (l.kind === 'dense' ? `${l.name}:${l.inFeatures}->${l.outFeatures}` : l.kind)),
    ['fc1:784->300', 'relu', 'fc2:300->100', 'relu', 'fc3:100->10'],
  );
  assert.deepEqual(net.inputShape, [784]);
  assert.equal(net.preprocess, 'standard');
  assert.equal(net.arch, 'mlp:784-300-100-10');
  for (const layer of net.layers) if (layer.kind === 'dense') assert.ok(layer.weight.every((w) => w === 0) && layer.bias !== null);
});

test('parameter counts match the paper (FC2 397,000; FC4 897,000; LeNet5 conv part 2,550)', () => {
  assert.equal(parameterCount(createNetwork('fc2', { bias: false })), 784 * 500 + 500 * 10);
  assert.equal(parameterCount(createNetwork('fc2', { bias: true })), 397_000 + 510);
  assert.equal(parameterCount(createNetwork('fc4', { bias: false })), 897_000);
  const lenet = createNetwork('lenet5', { bias: false });
  const conv = lenet.layers.filter((l) => l.kind === 'conv2d').reduce((sum, l) => sum + (l.kind === 'conv2d' ? l.weight.length : 0), 0);
  assert.equal(conv, 2550);
  assert.equal(parameterCount(lenet), 2550 + 400 * 120 + 120 * 84 + 84 * 10);
  assert.equal(parameterCount(createNetwork('lenet5', { bias: true })), 61_470 + 6 + 16 + 120 + 84 + 10);
});

test('LeNet5: conv1 pad 2 keeps 28×28, two 2×2 pools give 16×5×5 = 400 features, 10 outputs', () => {
  const lenet = createNetwork('lenet5', { bias: true });
  assert.deepEqual(lenet.inputShape, [1, 28, 28]);
  const shapes = networkShapes(lenet);
  assert.deepEqual(shapes, [
    [1, 28, 28], [6, 28, 28], [6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 10, 10], [16, 5, 5],
    [400], [120], [120], [84], [84], [10],
  ]);
  assert.deepEqual(
    lenet.layers.map((l) => ('name' in l ? l.name : l.kind)),
    ['conv1', 'relu', 'maxpool2d', 'conv2', 'relu', 'maxpool2d', 'flatten', 'fc1', 'relu', 'fc2', 'relu', 'fc3'],
  );
});
