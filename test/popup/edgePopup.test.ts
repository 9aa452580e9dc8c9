// Edge-popup (src/popup/edgePopup.ts): the top-k mask against a sorting oracle (exact counts, index tie-break),
// the tf mask, the straight-through gradient against its analytic value on a tiny layer, the small-batch matMul's
// gradients, and the weight/score initialisations. Runs on the wasm backend.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/node/platform.js'; // the Node platform: worker threads, clock, tfjs wasm files
import { assertClose } from '../helpers/close.js';
import fc from 'fast-check';
import type * as tfType from '@tensorflow/tfjs';
import { RandomStream, namedStream } from '../../src/core/random.js';
import { initTf, type Tf } from '../../src/nn/tf/backend.js';
import { ScoreSelector, float32Below, keptCount, maskTensor, maskedWeight, signOf, smallBatchMatMul, tensorValues, topKMask, topKMaskReference } from '../../src/popup/masks.js';
import { initScores, initWeights } from '../../src/popup/network.js';
import { trainPopup } from '../../src/popup/edgePopup.js';

let tf: Tf;
before(async () => {
  tf = await initTf();
});


const count = (mask: ArrayLike<number>): number => Array.from(mask).reduce((s, v) => s + v, 0);

// Scores drawn from a small set of values (both signs, ±0) so that ties at the threshold are common.
const tiedScores = fc.array(fc.constantFrom(0, -0, 0.5, -0.5, 1, -1, 0.25, 2, -2, 3), { minLength: 1, maxLength: 60 }).map((v) => Float32Array.from(v));
const freeScores = fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 200 }).map((v) => Float32Array.from(v));

test('keptCount is round(keepFraction · size) and rejects fractions outside [0, 1]', () => {
  assert.equal(keptCount(1_960_000, 0.5), 980_000);
  assert.equal(keptCount(25_000, 1 - 0.9), 2500); // 1 − 0.9 = 0.09999999999999998 still rounds to 2,500
  assert.equal(keptCount(3, 0.5), 2); // Math.round(1.5)
  assert.equal(keptCount(10, 0), 0);
  assert.equal(keptCount(10, 1), 10);
  assert.throws(() => keptCount(10, 1.5), /keepFraction/);
  assert.throws(() => keptCount(10, -0.1), /keepFraction/);
});

test('topKMask keeps exactly round(keepFraction · size) entries and equals the sorting oracle, ties broken by index', () => {
  fc.assert(
    fc.property(fc.oneof(tiedScores, freeScores), fc.double({ min: 0, max: 1, noNaN: true }), (scores, keepFraction) => {
      const k = keptCount(scores.length, keepFraction);
      const mask = topKMask(scores, k);
      assert.equal(count(mask), k);
      assert.deepEqual(mask, topKMaskReference(scores, k));
    }),
    { seed: 20240611, numRuns: 500 },
  );
});

test('tie-break is by index: among equal |s| the earlier entries are kept, whatever their sign', () => {
  const scores = Float32Array.from([1, -2, 2, 2, -2, 0.5]);
  assert.deepEqual(Array.from(topKMask(scores, 2)), [0, 1, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(topKMask(scores, 3)), [0, 1, 1, 1, 0, 0]);
  assert.deepEqual(Array.from(topKMask(scores, 5)), [1, 1, 1, 1, 1, 0]);
});

test('ScoreSelector finds the k-th largest |s| and counts entries above and equal to it', () => {
  const selector = new ScoreSelector();
  fc.assert(
    fc.property(fc.oneof(tiedScores, freeScores), fc.nat(), (scores, seedK) => {
      const k = 1 + (seedK % scores.length);
      const sorted = Array.from(scores, Math.abs).sort((a, b) => b - a);
      const t = sorted[k - 1]!;
      const s = selector.select(scores, k);
      assert.equal(s.threshold, t);
      assert.equal(s.greater, sorted.filter((v) => v > t).length);
      assert.equal(s.ties, sorted.filter((v) => v === t).length);
      assert.equal(s.exact, s.greater + s.ties === k);
    }),
    { seed: 7, numRuns: 400 },
  );
});

test('float32Below is the largest float32 below x', () => {
  for (const x of [1, 0.5, 1e-30, 3.4e38, 0.1, 1.401298464324817e-45]) {
    const below = float32Below(Math.fround(x));
    assert.ok(below < Math.fround(x));
    assert.equal(Math.fround(below), below);
    const mid = (below + Math.fround(x)) / 2;
    assert.ok(Math.fround(mid) === below || Math.fround(mid) === Math.fround(x), `nothing between for ${x}`);
  }
  assert.ok(float32Below(0) < 0);
});

test('maskTensor equals the oracle, with and without ties at the threshold', () => {
  fc.assert(
    fc.property(fc.oneof(tiedScores, freeScores), fc.double({ min: 0, max: 1, noNaN: true }), (scores, keepFraction) => {
      const k = keptCount(scores.length, keepFraction);
      const selector = new ScoreSelector();
      const mask = tf.tidy(() => Array.from(maskTensor(tf.tensor1d(scores), k, selector).dataSync()));
      assert.deepEqual(mask, Array.from(topKMaskReference(scores, k)));
    }),
    { seed: 99, numRuns: 200 },
  );
});

test('tensorValues reads the same numbers as dataSync', () => {
  tf.tidy(() => {
    const t = tf.randomNormal([37, 11], 0, 1, 'float32', 3);
    const u = tf.mul(t, 2);
    assert.deepEqual(Array.from(tensorValues(u)), Array.from(u.dataSync()));
  });
});

test('signOf is sign(s): ±1 away from 0, 0 at ±0', () => {
  const values = [3, -3, 1e-20, -1e-20, 1e-30, -1.5e-30, 0, -0, 7e-29];
  const out = tf.tidy(() => Array.from(signOf(tf.tensor1d(values)).dataSync(), (v) => v + 0)); // −0 + 0 = 0
  assert.deepEqual(out, values.map((v) => (v > 0 ? 1 : v < 0 ? -1 : 0)));
});

test('the straight-through gradient of a tiny layer equals (∂L/∂W_eff) ⊙ W ⊙ sign(s), kept or not', () => {
  // L = Σ c ⊙ (x · (W ⊙ m)) with x [3, 4], W [4, 2]: ∂L/∂W_eff = xᵀ·c, so ∂L/∂s = (xᵀ·c) ⊙ W ⊙ sign(s).
  const stream = new RandomStream(5, namedStream('test/edgePopup/ste'));
  const draw = (n: number, offset: number) => Float32Array.from({ length: n }, (_, i) => stream.uniform(offset + i, -1, 1));
  const x = draw(12, 0);
  const w = draw(8, 100);
  const s = draw(8, 200);
  const c = draw(6, 300);
  const k = 3;
  const mask = topKMaskReference(s, k);
  const { grad, logitsValue } = tf.tidy(() => {
    const xt = tf.tensor2d(x, [3, 4]);
    const wt = tf.tensor2d(w, [4, 2]);
    const ct = tf.tensor2d(c, [3, 2]);
    const st = tf.tensor2d(s, [4, 2]);
    const m = maskTensor(st, k, new ScoreSelector());
    const f = (scores: tfType.Tensor) => tf.sum(tf.mul(ct, smallBatchMatMul(xt, maskedWeight(wt, m, scores) as tfType.Tensor2D)));
    return { grad: Array.from(tf.grad(f)(st).dataSync()), logitsValue: f(st).dataSync()[0]! };
  });
  const expected: number[] = [];
  let loss = 0;
  for (let i = 0; i < 4; i++) {
    for (let o = 0; o < 2; o++) {
      let dWeff = 0;
      for (let b = 0; b < 3; b++) {
        dWeff += x[b * 4 + i]! * c[b * 2 + o]!;
        loss += c[b * 2 + o]! * x[b * 4 + i]! * w[i * 2 + o]! * mask[i * 2 + o]!;
      }
      expected.push(dWeff * w[i * 2 + o]! * Math.sign(s[i * 2 + o]!));
    }
  }
  assertClose(grad, expected, 1e-6, 1e-5, '∂L/∂s');
  assertClose([logitsValue], [loss], 1e-6, 1e-5, 'L');
  assert.ok(expected.some((g, i) => mask[i] === 0 && g !== 0), 'pruned weights get a gradient too');
});

test('smallBatchMatMul has the gradients of a·b: da = dy·bᵀ, db = aᵀ·dy (and none for data inputs)', () => {
  const stream = new RandomStream(6, namedStream('test/edgePopup/matmul'));
  const draw = (n: number, offset: number) => Float32Array.from({ length: n }, (_, i) => stream.uniform(offset + i, -1, 1));
  const a = draw(15, 0);
  const b = draw(20, 100);
  const dy = draw(12, 200);
  const [da, db, daData] = tf.tidy(() => {
    const at = tf.tensor2d(a, [3, 5]);
    const bt = tf.tensor2d(b, [5, 4]);
    const dyt = tf.tensor2d(dy, [3, 4]);
    const grads = tf.grads((p: tfType.Tensor, q: tfType.Tensor) => tf.sum(tf.mul(dyt, smallBatchMatMul(p as tfType.Tensor2D, q as tfType.Tensor2D))))([at, bt]);
    const noInput = tf.grads((p: tfType.Tensor, q: tfType.Tensor) => tf.sum(tf.mul(dyt, smallBatchMatMul(p as tfType.Tensor2D, q as tfType.Tensor2D, false))))([at, bt]);
    return [Array.from(grads[0]!.dataSync()), Array.from(grads[1]!.dataSync()), Array.from(noInput[0]!.dataSync())];
  });
  const expectedDa: number[] = [];
  for (let i = 0; i < 3; i++) for (let k = 0; k < 5; k++) expectedDa.push([0, 1, 2, 3].reduce((sum, j) => sum + dy[i * 4 + j]! * b[k * 4 + j]!, 0));
  const expectedDb: number[] = [];
  for (let k = 0; k < 5; k++) for (let j = 0; j < 4; j++) expectedDb.push([0, 1, 2].reduce((sum, i) => sum + a[i * 5 + k]! * dy[i * 4 + j]!, 0));
  assertClose(da!, expectedDa, 1e-6, 1e-5, 'da');
  assertClose(db!, expectedDb, 1e-6, 1e-5, 'db');
  assert.ok(daData!.every((v) => v === 0));
});

test('initialisations: signed Kaiming constant keeps the normal draw\'s sign at ±std; scores fill U[−bound, bound)', () => {
  const normal = new Float32Array(1000);
  const signed = new Float32Array(1000);
  initWeights(new RandomStream(1, namedStream('test/init')), 'kaiming-normal', 0.05, normal);
  initWeights(new RandomStream(1, namedStream('test/init')), 'signed-kaiming-constant', 0.05, signed);
  for (let i = 0; i < normal.length; i++) {
    assert.equal(Math.abs(signed[i]!), Math.fround(0.05));
    assert.equal(Math.sign(signed[i]!), Math.sign(normal[i]!) || 1);
  }
  const std = Math.sqrt(normal.reduce((s, v) => s + v * v, 0) / normal.length);
  assert.ok(Math.abs(std - 0.05) < 0.005, `sample std ${std}`);
  const scores = new Float32Array(1000);
  initScores(new RandomStream(1, namedStream('test/scores')), 0.1, scores);
  assert.ok(scores.every((v) => v >= -0.1 && v < 0.1));
  assert.ok(Math.min(...scores) < -0.09 && Math.max(...scores) > 0.09);
});

test('regression: a PopupModel releases every tensor it makes (the initial score tensors leaked)', () => {
  const stream = new RandomStream(8, namedStream('test/edgePopup/leak'));
  const draw = (n: number, offset: number) => Float32Array.from({ length: n }, (_, i) => stream.uniform(offset + i, -1, 1));
  const network = {
    inputFeatures: 6,
    classes: 3,
    layers: [
      { kind: 'spread' as const, name: 'b', features: 6, copies: 2, weight: draw(12, 0), scores: draw(12, 100) },
      { kind: 'relu' as const },
      { kind: 'dense' as const, name: 'd', inFeatures: 12, outFeatures: 3, weight: draw(36, 200), scores: draw(36, 300) },
    ],
  };
  const before = tf.memory().numTensors;
  const inputs = draw(6 * 20, 400);
  const labels = Uint8Array.from({ length: 20 }, (_, i) => i % 3);
  const result = trainPopup(network, { inputs, labels, count: 20 }, {
    keepFraction: 0.5, epochs: 2, batchSize: 8, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4, schedule: 'cosine', seed: 1,
    test: { inputs, labels, count: 20 },
  });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(result.total, 48);
  assert.equal(result.kept, 6 + 18);
  assert.deepEqual(result.masks.map(count), [6, 18]);
  assert.equal(result.history.length, 2);
});
