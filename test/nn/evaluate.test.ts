// Metrics checked against values worked out by hand: a network that reads its logits straight off ten
// pixels, and logits chosen so that softmax probabilities are simple fractions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/errors.js';
import type { MnistSet } from '../../src/nn/images.js';
import { createNetwork, denseLayer } from '../../src/nn/architectures.js';
import { evaluate, evaluateLogits } from '../../src/nn/evaluate.js';
import type { Network } from '../../src/nn/network.js';

function close(actual: number, expected: number, tolerance = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${actual} vs ${expected}`);
}

test('evaluateLogits: softmax probabilities 1/4 and 3/4 give losses ln 4 and ln 4/3', () => {
  const l3 = Math.log(3);
  const logits = new Float64Array([0, l3, 0, l3, 5, 5]);
  const labels = new Uint8Array([1, 0, 1]);
  const result = evaluateLogits(logits, labels);
  // row 0: p = (1/4, 3/4), label 1 → correct, loss ln(4/3); row 1: label 0 → wrong, loss ln 4;
  // row 2: a tie → the first index (0) is predicted, wrong, loss ln 2
  assert.deepEqual([...result.predictions], [1, 1, 0]);
  assert.equal(result.correct, 1);
  assert.equal(result.count, 3);
  close(result.accuracy, 1 / 3);
  close(result.loss, (Math.log(4 / 3) + Math.log(4) + Math.log(2)) / 3);
  assert.deepEqual(result.perClassCount, [1, 2]);
  assert.deepEqual(result.perClassCorrect, [0, 1]);
  assert.deepEqual(result.perClassAccuracy, [0, 0.5]);
});

test('evaluateLogits is stable for huge logits and propagates NaN', () => {
  const result = evaluateLogits(new Float32Array([1000, 0, -1000, 0]), new Uint8Array([0, 0]));
  close(result.loss, (Math.log1p(Math.exp(-1000)) + 1000) / 2);
  assert.ok(Number.isFinite(result.loss));
  const withNaN = evaluateLogits(new Float32Array([1, NaN, 2, 0]), new Uint8Array([0, 0]));
  assert.deepEqual([...withNaN.predictions], [1, 0]); // NaN counts as the largest, as torch.argmax
  assert.ok(Number.isNaN(withNaN.loss));
  const absent = evaluateLogits(new Float32Array([1, 0, 0]), new Uint8Array([0]));
  assert.ok(Number.isNaN(absent.perClassAccuracy[1]!) && Number.isNaN(absent.perClassAccuracy[2]!));
  assert.throws(() => evaluateLogits(new Float32Array(5), new Uint8Array(2)), RangeError);
  assert.throws(() => evaluateLogits(new Float32Array(4), new Uint8Array([0, 2])), /label 1 is 2/);
});

/** A 784→10 dense layer whose logit c is pixel c (weight 1 from input c to output c), bias −0.5 on class 9. */
function pixelReader(): Network {
  const layer = denseLayer('fc1', 784, 10, true);
  for (let c = 0; c < 10; c++) layer.weight[c * 784 + c] = 1;
  layer.bias![9] = -0.5;
  return { inputShape: [784], layers: [layer], arch: 'mlp:784-10' };
}

function fakeSet(images: Array<Record<number, number>>, labels: number[]): MnistSet {
  const pixels = new Uint8Array(images.length * 784);
  images.forEach((image, i) => {
    for (const [index, value] of Object.entries(image)) pixels[i * 784 + Number(index)] = value;
  });
  return { images: pixels, labels: Uint8Array.from(labels), count: images.length, rows: 28, cols: 28 };
}

test('evaluate on a hand-made network: logits, accuracy, loss and per-class accuracy by hand', () => {
  // image 0: pixel 3 = 255 → logit 1 at class 3, −0.5 at class 9, else 0; label 3: correct,
  //          loss ln(e + 8 + e^−0.5) − 1
  // image 1: pixel 3 = 255 → same logits, label 5: wrong, loss ln(e + 8 + e^−0.5) − 0
  // image 2: no pixels → logits 0 except class 9 = −0.5 → predicted 0 (first maximum), label 0: correct,
  //          loss ln(9 + e^−0.5)
  // image 3: pixel 9 = 255 → logit 9 = 0.5, label 9: correct, loss ln(9 + e^0.5) − 0.5
  const set = fakeSet([{ 3: 255 }, { 3: 255 }, {}, { 9: 255 }], [3, 5, 0, 9]);
  const result = evaluate(pixelReader(), set, { batchSize: 3 });
  const e = Math.E;
  const losses = [Math.log(e + 8 + Math.exp(-0.5)) - 1, Math.log(e + 8 + Math.exp(-0.5)), Math.log(9 + Math.exp(-0.5)), Math.log(9 + Math.exp(0.5)) - 0.5];
  assert.deepEqual([...result.predictions], [3, 3, 0, 9]);
  assert.equal(result.correct, 3);
  assert.equal(result.count, 4);
  assert.equal(result.accuracy, 0.75);
  close(result.loss, losses.reduce((a, b) => a + b) / 4, 1e-7); // float32 logits
  assert.equal(result.params, 7850);
  const expectedPerClass = [1, NaN, NaN, 1, NaN, 0, NaN, NaN, NaN, 1];
  assert.deepEqual(result.perClassAccuracy, expectedPerClass);
  // the same answer whatever the batch size
  for (const batchSize of [1, 2, 1000]) assert.deepEqual(evaluate(pixelReader(), set, { batchSize }), result);
});

test('evaluate applies the preprocessing: option, then the network record, then pixels', () => {
  // Pixel 9 at 40 gives class 9 the logit 40/255 − 0.5 ≈ −0.343 under `pixels` (the others are 0: class 0
  // wins), and (40/255 − 0.1307)/0.3081 − 0.5 ≈ −0.415 under `standard`, where every other logit is the
  // background −0.1307/0.3081 ≈ −0.424 (class 9 wins). Loss per image: ln(9·e^z + e^h) − h.
  const set = fakeSet([{ 9: 255 }, { 9: 40 }], [9, 9]);
  const network = pixelReader();
  assert.deepEqual([...evaluate(network, set).predictions], [9, 0]);
  network.preprocess = 'standard';
  const standard = evaluate(network, set);
  assert.deepEqual([...standard.predictions], [9, 9]);
  assert.deepEqual([...evaluate(network, set, { preprocess: 'pixels' }).predictions], [9, 0]);
  const z = -0.1307 / 0.3081;
  const h = [(1 - 0.1307) / 0.3081 - 0.5, (40 / 255 - 0.1307) / 0.3081 - 0.5];
  const expected = h.map((hi) => Math.log(9 * Math.exp(z) + Math.exp(hi)) - hi);
  close(standard.loss, (expected[0]! + expected[1]!) / 2, 1e-6); // float32 inputs and logits
});

test('evaluate refuses networks that do not take MNIST images or do not give 10 classes', () => {
  const set = fakeSet([{}], [0]);
  assert.throws(() => evaluate(createNetwork('mlp:100-10', { bias: false }), set), (e: unknown) => e instanceof InputError && /inputs of 100 values/.test(e.message));
  assert.throws(() => evaluate(createNetwork('mlp:784-5', { bias: false }), set), (e: unknown) => e instanceof InputError && /5 outputs/.test(e.message));
});
