// The fast forward pass of networks with residual blocks, batch norm, average pooling and strided convolutions
// (src/nn/graphForward.ts joining compiled chains) against the float64 reference forward pass, on random networks
// of those layers (nested blocks, identity and projection skips, strides 1–3, pools that drop a remainder), and
// the shape checks that refuse a block whose paths disagree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/errors.js';
import { RandomStream } from '../../src/core/random.js';
import { conv2dLayer, denseLayer } from '../../src/nn/architectures.js';
import { forward, networkShapes } from '../../src/nn/forward.js';
import type { Layer, Network } from '../../src/nn/network.js';
import { referenceForward } from '../../src/nn/referenceForward.js';

function filled<T extends Layer>(layer: T, stream: RandomStream, start: number): T {
  if (layer.kind === 'dense' || layer.kind === 'conv2d') {
    stream.fill({ kind: 'uniform', low: -0.5, high: 0.5 }, start, layer.weight);
    if (layer.bias) stream.fill({ kind: 'uniform', low: -0.2, high: 0.2 }, start + 100_000, layer.bias);
  }
  return layer;
}

function batchNorm(channels: number, stream: RandomStream, start: number): Layer {
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  stream.fill({ kind: 'uniform', low: 0.5, high: 1.5 }, start, scale);
  stream.fill({ kind: 'uniform', low: -0.3, high: 0.3 }, start + 1000, shift);
  return { kind: 'batchnorm', name: `bn${start}`, channels, scale, shift };
}

function randomNetwork(seed: number): Network {
  const s = new RandomStream(seed, 3);
  const pick = (i: number, n: number): number => Math.floor(s.uniform01(i) * n);
  const c = 2 + pick(1, 3);
  const stride = 1 + pick(2, 3);
  const conv = (name: string, cin: number, cout: number, k: number, p: number, st: number, at: number): Layer => ({ ...filled(conv2dLayer(name, cin, cout, k, p, pick(at, 2) === 0), s, at * 1000), ...(st !== 1 ? { stride: st } : {}) });
  const inner: Layer = { kind: 'residual', body: [conv('inner', c, c, 3, 1, 1, 7), { kind: 'relu' }], skip: [] };
  const layers: Layer[] = [
    conv('stem', 1, c, 3, 1, 1, 3),
    batchNorm(c, s, 4),
    { kind: 'relu' },
    { kind: 'residual', body: [conv('a', c, c, 3, 1, 1, 5), batchNorm(c, s, 6), { kind: 'relu' }, inner], skip: [] },
    { kind: 'residual', body: [conv('b', c, 2 * c, 3, 1, stride, 8), { kind: 'relu' }], skip: [conv('proj', c, 2 * c, 1, 0, stride, 9), batchNorm(2 * c, s, 10)] },
    { kind: 'relu' },
    pick(11, 2) === 0 ? { kind: 'avgpool2d', size: 2 } : { kind: 'maxpool2d', size: 2 },
    { kind: 'globalavgpool' },
    { kind: 'flatten' },
    batchNorm(2 * c, s, 12),
    filled(denseLayer('fc', 2 * c, 3, true), s, 13),
  ];
  return { inputShape: [1, 9 + pick(14, 4), 9 + pick(15, 4)], layers };
}

test('fast forward = reference forward on random residual networks with batch norm, pooling and strides', () => {
  for (let seed = 1; seed <= 12; seed++) {
    const network = randomNetwork(seed);
    const size = network.inputShape.reduce((a, b) => a * b, 1);
    const batch = 5;
    const input = new Float32Array(batch * size);
    new RandomStream(seed, 4).fill({ kind: 'uniform', low: 0, high: 1 }, 0, input);
    const fast = forward(network, input, batch);
    const slow = referenceForward(network, input, batch);
    assert.equal(fast.length, slow.length);
    for (let i = 0; i < fast.length; i++) assert.ok(Math.abs(fast[i]! - slow[i]!) <= 1e-5 * (1 + Math.abs(slow[i]!)), `seed ${seed}, output ${i}: ${fast[i]} vs ${slow[i]}`);
    // One item at a time gives the same bits as the batch.
    const one = forward(network, input.subarray(size, 2 * size), 1);
    assert.deepEqual(Array.from(one), Array.from(fast.subarray(3, 6)));
  }
});

test('a residual block whose paths give different shapes, or a batch norm of the wrong width, is refused', () => {
  const bad: Network = { inputShape: [4], layers: [{ kind: 'residual', body: [denseLayer('fc', 4, 3, false)], skip: [] }] };
  assert.throws(() => networkShapes(bad), (e: unknown) => e instanceof InputError && /body gives \[3\] and its skip \[4\]/.test(e.message));
  const norm: Network = { inputShape: [4], layers: [{ kind: 'batchnorm', name: 'bn', channels: 3, scale: new Float32Array(3), shift: new Float32Array(3) }] };
  assert.throws(() => networkShapes(norm), InputError);
});
