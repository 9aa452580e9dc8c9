// The WebAssembly kernels of the float32 forward pass at the edges of their blocking, against referenceForward:
// dense widths around the 4- and 16-output blocks, convolutions vectorised
// over positions with output widths around 4 and 16 and by rows with ≥ 16 channels, fused ReLU (NaN kept), the
// baseline of standardised inputs, and outputs that do not depend on how rows are grouped into calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomStream } from '../../src/core/random.js';
import { conv2dLayer, denseLayer } from '../../src/nn/architectures.js';
import { compileNetwork, forward, forwardInChunks } from '../../src/nn/forward.js';
import type { Layer, Network } from '../../src/nn/network.js';
import { referenceForward } from '../../src/nn/referenceForward.js';

/**
 * Each output is one float64 sum rounded to float32 once, so it is within a float32 rounding of the exact
 * value: relative 2⁻²³, plus an absolute floor for sums that cancel (scaled by the magnitudes summed).
 */
function assertWithinRounding(actual: Float32Array, expected: Float64Array, scale: number): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (Number.isNaN(e)) {
      assert.ok(Number.isNaN(actual[i]!), `index ${i}: expected NaN, got ${actual[i]}`);
      continue;
    }
    assert.ok(Math.abs(actual[i]! - e) <= 2 ** -23 * Math.abs(e) + 1e-12 * scale, `index ${i}: ${actual[i]} vs ${e}`);
  }
}

function randomize(network: Network, seed: number): Network {
  const s = new RandomStream(seed, 21);
  let i = 0;
  for (const layer of network.layers) {
    if (layer.kind !== 'dense' && layer.kind !== 'conv2d') continue;
    for (let k = 0; k < layer.weight.length; k++) layer.weight[k] = s.uniform(i++, -1, 1);
    if (layer.bias) for (let k = 0; k < layer.bias.length; k++) layer.bias[k] = s.uniform(i++, -0.5, 0.5);
  }
  return network;
}

/** Zeros, a repeated background value and random values. */
function inputs(seed: number, count: number, zeroFraction: number, background: number, backgroundFraction: number): Float32Array {
  const s = new RandomStream(seed, 22);
  const x = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const u = s.uniform01(2 * i);
    x[i] = u < zeroFraction ? 0 : u < zeroFraction + backgroundFraction ? background : s.uniform(2 * i + 1, -2, 2);
  }
  return x;
}

test('dense layers of every width around the blocking (1…17, 31…33, 63…65 outputs) match the reference', () => {
  const widths = [1, 2, 3, 4, 5, 7, 8, 12, 15, 16, 17, 31, 32, 33, 63, 64, 65];
  for (const m of widths) {
    for (const n of [1, 5, 40]) {
      const network = randomize({ inputShape: [n], layers: [denseLayer('fc', n, m, true)] }, 1000 * m + n);
      for (const [zeros, backgroundFraction] of [[0, 0], [0.7, 0], [0.1, 0.8]] as const) {
        const x = inputs(m + n, 3 * n, zeros, -0.4242, backgroundFraction);
        assertWithinRounding(forward(network, x, 3), referenceForward(network, x, 3), 2 * n + 1);
      }
    }
  }
});

test('a fused ReLU clamps at 0 and keeps NaN (narrow and wide hidden layers)', () => {
  for (const m of [6, 70]) {
    const layers: Layer[] = [denseLayer('fc1', 9, m, true), { kind: 'relu' }, denseLayer('fc2', m, 3, true)];
    const network = randomize({ inputShape: [9], layers }, m);
    const x = inputs(m, 4 * 9, 0.3, 0, 0);
    x[9 + 4] = NaN; // the second row only
    const fast = forward(network, x, 4);
    const slow = referenceForward(network, x, 4);
    assert.ok(fast.subarray(3, 6).every(Number.isNaN) && !fast.subarray(0, 3).some(Number.isNaN));
    // Two layers: the fast pass rounds the hidden layer to float32 (the reference does not), hence 1e-5.
    for (const i of [0, 1, 2, 6, 7, 8, 9, 10, 11]) assert.ok(Math.abs(fast[i]! - slow[i]!) <= 1e-5 * (1 + Math.abs(slow[i]!)), `index ${i}: ${fast[i]} vs ${slow[i]}`);
    // The hidden layer alone: no negative value survives the ReLU.
    const hidden = forward({ inputShape: [9], layers: layers.slice(0, 2) }, x, 4);
    assert.ok(hidden.every((v) => Number.isNaN(v) || v >= 0));
  }
});

test('convolutions vectorised over positions (< 16 channels) with output widths around 4 and 16 match the reference', () => {
  for (const [side, kernel, padding] of [[1, 1, 0], [3, 3, 1], [6, 3, 0], [9, 5, 2], [18, 3, 0], [20, 5, 2], [35, 4, 1]] as const) {
    for (const [c, oc] of [[1, 1], [2, 6], [3, 15]] as const) {
      const layers: Layer[] = [conv2dLayer('conv', c, oc, kernel, padding, true), { kind: 'relu' }];
      const network = randomize({ inputShape: [c, side, side], layers }, side * 100 + oc);
      const x = inputs(side + oc, 2 * c * side * side, 0.5, 0, 0);
      assertWithinRounding(forward(network, x, 2), referenceForward(network, x, 2), c * kernel * kernel * 2 + 1);
    }
  }
});

test('convolutions by rows (≥ 16 channels) with padding and standardised-looking inputs match the reference', () => {
  for (const [side, kernel, padding, oc] of [[5, 3, 1, 16], [10, 5, 0, 17], [7, 2, 0, 33]] as const) {
    const layers: Layer[] = [conv2dLayer('conv', 2, oc, kernel, padding, true), { kind: 'maxpool2d', size: 2 }, { kind: 'flatten' }];
    const network = randomize({ inputShape: [2, side, side], layers }, side * 10 + oc);
    const x = inputs(oc, 3 * 2 * side * side, 0.05, 1.5, 0.7);
    assertWithinRounding(forward(network, x, 3), referenceForward(network, x, 3), 2 * kernel * kernel * 2 + 1);
  }
});

test('outputs do not depend on how rows are grouped (one at a time, chunks of 3, more than one internal chunk)', () => {
  const layers: Layer[] = [denseLayer('fc1', 30, 70, true), { kind: 'relu' }, denseLayer('fc2', 70, 5, true)];
  const network = randomize({ inputShape: [30], layers }, 3);
  const count = 300; // more than the 256 rows of one pass through the layers
  const x = inputs(4, count * 30, 0.4, -0.4242, 0.3);
  const whole = forward(network, x, count);
  assert.deepEqual(forwardInChunks(network, x, count, { chunkSize: 3 }), whole);
  const compiled = compileNetwork(network);
  for (const r of [0, 1, 255, 256, 299]) assert.deepEqual(compiled.run(x.subarray(r * 30, (r + 1) * 30), 1), whole.subarray(r * 5, (r + 1) * 5));
});

test('max-pooling of size 2 four outputs at a time and one at a time, with NaN anywhere in a window, equals the reference', () => {
  for (const [h, w] of [[2, 2], [4, 8], [5, 9], [6, 11], [3, 16], [2, 19]] as const) {
    const network: Network = { inputShape: [3, h, w], layers: [{ kind: 'maxpool2d', size: 2 }] };
    const x = inputs(h * w, 2 * 3 * h * w, 0, 0, 0);
    for (let i = 5; i < x.length; i += 13) x[i] = NaN;
    const fast = forward(network, x, 2);
    const slow = referenceForward(network, x, 2);
    assert.equal(fast.length, slow.length);
    for (let i = 0; i < slow.length; i++) assert.ok(Number.isNaN(slow[i]!) ? Number.isNaN(fast[i]!) : fast[i] === slow[i], `[${h}, ${w}] index ${i}: ${fast[i]} vs ${slow[i]}`);
    assert.ok(slow.some(Number.isNaN) && slow.some((v) => !Number.isNaN(v)), 'both kinds of window occur');
  }
});
