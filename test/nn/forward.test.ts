// The fast forward pass against the float64 reference on random networks of every layer kind, with sparse,
// standardised and NaN inputs; chunking and batch composition must not change any output bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InputError } from '../../src/core/errors.js';
import { RandomStream } from '../../src/core/random.js';
import { loadMnist } from '../../src/io/mnist.js';
import { preprocessImages } from '../../src/nn/images.js';
import { conv2dLayer, createNetwork, denseLayer } from '../../src/nn/architectures.js';
import { compileNetwork, forward, forwardInChunks, networkShapes } from '../../src/nn/forward.js';
import type { Layer, Network } from '../../src/nn/network.js';
import { referenceForward } from '../../src/nn/referenceForward.js';

/**
 * |a − e| ≤ abs + rel·|e| elementwise. The fast pass rounds activations to float32 between layers (the
 * reference keeps float64), so relative 1e-4 with an absolute floor scaled to the outputs' size.
 */
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel = 1e-4, absFloor = 1e-5): void {
  assert.equal(actual.length, expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) if (Number.isFinite(expected[i]!)) scale = Math.max(scale, Math.abs(expected[i]!));
  const abs = absFloor * Math.max(1, scale);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e)) {
      assert.ok(Number.isNaN(a), `index ${i}: expected NaN, got ${a}`);
      continue;
    }
    assert.ok(Math.abs(a - e) <= abs + rel * Math.abs(e), `index ${i}: ${a} vs ${e}`);
  }
}

function fill(network: Network, seed: number, zeroFraction = 0): Network {
  const s = new RandomStream(seed, 11);
  let i = 0;
  for (const layer of network.layers) {
    if (layer.kind !== 'dense' && layer.kind !== 'conv2d') continue;
    for (let k = 0; k < layer.weight.length; k++) layer.weight[k] = s.uniform01(i++) < zeroFraction ? 0 : s.uniform(i++, -1, 1);
    if (layer.bias) for (let k = 0; k < layer.bias.length; k++) layer.bias[k] = s.uniform(i++, -0.5, 0.5);
  }
  return network;
}

/** Inputs mixing exact zeros, a repeated "background" value and random values (exercises every path). */
function inputs(seed: number, count: number, background: number, zeroFraction: number, backgroundFraction: number): Float32Array {
  const s = new RandomStream(seed, 12);
  const x = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const u = s.uniform01(3 * i);
    x[i] = u < zeroFraction ? 0 : u < zeroFraction + backgroundFraction ? background : s.uniform(3 * i + 1, -2, 2);
  }
  return x;
}

const mlpArb = fc.record({
  widths: fc.array(fc.integer({ min: 1, max: 24 }), { minLength: 2, maxLength: 4 }),
  bias: fc.boolean(),
});

const convArb = fc.record({
  channels: fc.integer({ min: 1, max: 3 }),
  size: fc.integer({ min: 4, max: 11 }),
  kernel: fc.integer({ min: 1, max: 4 }),
  padding: fc.integer({ min: 0, max: 2 }),
  outChannels: fc.integer({ min: 1, max: 5 }),
  secondKernel: fc.integer({ min: 1, max: 3 }),
  pool: fc.integer({ min: 1, max: 3 }),
  bias: fc.boolean(),
});

const inputArb = fc.record({
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  batch: fc.integer({ min: 1, max: 5 }),
  background: fc.constantFrom(0.5, -0.4242, 3),
  zeroFraction: fc.constantFrom(0, 0.3, 0.8),
  backgroundFraction: fc.constantFrom(0, 0.5, 0.9),
  weightZeros: fc.constantFrom(0, 0.5),
});

test('forward matches referenceForward on random MLPs (bias or not, sparse or standardised inputs)', () => {
  fc.assert(
    fc.property(mlpArb, inputArb, ({ widths, bias }, inp) => {
      const layers: Layer[] = [];
      for (let i = 1; i < widths.length; i++) {
        if (i > 1) layers.push({ kind: 'relu' });
        layers.push(denseLayer(`fc${i}`, widths[i - 1]!, widths[i]!, bias));
      }
      const network = fill({ inputShape: [widths[0]!], layers }, inp.seed, inp.weightZeros);
      const x = inputs(inp.seed, inp.batch * widths[0]!, inp.background, inp.zeroFraction, inp.backgroundFraction);
      assertClose(forward(network, x, inp.batch), referenceForward(network, x, inp.batch));
    }),
    { seed: 7001, numRuns: 300 },
  );
});

test('forward matches referenceForward on random conv nets (padding, pooling with remainders, flatten, dense)', () => {
  fc.assert(
    fc.property(convArb, inputArb, (c, inp) => {
      const first = conv2dLayer('conv1', c.channels, c.outChannels, Math.min(c.kernel, c.size + 2 * c.padding), c.padding, c.bias);
      const side1 = c.size + 2 * c.padding - first.kernelSize + 1;
      const layers: Layer[] = [first, { kind: 'relu' }];
      let side = side1;
      if (side >= c.pool) {
        layers.push({ kind: 'maxpool2d', size: c.pool });
        side = Math.floor(side / c.pool);
      }
      const k2 = Math.min(c.secondKernel, side);
      layers.push(conv2dLayer('conv2', c.outChannels, 2, k2, 0, c.bias));
      side = side - k2 + 1;
      layers.push({ kind: 'relu' }, { kind: 'flatten' }, denseLayer('fc1', 2 * side * side, 3, c.bias));
      const network = fill({ inputShape: [c.channels, c.size, c.size], layers }, inp.seed, inp.weightZeros);
      const x = inputs(inp.seed, inp.batch * c.channels * c.size * c.size, inp.background, inp.zeroFraction, inp.backgroundFraction);
      assertClose(forward(network, x, inp.batch), referenceForward(network, x, inp.batch));
    }),
    { seed: 7002, numRuns: 300 },
  );
});

test('only relu / maxpool / flatten layers: matches the reference, never returns the input array; regression: a NaN later in a pooling window wins', () => {
  const network: Network = { inputShape: [2, 4, 5], layers: [{ kind: 'relu' }, { kind: 'maxpool2d', size: 2 }, { kind: 'flatten' }] };
  const x = inputs(3, 2 * 40, 0.5, 0.2, 0.2);
  x[7] = NaN; // (row 1, col 2): inside the second window of channel 0, not its first entry: max-pooling must return NaN, as torch does
  x[40 + 19] = NaN; // a value dropped by the floor (width 5, window 2) changes nothing
  const fast = forward(network, x, 2);
  assert.ok(Number.isNaN(fast[1]) && !Number.isNaN(fast[0]) && fast.subarray(8).every((v) => !Number.isNaN(v)));
  assertClose(fast, referenceForward(network, x, 2), 0, 0);
  const identity: Network = { inputShape: [3], layers: [{ kind: 'flatten' }] };
  const y = new Float32Array([1, 2, 3]);
  assert.notEqual(forward(identity, y, 1), y);
});

test('real MNIST images through random fc2 and LeNet5, raw and standardised, match the reference', () => {
  const set = loadMnist('test');
  for (const arch of ['fc2', 'lenet5']) {
    const network = fill(createNetwork(arch, { bias: true }), 5);
    for (const preprocess of ['pixels', 'standard'] as const) {
      const x = preprocessImages(set.images, preprocess, 0, 6);
      assertClose(forward(network, x, 6), referenceForward(network, x, 6));
    }
  }
});

test('outputs do not depend on chunking or on the other rows of the batch (bit for bit)', () => {
  const network = fill(createNetwork('lenet5', { bias: true }), 9);
  const set = loadMnist('test');
  const x = preprocessImages(set.images, 'standard', 0, 7);
  const whole = forward(network, x, 7);
  assert.deepEqual(forwardInChunks(network, x, 7, { chunkSize: 3 }), whole);
  const compiled = compileNetwork(network);
  const alone = compiled.run(x.subarray(4 * 784, 5 * 784), 1);
  assert.deepEqual(alone, whole.subarray(40, 50));
  const progress: number[] = [];
  forwardInChunks(network, x, 7, { chunkSize: 3, onProgress: (done) => progress.push(done) });
  assert.deepEqual(progress, [3, 6, 7]);
});

test('NaN inputs propagate like the reference (torch semantics for relu and max-pooling)', () => {
  const network = fill(createNetwork('lenet5', { bias: false }), 4);
  const x = inputs(8, 2 * 784, 0, 0.8, 0);
  x[300] = NaN; // only the first image
  const fast = forward(network, x, 2);
  const slow = referenceForward(network, x, 2);
  assert.ok(fast.subarray(0, 10).every(Number.isNaN));
  assert.ok(slow.subarray(0, 10).every(Number.isNaN));
  assertClose(fast.subarray(10), slow.subarray(10));
});

test('networkShapes rejects chains that do not fit, naming the layer', () => {
  const convThenDense: Network = { inputShape: [1, 4, 4], layers: [conv2dLayer('c', 1, 2, 3, 0, false), denseLayer('d', 8, 2, false)] };
  assert.throws(() => networkShapes(convThenDense), (e: unknown) => e instanceof InputError && /layer 1 \(dense 'd'\): expects input \[8\], gets \[2,2,2\] \(add a flatten layer\)/.test(e.message));
  const wrongWeight = createNetwork('mlp:4-3', { bias: true });
  (wrongWeight.layers[0] as { weight: Float32Array }).weight = new Float32Array(11);
  assert.throws(() => networkShapes(wrongWeight), /weight has 11 values, expected 3×4/);
  const tooBigKernel: Network = { inputShape: [1, 2, 2], layers: [conv2dLayer('c', 1, 1, 5, 1, false)] };
  assert.throws(() => networkShapes(tooBigKernel), /kernel 5 with padding 1 does not fit/);
  assert.throws(() => forward(createNetwork('mlp:4-3', { bias: false }), new Float32Array(5), 1), RangeError);
});
