// Model files: exact round trips of our own files, PyTorch state_dict files without metadata (MLPs inferred
// from chained shapes in natural name order, conv nets through --arch), and every refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/core/errors.js';
import { RandomStream } from '../../src/core/random.js';
import { compareNatural, MODEL_FORMAT } from '../../src/io/modelBytes.js';
import { loadModel, saveModel } from '../../src/io/modelFile.js';
import { exportOnnx } from '../../src/io/onnx.js';
import { decodeSafetensors, encodeSafetensorsBytes, type SafetensorsTensorInput } from '../../src/io/safetensors.js';
import { conv2dLayer, createNetwork } from '../../src/nn/architectures.js';
import { forward } from '../../src/nn/forward.js';
import type { Network } from '../../src/nn/network.js';

const work = mkdtempSync(join(tmpdir(), 'lottery-model-test-'));
test.after(() => rmSync(work, { recursive: true, force: true }));
let counter = 0;
const path = (ext = '.safetensors'): string => join(work, `m${counter++}${ext}`);

function randomize(network: Network, seed: number): Network {
  const s = new RandomStream(seed, 3);
  let i = 0;
  for (const layer of network.layers) {
    if (layer.kind !== 'dense' && layer.kind !== 'conv2d') continue;
    s.fill({ kind: 'uniform', low: -0.1, high: 0.1 }, i, layer.weight);
    i += layer.weight.length;
    if (layer.bias) {
      s.fill({ kind: 'uniform', low: -0.1, high: 0.1 }, i, layer.bias);
      i += layer.bias.length;
    }
  }
  return network;
}

/** Writes a PyTorch-style file (no metadata unless given) from named float32 tensors. */
function writeStateDict(tensors: Array<[string, number[], Float32Array?]>, metadata?: Record<string, string>): string {
  const file = path();
  const inputs: SafetensorsTensorInput[] = tensors.map(([name, shape, data], i) => {
    const count = shape.reduce((a, b) => a * b, 1);
    const values = data ?? Float32Array.from({ length: count }, (_, j) => Math.sin(7 * i + j) / 10);
    return { name, dtype: 'F32', shape, data: values };
  });
  writeFileSync(file, encodeSafetensorsBytes(inputs, metadata));
  return file;
}

function refuses(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    if (!(error instanceof InputError)) throw error;
    assert.match(error.message, pattern);
    return true;
  });
}

test('saveModel → loadModel rebuilds every architecture exactly (weights bit for bit, names, arch, preprocess)', () => {
  for (const arch of ['fc2', 'fc4', 'lenet5', 'mlp:784-30-20-10']) {
    for (const bias of [false, true]) {
      const network = randomize(createNetwork(arch, { bias, preprocess: 'standard' }), 17);
      const file = path();
      saveModel(file, network, { trainedEpochs: '3' });
      const loaded = loadModel(file);
      assert.deepEqual(loaded, network, `${arch} bias=${bias}`);
      const metadata = decodeSafetensors(readFileSync(file), file).metadata;
      assert.equal(metadata['format'], MODEL_FORMAT);
      assert.equal(metadata['arch'], network.arch);
      assert.equal(metadata['trainedEpochs'], '3');
    }
  }
});

test('saved files use PyTorch state_dict names and shapes', () => {
  const file = path();
  saveModel(file, randomize(createNetwork('lenet5', { bias: true }), 1));
  const decoded = decodeSafetensors(readFileSync(file), file);
  const shapes = Object.fromEntries([...decoded.tensors].map(([name, t]) => [name, t.shape]));
  assert.deepEqual(shapes, {
    'conv1.weight': [6, 1, 5, 5], 'conv1.bias': [6],
    'conv2.weight': [16, 6, 5, 5], 'conv2.bias': [16],
    'fc1.weight': [120, 400], 'fc1.bias': [120],
    'fc2.weight': [84, 120], 'fc2.bias': [84],
    'fc3.weight': [10, 84], 'fc3.bias': [10],
  });
  assert.ok([...decoded.tensors.values()].every((t) => t.dtype === 'F32'));
  assert.throws(() => saveModel(path(), createNetwork('fc2', { bias: false }), { format: 'x' }), /reserved key 'format'/);
});

test('preprocess: the option overrides the file, a file without one means pixels', () => {
  const file = path();
  saveModel(file, createNetwork('mlp:784-10', { bias: false, preprocess: 'standard' }));
  assert.equal(loadModel(file).preprocess, 'standard');
  assert.equal(loadModel(file, { preprocess: 'pixels' }).preprocess, 'pixels');
  const bare = path();
  saveModel(bare, createNetwork('mlp:784-10', { bias: false }));
  assert.equal(loadModel(bare).preprocess, 'pixels');
  const torchFile = writeStateDict([['weight', [10, 784]]], { format: 'pt', preprocess: 'standard' });
  assert.equal(loadModel(torchFile).preprocess, 'standard');
  const badRecord = writeStateDict([['weight', [10, 784]]], { preprocess: 'zscore' });
  refuses(() => loadModel(badRecord), /metadata: preprocess must be pixels or standard, got 'zscore'/);
});

test('compareNatural orders digit runs as numbers', () => {
  const names = ['layers.10', 'layers.2', 'fc10', 'fc9', 'layers.0', 'fc1', 'net.01', 'net.1', 'a'];
  assert.deepEqual([...names].sort(compareNatural), ['a', 'fc1', 'fc9', 'fc10', 'layers.0', 'layers.2', 'layers.10', 'net.1', 'net.01']);
});

test('a PyTorch nn.Sequential file without metadata loads as an MLP (layers.0 / layers.2 / layers.10)', () => {
  const w0 = Float32Array.from({ length: 30 * 784 }, (_, i) => Math.cos(i) / 20);
  const file = writeStateDict([
    ['layers.10.weight', [10, 20]],
    ['layers.2.weight', [20, 30]],
    ['layers.0.weight', [30, 784], w0],
    ['layers.0.bias', [30]],
    ['layers.2.bias', [20]],
  ], { format: 'pt' });
  const network = loadModel(file);
  assert.equal(network.arch, 'mlp:784-30-20-10');
  assert.deepEqual(network.layers.map((l) => (l.kind === 'dense' ? `${l.name}:${l.bias ? 'b' : '-'}` : l.kind)), ['layers.0:b', 'relu', 'layers.2:b', 'relu', 'layers.10:-']);
  assert.deepEqual(network.layers[0]!.kind === 'dense' && network.layers[0].weight, w0);
  // saving it again keeps the PyTorch names, so the file still loads into the same nn.Sequential
  const again = path();
  saveModel(again, network);
  assert.deepEqual([...decodeSafetensors(readFileSync(again), again).tensors.keys()], ['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias', 'layers.10.weight']);
  // the loaded network computes what the same layers built by hand compute
  const byHand = createNetwork('mlp:784-30-20-10', { bias: false });
  byHand.layers = network.layers;
  const x = Float32Array.from({ length: 784 }, (_, i) => (i % 7) / 7);
  assert.deepEqual(forward(network, x, 1), forward(byHand, x, 1));
});

test('fc1/fc2 files are recognised as fc2; F16 weights are widened', () => {
  const network = loadModel(writeStateDict([['fc1.weight', [500, 784]], ['fc2.weight', [10, 500]]]));
  assert.equal(network.arch, 'fc2');
  const file = path();
  const half = new Uint16Array(10 * 784).fill(0x3800); // 0.5 in float16
  const header = new TextEncoder().encode(JSON.stringify({ 'fc1.weight': { dtype: 'F16', shape: [10, 784], data_offsets: [0, half.byteLength] } }));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(file, Buffer.concat([prefix, header, new Uint8Array(half.buffer)]));
  const f16 = loadModel(file);
  assert.ok(f16.layers[0]!.kind === 'dense' && f16.layers[0].weight.every((w) => w === 0.5));
});

test('conv weights need --arch lenet5; with it, weights are matched by shape whatever their names', () => {
  const tensors: Array<[string, number[]]> = [
    ['features.0.weight', [6, 1, 5, 5]], ['features.0.bias', [6]],
    ['features.3.weight', [16, 6, 5, 5]], ['features.3.bias', [16]],
    ['classifier.0.weight', [120, 400]], ['classifier.0.bias', [120]],
    ['classifier.2.weight', [84, 120]], ['classifier.2.bias', [84]],
    ['classifier.4.weight', [10, 84]], ['classifier.4.bias', [10]],
  ];
  const file = writeStateDict(tensors);
  refuses(() => loadModel(file), /tensor 'features\.0\.weight' is a conv weight \[6,1,5,5\].*pass --arch lenet5/);
  const network = loadModel(file, { arch: 'lenet5' });
  assert.equal(network.arch, 'lenet5');
  assert.deepEqual(network.layers.flatMap((l) => ('name' in l ? [l.name] : [])), ['features.0', 'features.3', 'classifier.0', 'classifier.2', 'classifier.4']);
  const decoded = decodeSafetensors(readFileSync(file), file);
  const conv2 = network.layers[3]!;
  assert.ok(conv2.kind === 'conv2d' && conv2.padding === 0);
  assert.deepEqual(conv2.weight, decoded.tensors.get('features.3.weight')!.data);
  refuses(() => loadModel(file, { arch: 'fc2' }), /--arch fc2 needs a weight of shape \[500,784\]/);
  refuses(() => loadModel(writeStateDict([...tensors, ['extra.weight', [3, 3]]]), { arch: 'lenet5' }), /tensor 'extra\.weight' \[3,3\] does not belong to --arch lenet5/);
  // --arch fc4 keeps the two 500×500 layers in name order
  const fc4 = loadModel(writeStateDict([['l.1.weight', [500, 784]], ['l.10.weight', [10, 500]], ['l.3.weight', [500, 500]], ['l.2.weight', [500, 500]]]), { arch: 'fc4' });
  assert.deepEqual(fc4.layers.flatMap((l) => ('name' in l ? [l.name] : [])), ['l.1', 'l.2', 'l.3', 'l.10']);
});

test('PyTorch files that cannot be a supported network are refused, naming the file and tensor', () => {
  refuses(() => loadModel(writeStateDict([['fc1.bias', [10]], ['fc2.weight', [10, 784]]])), /m\d+\.safetensors: tensor 'fc1\.bias' has no matching 'fc1\.weight'/);
  refuses(() => loadModel(writeStateDict([['fc1.weight', [500, 784]], ['fc2.weight', [10, 300]]])), /'fc2\.weight' \[10,300\] takes 300 inputs but 'fc1\.weight' gives 500 outputs/);
  refuses(() => loadModel(writeStateDict([['fc1.weight', [500, 100]]])), /'fc1\.weight' \[500,100\] takes 100 inputs but the 784 MNIST pixels/);
  refuses(() => loadModel(writeStateDict([['fc1.weight', [0, 784]]])), /tensor 'fc1\.weight' is empty/);
  refuses(() => loadModel(writeStateDict([['fc1.weight', [10, 784]], ['fc1.bias', [11]]])), /'fc1\.bias' has shape \[11\], expected \[10\]/);
  refuses(() => loadModel(writeStateDict([['bn.weight', [784]]])), /'bn\.weight' has shape \[784\]; only 2-D Linear and 4-D Conv2d weights .*normalisation/);
  refuses(() => loadModel(writeStateDict([['fc1.weight', [10, 784]], ['bn.running_mean', [10]]])), /tensor 'bn\.running_mean' is a batch-norm buffer: .*export the model to ONNX/);
  refuses(() => loadModel(writeStateDict([])), /no weight tensors/);
  const nan = new Float32Array(10 * 784);
  nan[1234] = NaN;
  refuses(() => loadModel(writeStateDict([['fc1.weight', [10, 784], nan]])), /tensor 'fc1\.weight' has a non-finite value NaN at index 1234/);
  const inf = new Float32Array(10);
  inf[3] = -Infinity;
  refuses(() => loadModel(writeStateDict([['fc1.weight', [10, 784]], ['fc1.bias', [10], inf]])), /tensor 'fc1\.bias' has a non-finite value -Infinity at index 3/);
  const ints = path();
  writeFileSync(ints, encodeSafetensorsBytes([{ name: 'fc1.weight', dtype: 'I32', shape: [10, 784], data: new Int32Array(7840) }]));
  refuses(() => loadModel(ints), /tensor 'fc1\.weight' has dtype I32; weights must be floating point/);
});

test('our own files with a tampered layer list are refused', () => {
  const file = path();
  saveModel(file, createNetwork('fc2', { bias: false }));
  const decoded = decodeSafetensors(readFileSync(file), file);
  const rewrite = (metadata: Record<string, string>, drop?: string): string => {
    const out = path();
    const tensors = [...decoded.tensors]
      .filter(([name]) => name !== drop)
      .map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape, data: t.data }));
    writeFileSync(out, encodeSafetensorsBytes(tensors, { ...decoded.metadata, ...metadata }));
    return out;
  };
  refuses(() => loadModel(rewrite({}, 'fc2.weight')), /tensor 'fc2\.weight' is missing/);
  refuses(() => loadModel(rewrite({ layers: '[{"kind":"dense","name":"fc1","inFeatures":784,"outFeatures":500,"bias":false}]' })), /tensor 'fc2\.weight' is not used by any layer/);
  refuses(() => loadModel(rewrite({ layers: '[{"kind":"dense","name":"fc1","inFeatures":784,"outFeatures":500,"bias":false,"act":"gelu"}]' })), /layers\[0\]: unknown field 'act'/);
  refuses(() => loadModel(rewrite({ layers: '[{"kind":"gelu"}]' })), /layers\[0\]: kind must be one of/);
  refuses(() => loadModel(rewrite({ layers: 'not json' })), /metadata 'layers' is not valid JSON/);
  refuses(() => loadModel(rewrite({ version: '2' })), /version "2" is not supported/);
  refuses(() => loadModel(rewrite({ inputShape: '[1, 28, 28]' })), /layer 0 \(dense 'fc1'\): expects input \[784\], gets \[1,28,28\]/);
  refuses(() => loadModel(file, { arch: 'fc4' }), /--arch fc4 contradicts the file's recorded arch 'fc2'/);
});

test('pickle files are never loaded; missing files and ONNX paths are handled', () => {
  for (const ext of ['.pt', '.pth', '.bin', '.PT']) {
    refuses(() => loadModel(join(work, `model${ext}`)), /pickle files are not loaded, for safety.*save_file\(model\.state_dict\(\), "model\.safetensors"\).*torch\.onnx\.export\(model, torch\.zeros\(1, 784\), "model\.onnx"\)/);
  }
  const zip = path();
  writeFileSync(zip, Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(60)]));
  refuses(() => loadModel(zip), /this is a PyTorch pickle\/zip file, not safetensors/);
  const rawPickle = path();
  writeFileSync(rawPickle, Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x28, 0x58, 0x01, 0x00]));
  refuses(() => loadModel(rawPickle), /pickle/);
  refuses(() => loadModel(join(work, 'absent.safetensors')), /absent\.safetensors: cannot read model file \(ENOENT\)/);
  const onnxFile = path('.onnx');
  const network = randomize(createNetwork('mlp:784-12-10', { bias: true, preprocess: 'standard' }), 2);
  exportOnnx(onnxFile, network);
  const loaded = loadModel(onnxFile, { preprocess: 'pixels' });
  assert.equal(loaded.preprocess, 'pixels');
  const x = Float32Array.from({ length: 784 }, (_, i) => (i % 5) / 5);
  assert.deepEqual(forward(loaded, x, 1), forward(network, x, 1));
});

// ---- found by fuzzing and by reviewing every size read from a file or flag (docs/fuzzing.md) ------------------

test('regression (review): --arch is matched against the file before its layers are allocated', () => {
  const file = writeStateDict([['fc1.weight', [8, 784]], ['fc2.weight', [10, 8]]]);
  const before = process.memoryUsage().arrayBuffers;
  // mlp:784-1000000-10 has 7.8·10^8 weights in its first layer: 3 GB that createNetwork used to allocate first.
  refuses(() => loadModel(file, { arch: 'mlp:784-1000000-10' }), /--arch mlp:784-1000000-10 needs a weight of shape \[1000000,784\] for fc1, the file has none left/);
  assert.ok(process.memoryUsage().arrayBuffers - before < 2 ** 26, 'nothing sized by --arch was allocated');
  const network = loadModel(file, { arch: 'mlp:784-8-10' });
  assert.deepEqual(network.layers.filter((l) => l.kind === 'dense').map((l) => l.name), ['fc1', 'fc2']);
});

test('regression (review): a recorded conv padding of 10^9 is refused (an activation of 4·10^18 values)', () => {
  // A conv-only network chains (networkShapes accepts it), but evaluating it would allocate per example 4·10^18 floats.
  const network: Network = { inputShape: [1, 4, 4], layers: [conv2dLayer('conv1', 1, 1, 1, 1e9, false)] };
  const file = path();
  saveModel(file, network);
  refuses(() => loadModel(file), /the output of layer 0 \(conv2d\) has shape \[1, 2000000004, 2000000004\], .* \(at most 268435456 are supported\)/);
  network.layers = [conv2dLayer('conv1', 1, 1, 1, 100, false)];
  saveModel(file, network);
  assert.equal(loadModel(file).layers.length, 1);
});

test('regression (fuzz): deeply nested or enormous metadata values give short one-line messages', () => {
  const network = createNetwork('mlp:784-4-10', { bias: false });
  const file = path();
  saveModel(file, network);
  const decoded = decodeSafetensors(readFileSync(file), file);
  const tensors: SafetensorsTensorInput[] = [...decoded.tensors].map(([name, t]) => ({ name, dtype: 'F32', shape: t.shape, data: t.data as Float32Array }));
  const variants: [Record<string, string>, RegExp][] = [
    [{ inputShape: '[' + '['.repeat(100_000) + ']'.repeat(100_000) + ']' }, /metadata inputShape must be a list of positive integers, got \[\[\[\[/],
    [{ layers: JSON.stringify([{ kind: 'x\n'.repeat(100_000) }]) }, /metadata layers\[0\]: kind must be one of .*, got "x\\nx\\n/],
    [{ arch: 'y'.repeat(1_000_000) }, /contradicts the file's recorded arch 'yyy+…'/],
  ];
  for (const [change, pattern] of variants) {
    const changed = path();
    writeFileSync(changed, encodeSafetensorsBytes(tensors, { ...decoded.metadata, ...change }));
    assert.throws(() => loadModel(changed, change['arch'] ? { arch: 'fc2' } : {}), (error: unknown) => {
      assert.ok(error instanceof InputError, String(error));
      assert.match(error.message, pattern);
      assert.doesNotMatch(error.message, /\n/);
      assert.ok(error.message.length < 300 + changed.length, `${error.message.length} characters`);
      return true;
    });
  }
});
