/**
 * Gradient checks of every layer's float64 reference backward against central finite differences:
 * for a layer y = f(x, θ) and fixed random r, L = Σ r·y, so dL/dx and dL/dθ from backward(dy = r)
 * must match (L(v + h) − L(v − h)) / 2h. Also the whole-network gradient, and its forward against
 * the independent referenceForward oracle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose } from '../helpers/close.js';
import { RandomStream, namedStream } from '../../src/core/random.js';
import {
  conv2dBackward,
  conv2dForward,
  conv2dOutputSize,
  denseBackward,
  denseForward,
  maxPool2dBackward,
  maxPool2dForward,
  networkGradients,
  parameterValues,
  reluBackward,
  reluForward,
  softmaxCrossEntropy,
  type ImageDims,
} from '../../src/nn/backward.js';
import type { Layer, Network } from '../../src/nn/network.js';
import { referenceForward } from '../../src/nn/referenceForward.js';

const H = 1e-5;

function randomValues(name: string, count: number, low = -1, high = 1): Float64Array {
  const out = new Float64Array(count);
  new RandomStream(7, namedStream(`test/backward/${name}`)).fill({ kind: 'uniform', low, high }, 0, out);
  return out;
}


/** Central differences of a scalar function with respect to every entry of `v` (mutated and restored). */
function numericGradient(v: Float64Array, loss: () => number): Float64Array {
  const g = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const saved = v[i]!;
    v[i] = saved + H;
    const plus = loss();
    v[i] = saved - H;
    const minus = loss();
    v[i] = saved;
    g[i] = (plus - minus) / (2 * H);
  }
  return g;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

// Float64 central differences of smooth (here: linear or piecewise-linear away from kinks) functions:
// truncation error is ~0, rounding error ~1e-16/H ≈ 1e-11.
const ABS = 1e-8;
const REL = 1e-6;

test('dense backward matches finite differences (x, weight, bias)', () => {
  const [batch, inF, outF] = [3, 5, 4];
  const x = randomValues('dense.x', batch * inF);
  const w = randomValues('dense.w', outF * inF);
  const b = randomValues('dense.b', outF);
  const r = randomValues('dense.r', batch * outF);
  const loss = () => dot(r, denseForward(x, batch, inF, outF, w, b));
  const g = denseBackward(x, batch, inF, outF, w, r);
  assertClose(g.dx, numericGradient(x, loss), ABS, REL, 'dx');
  assertClose(g.dWeight, numericGradient(w, loss), ABS, REL, 'dWeight');
  assertClose(g.dBias, numericGradient(b, loss), ABS, REL, 'dBias');
});

for (const [kernelSize, padding] of [
  [3, 0],
  [3, 1],
  [3, 2],
  [5, 2],
] as const) {
  test(`conv2d backward matches finite differences (kernel ${kernelSize}, padding ${padding})`, () => {
    const dims: ImageDims = { batch: 2, channels: 2, height: 6, width: 5 };
    const outChannels = 3;
    const oh = conv2dOutputSize(dims.height, kernelSize, padding);
    const ow = conv2dOutputSize(dims.width, kernelSize, padding);
    const x = randomValues(`conv.x${kernelSize}${padding}`, dims.batch * dims.channels * dims.height * dims.width);
    const w = randomValues(`conv.w${kernelSize}${padding}`, outChannels * dims.channels * kernelSize * kernelSize);
    const b = randomValues(`conv.b${kernelSize}${padding}`, outChannels);
    const r = randomValues(`conv.r${kernelSize}${padding}`, dims.batch * outChannels * oh * ow);
    const loss = () => dot(r, conv2dForward(x, dims, w, outChannels, kernelSize, padding, b));
    const g = conv2dBackward(x, dims, w, outChannels, kernelSize, padding, r);
    assertClose(g.dx, numericGradient(x, loss), ABS, REL, 'dx');
    assertClose(g.dWeight, numericGradient(w, loss), ABS, REL, 'dWeight');
    assertClose(g.dBias, numericGradient(b, loss), ABS, REL, 'dBias');
  });
}

test('conv2d forward agrees with referenceForward (an independent oracle)', () => {
  const layer: Layer = {
    kind: 'conv2d',
    name: 'conv1',
    inChannels: 2,
    outChannels: 3,
    kernelSize: 3,
    padding: 1,
    weight: Float32Array.from(randomValues('oracle.w', 54)),
    bias: Float32Array.from(randomValues('oracle.b', 3)),
  };
  const network: Network = { inputShape: [2, 4, 5], layers: [layer] };
  const x = Float32Array.from(randomValues('oracle.x', 2 * 40));
  const expected = referenceForward(network, x, 2);
  const actual = conv2dForward(x, { batch: 2, channels: 2, height: 4, width: 5 }, layer.weight, 3, 3, 1, layer.bias);
  assertClose(actual, expected, 1e-12, 1e-12, 'conv2d forward');
});

test('relu backward matches finite differences away from the kink, and is 0 at x = 0', () => {
  // |x| ≥ 0.1 ≫ H keeps every central difference on one side of the kink.
  const x = randomValues('relu.x', 40, 0.1, 1).map((v, i) => (i % 2 === 0 ? v : -v));
  const r = randomValues('relu.r', 40);
  const loss = () => dot(r, reluForward(x));
  assertClose(reluBackward(x, r), numericGradient(x, loss), ABS, REL, 'dx');
  assert.deepEqual([...reluBackward([0, -0, 2], [5, 5, 5])], [0, 0, 5]);
});

test('maxpool2d backward matches finite differences, drops the remainder, and picks the first of tied maxima', () => {
  const dims: ImageDims = { batch: 2, channels: 3, height: 5, width: 6 };
  const count = dims.batch * dims.channels * dims.height * dims.width;
  // Distinct values (a shuffled grid with spacing 0.01 ≫ H), so no window has a tie under perturbation.
  const x = new Float64Array(count);
  const keys = randomValues('pool.x', count);
  const order = [...keys.keys()].sort((a, b) => keys[a]! - keys[b]!);
  order.forEach((index, rank) => (x[index] = rank * 0.01 - 1));
  for (const size of [2, 3]) {
    const pooled = maxPool2dForward(x, dims, size);
    assert.deepEqual(pooled.dims, { batch: 2, channels: 3, height: Math.floor(5 / size), width: Math.floor(6 / size) });
    const r = randomValues(`pool.r${size}`, pooled.y.length);
    const loss = () => dot(r, maxPool2dForward(x, dims, size).y);
    assertClose(maxPool2dBackward(r, pooled.argmax, count), numericGradient(x, loss), ABS, REL, `dx (size ${size})`);
  }
  const tie = maxPool2dForward([1, 3, 3, 2], { batch: 1, channels: 1, height: 2, width: 2 }, 2);
  assert.deepEqual([...tie.y, ...tie.argmax], [3, 1]);
  assert.deepEqual([...maxPool2dBackward([4], tie.argmax, 4)], [0, 4, 0, 0]);
});

test('softmax cross-entropy gradient matches finite differences; loss matches its definition', () => {
  const [batch, classes] = [4, 5];
  const z = randomValues('ce.z', batch * classes, -3, 3);
  const labels = [0, 4, 2, 2];
  const loss = () => softmaxCrossEntropy(z, labels, batch, classes).loss;
  const { loss: value, dLogits } = softmaxCrossEntropy(z, labels, batch, classes);
  assertClose(dLogits, numericGradient(z, loss), ABS, REL, 'dLogits');
  let expected = 0;
  for (let b = 0; b < batch; b++) {
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(z[b * classes + k]!);
    expected += -Math.log(Math.exp(z[b * classes + labels[b]!]!) / sum);
  }
  assertClose([value], [expected / batch], 1e-12, 1e-12, 'loss');
  // Large logits do not overflow (the max is subtracted before exp).
  const big = softmaxCrossEntropy([1000, 0], [0], 1, 2);
  assert.ok(Number.isFinite(big.loss) && big.loss < 1e-300 + 1e-12);
});

function smallConvNet(): Network {
  const w = (name: string, n: number) => Float32Array.from(randomValues(`net.${name}`, n, -0.8, 0.8));
  return {
    inputShape: [1, 6, 6],
    layers: [
      { kind: 'conv2d', name: 'conv1', inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1, weight: w('c1', 18), bias: w('c1b', 2) },
      { kind: 'relu' },
      { kind: 'maxpool2d', size: 2 },
      { kind: 'conv2d', name: 'conv2', inChannels: 2, outChannels: 3, kernelSize: 2, padding: 0, weight: w('c2', 24), bias: null },
      { kind: 'relu' },
      { kind: 'flatten' },
      { kind: 'dense', name: 'fc1', inFeatures: 12, outFeatures: 5, weight: w('f1', 60), bias: w('f1b', 5) },
      { kind: 'relu' },
      { kind: 'dense', name: 'fc2', inFeatures: 5, outFeatures: 3, weight: w('f2', 15), bias: null },
    ],
  };
}

test('whole-network gradient (conv, relu, maxpool, flatten, dense, cross-entropy) matches finite differences', () => {
  const network = smallConvNet();
  const batch = 3;
  const input = randomValues('net.x', batch * 36, 0, 1);
  const labels = [2, 0, 1];
  const parameters = parameterValues(network);
  const result = networkGradients(network, input, labels, batch, parameters);
  assertClose(result.logits, referenceForward(network, input, batch), 1e-6, 1e-6, 'logits vs referenceForward (float32 weights)');
  const loss = () => networkGradients(network, input, labels, batch, parameters).loss;
  // Piecewise-linear network: a central difference is exact unless it crosses a kink (relu at 0,
  // a change of max-pool winner); with these seeded values none is within H of the step.
  parameters.forEach((p, index) => {
    if (p === null) return;
    assertClose(result.layers[index]!.weight, numericGradient(p.weight, loss), 1e-7, 1e-5, `layer ${index} weight`);
    if (p.bias !== null) assertClose(result.layers[index]!.bias!, numericGradient(p.bias, loss), 1e-7, 1e-5, `layer ${index} bias`);
    else assert.equal(result.layers[index]!.bias, null);
  });
  const x = Float64Array.from(input);
  const inputLoss = () => networkGradients(network, x, labels, batch, parameters).loss;
  assertClose(result.input, numericGradient(x, inputLoss), 1e-7, 1e-5, 'input');
  assert.ok(result.layers.some((g) => g !== null && g.weight.some((v) => v !== 0)), 'gradients are not all zero');
});
