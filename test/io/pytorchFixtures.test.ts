// Real PyTorch models (issue 13), exported by torch.onnx.export in eval mode by interop/pytorch/make_fixtures.py
// (`npm run interop:pytorch` re-makes them where /usr/bin/python3 has torch): a residual MLP (h + relu(fc(h))), a
// tiny ResNet (stem conv + batch norm, an identity block, a strided 1×1 projection block, average and global average
// pooling, x.view(x.size(0), -1): Shape → Gather → Unsqueeze → Concat → Reshape) exported with batch norm folded by
// torch, again unfolded (BatchNormalization nodes, opset 17) and with a fixed batch of 1 (opset 14), an MLP
// with batch norm on its input (nothing to fold into), the LeNet5 of docs/model-files.md with x.view(-1, 1, 28, 28)
// and dropout (opset 11), and a Sigmoid MLP that must be refused. Our fast and reference forward passes give
// PyTorch's logits on the first 100 MNIST test images within 1e-4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/core/errors.js';
import { onnxBytesFromNetwork } from '../../src/io/onnx.js';
import { networkFromOnnxBytes } from '../../src/io/onnxImport.js';
import { loadMnist } from '../../src/io/mnist.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { forward } from '../../src/nn/forward.js';
import { preprocessImages } from '../../src/nn/images.js';
import { allLayers, type Network } from '../../src/nn/network.js';
import { referenceForward } from '../../src/nn/referenceForward.js';

const dir = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'pytorch');
const IMAGES = 100;
const inputs = preprocessImages(loadMnist('test').images, 'pixels', 0, IMAGES);

function load(name: string): Network {
  return networkFromOnnxBytes(readFileSync(join(dir, `${name}.onnx`)), `${name}.onnx`);
}

function torchLogits(name: string): Float64Array {
  const file = decodeSafetensors(readFileSync(join(dir, `${name}.logits.safetensors`)), `${name}.logits.safetensors`);
  const tensor = file.tensors.get('logits')!;
  return tensor.data as Float64Array;
}

const kinds = (network: Network): string[] => allLayers(network.layers).map((l) => (l.kind === 'conv2d' && (l.stride ?? 1) !== 1 ? `conv2d/${l.stride}` : l.kind));

for (const name of ['residual_mlp', 'tiny_resnet', 'tiny_resnet_bn', 'tiny_resnet_fixed', 'normalised_mlp', 'lenet5_view']) {
  test(`${name}: our forward passes give PyTorch's logits`, () => {
    const network = load(name);
    const expected = torchLogits(name);
    const fast = forward(network, inputs, IMAGES);
    const slow = referenceForward(network, inputs, IMAGES);
    assert.equal(fast.length, expected.length);
    let worstFast = 0;
    let worstSlow = 0;
    for (let i = 0; i < expected.length; i++) {
      worstFast = Math.max(worstFast, Math.abs(fast[i]! - expected[i]!));
      worstSlow = Math.max(worstSlow, Math.abs(slow[i]! - expected[i]!));
    }
    assert.ok(worstFast <= 1e-4 && worstSlow <= 1e-4, `largest difference from PyTorch: fast ${worstFast}, reference ${worstSlow}`);
  });
}

test('the structure read from each file: residual blocks, folded or kept batch norm, strides, pooling', () => {
  const mlp = load('residual_mlp');
  assert.deepEqual(mlp.layers.map((l) => l.kind), ['flatten', 'dense', 'relu', 'residual', 'residual', 'dense']);
  for (const block of mlp.layers.filter((l) => l.kind === 'residual')) {
    assert.deepEqual(block.body.map((l) => l.kind), ['dense', 'relu']);
    assert.deepEqual(block.skip, [], 'identity skip');
  }
  // torch folds batch norm into the conv before it; unfolded, we fold it ourselves: the same structure.
  for (const name of ['tiny_resnet', 'tiny_resnet_bn', 'tiny_resnet_fixed']) {
    assert.deepEqual(kinds(load(name)), [
      'conv2d', 'relu',
      'residual', 'conv2d', 'relu', 'conv2d', 'relu',
      'residual', 'conv2d/2', 'relu', 'conv2d', 'conv2d/2', 'relu',
      'avgpool2d', 'globalavgpool', 'flatten', 'dense',
    ], name);
  }
  assert.deepEqual(load('normalised_mlp').layers.map((l) => l.kind), ['flatten', 'batchnorm', 'dense', 'relu', 'dense']);
  assert.equal(load('lenet5_view').inputShape.join(), '1,28,28');
});

test('a Sigmoid MLP is refused in one line naming the op, the node and what to do', () => {
  assert.throws(() => load('sigmoid_mlp'), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.message, /unsupported ONNX op 'Sigmoid' at node '\/Sigmoid' in sigmoid_mlp\.onnx \(only ReLU networks are supported.*retrain with ReLU\)/);
    return true;
  });
});

test('networks with residual blocks, batch norm, strides and pooling export to ONNX: onnxruntime gives our logits, and they read back the same', async () => {
  const ort = await import('onnxruntime-node');
  for (const name of ['residual_mlp', 'tiny_resnet', 'normalised_mlp']) {
    const network = load(name);
    const bytes = onnxBytesFromNetwork(network);
    const ours = forward(network, inputs, IMAGES);
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const result = await session.run({ input: new ort.Tensor('float32', inputs, [IMAGES, ...network.inputShape]) });
    await session.release();
    const theirs = result['logits']!.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(theirs[i]! - ours[i]!));
    assert.ok(worst <= 1e-5, `${name}: onnxruntime differs by ${worst}`);
    const again = networkFromOnnxBytes(bytes, `${name}.exported.onnx`);
    assert.deepEqual(kinds(again), kinds(network), name);
    assert.deepEqual(Array.from(forward(again, inputs, IMAGES)), Array.from(ours), `${name}: read back`);
  }
});
