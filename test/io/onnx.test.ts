// ONNX import/export: hand-built graphs in the shapes torch.onnx.export writes (built with onnx-proto directly)
// import to the expected layers and compute what onnxruntime computes; our exporter round-trips bit-identically;
// malformed or unsupported models fail with an InputError naming the file, op, node or initializer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { InputError } from '../../src/core/errors.js';
import { RandomStream, namedStream } from '../../src/core/random.js';
import { createNetwork } from '../../src/nn/architectures.js';
import type { Layer, Network } from '../../src/nn/network.js';
import { isParameterised } from '../../src/nn/network.js';
import { referenceForward } from '../../src/nn/referenceForward.js';
import { exportOnnx, loadOnnxModel, networkFromOnnxBytes, onnxBytesFromNetwork } from '../../src/io/onnx.js';

const { onnx } = onnxProto;
const FLOAT = 1;
const INT64 = 7;

// ---- building ModelProtos by hand ----------------------------------------------------------------------------

type AttributeValue = number | number[] | string | { float: number };

function floatTensor(name: string, dims: number[], values: ArrayLike<number>, storage: 'raw' | 'float_data' = 'raw'): OnnxTypes.ITensorProto {
  if (storage === 'float_data') return { name, dims, dataType: FLOAT, floatData: Array.from(values) };
  const raw = new Uint8Array(4 * values.length);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i]!, true);
  return { name, dims, dataType: FLOAT, rawData: raw };
}

function int64Tensor(name: string, dims: number[], values: number[]): OnnxTypes.ITensorProto {
  const raw = new Uint8Array(8 * values.length);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
  return { name, dims, dataType: INT64, rawData: raw };
}

function node(opType: string, inputs: string[], outputs: string[], name: string, attributes: Record<string, AttributeValue | OnnxTypes.ITensorProto> = {}): OnnxTypes.INodeProto {
  const T = onnx.AttributeProto.AttributeType;
  const attribute = Object.entries(attributes).map(([key, value]): OnnxTypes.IAttributeProto => {
    if (typeof value === 'number') return { name: key, type: T.INT, i: value };
    if (typeof value === 'string') return { name: key, type: T.STRING, s: new TextEncoder().encode(value) };
    if (Array.isArray(value)) return { name: key, type: T.INTS, ints: value };
    if ('float' in value) return { name: key, type: T.FLOAT, f: value.float };
    return { name: key, type: T.TENSOR, t: value };
  });
  return { opType, input: inputs, output: outputs, name, attribute };
}

function valueInfo(name: string, dims: (number | string)[], elemType = FLOAT): OnnxTypes.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } };
}

interface GraphSpec {
  input: (number | string)[];
  output: (number | string)[];
  nodes: OnnxTypes.INodeProto[];
  initializers: OnnxTypes.ITensorProto[];
  opset?: number;
  irVersion?: number;
}

/** A model with graph input "input" and output "logits", IR 7 and opset 13 like torch 1.x/2.x exports. */
function buildModel(spec: GraphSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: spec.irVersion ?? 7,
    producerName: 'pytorch',
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'main_graph',
      node: spec.nodes,
      initializer: spec.initializers,
      input: [valueInfo('input', spec.input)],
      output: [valueInfo('logits', spec.output)],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Deterministic test values in [-1, 1) (not weights of any real model). */
function values(count: number, stream: number, seed = 7): Float32Array {
  const out = new Float32Array(count);
  new RandomStream(seed, stream).fill({ kind: 'uniform', low: -1, high: 1 }, 0, out);
  return out;
}

function transposed(data: ArrayLike<number>, rows: number, columns: number): Float32Array {
  const out = new Float32Array(rows * columns);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = data[r * columns + c]!;
  return out;
}

/** |a − b| ≤ absolute + relative·|b| elementwise; reports the worst index. */
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, absolute: number, relative: number): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    const limit = absolute + relative * Math.abs(expected[i]!);
    if (!(Math.abs(actual[i]! - expected[i]!) <= limit)) {
      assert.fail(`index ${i}: ${actual[i]} vs ${expected[i]} (difference ${Math.abs(actual[i]! - expected[i]!)} > ${limit})`);
    }
  }
}

/** Runs `bytes` in onnxruntime on `batch` inputs and checks it against the float64 reference forward of `network`. */
async function assertOrtAgrees(bytes: Uint8Array, network: Network, batch: number): Promise<void> {
  const itemSize = network.inputShape.reduce((a, b) => a * b, 1);
  const input = values(batch * itemSize, 99, 3);
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  try {
    const result = await session.run({ input: new ort.Tensor('float32', input, [batch, ...network.inputShape]) });
    const logits = result['logits']!.data as Float32Array;
    // float32 (onnxruntime) against float64 (reference): sums of ≤ 100 terms of size ≤ 1.
    assertClose(logits, referenceForward(network, input, batch), 1e-5, 1e-5);
  } finally {
    await session.release();
  }
}

function assertInputError(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

// ---- imports of hand-built graphs ----------------------------------------------------------------------------

test('Gemm with transB=1 keeps the [out, in] weight; Gemm with transB=0 transposes [in, out] into it', async () => {
  const w1 = values(3 * 4, 1);
  const b1 = values(3, 2);
  const w2 = values(3 * 2, 3); // stored [in=3, out=2] for transB=0
  const bytes = buildModel({
    input: ['batch', 4],
    output: ['batch', 2],
    nodes: [
      node('Gemm', ['input', 'fc1.weight', 'fc1.bias'], ['/fc1/Gemm_output_0'], '/fc1/Gemm', { alpha: { float: 1 }, beta: { float: 1 }, transB: 1 }),
      node('Relu', ['/fc1/Gemm_output_0'], ['/relu/Relu_output_0'], '/relu/Relu'),
      node('Gemm', ['/relu/Relu_output_0', 'onnx::Gemm_7'], ['logits'], '/head/Gemm', { transB: 0 }),
    ],
    initializers: [floatTensor('fc1.weight', [3, 4], w1), floatTensor('fc1.bias', [3], b1), floatTensor('onnx::Gemm_7', [3, 2], w2)],
  });
  const network = networkFromOnnxBytes(bytes, 'gemm.onnx');
  assert.deepEqual(network.inputShape, [4]);
  const expected: Layer[] = [
    { kind: 'dense', name: 'fc1', inFeatures: 4, outFeatures: 3, weight: w1, bias: b1 },
    { kind: 'relu' },
    { kind: 'dense', name: 'head', inFeatures: 3, outFeatures: 2, weight: transposed(w2, 3, 2), bias: null },
  ];
  assert.deepEqual(network.layers, expected);
  await assertOrtAgrees(bytes, network, 5);
});

test('MatMul [in, out] + Add bias becomes one dense layer, whatever the node order and tensor storage', async () => {
  const w1 = values(4 * 3, 4); // [in=4, out=3]
  const b1 = values(3, 5);
  const w2 = values(3 * 2, 6);
  const bytes = buildModel({
    input: ['batch', 4],
    output: ['batch', 2],
    // Listed backwards: the reader follows edges, not node order.
    nodes: [
      node('MatMul', ['/relu/Relu_output_0', 'onnx::MatMul_12'], ['logits'], '/fc2/MatMul'),
      node('Relu', ['/fc1/Add_output_0'], ['/relu/Relu_output_0'], '/relu/Relu'),
      node('Add', ['fc1.bias', '/fc1/MatMul_output_0'], ['/fc1/Add_output_0'], '/fc1/Add'),
      node('MatMul', ['input', 'onnx::MatMul_11'], ['/fc1/MatMul_output_0'], '/fc1/MatMul'),
    ],
    initializers: [
      floatTensor('onnx::MatMul_11', [4, 3], w1, 'float_data'),
      floatTensor('fc1.bias', [3], b1, 'float_data'),
      floatTensor('onnx::MatMul_12', [3, 2], w2),
    ],
  });
  const network = networkFromOnnxBytes(bytes, 'matmul.onnx');
  const expected: Layer[] = [
    { kind: 'dense', name: 'fc1', inFeatures: 4, outFeatures: 3, weight: transposed(w1, 4, 3), bias: b1 },
    { kind: 'relu' },
    { kind: 'dense', name: 'fc2', inFeatures: 3, outFeatures: 2, weight: transposed(w2, 3, 2), bias: null },
  ];
  assert.deepEqual(network.layers, expected);
  await assertOrtAgrees(bytes, network, 4);
});

/** Conv(pad 1) → Relu → MaxPool(2) → flatten → Gemm on [batch, 1, 8, 8]; `flatten` picks how torch spelt the flatten. */
function convModel(flatten: 'Flatten' | 'Reshape-constant' | 'Reshape-shape-of'): { bytes: Uint8Array; expected: Layer[] } {
  const cw = values(2 * 1 * 3 * 3, 10);
  const cb = values(2, 11);
  const fw = values(3 * 32, 12);
  const fb = values(3, 13);
  const nodes = [
    node('Conv', ['input', 'conv1.weight', 'conv1.bias'], ['/conv1/Conv_output_0'], '/conv1/Conv', {
      dilations: [1, 1], group: 1, kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1],
    }),
    node('Relu', ['/conv1/Conv_output_0'], ['/Relu_output_0'], '/Relu'),
    node('MaxPool', ['/Relu_output_0'], ['/pool/MaxPool_output_0'], '/pool/MaxPool', { ceil_mode: 0, kernel_shape: [2, 2], pads: [0, 0, 0, 0], strides: [2, 2] }),
  ];
  const initializers = [floatTensor('conv1.weight', [2, 1, 3, 3], cw), floatTensor('conv1.bias', [2], cb), floatTensor('fc.weight', [3, 32], fw), floatTensor('fc.bias', [3], fb)];
  if (flatten === 'Flatten') {
    nodes.push(node('Flatten', ['/pool/MaxPool_output_0'], ['/Flatten_output_0'], '/Flatten', { axis: 1 }));
  } else if (flatten === 'Reshape-constant') {
    // x.view(-1, 32): torch emits a Constant shape.
    nodes.push(node('Constant', [], ['/Constant_output_0'], '/Constant', { value: int64Tensor('', [2], [-1, 32]) }));
    nodes.push(node('Reshape', ['/pool/MaxPool_output_0', '/Constant_output_0'], ['/Flatten_output_0'], '/Reshape'));
  } else {
    // x.view(x.size(0), -1) with a dynamic batch: Shape → Gather(0) → Unsqueeze → Concat([-1]) → Reshape.
    nodes.push(
      node('Shape', ['/pool/MaxPool_output_0'], ['/Shape_output_0'], '/Shape'),
      node('Constant', [], ['/Constant_output_0'], '/Constant', { value: int64Tensor('', [], [0]) }),
      node('Gather', ['/Shape_output_0', '/Constant_output_0'], ['/Gather_output_0'], '/Gather', { axis: 0 }),
      node('Constant', [], ['/Constant_1_output_0'], '/Constant_1', { value: int64Tensor('', [1], [0]) }),
      node('Unsqueeze', ['/Gather_output_0', '/Constant_1_output_0'], ['/Unsqueeze_output_0'], '/Unsqueeze'),
      node('Constant', [], ['/Constant_2_output_0'], '/Constant_2', { value: int64Tensor('', [1], [-1]) }),
      node('Concat', ['/Unsqueeze_output_0', '/Constant_2_output_0'], ['/Concat_output_0'], '/Concat', { axis: 0 }),
      node('Reshape', ['/pool/MaxPool_output_0', '/Concat_output_0'], ['/Flatten_output_0'], '/Reshape', { allowzero: 0 }),
    );
  }
  nodes.push(node('Gemm', ['/Flatten_output_0', 'fc.weight', 'fc.bias'], ['logits'], '/fc/Gemm', { alpha: { float: 1 }, beta: { float: 1 }, transB: 1 }));
  const expected: Layer[] = [
    { kind: 'conv2d', name: 'conv1', inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1, weight: cw, bias: cb },
    { kind: 'relu' },
    { kind: 'maxpool2d', size: 2 },
    { kind: 'flatten' },
    { kind: 'dense', name: 'fc', inFeatures: 32, outFeatures: 3, weight: fw, bias: fb },
  ];
  // allowzero (used by the shape-of variant) exists from opset 14.
  const opset = flatten === 'Reshape-shape-of' ? 14 : 13;
  return { bytes: buildModel({ input: ['batch', 1, 8, 8], output: ['batch', 3], nodes, initializers, opset }), expected };
}

for (const flatten of ['Flatten', 'Reshape-constant', 'Reshape-shape-of'] as const) {
  test(`Conv + Relu + MaxPool + ${flatten} + Gemm imports to the conv layers and agrees with onnxruntime`, async () => {
    const { bytes, expected } = convModel(flatten);
    const network = networkFromOnnxBytes(bytes, 'conv.onnx');
    assert.deepEqual(network.inputShape, [1, 8, 8]);
    assert.deepEqual(network.layers, expected);
    await assertOrtAgrees(bytes, network, 3);
  });
}

test('x.view(-1, 1, H, W) at the start of forward: a no-op on an image input, or the flat input read as an image', async () => {
  const { bytes: base, expected } = convModel('Flatten');
  for (const flat of [false, true]) {
    const model = onnx.ModelProto.decode(base);
    const graph = model.graph as OnnxTypes.GraphProto;
    // torch: x = x.view(-1, 1, 8, 8) → Constant [-1, 1, 8, 8] → Reshape, whose output the first Conv reads.
    graph.node.unshift(
      onnx.NodeProto.create(node('Constant', [], ['/Constant_view'], '/Constant_view', { value: int64Tensor('', [4], [-1, 1, 8, 8]) })),
      onnx.NodeProto.create(node('Reshape', ['input', '/Constant_view'], ['/Reshape_output_0'], '/Reshape_view')),
    );
    graph.node.find((n) => n.opType === 'Conv')!.input![0] = '/Reshape_output_0';
    if (flat) graph.input[0] = onnx.ValueInfoProto.create(valueInfo('input', ['batch', 64]));
    const bytes = onnx.ModelProto.encode(model).finish();
    const network = networkFromOnnxBytes(bytes, 'view.onnx');
    assert.deepEqual(network.inputShape, [1, 8, 8], `flat input: ${flat}`);
    assert.deepEqual(network.layers, expected);
    // onnxruntime runs the file on its own input shape; the numbers are the same in the same order.
    const input = values(3 * 64, 98, 3);
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
    try {
      const result = await session.run({ input: new ort.Tensor('float32', input, flat ? [3, 64] : [3, 1, 8, 8]) });
      assertClose(result['logits']!.data as Float32Array, referenceForward(network, input, 3), 1e-5, 1e-5);
    } finally {
      await session.release();
    }
  }
});

test('a static batch of 1, a Conv without bias followed by Add [1, C, 1, 1] and an Identity import as one conv layer', async () => {
  const cw = values(2 * 1 * 3 * 3, 20);
  const cb = values(2, 21);
  const fw = values(2 * 72, 22); // 2 channels × 6 × 6
  const nodes = [
    node('Conv', ['input', 'onnx::Conv_3'], ['/c/Conv_output_0'], '/c/Conv', { kernel_shape: [3, 3] }),
    node('Add', ['/c/Conv_output_0', 'c.bias'], ['/c/Add_output_0'], '/c/Add'),
    node('Identity', ['/c/Add_output_0'], ['/Identity_output_0'], '/Identity'),
    node('Relu', ['/Identity_output_0'], ['/Relu_output_0'], '/Relu'),
    node('Flatten', ['/Relu_output_0'], ['/Flatten_output_0'], '/Flatten', { axis: -3 }),
    node('MatMul', ['/Flatten_output_0', 'onnx::MatMul_9'], ['logits'], '/out/MatMul'),
  ];
  const initializers = [floatTensor('onnx::Conv_3', [2, 1, 3, 3], cw), floatTensor('c.bias', [1, 2, 1, 1], cb), floatTensor('onnx::MatMul_9', [72, 2], fw)];
  const bytes = buildModel({ input: [1, 1, 8, 8], output: [1, 2], nodes, initializers });
  const network = networkFromOnnxBytes(bytes, 'static.onnx');
  assert.deepEqual(network.layers, [
    { kind: 'conv2d', name: 'c', inChannels: 1, outChannels: 2, kernelSize: 3, padding: 0, weight: cw, bias: cb },
    { kind: 'relu' },
    { kind: 'flatten' },
    { kind: 'dense', name: 'out', inFeatures: 72, outFeatures: 2, weight: transposed(fw, 72, 2), bias: null },
  ]);
  await assertOrtAgrees(bytes, network, 1);
});

test('IR 10 / opset 18 in the dynamo exporter style: Shape(start, end) for the flatten, Transpose + MatMul + Add for Linear', async () => {
  const cw = values(3 * 2 * 2 * 2, 30);
  const fw = values(4 * 27, 31); // [out=4, in=3·3·3]
  const fb = values(4, 32);
  const nodes = [
    node('Conv', ['input', 'conv.weight'], ['conv'], 'node_Conv_0', { auto_pad: 'NOTSET', dilations: [1, 1], group: 1, pads: [0, 0, 0, 0], strides: [1, 1] }),
    node('Shape', ['conv'], ['batch_size'], 'node_Shape_1', { start: 0, end: 1 }),
    node('Constant', [], ['minus_one'], 'node_Constant_2', { value: int64Tensor('', [1], [-1]) }),
    node('Concat', ['batch_size', 'minus_one'], ['target'], 'node_Concat_3', { axis: 0 }),
    node('Reshape', ['conv', 'target'], ['flat'], 'node_Reshape_4', { allowzero: 0 }),
    node('Transpose', ['fc.weight'], ['fc.weight_t'], 'node_Transpose_5', { perm: [1, 0] }),
    node('MatMul', ['flat', 'fc.weight_t'], ['matmul'], 'node_MatMul_6'),
    node('Add', ['matmul', 'fc.bias'], ['logits'], 'node_Add_7'),
  ];
  const initializers = [floatTensor('conv.weight', [3, 2, 2, 2], cw), floatTensor('fc.weight', [4, 27], fw), floatTensor('fc.bias', [4], fb)];
  const bytes = buildModel({ input: ['s0', 2, 4, 4], output: ['s0', 4], nodes, initializers, opset: 18, irVersion: 10 });
  const network = networkFromOnnxBytes(bytes, 'dynamo.onnx');
  assert.deepEqual(network.layers, [
    { kind: 'conv2d', name: 'conv', inChannels: 2, outChannels: 3, kernelSize: 2, padding: 0, weight: cw, bias: null },
    { kind: 'flatten' },
    { kind: 'dense', name: 'fc', inFeatures: 27, outFeatures: 4, weight: fw, bias: fb },
  ]);
  await assertOrtAgrees(bytes, network, 2);
});

test('DOUBLE and FLOAT16 initializers are converted to float32', () => {
  const weight = [0.5, -1.25, 2, 0.1]; // 0.1 is not a float32: it rounds to nearest
  const doubles = new Uint8Array(8 * 4);
  weight.forEach((v, i) => new DataView(doubles.buffer).setFloat64(8 * i, v, true));
  // float16 bits of 1, -2, 0.5, 65504 (largest half).
  const halves = [0x3c00, 0xc000, 0x3800, 0x7bff];
  const bytes = buildModel({
    input: ['batch', 2],
    output: ['batch', 2],
    nodes: [
      node('Gemm', ['input', 'a.weight'], ['h'], '/a/Gemm', { transB: 1 }),
      node('Gemm', ['h', 'b.weight'], ['logits'], '/b/Gemm', { transB: 1 }),
    ],
    initializers: [
      { name: 'a.weight', dims: [2, 2], dataType: 11, rawData: doubles },
      { name: 'b.weight', dims: [2, 2], dataType: 10, int32Data: halves },
    ],
  });
  const network = networkFromOnnxBytes(bytes, 'types.onnx');
  const [a, b] = network.layers.filter(isParameterised);
  assert.deepEqual(a!.weight, Float32Array.from(weight));
  assert.deepEqual(b!.weight, Float32Array.of(1, -2, 0.5, 65504));
});

// ---- our exporter ------------------------------------------------------------------------------------------

/** Fills every weight and bias with U[-1/√fan_in, 1/√fan_in) from its own named stream (PyTorch's default range). */
function randomise(network: Network, seed: number): Network {
  for (const layer of network.layers) {
    if (!isParameterised(layer)) continue;
    const fanIn = layer.kind === 'dense' ? layer.inFeatures : layer.inChannels * layer.kernelSize * layer.kernelSize;
    const bound = 1 / Math.sqrt(fanIn);
    new RandomStream(seed, namedStream(`${layer.name}.weight`)).fill({ kind: 'uniform', low: -bound, high: bound }, 0, layer.weight);
    if (layer.bias) new RandomStream(seed, namedStream(`${layer.name}.bias`)).fill({ kind: 'uniform', low: -bound, high: bound }, 0, layer.bias);
  }
  return network;
}

for (const [arch, bias] of [['fc2', true], ['fc2', false], ['mlp:20-7-5-3', true], ['lenet5', true], ['lenet5', false]] as const) {
  test(`export then import gives bit-identical weights: ${arch} ${bias ? 'with' : 'without'} biases`, () => {
    const network = randomise(createNetwork(arch, { bias, preprocess: 'standard' }), 5);
    const back = networkFromOnnxBytes(onnxBytesFromNetwork(network), `${arch}.onnx`);
    assert.deepEqual(back, network); // deepEqual compares Float32Array contents exactly (and NaN-free)
  });
}

test('exported LeNet5 runs in onnxruntime and matches the float64 reference forward', async () => {
  const network = randomise(createNetwork('lenet5', { bias: true }), 11);
  await assertOrtAgrees(onnxBytesFromNetwork(network), network, 4);
});

test('property: random small MLPs and conv nets export to graphs onnxruntime computes like our reference, and re-import exactly', async () => {
  const denseSizes = fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 4 });
  const convSpec = fc.record({
    channels: fc.integer({ min: 1, max: 3 }),
    size: fc.integer({ min: 4, max: 9 }),
    out: fc.integer({ min: 1, max: 3 }),
    kernel: fc.integer({ min: 1, max: 3 }),
    padding: fc.integer({ min: 0, max: 2 }),
    pool: fc.integer({ min: 1, max: 2 }),
    bias: fc.boolean(),
    classes: fc.integer({ min: 1, max: 4 }),
  });
  const spec = fc.oneof(
    fc.record({ kind: fc.constant('mlp' as const), sizes: denseSizes, bias: fc.boolean() }),
    fc.record({ kind: fc.constant('conv' as const), conv: convSpec }),
  );
  await fc.assert(
    fc.asyncProperty(spec, fc.integer({ min: 0, max: 1000 }), async (s, seed) => {
      let network: Network;
      if (s.kind === 'mlp') {
        network = createNetwork({ kind: 'mlp', name: 'mlp', sizes: s.sizes }, { bias: s.bias });
      } else {
        const c = s.conv;
        const side = c.size + 2 * c.padding - c.kernel + 1;
        const pooled = Math.floor(side / c.pool);
        fc.pre(pooled >= 1);
        const features = c.out * pooled * pooled;
        network = {
          inputShape: [c.channels, c.size, c.size],
          layers: [
            { kind: 'conv2d', name: 'conv', inChannels: c.channels, outChannels: c.out, kernelSize: c.kernel, padding: c.padding, weight: new Float32Array(c.out * c.channels * c.kernel * c.kernel), bias: c.bias ? new Float32Array(c.out) : null },
            { kind: 'relu' },
            { kind: 'maxpool2d', size: c.pool },
            { kind: 'flatten' },
            { kind: 'dense', name: 'fc', inFeatures: features, outFeatures: c.classes, weight: new Float32Array(features * c.classes), bias: c.bias ? new Float32Array(c.classes) : null },
          ],
        };
      }
      randomise(network, seed);
      const bytes = onnxBytesFromNetwork(network);
      assert.deepEqual(networkFromOnnxBytes(bytes, 'property.onnx'), network);
      await assertOrtAgrees(bytes, network, 3);
    }),
    { numRuns: 40, seed: 20240601 },
  );
});

test('exportOnnx writes a file loadOnnxModel reads back; preprocess and arch travel in metadata; options.preprocess overrides', () => {
  const folder = mkdtempSync(join(tmpdir(), 'lottery-onnx-'));
  try {
    const network = randomise(createNetwork('mlp:6-4-2', { bias: true, preprocess: 'pixels' }), 3);
    const path = join(folder, 'model.onnx');
    exportOnnx(path, network);
    assert.deepEqual(loadOnnxModel(path), network);
    assert.equal(loadOnnxModel(path, { preprocess: 'standard' }).preprocess, 'standard');
    assertInputError(() => loadOnnxModel(join(folder, 'missing.onnx')), /missing\.onnx.*ENOENT/);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('the exported graph has the documented interface: opset, IR version, input/output names, Gemm transB=1', () => {
  const network = randomise(createNetwork('fc2', { bias: true }), 1);
  const model = onnx.ModelProto.decode(onnxBytesFromNetwork(network, { opset: 17, producer: 'test' }));
  assert.equal(model.producerName, 'test');
  assert.deepEqual(model.opsetImport.map((o) => [o.domain, Number(o.version)]), [['', 17]]);
  assert.equal(Number(model.irVersion), 8);
  const graph = model.graph as OnnxTypes.GraphProto;
  assert.deepEqual(graph.input.map((v) => v.name), ['input']);
  assert.deepEqual(graph.input[0]!.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue)), ['batch', 784]);
  assert.deepEqual(graph.output.map((v) => v.name), ['logits']);
  assert.deepEqual(graph.node.map((n) => n.opType), ['Gemm', 'Relu', 'Gemm']);
  assert.equal(Number(graph.node[0]!.attribute!.find((a) => a.name === 'transB')?.i), 1);
  assert.ok(graph.initializer.every((t) => t.dataType === FLOAT && t.rawData!.length === 4 * t.dims!.reduce((a: number, b) => a * Number(b), 1)));
  assertInputError(() => onnxBytesFromNetwork(network, { opset: 7 }), /opset/);
});

test('export refuses a network whose layer sizes do not chain', () => {
  const network = createNetwork('fc2', { bias: true });
  (network.layers[0] as { inFeatures: number }).inFeatures = 783;
  assertInputError(() => onnxBytesFromNetwork(network), /fc1.*783/);
});

// ---- refusals ----------------------------------------------------------------------------------------------

function mlpGraph(middle: OnnxTypes.INodeProto, initializers: OnnxTypes.ITensorProto[] = [], input: (number | string)[] = ['batch', 4]): Uint8Array {
  return buildModel({
    input,
    output: ['batch', 2],
    nodes: [
      node('Gemm', ['input', 'fc1.weight'], ['/fc1/Gemm_output_0'], '/fc1/Gemm', { transB: 1 }),
      middle,
      node('Gemm', ['/act/output', 'fc2.weight'], ['logits'], '/fc2/Gemm', { transB: 1 }),
    ],
    initializers: [floatTensor('fc1.weight', [3, 4], values(12, 1)), floatTensor('fc2.weight', [2, 3], values(6, 2)), ...initializers],
  });
}

test('an unsupported op is refused naming the op, the node, the file and the supported ops', () => {
  const bytes = mlpGraph(node('Sigmoid', ['/fc1/Gemm_output_0'], ['/act/output'], '/act/Sigmoid'));
  assertInputError(() => networkFromOnnxBytes(bytes, 'model.onnx'), /^unsupported ONNX op 'Sigmoid' at node '\/act\/Sigmoid' in model\.onnx \(only ReLU networks are supported.*retrain with ReLU\); supported: Gemm, MatMul/);
});

test('garbage and empty bytes are refused naming the file', () => {
  assertInputError(() => networkFromOnnxBytes(new TextEncoder().encode('this is not a model, just text'), 'junk.onnx'), /^junk\.onnx is not a valid ONNX model/);
  assertInputError(() => networkFromOnnxBytes(new Uint8Array(0), 'empty.onnx'), /^empty\.onnx is not a valid ONNX model/);
  const valid = onnxBytesFromNetwork(createNetwork('fc2', { bias: true }));
  assertInputError(() => networkFromOnnxBytes(valid.subarray(0, valid.length - 1000), 'cut.onnx'), /^cut\.onnx is not a valid ONNX model/);
});

test('external data is refused naming the initializer and the data file', () => {
  const external: OnnxTypes.ITensorProto = {
    name: 'fc1.weight',
    dims: [3, 4],
    dataType: FLOAT,
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [{ key: 'location', value: 'model.onnx.data' }, { key: 'offset', value: '0' }],
  };
  const bytes = buildModel({
    input: ['batch', 4],
    output: ['batch', 3],
    nodes: [node('Gemm', ['input', 'fc1.weight'], ['logits'], '/fc1/Gemm', { transB: 1 })],
    initializers: [external],
  });
  assertInputError(() => networkFromOnnxBytes(bytes, 'big.onnx'), /initializer 'fc1\.weight' in big\.onnx stores its data outside.*model\.onnx\.data/);
});

test('a graph input of the wrong rank or type is refused', () => {
  const relu = node('Relu', ['/fc1/Gemm_output_0'], ['/act/output'], '/act/Relu');
  assertInputError(() => networkFromOnnxBytes(mlpGraph(relu, [], ['batch', 2, 2]), 'r3.onnx'), /graph input 'input' in r3\.onnx has rank 3 \(\[batch, 2, 2\]\)/);
  assertInputError(() => networkFromOnnxBytes(mlpGraph(relu, [], ['batch', 'features']), 'sym.onnx'), /dimension 1 must be a fixed positive size/);
});

test('non-finite weights, a misplaced Add, a branch, and unsupported attributes are refused clearly', () => {
  const relu = node('Relu', ['/fc1/Gemm_output_0'], ['/act/output'], '/act/Relu');
  const withNaN = buildModel({
    input: ['batch', 2],
    output: ['batch', 1],
    nodes: [node('Gemm', ['input', 'w'], ['logits'], '/fc/Gemm', { transB: 1 })],
    initializers: [floatTensor('w', [1, 2], [0.5, NaN])],
  });
  assertInputError(() => networkFromOnnxBytes(withNaN, 'nan.onnx'), /initializer 'w' in nan\.onnx has a non-finite value \(NaN\) at index 1/);

  const addAfterRelu = buildModel({
    input: ['batch', 4],
    output: ['batch', 3],
    nodes: [
      node('Gemm', ['input', 'fc1.weight'], ['a'], '/fc1/Gemm', { transB: 1 }),
      node('Relu', ['a'], ['b'], '/Relu'),
      node('Add', ['b', 'shift'], ['logits'], '/Add'),
    ],
    initializers: [floatTensor('fc1.weight', [3, 4], values(12, 1)), floatTensor('shift', [3], [1, 2, 3])],
  });
  assertInputError(() => networkFromOnnxBytes(addAfterRelu, 'add.onnx'), /Add at node '\/Add' in add\.onnx: Add is only supported as a bias/);

  const branch = buildModel({
    input: ['batch', 4],
    output: ['batch', 3],
    nodes: [
      node('Relu', ['input'], ['r'], '/r1'),
      node('Gemm', ['r', 'fc1.weight'], ['logits'], '/fc1/Gemm', { transB: 1 }),
      node('Relu', ['r'], ['unused'], '/r2'),
    ],
    initializers: [floatTensor('fc1.weight', [3, 4], values(12, 1))],
  });
  assertInputError(() => networkFromOnnxBytes(branch, 'branch.onnx'), /tensor 'r' feeds 2 nodes.*do not meet at one Add; only residual blocks/);

  const strided = convModel('Flatten');
  const decoded = onnx.ModelProto.decode(strided.bytes);
  // Equal strides are read (stride 2 here); unequal ones are refused.
  (decoded.graph as OnnxTypes.GraphProto).node[0]!.attribute!.find((a) => a.name === 'strides')!.ints = [2, 1];
  assertInputError(() => networkFromOnnxBytes(onnx.ModelProto.encode(decoded).finish(), 'stride.onnx'), /Conv at node '\/conv1\/Conv' in stride\.onnx: strides \[2, 1\] \(only equal strides/);

  const scaled = mlpGraph(relu);
  const model = onnx.ModelProto.decode(scaled);
  (model.graph as OnnxTypes.GraphProto).node[0]!.attribute!.push({ name: 'alpha', type: onnx.AttributeProto.AttributeType.FLOAT, f: 2 });
  assertInputError(() => networkFromOnnxBytes(onnx.ModelProto.encode(model).finish(), 'alpha.onnx'), /alpha=2/);

  const notFlatten = buildModel({
    input: ['batch', 1, 4, 4],
    output: ['batch', 2, 8],
    nodes: [node('Reshape', ['input', 'shape'], ['logits'], '/Reshape')],
    initializers: [int64Tensor('shape', [3], [-1, 2, 8])],
  });
  assertInputError(() => networkFromOnnxBytes(notFlatten, 'reshape.onnx'), /reshapes \[batch, 1, 4, 4\] to \[batch, 2, 8\]; supported: a reshape that changes nothing, flattening to \[batch, 16\], or reading the flat graph input as \[batch, channels, height, width\] before any layer/);
  const wrongCount = buildModel({
    input: ['batch', 16],
    output: ['batch', 1, 3, 3],
    nodes: [node('Reshape', ['input', 'shape'], ['logits'], '/Reshape')],
    initializers: [int64Tensor('shape', [4], [-1, 1, 3, 3])],
  });
  assertInputError(() => networkFromOnnxBytes(wrongCount, 'count.onnx'), /reshapes \[batch, 16\] to \[-1, 1, 3, 3\]: 16 features become 9/);

  // A [3] constant broadcasts along the width of [batch, 2, 3, 3], not along the channels: not a bias.
  const widthAdd = buildModel({
    input: ['batch', 2, 3, 3],
    output: ['batch', 2, 3, 3],
    nodes: [node('Conv', ['input', 'c.weight'], ['y'], '/c/Conv'), node('Add', ['y', 'shift'], ['logits'], '/c/Add')],
    initializers: [floatTensor('c.weight', [2, 2, 1, 1], values(4, 1)), floatTensor('shift', [3], [1, 2, 3])],
  });
  assertInputError(() => networkFromOnnxBytes(widthAdd, 'width.onnx'), /bias 'shift' has dims \[3\], which is not one value per output channel/);

  const softmax = mlpGraph(node('Softmax', ['/fc1/Gemm_output_0'], ['/act/output'], '/act/Softmax', { axis: 1 }));
  assertInputError(() => networkFromOnnxBytes(softmax, 'sm.onnx'), /'Softmax'.*without its final softmax/);
});

// ---- found by fuzzing and by reviewing every size read from the file (docs/fuzzing.md) ---------------------

test('regression (fuzz): dims larger than the data are refused before anything is allocated', () => {
  // dims [2, 10^9] with 64 bytes of raw_data: the reader used to allocate the 8 GB Float32Array first.
  const bytes = buildModel({
    input: ['batch', 4],
    output: ['batch', 2],
    nodes: [node('Gemm', ['input', 'w'], ['logits'], '/fc/Gemm', { transB: 1 })],
    initializers: [{ ...floatTensor('w', [2, 1_000_000_000], values(16, 1)) }],
  });
  const before = process.memoryUsage().arrayBuffers;
  assertInputError(() => networkFromOnnxBytes(bytes, 'huge.onnx'), /initializer 'w' in huge\.onnx has dims \[2, 1000000000\] \(2000000000 values\) but holds 16 values in raw_data/);
  assert.ok(process.memoryUsage().arrayBuffers - before < 2 ** 26, 'no allocation sized by the declared dims');
  const typed = buildModel({
    input: ['batch', 4],
    output: ['batch', 2],
    nodes: [node('Gemm', ['input', 'w'], ['logits'], '/fc/Gemm', { transB: 1 })],
    initializers: [floatTensor('w', [2, 1_000_000_000], values(8, 1), 'float_data')],
  });
  assertInputError(() => networkFromOnnxBytes(typed, 'typed.onnx'), /holds 8 values in float_data/);
});

test('regression (review): empty weights, a zero-size kernel and a 10^9 padding are InputErrors, not networks', () => {
  const single = (op: OnnxTypes.INodeProto, weight: OnnxTypes.ITensorProto, input: (number | string)[]): Uint8Array =>
    buildModel({ input, output: [], nodes: [op], initializers: [weight] });
  const cases: [Uint8Array, RegExp][] = [
    [single(node('Gemm', ['input', 'w'], ['logits'], 'g', { transB: 1 }), floatTensor('w', [0, 4], []), ['N', 4]), /sizes 4→0 must be positive integers/],
    [single(node('MatMul', ['input', 'w'], ['logits'], 'm'), floatTensor('w', [4, 0], []), ['N', 4]), /sizes 4→0 must be positive integers/],
    [single(node('Conv', ['input', 'w'], ['logits'], 'c'), floatTensor('w', [2, 1, 0, 0], []), ['N', 1, 3, 3]), /kernel 0, padding 0 must be positive/],
    [single(node('Conv', ['input', 'w'], ['logits'], 'c'), floatTensor('w', [0, 1, 2, 2], []), ['N', 1, 3, 3]), /channels 1→0/],
    [single(node('Conv', ['input', 'w'], ['logits'], 'c', { pads: [1e9, 1e9, 1e9, 1e9] }), floatTensor('w', [1, 1, 1, 1], [1]), ['N', 1, 3, 3]), /has shape \[1, 2000000003, 2000000003\], .* values per example \(at most 268435456/],
  ];
  for (const [bytes, pattern] of cases) assertInputError(() => networkFromOnnxBytes(bytes, 'bad.onnx'), new RegExp(`^bad\\.onnx: .*${pattern.source}`));
});

test('regression (review): a constant computed through 20,000 nested nodes is an InputError, not a stack overflow', () => {
  const depth = 20_000; // the recursion used to overflow the stack near 10,000
  const chain = Array.from({ length: depth }, (_, i) => node('Identity', [i === 0 ? 'w0' : `w${i}`], [`w${i + 1}`], ''));
  const bytes = buildModel({
    input: ['batch', 2],
    output: ['batch', 2],
    nodes: [...chain, node('Gemm', ['input', `w${depth}`], ['logits'], 'g', { transB: 1 })],
    initializers: [floatTensor('w0', [2, 2], values(4, 1))],
  });
  assertInputError(() => networkFromOnnxBytes(bytes, 'deep.onnx'), /deep\.onnx: the constant 'w\d+' is computed through more than 1000 nested nodes/);
  // A short chain is fine.
  const short = buildModel({
    input: ['batch', 2],
    output: ['batch', 2],
    nodes: [...chain.slice(0, 20), node('Gemm', ['input', 'w20'], ['logits'], 'g', { transB: 1 })],
    initializers: [floatTensor('w0', [2, 2], values(4, 1))],
  });
  assert.equal(networkFromOnnxBytes(short, 'short.onnx').layers.length, 1);
});

test('regression (review): a tensor read by 30,000 nodes is indexed in linear time and named briefly', () => {
  // The consumer index used to check each new reader against the whole list (quadratic: minutes at 300,000),
  // and the message listed every reader.
  const readers = Array.from({ length: 30_000 }, (_, i) => node('Relu', ['input'], [`r${i}`], ''));
  const bytes = buildModel({ input: ['batch', 2], output: ['batch', 2], nodes: readers, initializers: [] });
  assertInputError(() => networkFromOnnxBytes(bytes, 'wide.onnx'), /tensor 'input' feeds 30000 nodes \(node #0 \(unnamed\), .*, … \(30000 in all\)\)/);
});

test('regression (fuzz): names from the file are quoted on one line and cut short', () => {
  const name = '\n'.repeat(3) + 'x'.repeat(100_000);
  const bytes = buildModel({ input: ['batch', 4], output: ['batch', 2], nodes: [node('Softmax2', ['input'], ['logits'], name)], initializers: [] });
  assert.throws(() => networkFromOnnxBytes(bytes, 'names.onnx'), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, /unsupported ONNX op 'Softmax2' at node '\\n\\n\\nxxx+…' in names\.onnx/);
    assert.ok(error.message.length < 600);
    return true;
  });
});
