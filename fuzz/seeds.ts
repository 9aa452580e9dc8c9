/**
 * Seed corpora for the fuzz harness: small VALID inputs of every reader, built in code (no files, no network):
 * MNIST IDX pairs, safetensors of every dtype, model files (ours and PyTorch state_dicts), ONNX graphs as our
 * exporter and torch.onnx.export write them, Theorem 1 ticket files, experiment specs and CLI arguments.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { RandomStream } from '../src/core/random.js';
import { conv2dLayer, createNetwork, denseLayer } from '../src/nn/architectures.js';
import type { Network } from '../src/nn/network.js';
import { onnxBytesFromNetwork } from '../src/io/onnx.js';
import { modelMetadata, modelTensors } from '../src/io/modelBytes.js';
import { concatChunks, encodeSafetensorsBytes, type SafetensorsTensorInput } from '../src/io/safetensors.js';
import { encodeTicket } from '../src/io/ticketBytes.js';
import { solveBatchSync } from '../src/subsetsum/batch.js';
import { pruneWithSolver } from '../src/theorem1/prune.js';

const { onnx } = onnxProto;

function fill(network: Network, seed: number): Network {
  const stream = new RandomStream(seed, 11);
  let i = 0;
  for (const layer of network.layers) {
    if (layer.kind !== 'dense' && layer.kind !== 'conv2d') continue;
    for (let k = 0; k < layer.weight.length; k++) layer.weight[k] = stream.uniform(i++, -0.6, 0.6);
    if (layer.bias) for (let k = 0; k < layer.bias.length; k++) layer.bias[k] = stream.uniform(i++, -0.3, 0.3);
  }
  return network;
}

export function tinyMlp(seed: number, bias: boolean): Network {
  return fill({ inputShape: [4], layers: [denseLayer('fc1', 4, 6, bias), { kind: 'relu' }, denseLayer('fc2', 6, 3, bias)] }, seed);
}

export function tinyConvNet(seed: number, bias: boolean): Network {
  return fill(
    {
      inputShape: [1, 6, 6],
      layers: [
        conv2dLayer('conv1', 1, 2, 3, 1, bias),
        { kind: 'relu' },
        { kind: 'maxpool2d', size: 2 },
        conv2dLayer('conv2', 2, 2, 2, 0, bias),
        { kind: 'relu' },
        { kind: 'flatten' },
        denseLayer('fc', 8, 3, bias),
      ],
    },
    seed,
  );
}

// ---- IDX ----------------------------------------------------------------------------------------------------

export function idxFile(dims: readonly number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0x00000800 + dims.length, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  return concatChunks([header, data]);
}

/** An MNIST-shaped pair: `count` images of 28×28 bytes and `count` labels 0..9. */
export function mnistPair(count: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const stream = new RandomStream(seed, 12);
  const pixels = new Uint8Array(count * 784);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(256 * stream.uniform01(i));
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) labels[i] = Math.floor(10 * stream.uniform01(1e6 + i));
  return { images: idxFile([count, 28, 28], pixels), labels: idxFile([count], labels) };
}

// ---- safetensors ----------------------------------------------------------------------------------------------

/** A safetensors file from a header object and the data bytes (header padded with spaces to 8 bytes). */
export function rawSafetensors(header: unknown, data: Uint8Array, headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const prefix = new Uint8Array(8 + padded).fill(0x20);
  const view = new DataView(prefix.buffer);
  view.setUint32(0, padded % 2 ** 32, true);
  view.setUint32(4, Math.floor(padded / 2 ** 32), true);
  prefix.set(json, 8);
  return concatChunks([prefix, data]);
}

export function safetensorsSeeds(): Uint8Array[] {
  const stream = new RandomStream(3, 13);
  const floats = (n: number): Float32Array => {
    const out = new Float32Array(n);
    stream.fill({ kind: 'normal', mean: 0, std: 1 }, n * 7, out);
    return out;
  };
  const seeds: Uint8Array[] = [];
  const all: SafetensorsTensorInput[] = [
    { name: 'a.weight', dtype: 'F32', shape: [3, 4], data: floats(12) },
    { name: 'a.bias', dtype: 'F32', shape: [3], data: floats(3) },
    { name: 'f64', dtype: 'F64', shape: [2, 2], data: Float64Array.of(1.5, -2, 1e-300, 3) },
    { name: 'u8', dtype: 'U8', shape: [5], data: Uint8Array.of(0, 1, 2, 254, 255) },
    { name: 'i64', dtype: 'I64', shape: [2], data: BigInt64Array.of(-5n, 2n ** 40n) },
    { name: 'i32', dtype: 'I32', shape: [3, 1], data: Int32Array.of(-1, 0, 2 ** 31 - 1) },
    { name: 'u32', dtype: 'U32', shape: [2], data: Uint32Array.of(0, 2 ** 32 - 1) },
    { name: 'scalar', dtype: 'F32', shape: [], data: Float32Array.of(7) },
    { name: 'empty', dtype: 'F32', shape: [0, 5], data: new Float32Array(0) },
  ];
  seeds.push(encodeSafetensorsBytes(all, { note: 'fuzz seed', format: 'pt' }));
  seeds.push(encodeSafetensorsBytes(all.slice(0, 2)));
  seeds.push(encodeSafetensorsBytes([]));
  // Dtypes the writer does not produce, laid out by hand: F16, BF16, I8, I16, U16, U64, BOOL.
  const data = concatChunks([
    Uint8Array.of(0x00, 0x3c, 0x00, 0xc0, 0x00, 0x7c, 0x01, 0x00), // F16 [4]: 1, -2, +Inf, smallest subnormal
    Uint8Array.of(0x80, 0x3f, 0x40, 0xc0), // BF16 [2]: 1, -3
    Uint8Array.of(0x80, 0x7f), // I8 [2]
    Uint8Array.of(0x00, 0x80, 0xff, 0x7f), // I16 [2]
    Uint8Array.of(0xff, 0xff), // U16 [1]
    new Uint8Array(8).fill(0xff), // U64 [1]
    Uint8Array.of(0, 1, 1), // BOOL [3]
  ]);
  const header = {
    __metadata__: { source: 'hand' },
    h: { dtype: 'F16', shape: [2, 2], data_offsets: [0, 8] },
    b: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] },
    i8: { dtype: 'I8', shape: [2], data_offsets: [12, 14] },
    i16: { dtype: 'I16', shape: [2], data_offsets: [14, 18] },
    u16: { dtype: 'U16', shape: [1], data_offsets: [18, 20] },
    u64: { dtype: 'U64', shape: [1], data_offsets: [20, 28] },
    flags: { dtype: 'BOOL', shape: [3], data_offsets: [28, 31] },
  };
  seeds.push(rawSafetensors(header, data));
  return seeds;
}

// ---- model files ------------------------------------------------------------------------------------------------

export function modelSeeds(): Uint8Array[] {
  const ours = (network: Network): Uint8Array => encodeSafetensorsBytes(modelTensors(network), modelMetadata(network));
  const mlp = fill(createNetwork('mlp:784-8-10', { bias: true, preprocess: 'standard' }), 21);
  const plain = fill(createNetwork('mlp:784-6-5-10', { bias: true }), 22);
  const lenet = fill(createNetwork('lenet5', { bias: true }), 23);
  const stateDict = (network: Network): Uint8Array => encodeSafetensorsBytes(modelTensors(network));
  return [ours(tinyMlp(1, true)), ours(tinyConvNet(2, true)), ours(tinyMlp(3, false)), ours(mlp), stateDict(plain), stateDict(lenet)];
}

// ---- ONNX --------------------------------------------------------------------------------------------------------

const FLOAT = 1;
const INT64 = 7;
const FLOAT16 = 10;
const DOUBLE = 11;
const BFLOAT16 = 16;

type AttributeValue = number | number[] | string | { float: number } | OnnxTypes.ITensorProto;

function floatTensor(name: string, dims: number[], values: ArrayLike<number>, storage: 'raw' | 'float_data' | 'double' | 'half' | 'bfloat' = 'raw'): OnnxTypes.ITensorProto {
  if (storage === 'float_data') return { name, dims, dataType: FLOAT, floatData: Array.from(values) };
  const size = storage === 'double' ? 8 : storage === 'raw' ? 4 : 2;
  const raw = new Uint8Array(size * values.length);
  const view = new DataView(raw.buffer);
  const scratch = new DataView(new ArrayBuffer(4));
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (storage === 'double') view.setFloat64(8 * i, v, true);
    else if (storage === 'raw') view.setFloat32(4 * i, v, true);
    else if (storage === 'bfloat') {
      scratch.setFloat32(0, v, true);
      view.setUint16(2 * i, scratch.getUint32(0, true) >>> 16, true);
    } else view.setUint16(2 * i, halfBits(v), true);
  }
  const dataType = storage === 'double' ? DOUBLE : storage === 'half' ? FLOAT16 : storage === 'bfloat' ? BFLOAT16 : FLOAT;
  return { name, dims, dataType, rawData: raw };
}

/** float → IEEE half bits (round toward zero; the seeds only need valid halves). */
function halfBits(value: number): number {
  const sign = value < 0 ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a < 2 ** -14) return sign | Math.floor(a / 2 ** -24);
  const exponent = Math.floor(Math.log2(a));
  const fraction = Math.floor((a / 2 ** exponent - 1) * 1024);
  return sign | ((exponent + 15) << 10) | fraction;
}

function int64Tensor(name: string, dims: number[], values: number[]): OnnxTypes.ITensorProto {
  const raw = new Uint8Array(8 * values.length);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
  return { name, dims, dataType: INT64, rawData: raw };
}

function node(opType: string, inputs: string[], outputs: string[], name: string, attributes: Record<string, AttributeValue> = {}): OnnxTypes.INodeProto {
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

function valueInfo(name: string, dims: (number | string)[]): OnnxTypes.IValueInfoProto {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } };
}

function buildModel(input: (number | string)[], output: (number | string)[], nodes: OnnxTypes.INodeProto[], initializers: OnnxTypes.ITensorProto[]): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'pytorch',
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'main_graph', node: nodes, initializer: initializers, input: [valueInfo('input', input)], output: [valueInfo('logits', output)] },
    metadataProps: [{ key: 'lottery.preprocess', value: 'pixels' }],
  });
  return onnx.ModelProto.encode(model).finish().slice();
}

function values(count: number, stream: number): Float32Array {
  const out = new Float32Array(count);
  new RandomStream(5, stream).fill({ kind: 'uniform', low: -1, high: 1 }, 0, out);
  return out;
}

export function onnxSeeds(): Uint8Array[] {
  const seeds: Uint8Array[] = [
    onnxBytesFromNetwork(tinyMlp(1, true)),
    onnxBytesFromNetwork(tinyMlp(2, false)),
    onnxBytesFromNetwork(tinyConvNet(3, true)),
  ].map((b) => b.slice());
  // torch style: MatMul(x, W[in, out]) + Add(bias), Relu, Gemm transB=0, weights in four float encodings.
  seeds.push(
    buildModel(['batch', 4], ['batch', 2], [
      node('MatMul', ['input', 'w1'], ['h1'], '/fc1/MatMul'),
      node('Add', ['b1', 'h1'], ['h2'], '/fc1/Add'),
      node('Relu', ['h2'], ['h3'], '/relu/Relu'),
      node('Gemm', ['h3', 'w2', 'b2'], ['logits'], '/fc2/Gemm', { alpha: { float: 1 }, beta: { float: 1 }, transB: 0 }),
    ], [
      floatTensor('w1', [4, 3], values(12, 1), 'float_data'),
      floatTensor('b1', [3], values(3, 2), 'half'),
      floatTensor('w2', [3, 2], values(6, 3), 'double'),
      floatTensor('b2', [2], values(2, 4), 'bfloat'),
    ]),
  );
  // A conv net whose flatten is a Reshape computed from Shape → Gather → Unsqueeze → Concat, plus Constant,
  // Identity and a transposed weight, as older torch exporters write.
  seeds.push(
    buildModel([1, 1, 4, 4], ['batch', 3], [
      node('Conv', ['input', 'cw', 'cb'], ['c1'], '/conv/Conv', { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1], dilations: [1, 1], group: 1 }),
      node('Relu', ['c1'], ['c2'], '/relu/Relu'),
      node('MaxPool', ['c2'], ['p1'], '/pool/MaxPool', { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }),
      node('Shape', ['p1'], ['s1'], '/Shape'),
      node('Constant', [], ['zero'], '/Constant', { value: int64Tensor('', [], [0]) }),
      node('Gather', ['s1', 'zero'], ['g1'], '/Gather', { axis: 0 }),
      node('Unsqueeze', ['g1'], ['u1'], '/Unsqueeze', { axes: [0] }),
      node('Constant', [], ['minus'], '/Constant_1', { value_ints: [-1] }),
      node('Concat', ['u1', 'minus'], ['shape'], '/Concat', { axis: 0 }),
      node('Reshape', ['p1', 'shape'], ['f1'], '/Reshape'),
      node('Identity', ['fw_t'], ['fw_id'], '/Identity'),
      node('Transpose', ['fw_id'], ['fw'], '/Transpose', { perm: [1, 0] }),
      node('MatMul', ['f1', 'fw'], ['m1'], '/fc/MatMul'),
      node('Add', ['m1', 'fb'], ['logits'], '/fc/Add'),
    ], [
      floatTensor('cw', [2, 1, 3, 3], values(18, 5)),
      floatTensor('cb', [2], values(2, 6)),
      floatTensor('fw_t', [3, 8], values(24, 7)),
      floatTensor('fb', [3], values(3, 8)),
    ]),
  );
  // Flatten node, Conv with bias as a separate Add of a [1, C, 1, 1] constant, int64 shape constant.
  seeds.push(
    buildModel(['N', 1, 3, 3], ['N', 2], [
      node('Conv', ['input', 'cw'], ['c1'], '/features/features.0/Conv', { kernel_shape: [2, 2] }),
      node('Add', ['c1', 'cb'], ['c2'], '/features/features.0/Add'),
      node('Flatten', ['c2'], ['f'], '/Flatten', { axis: 1 }),
      node('Gemm', ['f', 'w', 'b'], ['logits'], '/classifier/Gemm', { transB: 1 }),
    ], [
      floatTensor('cw', [2, 1, 2, 2], values(8, 9)),
      floatTensor('cb', [1, 2, 1, 1], values(2, 10)),
      floatTensor('w', [2, 8], values(16, 11)),
      floatTensor('b', [2], values(2, 12)),
    ]),
  );
  // Residual blocks (issue 13): an identity skip on an MLP, and a conv net with batch norm, a strided projection
  // skip, global average pooling and a zero Pad, as torch.onnx.export writes them.
  seeds.push(
    buildModel(['batch', 4], ['batch', 2], [
      node('Gemm', ['input', 'r1', 'rb1'], ['h1'], '/fc1/Gemm', { transB: 1 }),
      node('Relu', ['h1'], ['h'], '/Relu'),
      node('Gemm', ['h', 'r2', 'rb2'], ['g'], '/fc2/Gemm', { transB: 1 }),
      node('Relu', ['g'], ['r'], '/Relu_1'),
      node('Add', ['h', 'r'], ['s'], '/Add'),
      node('Gemm', ['s', 'r3', 'rb3'], ['logits'], '/fc3/Gemm', { transB: 1 }),
    ], [
      floatTensor('r1', [3, 4], values(12, 11)), floatTensor('rb1', [3], values(3, 12)),
      floatTensor('r2', [3, 3], values(9, 13)), floatTensor('rb2', [3], values(3, 14)),
      floatTensor('r3', [2, 3], values(6, 15)), floatTensor('rb3', [2], values(2, 16)),
    ]),
    buildModel(['batch', 1, 4, 4], ['batch', 2], [
      node('Conv', ['input', 'k1'], ['c1'], '/stem/Conv', { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] }),
      node('BatchNormalization', ['c1', 'g', 'beta', 'mean', 'var'], ['n1'], '/bn/BatchNormalization', { epsilon: { float: 1e-5 } }),
      node('Relu', ['n1'], ['t'], '/Relu'),
      node('Conv', ['t', 'k2'], ['c2'], '/block/conv1/Conv', { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }),
      node('Relu', ['c2'], ['b'], '/block/Relu'),
      node('Conv', ['t', 'k3'], ['p'], '/block/skip/Conv', { kernel_shape: [1, 1], pads: [0, 0, 0, 0], strides: [2, 2] }),
      node('Add', ['b', 'p'], ['s'], '/block/Add'),
      node('Pad', ['s', 'pads'], ['q'], '/pool/Pad', { mode: 'constant' }),
      node('GlobalAveragePool', ['q'], ['gap'], '/GlobalAveragePool'),
      node('Flatten', ['gap'], ['f'], '/Flatten', { axis: 1 }),
      node('Gemm', ['f', 'w', 'wb'], ['logits'], '/fc/Gemm', { transB: 1 }),
    ], [
      floatTensor('k1', [2, 1, 3, 3], values(18, 21)), floatTensor('g', [2], [1.5, 0.5]), floatTensor('beta', [2], [0.1, -0.2]),
      floatTensor('mean', [2], [0.05, -0.1]), floatTensor('var', [2], [0.8, 1.2]),
      floatTensor('k2', [2, 2, 3, 3], values(36, 22)), floatTensor('k3', [2, 2, 1, 1], values(4, 23)),
      int64Tensor('pads', [8], [0, 0, 0, 0, 0, 0, 0, 0]),
      floatTensor('w', [2, 2], values(4, 24)), floatTensor('wb', [2], values(2, 25)),
    ]),
  );
  return seeds;
}

// ---- tickets --------------------------------------------------------------------------------------------------

export async function ticketSeeds(): Promise<Uint8Array[]> {
  const solve = async (batch: Parameters<typeof solveBatchSync>[0]) => solveBatchSync(batch);
  const seeds: Uint8Array[] = [];
  const cases = [
    { network: tinyMlp(6, true), domain: 'any' as const, objective: 'sparsest' as const, samples: 10 },
    { network: tinyConvNet(3, true), domain: 'nonnegative' as const, objective: 'closest' as const, samples: 8 },
    { network: tinyMlp(7, false), domain: 'nonnegative' as const, objective: 'sparsest' as const, samples: 6 },
  ];
  for (const c of cases) {
    const { ticket } = await pruneWithSolver(
      c.network,
      { tolerance: 0.3, seed: 9, targetSha256: 'ab'.repeat(32), sampleCounts: c.samples, inputRadius: 2, inputDomain: c.domain, objective: c.objective },
      solve,
    );
    seeds.push(concatChunks(encodeTicket(ticket)));
  }
  return seeds;
}

// ---- experiment specs ---------------------------------------------------------------------------------------------

export const POPUP_SPEC_SEEDS: readonly Record<string, unknown>[] = [
  { experiment: 'popup', name: 'quick', description: 'fuzz', arch: 'fc2', seed: 1, epochs: 2, structures: ['dense', 'wide', 'ours-linear', 'ours-relu', 'theorem1'], pruneFractions: [0.5, 0.9, 0.99], redundancy: 5, sampleCount: 3, trainCount: 10000 },
  {
    experiment: 'popup', name: 'lenet5', arch: 'lenet5', seed: 1, epochs: 10, structures: ['dense', 'wide', 'ours-linear', 'ours-relu'],
    pruneFractions: [0, 0.01, 0.5, 0.99], redundancy: 5, weightInit: 'kaiming-normal', learningRate: 0.01, momentum: 0.9, weightDecay: 0.0005,
    batchSize: 64, schedule: 'cosine', convs: 'trained', convEpochs: 2,
  },
  { experiment: 'popup', name: 'fc4-keep', arch: 'fc4', seed: 4294967295, epochs: 1, structures: ['ours-relu'], keepFractions: [0.1, 1], testCount: 100, schedule: 'constant', convs: null },
  { experiment: 'popup', name: 'lenet-random', arch: 'lenet5', seed: 0, epochs: 3, structures: ['wide'], pruneFractions: [0.25], convs: 'random' },
  // Single runs (`lottery popup`), validated by resolvePopupRunSpec.
  { arch: 'fc2', seed: 7, epochs: 1, structure: 'ours-relu', pruneFraction: 0.9 },
  { arch: 'lenet5', seed: 2, epochs: 2, structure: 'dense', keepFraction: 1, convs: 'random', momentum: 0 },
  { arch: 'fc4', seed: 3, epochs: 5, structure: 'theorem1', keepFraction: 0.05, sampleCount: 32, redundancy: 64, batchSize: 60000 },
];

export const RSS_SPEC_SEEDS: readonly Record<string, unknown>[] = [
  { distributions: ['uniform'], sampleCounts: [4, 8, 16], tolerances: [0.01], trials: 200, seed: 1 },
  { distributions: ['product', 'normal', 'log-uniform'], sampleCounts: [40, 1], tolerances: [0.1, 0.001], trials: 2, seed: 4294967295, interval: { low: -1, high: 1 }, targetProbability: 1 },
  { distributions: ['uniform', 'uniform'], sampleCounts: [5], tolerances: [1e-9], trials: 100000000, seed: 0, targetProbability: 0.5 },
];

// ---- CLI arguments ------------------------------------------------------------------------------------------------

export const CLI_SEEDS: readonly string[] = [
  '4,8,16', '8:24', '8:24:2', '4,8:12,20', '0.5', '-0.25', '1e-3', '100000', '4294967295', ' 7 ', '0', '1', '0.3,-0.2,0.71',
  '1,2,3:5', '40', '-1:1', '0.999', '2.5e2', '12:12', 'onnx', 'safetensors',
];
