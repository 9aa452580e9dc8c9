/**
 * The tfjs custom gradients (src/nn/tf/ops.ts) and the tf model (src/nn/tf/model.ts) against the float64
 * reference backward (src/nn/backward.ts), on small random inputs, within float32 tolerance. Runs on
 * the wasm backend, which it asserts.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/node/platform.js'; // the Node platform: worker threads, clock, tfjs wasm files
import { assertClose } from '../helpers/close.js';
import type * as tfType from '@tensorflow/tfjs';
import { RandomStream, namedStream } from '../../src/core/random.js';
import { conv2dBackward, conv2dOutputSize, denseBackward, networkGradients, softmaxCrossEntropy as referenceCrossEntropy } from '../../src/nn/backward.js';
import type { Network } from '../../src/nn/network.js';
import { initTf, type Tf } from '../../src/nn/tf/backend.js';
import { TfModel, conv2dWeightFromTf, conv2dWeightToTf, denseWeightFromTf, denseWeightToTf, evaluateTf } from '../../src/nn/tf/model.js';
import { conv2d, conv2dFilterGradient, conv2dInputGradient, matMul, softmaxCrossEntropy } from '../../src/nn/tf/ops.js';

let tf: Tf;
before(async () => {
  tf = await initTf();
});

function randomValues(name: string, count: number, low = -1, high = 1): Float32Array {
  const out = new Float32Array(count);
  new RandomStream(11, namedStream(`test/tfOps/${name}`)).fill({ kind: 'uniform', low, high }, 0, out);
  return out;
}

// assertClose tolerances below (abs 1e-5 to 1e-4 on values of order 1, rel 1e-4) allow for float32 sums of up
// to a few hundred terms.

/** NCHW → NHWC values. */
function toNhwc(x: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) out[(b * h * w + i) * c + ch] = x[(b * c + ch) * h * w + i]!;
  return out;
}

test('the wasm backend is active', () => {
  assert.equal(tf.getBackend(), 'wasm');
});

test('weight layout conversions round-trip and place [out,in] / [out,in,K,K] entries where tfjs expects them', () => {
  const dense = randomValues('layout.dense', 12);
  const t = denseWeightToTf(dense, 3, 4);
  assert.equal(t[2 * 3 + 1], dense[1 * 4 + 2]); // W[o=1, i=2] → Wt[i=2, o=1]
  assert.deepEqual(denseWeightFromTf(t, 3, 4), dense);
  const conv = randomValues('layout.conv', 3 * 2 * 4);
  const f = conv2dWeightToTf(conv, 3, 2, 2);
  assert.equal(f[((1 * 2 + 0) * 2 + 1) * 3 + 2], conv[((2 * 2 + 1) * 2 + 1) * 2 + 0]); // F[p=1,q=0,c=1,o=2] = W[o=2,c=1,p=1,q=0]
  assert.deepEqual(conv2dWeightFromTf(f, 3, 2, 2), conv);
});

for (const inputGradient of [true, false]) {
  test(`matMul custom gradient matches the reference dense backward (inputGradient ${inputGradient})`, () => {
    const [m, k, n] = [6, 9, 5];
    const x = randomValues('mm.x', m * k);
    const w = randomValues('mm.w', n * k); // [out, in]
    const r = randomValues('mm.r', m * n);
    const reference = denseBackward(x, m, k, n, w, r);
    const [dx, dwt] = tf.tidy(() => {
      const grads = tf.grads((a, b) => tf.sum(tf.mul(matMul(a as tfType.Tensor2D, b as tfType.Tensor2D, inputGradient), tf.tensor2d(r, [m, n]))))([
        tf.tensor2d(x, [m, k]),
        tf.tensor2d(denseWeightToTf(w, n, k), [k, n]),
      ]);
      return grads.map((g) => g.dataSync() as Float32Array);
    });
    if (inputGradient) assertClose(dx!, reference.dx, 1e-5, 1e-4, 'dx');
    else assert.ok(dx!.every((v) => v === 0), 'dx is zeros when not requested');
    assertClose(denseWeightFromTf(dwt!, n, k), reference.dWeight, 1e-5, 1e-4, 'dWeight');
  });
}

for (const [kernelSize, padding, inChannels, outChannels] of [
  [3, 0, 2, 3],
  [3, 1, 3, 2],
  [5, 2, 1, 4],
  [5, 0, 4, 3],
] as const) {
  test(`conv2d custom gradient matches the reference conv backward (K ${kernelSize}, pad ${padding}, ${inChannels}→${outChannels} channels)`, () => {
    const [n, h, w] = [3, 9, 8];
    const oh = conv2dOutputSize(h, kernelSize, padding);
    const ow = conv2dOutputSize(w, kernelSize, padding);
    const tag = `${kernelSize}${padding}${inChannels}${outChannels}`;
    const x = randomValues(`conv.x${tag}`, n * inChannels * h * w);
    const weight = randomValues(`conv.w${tag}`, outChannels * inChannels * kernelSize * kernelSize);
    const r = randomValues(`conv.r${tag}`, n * outChannels * oh * ow);
    const reference = conv2dBackward(x, { batch: n, channels: inChannels, height: h, width: w }, weight, outChannels, kernelSize, padding, r);
    const [dx, df] = tf.tidy(() => {
      const rt = tf.tensor4d(toNhwc(r, n, outChannels, oh, ow), [n, oh, ow, outChannels]);
      const grads = tf.grads((a, b) => tf.sum(tf.mul(conv2d(a as tfType.Tensor4D, b as tfType.Tensor4D, padding), rt)))([
        tf.tensor4d(toNhwc(x, n, inChannels, h, w), [n, h, w, inChannels]),
        tf.tensor4d(conv2dWeightToTf(weight, outChannels, inChannels, kernelSize), [kernelSize, kernelSize, inChannels, outChannels]),
      ]);
      return grads.map((g) => g.dataSync() as Float32Array);
    });
    assertClose(dx!, toNhwc(Float32Array.from(reference.dx), n, inChannels, h, w), 1e-5, 1e-4, 'dx');
    assertClose(conv2dWeightFromTf(df!, outChannels, inChannels, kernelSize), reference.dWeight, 1e-4, 1e-4, 'dFilter');
  });
}

test('regression: numeric conv padding with a non-square filter (tfjs sizes the output width from the filter height)', () => {
  // The filter gradient convolves with a [OH, OW, N, O] "filter" that is non-square for a non-square
  // image; with a numeric pad, tfjs 4.22 gave a [C, 3, 2, O] result here and the wasm kernel wrote out
  // of bounds (corrupting the heap). ops.ts passes explicit padding instead.
  const shape = tf.tidy(() => conv2dFilterGradient(tf.ones([2, 9, 8, 2]) as tfType.Tensor4D, tf.ones([2, 9, 8, 3]) as tfType.Tensor4D, 1).shape);
  assert.deepEqual(shape, [3, 3, 2, 3]);
});

test('conv2dInputGradient (flipped-filter conv) equals the stock Conv2DBackpropInput kernel', () => {
  const values = tf.tidy(() => {
    const dy = tf.tensor4d(randomValues('bpi.dy', 2 * 6 * 6 * 3), [2, 6, 6, 3]);
    const filter = tf.tensor4d(randomValues('bpi.f', 5 * 5 * 4 * 3), [5, 5, 4, 3]);
    return [conv2dInputGradient(dy, filter, 1).dataSync() as Float32Array, tf.conv2dTranspose(dy, filter, [2, 8, 8, 4], 1, 1).dataSync() as Float32Array];
  });
  assertClose(values[0]!, values[1]!, 1e-5, 1e-4, 'dx');
});

test('softmax cross-entropy: value and gradient match the reference', () => {
  const [batch, classes] = [5, 4];
  const z = randomValues('ce.z', batch * classes, -4, 4);
  const labels = [3, 0, 1, 1, 2];
  const reference = referenceCrossEntropy(z, labels, batch, classes);
  const [value, grad] = tf.tidy(() => {
    const t = tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat() as tfType.Tensor2D;
    const { value: v, grad: g } = tf.valueAndGrad((logits: tfType.Tensor) => softmaxCrossEntropy(logits as tfType.Tensor2D, t))(tf.tensor2d(z, [batch, classes]));
    return [v.dataSync()[0]!, g.dataSync() as Float32Array] as [number, Float32Array];
  });
  assertClose([value], [reference.loss], 1e-6, 1e-5, 'loss');
  assertClose(grad, reference.dLogits, 1e-6, 1e-5, 'dLogits');
});

function networks(): { name: string; network: Network }[] {
  const w = (name: string, count: number) => randomValues(`net.${name}`, count, -0.5, 0.5);
  return [
    {
      name: 'MLP with biases',
      network: {
        inputShape: [12],
        layers: [
          { kind: 'dense', name: 'fc1', inFeatures: 12, outFeatures: 7, weight: w('m1', 84), bias: w('m1b', 7) },
          { kind: 'relu' },
          { kind: 'dense', name: 'fc2', inFeatures: 7, outFeatures: 4, weight: w('m2', 28), bias: null },
        ],
      },
    },
    {
      // Two input channels exercise the NCHW→NHWC input transpose; relu→maxpool pairs exercise the
      // commuted order in TfModel.apply; the flatten of 3 channels exercises the NHWC→NCHW order.
      name: 'conv net (2-channel input, biases, relu→pool, flatten)',
      network: {
        inputShape: [2, 8, 8],
        layers: [
          { kind: 'conv2d', name: 'conv1', inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1, weight: w('c1', 72), bias: w('c1b', 4) },
          { kind: 'relu' },
          { kind: 'maxpool2d', size: 2 },
          { kind: 'conv2d', name: 'conv2', inChannels: 4, outChannels: 3, kernelSize: 3, padding: 0, weight: w('c2', 108), bias: null },
          { kind: 'relu' },
          { kind: 'flatten' },
          { kind: 'dense', name: 'fc1', inFeatures: 12, outFeatures: 6, weight: w('f1', 72), bias: w('f1b', 6) },
          { kind: 'relu' },
          { kind: 'dense', name: 'fc2', inFeatures: 6, outFeatures: 5, weight: w('f2', 30), bias: w('f2b', 5) },
        ],
      },
    },
  ];
}

for (const { name, network } of networks()) {
  test(`TfModel loss and gradients (all parameters and the input) match the reference: ${name}`, () => {
    const batch = 4;
    const features = network.inputShape.reduce((a, b) => a * b, 1);
    const input = randomValues(`model.x.${name}`, batch * features, 0, 1);
    const classes = 5;
    const labels = [1, 0, 3, 2].map((label) => label % (network.layers.at(-1) as { outFeatures: number }).outFeatures);
    void classes;
    const reference = networkGradients(network, input, labels, batch);
    const before = tf.memory().numTensors;
    const model = new TfModel(network);
    const variables = model.variables();
    const result = tf.tidy(() => {
      const x = model.inputTensor(input, batch);
      const y = tf.tensor1d(labels, 'int32');
      const { value, grads } = tf.variableGrads(() => model.loss(x, y, true), variables);
      const inputGrad = tf.grad((xi: tfType.Tensor) => model.loss(xi, y, true))(x);
      return {
        loss: value.dataSync()[0]!,
        logits: model.apply(x).dataSync() as Float32Array,
        grads: variables.map((v) => grads[v.name]!.dataSync() as Float32Array),
        input: inputGrad.dataSync() as Float32Array,
      };
    });
    assertClose([result.loss], [reference.loss], 1e-5, 1e-5, 'loss');
    assertClose(result.logits, reference.logits, 1e-5, 1e-5, 'logits');
    // The model's input gradient is in its own layout (NHWC for images); compare in that layout.
    const [c, h, w] = network.inputShape.length === 3 ? (network.inputShape as [number, number, number]) : [1, 1, features];
    assertClose(result.input, network.inputShape.length === 3 ? toNhwc(Float32Array.from(reference.input), batch, c, h, w) : reference.input, 1e-6, 1e-4, 'input');
    let k = 0;
    for (const p of model.parameters) {
      const layer = network.layers[p.layerIndex]!;
      const ref = reference.layers[p.layerIndex]!;
      const g = result.grads[k++]!;
      const weight =
        layer.kind === 'dense' ? denseWeightFromTf(g, layer.outFeatures, layer.inFeatures) : layer.kind === 'conv2d' ? conv2dWeightFromTf(g, layer.outChannels, layer.inChannels, layer.kernelSize) : g;
      assertClose(weight, ref.weight, 1e-6, 1e-4, `layer ${p.layerIndex} weight`);
      if (p.bias !== null) assertClose(result.grads[k++]!, ref.bias!, 1e-6, 1e-4, `layer ${p.layerIndex} bias`);
    }
    // toNetwork returns the same weights bit for bit (nothing was trained).
    const copy = model.toNetwork();
    copy.layers.forEach((layer, i) => {
      const original = network.layers[i]!;
      if ('weight' in layer && 'weight' in original) {
        assert.deepEqual(layer.weight, original.weight);
        assert.deepEqual(layer.bias, original.bias);
      }
    });
    const evaluation = evaluateTf(model, input, Uint8Array.from(labels), batch, 3);
    assertClose([evaluation.loss], [reference.loss], 1e-5, 1e-5, 'evaluateTf loss (chunks of 3)');
    model.dispose();
    assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
  });
}
