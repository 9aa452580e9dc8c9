/**
 * Reads an ONNX model (as torch.onnx.export or our exporter writes it) into a Network: follows the graph's edges
 * from its single input to its single output and maps each op on that chain to a layer (Gemm/MatMul → dense in
 * PyTorch's [out, in] layout, Add → bias, Conv, Relu, MaxPool, Flatten/Reshape → flatten). Everything else is an
 * InputError naming the op, node and file. Mapping rules: docs/onnx.md.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { InputError } from '../core/errors.js';
import { networkShapes } from '../nn/forward.js';
import type { Conv2dLayer, DenseLayer, Layer, Network, Preprocess } from '../nn/network.js';
import { quoteText } from '../core/describe.js';
import { decodeTensor, dataTypeName, elementCount, int64ToNumber, DataType, type ConstantValue } from './onnxTensor.js';

const { onnx } = onnxProto;

type NodeProto = OnnxTypes.INodeProto;
type AttributeProto = OnnxTypes.IAttributeProto;

export interface OnnxImportOptions {
  /** Preprocessing to record on the network; overrides what the file's metadata says. */
  preprocess?: Preprocess;
}

/** Ops that become layers (or a bias, or nothing: Identity). */
const LAYER_OPS = [
  'Gemm', 'MatMul', 'Add', 'Relu', 'Conv', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'BatchNormalization', 'Flatten', 'Reshape', 'Identity', 'Dropout', 'Pad',
] as const;
/** Ops accepted only where they compute constants (torch emits them for a Reshape's target shape). */
const CONSTANT_OPS = ['Constant', 'Shape', 'Gather', 'Unsqueeze', 'Concat', 'Transpose'] as const;
export const ONNX_SUPPORTED_OPS: readonly string[] = [...LAYER_OPS, ...CONSTANT_OPS];
const SUPPORTED_TEXT =
  `${LAYER_OPS.join(', ')}, Constant (and Shape, Gather, Unsqueeze, Concat to compute a Reshape's shape; Transpose of a 2-D weight)`;

/** Attributes each op may carry; any other attribute is refused rather than silently ignored. */
const KNOWN_ATTRIBUTES: Record<string, readonly string[]> = {
  Gemm: ['alpha', 'beta', 'transA', 'transB'],
  MatMul: [],
  Add: [],
  Relu: [],
  Conv: ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'],
  MaxPool: ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides'],
  AveragePool: ['auto_pad', 'ceil_mode', 'count_include_pad', 'kernel_shape', 'pads', 'strides'],
  GlobalAveragePool: [],
  BatchNormalization: ['epsilon', 'momentum', 'training_mode', 'spatial'],
  Dropout: ['ratio', 'seed'],
  Pad: ['mode', 'pads', 'value'],
  Flatten: ['axis'],
  Reshape: ['allowzero'],
  Identity: [],
  Constant: ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'],
  Shape: ['start', 'end'],
  Gather: ['axis'],
  Unsqueeze: ['axes'],
  Concat: ['axis'],
  Transpose: ['perm'],
};

/** Deepest chain of nodes computing one constant (torch writes at most a handful: Shape → Gather → Unsqueeze → Concat). */
const MAX_CONSTANT_DEPTH = 1000;

/** Stand-in for the batch size inside computed shape values (it is unknown until run time). */
const BATCH = Number.NaN;

export function networkFromOnnxBytes(bytes: Uint8Array, file: string, options: OnnxImportOptions = {}): Network {
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new InputError(`${file} is not a valid ONNX model: protobuf decoding failed (${q((error as Error).message, 200)})`);
  }
  const graph = model.graph;
  if (!graph || int64ToNumber(model.irVersion) <= 0 || (graph.node ?? []).length === 0) {
    throw new InputError(`${file} is not a valid ONNX model: ${!graph ? 'no graph' : int64ToNumber(model.irVersion) <= 0 ? 'no ir_version' : 'the graph has no nodes'}`);
  }
  const network = new GraphReader(graph, file, model).read(options);
  checkLoadedNetwork(network, file);
  return network;
}

/** Values per example the largest activation of a loaded network may hold: 2^28 float32 = 1 GiB per example. */
export const MAX_ACTIVATION_VALUES = 2 ** 28;

/**
 * The last check of every model reader: the layers chain (networkShapes: positive sizes, weights of the right
 * length) and no activation exceeds MAX_ACTIVATION_VALUES per example (a conv padding of 10^9 would declare
 * one of 10^18), so that evaluating what was read cannot ask for memory the file never justified.
 */
export function checkLoadedNetwork(network: Network, file: string): void {
  let shapes: number[][];
  try {
    shapes = networkShapes(network);
  } catch (error) {
    if (error instanceof InputError) throw new InputError(`${file}: ${quoteText(error.message, 300)}`);
    throw error;
  }
  shapes.forEach((shape, index) => {
    const values = shape.reduce((a, b) => a * b, 1);
    if (!(values <= MAX_ACTIVATION_VALUES)) {
      const where = index === 0 ? 'the input' : `the output of layer ${index - 1} (${network.layers[index - 1]!.kind})`;
      throw new InputError(`${file}: ${where} has shape [${list(shape)}], ${values} values per example (at most ${MAX_ACTIVATION_VALUES} are supported)`);
    }
  });
}

function describeNode(node: NodeProto, index: number): string {
  return node.name ? `node '${q(node.name)}'` : `node #${index} (unnamed)`;
}

/** A name or text from the file, for a message: one line, cut to `maxLength` characters. */
function q(text: string | null | undefined, maxLength = 60): string {
  return quoteText(String(text ?? ''), maxLength);
}

/** The first items of a list, for a message ("a, b, c, … (n in all)"). */
function list(items: readonly (string | number)[], shown = 6): string {
  const head = items.slice(0, shown).join(', ');
  return items.length > shown ? `${head}, … (${items.length} in all)` : head;
}

class GraphReader {
  private readonly nodes: NodeProto[];
  private readonly nodeIndex = new Map<NodeProto, number>();
  private readonly producer = new Map<string, NodeProto>();
  private readonly consumers = new Map<string, NodeProto[]>();
  private readonly initializers = new Map<string, OnnxTypes.ITensorProto>();
  private readonly constants = new Map<string, ConstantValue>();
  private readonly evaluating = new Set<string>();
  /** Non-batch dims of each activation on the chain, for Shape nodes. */
  private readonly activationShapes = new Map<string, number[]>();
  private staticBatch: number | null = null;
  /** Set when a Reshape reads the flat graph input as an image before any layer: the network's input shape. */
  private reshapedInput: number[] | null = null;
  private readonly usedLayerNames = new Set<string>();

  constructor(
    private readonly graph: OnnxTypes.IGraphProto,
    private readonly file: string,
    private readonly model: OnnxTypes.ModelProto,
  ) {
    this.nodes = graph.node ?? [];
    this.nodes.forEach((node, index) => {
      this.nodeIndex.set(node, index);
      for (const output of node.output ?? []) if (output) this.producer.set(output, node);
      for (const input of node.input ?? []) {
        if (!input) continue; // "" marks an omitted optional input
        const users = this.consumers.get(input);
        // A node may read a tensor twice (Add(x, x)); nodes are visited in order, so a repeat is the last entry.
        if (!users) this.consumers.set(input, [node]);
        else if (users[users.length - 1] !== node) users.push(node);
      }
    });
    for (const tensor of graph.initializer ?? []) if (tensor.name) this.initializers.set(tensor.name, tensor);
  }

  private at(node: NodeProto): string {
    return `${q(node.opType)} at ${describeNode(node, this.nodeIndex.get(node) ?? -1)} in ${this.file}`;
  }

  read(options: OnnxImportOptions): Network {
    if ((this.graph.sparseInitializer ?? []).length > 0) {
      throw new InputError(`${this.file}: sparse initializers are not supported (${list(this.graph.sparseInitializer!.map((t) => `'${q(t.values?.name)}'`))})`);
    }
    const defaultOpset = (this.model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
    if (!defaultOpset) throw new InputError(`${this.file}: the model imports no version of the default ONNX operator set`);
    this.checkOps();

    const inputs = (this.graph.input ?? []).filter((v) => !this.initializers.has(v.name ?? ''));
    if (inputs.length !== 1) {
      const hint = inputs.length > 1 ? '; the weights must be stored in the file (torch.onnx.export(..., export_params=True))' : '';
      throw new InputError(`${this.file}: expected exactly one graph input, found ${inputs.length} (${list(inputs.map((v) => `'${q(v.name)}'`))})${hint}`);
    }
    const outputs = this.graph.output ?? [];
    if (outputs.length !== 1) {
      throw new InputError(`${this.file}: expected exactly one graph output, found ${outputs.length} (${list(outputs.map((v) => `'${q(v.name)}'`))})`);
    }
    const input = inputs[0]!;
    const inputShape = this.inputShape(input);
    const layers = this.walk(input.name!, outputs[0]!.name!, inputShape);

    const metadata = new Map((this.model.metadataProps ?? []).map((entry) => [entry.key ?? '', entry.value ?? '']));
    const network: Network = { inputShape: this.reshapedInput ?? inputShape, layers };
    const recorded = metadata.get('lottery.preprocess');
    if (options.preprocess) network.preprocess = options.preprocess;
    else if (recorded === 'pixels' || recorded === 'standard') network.preprocess = recorded;
    else if (recorded !== undefined) {
      throw new InputError(`${this.file}: metadata 'lottery.preprocess' is '${q(recorded)}'; expected 'pixels' or 'standard'`);
    }
    const arch = metadata.get('lottery.arch');
    if (arch) network.arch = arch;
    return network;
  }

  private checkOps(): void {
    this.nodes.forEach((node, index) => {
      const op = node.opType ?? '';
      const where = `${describeNode(node, index)} in ${this.file}`;
      if (node.domain && node.domain !== 'ai.onnx') {
        throw new InputError(`unsupported ONNX op '${q(node.domain)}::${q(op)}' at ${where}: only the default ONNX domain is supported; supported: ${SUPPORTED_TEXT}`);
      }
      if (!ONNX_SUPPORTED_OPS.includes(op)) {
        const hint = op === 'Softmax' || op === 'LogSoftmax'
          ? ' (export the model without its final softmax: the network outputs logits)'
          : ['Sigmoid', 'Tanh', 'LeakyRelu', 'Elu', 'Selu', 'Gelu', 'Softplus', 'HardSigmoid', 'HardSwish', 'Mish', 'PRelu'].includes(op)
            ? ' (only ReLU networks are supported: the constructions rely on ReLU being positively homogeneous; retrain with ReLU)'
            : '';
        throw new InputError(`unsupported ONNX op '${q(op)}' at ${where}${hint}; supported: ${SUPPORTED_TEXT}`);
      }
      for (const attribute of node.attribute ?? []) {
        if (!KNOWN_ATTRIBUTES[op]!.includes(attribute.name ?? '')) {
          throw new InputError(`${op} at ${where} has attribute '${q(attribute.name)}', which is not supported`);
        }
      }
    });
  }

  /** Non-batch dims of the graph input; the batch dim must be symbolic or a fixed size (then recorded). */
  private inputShape(input: OnnxTypes.IValueInfoProto): number[] {
    const name = `graph input '${q(input.name)}' in ${this.file}`;
    const tensorType = input.type?.tensorType;
    if (!tensorType) throw new InputError(`${name} is not a tensor`);
    // The network computes in float32 whatever the file's float type (FLOAT16/DOUBLE weights are converted).
    const floatTypes: number[] = [DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, DataType.DOUBLE];
    if (!floatTypes.includes(tensorType.elemType ?? 0)) {
      throw new InputError(`${name} has element type ${dataTypeName(tensorType.elemType ?? 0)}; only float inputs are supported`);
    }
    if (!tensorType.shape) throw new InputError(`${name} has no shape; export it with a fixed shape such as [batch, 784]`);
    const dims = tensorType.shape.dim ?? [];
    const text = `[${list(dims.map((d) => (d.dimParam ? q(d.dimParam, 20) : d.dimValue !== null && d.dimValue !== undefined ? String(int64ToNumber(d.dimValue)) : '?')))}]`;
    if (dims.length !== 2 && dims.length !== 4) {
      throw new InputError(`${name} has rank ${dims.length} (${text}); supported: [batch, features] or [batch, channels, height, width]`);
    }
    const batch = dims[0]!;
    if (!batch.dimParam && batch.dimValue !== null && batch.dimValue !== undefined) {
      const value = int64ToNumber(batch.dimValue);
      if (value >= 1) this.staticBatch = value;
    }
    return dims.slice(1).map((d, i) => {
      const value = d.dimParam ? NaN : int64ToNumber(d.dimValue);
      if (!(Number.isSafeInteger(value) && value >= 1)) {
        throw new InputError(`${name} has shape ${text}: dimension ${i + 1} must be a fixed positive size (only the batch dimension may be symbolic)`);
      }
      return value;
    });
  }

  // ---- constants --------------------------------------------------------------------------------------------

  /** The value of `name` if it is constant (initializer, Constant, or computed from those and shapes), else null. */
  private constant(name: string): ConstantValue | null {
    const cached = this.constants.get(name);
    if (cached) return cached;
    let value: ConstantValue | null = null;
    const initializer = this.initializers.get(name);
    if (initializer) {
      value = decodeTensor(initializer, `initializer '${q(name)}' in ${this.file}`);
    } else {
      const node = this.producer.get(name);
      if (!node || this.evaluating.has(name)) return null;
      // Each nested constant is a stack frame: bound the nesting so a long chain is an error, not a stack overflow.
      if (this.evaluating.size >= MAX_CONSTANT_DEPTH) {
        throw new InputError(`${this.file}: the constant '${q(name)}' is computed through more than ${MAX_CONSTANT_DEPTH} nested nodes`);
      }
      this.evaluating.add(name);
      try {
        value = this.evaluate(node);
      } finally {
        this.evaluating.delete(name);
      }
    }
    if (value) this.constants.set(name, value);
    return value;
  }

  private evaluate(node: NodeProto): ConstantValue | null {
    const inputs = node.input ?? [];
    switch (node.opType) {
      case 'Constant':
        return this.constantNodeValue(node);
      case 'Identity':
        return inputs[0] ? this.constant(inputs[0]) : null;
      case 'Shape': {
        const shape = inputs[0] ? this.activationShapes.get(inputs[0]) : undefined;
        if (!shape) return null;
        const full = [this.staticBatch ?? BATCH, ...shape];
        const start = normaliseAxis(attributeInt(node, 'start') ?? 0, full.length, true);
        const end = normaliseAxis(attributeInt(node, 'end') ?? full.length, full.length, true);
        const data = full.slice(start, Math.max(start, end));
        return { kind: 'int', dims: [data.length], data };
      }
      case 'Gather': {
        const data = inputs[0] ? this.constant(inputs[0]) : null;
        const indices = inputs[1] ? this.constant(inputs[1]) : null;
        if (!data || !indices) return null;
        if (data.kind !== 'int' || indices.kind !== 'int' || data.dims.length !== 1 || (attributeInt(node, 'axis') ?? 0) !== 0) {
          throw new InputError(`${this.at(node)}: only gathering from a 1-D integer shape is supported`);
        }
        const picked = indices.data.map((i) => {
          const j = i < 0 ? i + data.data.length : i;
          if (!(j >= 0 && j < data.data.length)) throw new InputError(`${this.at(node)}: index ${i} out of range for ${data.data.length} values`);
          return data.data[j]!;
        });
        return { kind: 'int', dims: indices.dims, data: picked };
      }
      case 'Unsqueeze': {
        const data = inputs[0] ? this.constant(inputs[0]) : null;
        if (!data) return null;
        const axesInput = inputs[1] ? this.constant(inputs[1]) : null;
        const axes = attributeInts(node, 'axes') ?? (axesInput?.kind === 'int' ? axesInput.data : null);
        if (!axes) throw new InputError(`${this.at(node)}: the axes are not constant`);
        const rank = data.dims.length + axes.length;
        const dims = [...data.dims];
        for (const axis of axes.map((a) => normaliseAxis(a, rank, false)).sort((a, b) => a - b)) dims.splice(axis, 0, 1);
        return data.kind === 'int' ? { kind: 'int', dims, data: data.data } : { ...data, dims };
      }
      case 'Concat': {
        const parts = inputs.map((name) => this.constant(name));
        if (parts.some((part) => part === null)) return null;
        const values = parts as ConstantValue[];
        if (values.some((part) => part.kind !== 'int' || part.dims.length !== 1)) {
          throw new InputError(`${this.at(node)}: only concatenating 1-D integer shapes is supported`);
        }
        const data = values.flatMap((part) => part.data as number[]);
        return { kind: 'int', dims: [data.length], data };
      }
      case 'Transpose': {
        // torch's dynamo exporter may write Linear as MatMul(x, Transpose(weight)) when it does not fold it.
        const data = inputs[0] ? this.constant(inputs[0]) : null;
        if (!data) return null;
        const perm = attributeInts(node, 'perm') ?? [1, 0];
        if (data.kind !== 'float' || data.dims.length !== 2 || perm[0] !== 1 || perm[1] !== 0) {
          throw new InputError(`${this.at(node)}: only transposing a 2-D float weight is supported`);
        }
        const [rows, columns] = data.dims as [number, number];
        return { kind: 'float', dims: [columns, rows], data: transpose(data.data, rows, columns), sourceType: data.sourceType };
      }
      default:
        return null;
    }
  }

  private constantNodeValue(node: NodeProto): ConstantValue {
    const attribute = (node.attribute ?? [])[0];
    if (!attribute || (node.attribute ?? []).length !== 1) throw new InputError(`${this.at(node)}: expected exactly one value attribute`);
    switch (attribute.name) {
      case 'value':
        return decodeTensor(attribute.t ?? {}, `${this.at(node)}: value`);
      case 'value_float':
        return { kind: 'float', dims: [], data: Float32Array.of(attribute.f ?? 0), sourceType: DataType.FLOAT };
      case 'value_floats':
        return { kind: 'float', dims: [(attribute.floats ?? []).length], data: Float32Array.from(attribute.floats ?? []), sourceType: DataType.FLOAT };
      case 'value_int':
        return { kind: 'int', dims: [], data: [int64ToNumber(attribute.i)] };
      default: {
        const ints = (attribute.ints ?? []).map((v) => int64ToNumber(v));
        return { kind: 'int', dims: [ints.length], data: ints };
      }
    }
  }

  /** The initializer a constant comes from, through Identity and Transpose nodes (for names in layers and messages). */
  private sourceName(name: string): string {
    for (let hops = 0; hops < this.nodes.length && !this.initializers.has(name); hops++) {
      const node = this.producer.get(name);
      if (!node || (node.opType !== 'Identity' && node.opType !== 'Transpose') || !node.input?.[0]) break;
      name = node.input[0];
    }
    return name;
  }

  /** A float constant input of `node` (a weight or bias), checked finite. */
  private floatInput(node: NodeProto, position: number, role: string): ConstantValue & { kind: 'float' } {
    const name = (node.input ?? [])[position];
    if (!name) throw new InputError(`${this.at(node)} has no ${role} input`);
    const value = this.constant(name);
    if (!value) throw new InputError(`${this.at(node)}: the ${role} '${q(name)}' is not a constant (initializer); only fixed weights are supported`);
    if (value.kind !== 'float') throw new InputError(`${this.at(node)}: the ${role} '${q(name)}' is an integer tensor, expected float weights`);
    for (let i = 0; i < value.data.length; i++) {
      if (!Number.isFinite(value.data[i]!)) {
        const source = this.sourceName(name);
        const what = this.initializers.has(source) ? `initializer '${q(source)}'` : `${role} '${q(name)}'`;
        throw new InputError(`${what} in ${this.file} has a non-finite value (${value.data[i]}) at index ${i}${source === name ? '' : ` of '${q(name)}'`}`);
      }
    }
    return value;
  }

  // ---- the chain --------------------------------------------------------------------------------------------

  private walk(inputName: string, outputName: string, inputShape: number[]): Layer[] {
    const { layers, shape } = this.walkFrom(inputName, outputName, inputShape, null, 0);
    this.checkDeclaredOutput(outputName, shape);
    return layers;
  }

  /** Activation inputs of an Add (not constants). */
  private isActivationAdd(node: NodeProto): boolean {
    const inputs = node.input ?? [];
    return node.opType === 'Add' && inputs.length === 2 && inputs.every((name) => this.constant(name) === null);
  }

  /** The nodes reading tensor `name` as data (Shape nodes only read an activation's dims for a Reshape target). */
  private dataUsers(name: string): NodeProto[] {
    return (this.consumers.get(name) ?? []).filter((node) => node.opType !== 'Shape');
  }

  /** `node`, then the nodes after it while each output is read by exactly one node (bounded: no cycle runs forever). */
  private *alongChain(node: NodeProto): Generator<NodeProto> {
    let at: NodeProto | undefined = node;
    for (let steps = 0; at && steps <= this.nodes.length; steps++) {
      yield at;
      const out: string | null | undefined = (at.output ?? [])[0];
      const next: NodeProto[] = out ? this.dataUsers(out) : [];
      at = next.length === 1 ? next[0] : undefined;
    }
  }

  /** From `node` onwards along single-consumer tensors, the first Add of two activations (where a residual block joins). */
  private joinFrom(node: NodeProto): NodeProto | null {
    for (const at of this.alongChain(node)) if (this.isActivationAdd(at)) return at;
    return null;
  }

  /**
   * The residual block that starts at tensor `fork` read by `users` (two nodes): both paths must meet at one Add of
   * two activations; the path that is that Add itself is the identity skip, otherwise the shorter path is the skip
   * (a projection). Returns the block and the Add's output.
   */
  private residual(fork: string, users: NodeProto[], shape: number[], depth: number): { layer: Layer; output: string; shape: number[] } {
    const forkText = `tensor '${q(fork)}' feeds ${users.length} nodes (${list(users.map((node) => describeNode(node, this.nodeIndex.get(node)!)))})`;
    if (users.length !== 2 || depth > 64) throw new InputError(`${this.file}: ${forkText}; only residual blocks (two paths joined by an Add) are supported`);
    const joins = users.map((u) => this.joinFrom(u));
    const join = joins[0];
    if (!join || join !== joins[1]) throw new InputError(`${this.file}: ${forkText}, whose paths do not meet at one Add; only residual blocks (y = body(x) + skip(x)) are supported`);
    const ends = join.input!;
    const paths = users.map((u) => {
      if (u === join) return { layers: [] as Layer[], shape };
      // The path through u ends at whichever Add input it produces.
      const end = ends.find((name) => name !== fork && this.producedAlong(u, name)) ?? null;
      if (end === null) throw new InputError(`${this.at(join)}: cannot tell which of its inputs the path through ${describeNode(u, this.nodeIndex.get(u)!)} produces`);
      return this.walkFrom(fork, end, shape, u, depth + 1);
    });
    const [a, b] = paths as [{ layers: Layer[]; shape: number[] }, { layers: Layer[]; shape: number[] }];
    if (!sameDims(a.shape, b.shape)) throw new InputError(`${this.at(join)}: adds [batch, ${a.shape.join(', ')}] and [batch, ${b.shape.join(', ')}]; a residual Add needs equal shapes (no broadcasting)`);
    const [body, skip] = a.layers.length >= b.layers.length ? [a.layers, b.layers] : [b.layers, a.layers];
    const output = (join.output ?? [])[0];
    if (!output) throw new InputError(`${this.at(join)} has no output`);
    return { layer: { kind: 'residual', body, skip }, output, shape: a.shape };
  }

  /** Whether tensor `name` is produced by `node` or a node after it along single-consumer tensors. */
  private producedAlong(node: NodeProto, name: string): boolean {
    for (const at of this.alongChain(node)) if ((at.output ?? [])[0] === name) return true;
    return false;
  }

  /** Layers from tensor `inputName` to tensor `outputName` (through `first` when the start tensor forks). */
  private walkFrom(inputName: string, outputName: string, inputShape: number[], first: NodeProto | null, depth: number): { layers: Layer[]; shape: number[] } {
    const layers: Layer[] = [];
    const visited = new Set<NodeProto>();
    let current = inputName;
    let shape = [...inputShape];
    /** The dense/conv layer whose output `current` is (an Add right after it is its bias). */
    let biasTarget: DenseLayer | Conv2dLayer | null = null;
    this.activationShapes.set(current, shape);

    while (current !== outputName) {
      // Shape nodes only read an activation's dims (for a Reshape target); they are not part of the chain.
      const users = current === inputName && first !== null ? [first] : this.dataUsers(current);
      if (users.length === 0) {
        throw new InputError(`${this.file}: the chain from graph input '${q(inputName)}' ends at tensor '${q(current)}', which no node reads, before reaching graph output '${q(outputName)}'`);
      }
      if (users.length > 1) {
        const block = this.residual(current, users, shape, depth);
        layers.push(block.layer);
        current = block.output;
        shape = block.shape;
        biasTarget = null;
        this.activationShapes.set(current, shape);
        continue;
      }
      const node = users[0]!;
      if (visited.has(node)) throw new InputError(`${this.file}: the graph has a cycle through ${describeNode(node, this.nodeIndex.get(node)!)}`);
      visited.add(node);
      const op = node.opType!;
      const inputs = node.input ?? [];
      const dataInputs = inputs.filter((name) => name === current).length;
      if (op !== 'Add' && (inputs[0] !== current || dataInputs !== 1)) {
        throw new InputError(`${this.at(node)}: the activation '${q(current)}' must be its first and only data input`);
      }
      let nextTarget: DenseLayer | Conv2dLayer | null = null;
      switch (op) {
        case 'Gemm': {
          const layer = this.gemm(node, shape, layers.length);
          layers.push(layer);
          shape = [layer.outFeatures];
          nextTarget = layer;
          break;
        }
        case 'MatMul': {
          const layer = this.matMul(node, shape, layers.length);
          layers.push(layer);
          shape = [layer.outFeatures];
          nextTarget = layer;
          break;
        }
        case 'Add': {
          if (!biasTarget) throw new InputError(`${this.at(node)}: Add is only supported as a bias right after Gemm, MatMul or Conv`);
          if (dataInputs !== 1 || inputs.length !== 2) throw new InputError(`${this.at(node)}: expected the activation plus one constant`);
          this.addBias(node, inputs[0] === current ? 1 : 0, biasTarget, shape);
          nextTarget = biasTarget;
          break;
        }
        case 'Conv': {
          const layer = this.conv(node, shape, layers.length);
          layers.push(layer);
          const stride = layer.stride ?? 1;
          const out = (size: number): number => Math.floor((size + 2 * layer.padding - layer.kernelSize) / stride) + 1;
          shape = [layer.outChannels, out(shape[1]!), out(shape[2]!)];
          nextTarget = layer;
          break;
        }
        case 'BatchNormalization': {
          const { scale, shift } = this.batchNorm(node, shape);
          if (biasTarget) {
            // Folded into the dense/conv layer right before it: W·scale, b·scale + shift (the same affine map).
            const perOutput = biasTarget.weight.length / scale.length;
            for (let i = 0; i < biasTarget.weight.length; i++) biasTarget.weight[i] = biasTarget.weight[i]! * scale[Math.floor(i / perOutput)]!;
            const bias = new Float32Array(scale.length);
            for (let c = 0; c < scale.length; c++) bias[c] = (biasTarget.bias ? biasTarget.bias[c]! : 0) * scale[c]! + shift[c]!;
            biasTarget.bias = bias;
            nextTarget = biasTarget;
          } else {
            layers.push({ kind: 'batchnorm', name: this.layerName(node.input![1] ?? '', node, layers.length), channels: scale.length, scale: Float32Array.from(scale), shift: Float32Array.from(shift) });
          }
          break;
        }
        case 'AveragePool': {
          const size = this.maxPool(node, shape); // the same window rules (AveragePool has no dilations)
          layers.push({ kind: 'avgpool2d', size });
          shape = [shape[0]!, Math.floor(shape[1]! / size), Math.floor(shape[2]! / size)];
          break;
        }
        case 'GlobalAveragePool':
          if (shape.length !== 3) throw new InputError(`${this.at(node)}: needs a [batch, channels, height, width] input but receives [batch, ${shape.join(', ')}]`);
          layers.push({ kind: 'globalavgpool' });
          shape = [shape[0]!, 1, 1];
          break;
        case 'Dropout': {
          // Eval mode: the identity. A training_mode input that is not a constant false is refused.
          const training = inputs[2] ? this.constant(inputs[2]) : null;
          if (inputs[2] && (!training || training.data[0] !== 0)) throw new InputError(`${this.at(node)}: Dropout in training mode (export the model in eval mode: model.eval())`);
          if ((node.output ?? [])[1] && this.consumers.has(node.output![1]!)) throw new InputError(`${this.at(node)}: its mask output is used`);
          nextTarget = biasTarget;
          break;
        }
        case 'Pad': {
          this.zeroPad(node, shape);
          nextTarget = biasTarget;
          break;
        }
        case 'Relu':
          layers.push({ kind: 'relu' });
          break;
        case 'MaxPool': {
          const size = this.maxPool(node, shape);
          layers.push({ kind: 'maxpool2d', size });
          shape = [shape[0]!, Math.floor(shape[1]! / size), Math.floor(shape[2]! / size)];
          break;
        }
        case 'Flatten': {
          const axis = normaliseAxis(attributeInt(node, 'axis') ?? 1, shape.length + 1, false);
          if (axis !== 1) throw new InputError(`${this.at(node)}: only Flatten with axis 1 (keep the batch dimension) is supported, got axis ${attributeInt(node, 'axis')}`);
          layers.push({ kind: 'flatten' });
          shape = [elementCount(shape)];
          break;
        }
        case 'Reshape': {
          const target = this.reshapeTarget(node, shape);
          if (sameDims(target, shape)) {
            nextTarget = biasTarget; // x.view(-1, 1, 28, 28) on a [batch, 1, 28, 28] input: nothing to do
          } else if (target.length === 1) {
            layers.push({ kind: 'flatten' });
            shape = target;
          } else if (layers.length === 0 && shape.length === 1 && target.length === 3) {
            // x.view(-1, 1, 28, 28) on a flat input: the same numbers in the same order, read as an image.
            this.reshapedInput = target;
            shape = target;
          } else {
            throw new InputError(`${this.at(node)}: reshapes [batch, ${shape.join(', ')}] to [batch, ${target.join(', ')}]; supported: a reshape that changes nothing, flattening to [batch, ${elementCount(shape)}], or reading the flat graph input as [batch, channels, height, width] before any layer`);
          }
          break;
        }
        case 'Identity':
          nextTarget = biasTarget;
          break;
        default:
          throw new InputError(`${this.at(node)}: ${op} is only supported where it computes a constant (a Reshape's shape), not on the data path`);
      }
      const outputs = node.output ?? [];
      for (const extra of outputs.slice(1)) {
        if (extra && (this.consumers.has(extra) || extra === outputName)) {
          throw new InputError(`${this.at(node)}: its output '${q(extra)}' is used; only the first output is supported`);
        }
      }
      if (!outputs[0]) throw new InputError(`${this.at(node)} has no output`);
      current = outputs[0];
      biasTarget = nextTarget;
      this.activationShapes.set(current, shape);
    }
    return { layers, shape };
  }

  private checkDeclaredOutput(outputName: string, shape: number[]): void {
    const dims = (this.graph.output ?? [])[0]?.type?.tensorType?.shape?.dim;
    if (!dims || dims.length === 0) return;
    const expected = `[batch, ${shape.join(', ')}]`;
    if (dims.length !== shape.length + 1) {
      throw new InputError(`${this.file}: graph output '${q(outputName)}' is declared with rank ${dims.length}, but the layers produce ${expected}`);
    }
    dims.slice(1).forEach((d, i) => {
      if (!d.dimParam && d.dimValue !== null && d.dimValue !== undefined && int64ToNumber(d.dimValue) !== shape[i]) {
        throw new InputError(`${this.file}: graph output '${q(outputName)}' is declared with dimension ${i + 1} = ${int64ToNumber(d.dimValue)}, but the layers produce ${expected}`);
      }
    });
  }

  private layerName(weightInput: string, node: NodeProto, index: number): string {
    const weightName = this.sourceName(weightInput);
    let name = `layers.${index}`;
    if (weightName.endsWith('.weight') && weightName.length > '.weight'.length) {
      name = weightName.slice(0, -'.weight'.length);
    } else if (node.name?.startsWith('/')) {
      // torch names nodes by module path: "/fc1/Gemm", "/features/features.0/Conv" → "fc1", "features.0".
      const segments = node.name.split('/').filter((s) => s.length > 0);
      if (segments.length >= 2) name = segments[segments.length - 2]!;
    }
    let unique = name;
    for (let k = 1; this.usedLayerNames.has(unique); k++) unique = `${name}_${k}`;
    this.usedLayerNames.add(unique);
    return unique;
  }

  private needFeatures(node: NodeProto, shape: number[]): number {
    if (shape.length !== 1) {
      throw new InputError(`${this.at(node)}: needs a [batch, features] input but receives [batch, ${shape.join(', ')}]; add a Flatten before it`);
    }
    return shape[0]!;
  }

  private gemm(node: NodeProto, shape: number[], index: number): DenseLayer {
    const inFeatures = this.needFeatures(node, shape);
    const alpha = attributeFloat(node, 'alpha') ?? 1;
    const beta = attributeFloat(node, 'beta') ?? 1;
    const transA = attributeInt(node, 'transA') ?? 0;
    const transB = attributeInt(node, 'transB') ?? 0;
    if (alpha !== 1 || beta !== 1 || transA !== 0 || (transB !== 0 && transB !== 1)) {
      throw new InputError(`${this.at(node)}: only alpha=1, beta=1, transA=0, transB 0 or 1 are supported (got alpha=${alpha}, beta=${beta}, transA=${transA}, transB=${transB})`);
    }
    const weightName = node.input![1] ?? '';
    const weight = this.floatInput(node, 1, 'weight');
    if (weight.dims.length !== 2) throw new InputError(`${this.at(node)}: weight '${q(weightName)}' has dims [${list(weight.dims)}], expected 2-D`);
    // transB=1: B is [out, in], already our layout; transB=0: B is [in, out], transpose it.
    const [rows, columns] = weight.dims as [number, number];
    const [outFeatures, declaredIn] = transB === 1 ? [rows, columns] : [columns, rows];
    if (declaredIn !== inFeatures) {
      throw new InputError(`${this.at(node)}: weight '${q(weightName)}' has dims [${list(weight.dims)}] (transB=${transB}) but the input has ${inFeatures} features`);
    }
    const layer: DenseLayer = {
      kind: 'dense',
      name: this.layerName(weightName, node, index),
      inFeatures,
      outFeatures,
      weight: transB === 1 ? weight.data.slice() : transpose(weight.data, rows, columns),
      bias: null,
    };
    const biasName = node.input![2];
    if (biasName) layer.bias = this.biasValues(node, 2, [outFeatures], null);
    return layer;
  }

  private matMul(node: NodeProto, shape: number[], index: number): DenseLayer {
    const inFeatures = this.needFeatures(node, shape);
    const weightName = node.input![1] ?? '';
    const weight = this.floatInput(node, 1, 'weight');
    if (weight.dims.length !== 2 || weight.dims[0] !== inFeatures) {
      throw new InputError(`${this.at(node)}: weight '${q(weightName)}' has dims [${list(weight.dims)}], expected [${inFeatures}, out] for an input of ${inFeatures} features`);
    }
    const outFeatures = weight.dims[1]!;
    return {
      kind: 'dense',
      name: this.layerName(weightName, node, index),
      inFeatures,
      outFeatures,
      weight: transpose(weight.data, inFeatures, outFeatures),
      bias: null,
    };
  }

  /**
   * Reads a bias from input `position` of `node`: a constant that broadcasts against the activation
   * [batch, ...shape] and varies at most along the feature/channel axis (axis 1). Returns one value per channel.
   */
  private biasValues(node: NodeProto, position: number, shape: number[], previous: Float32Array | null): Float32Array {
    const name = node.input![position]!;
    const value = this.floatInput(node, position, 'bias');
    const full = [0, ...shape]; // the batch size never matters: a bias with a batch axis > 1 is refused below
    const channels = shape[0]!;
    const offset = full.length - value.dims.length;
    let channelStride = 0;
    let ok = offset >= 0;
    if (ok) {
      let stride = 1;
      for (let j = value.dims.length - 1; j >= 0; j--) {
        const axis = offset + j;
        const d = value.dims[j]!;
        if (d === 1) continue;
        if (axis === 1 && d === channels) channelStride = stride;
        else ok = false;
        stride *= d;
      }
    }
    if (!ok) {
      throw new InputError(`${this.at(node)}: bias '${q(name)}' has dims [${list(value.dims)}], which is not one value per output channel of [batch, ${shape.join(', ')}]`);
    }
    const bias = new Float32Array(channels);
    for (let c = 0; c < channels; c++) bias[c] = (previous ? previous[c]! : 0) + value.data[c * channelStride]!;
    return bias;
  }

  private addBias(node: NodeProto, constantPosition: number, target: DenseLayer | Conv2dLayer, shape: number[]): void {
    target.bias = this.biasValues(node, constantPosition, shape, target.bias);
  }

  private conv(node: NodeProto, shape: number[], index: number): Conv2dLayer {
    if (shape.length !== 3) throw new InputError(`${this.at(node)}: needs a [batch, channels, height, width] input but receives [batch, ${shape.join(', ')}]`);
    const weightName = node.input![1] ?? '';
    const weight = this.floatInput(node, 1, 'weight');
    if (weight.dims.length !== 4) throw new InputError(`${this.at(node)}: weight '${q(weightName)}' has dims [${list(weight.dims)}]; only 2-D convolutions are supported`);
    const [outChannels, inChannels, kh, kw] = weight.dims as [number, number, number, number];
    const problems: string[] = [];
    if (kh !== kw) problems.push(`kernel ${kh}x${kw} is not square`);
    if (inChannels !== shape[0]) problems.push(`weight has ${inChannels} input channels but the input has ${shape[0]}`);
    const group = attributeInt(node, 'group') ?? 1;
    if (group !== 1) problems.push(`group=${group} (only 1 is supported)`);
    const strides = attributeInts(node, 'strides') ?? [1, 1];
    if (strides.length !== 2 || strides[0] !== strides[1] || !(strides[0]! >= 1)) problems.push(`strides [${list(strides)}] (only equal strides are supported)`);
    const dilations = attributeInts(node, 'dilations') ?? [1, 1];
    if (dilations.some((d) => d !== 1)) problems.push(`dilations [${list(dilations)}] (only 1 is supported)`);
    const kernelShape = attributeInts(node, 'kernel_shape');
    if (kernelShape && (kernelShape.length !== 2 || kernelShape[0] !== kh || kernelShape[1] !== kw)) {
      problems.push(`kernel_shape [${list(kernelShape)}] disagrees with the weight`);
    }
    const autoPad = attributeString(node, 'auto_pad') ?? 'NOTSET';
    const pads = attributeInts(node, 'pads') ?? [0, 0, 0, 0];
    if (autoPad !== 'NOTSET' && !(autoPad === 'VALID' && pads.every((p) => p === 0))) problems.push(`auto_pad=${q(autoPad, 20)} (only explicit pads are supported)`);
    if (pads.length !== 4 || pads.some((p) => p !== pads[0]) || pads[0]! < 0) problems.push(`pads [${list(pads)}] (only equal padding on all sides is supported)`);
    const padding = pads[0] ?? 0;
    if (problems.length === 0 && (shape[1]! + 2 * padding < kh || shape[2]! + 2 * padding < kw)) {
      problems.push(`kernel ${kh} does not fit the input [batch, ${shape.join(', ')}] with padding ${padding}`);
    }
    if (problems.length > 0) throw new InputError(`${this.at(node)}: ${problems.join('; ')}`);
    const layer: Conv2dLayer = {
      kind: 'conv2d',
      name: this.layerName(weightName, node, index),
      inChannels,
      outChannels,
      kernelSize: kh,
      padding,
      ...(strides[0] !== 1 ? { stride: strides[0]! } : {}),
      weight: weight.data.slice(), // a copy: the decoded initializer is cached and may be shared
      bias: null,
    };
    if (node.input![2]) layer.bias = this.biasValues(node, 2, [outChannels], null);
    return layer;
  }

  /** Eval-mode batch norm as scale = γ/√(var + ε), shift = β − mean·scale per channel (float64). */
  private batchNorm(node: NodeProto, shape: number[]): { scale: Float64Array; shift: Float64Array } {
    if ((attributeInt(node, 'training_mode') ?? 0) !== 0) throw new InputError(`${this.at(node)}: BatchNormalization in training mode (export the model in eval mode: model.eval())`);
    if ((node.output ?? []).slice(1).some((name) => name && this.consumers.has(name))) throw new InputError(`${this.at(node)}: its running-statistics outputs are used (training mode)`);
    const channels = shape[0]!;
    const parts = ['scale', 'bias', 'mean', 'variance'].map((role, k) => {
      const value = this.floatInput(node, k + 1, role);
      if (value.data.length !== channels) throw new InputError(`${this.at(node)}: ${role} has ${value.data.length} values for ${channels} channels`);
      return value.data;
    });
    const [gamma, beta, mean, variance] = parts as [Float32Array, Float32Array, Float32Array, Float32Array];
    const epsilon = attributeFloat(node, 'epsilon') ?? 1e-5;
    const scale = new Float64Array(channels);
    const shift = new Float64Array(channels);
    for (let c = 0; c < channels; c++) {
      if (!(variance[c]! + epsilon > 0)) throw new InputError(`${this.at(node)}: variance ${variance[c]} + epsilon ${epsilon} ≤ 0 at channel ${c}`);
      scale[c] = gamma[c]! / Math.sqrt(variance[c]! + epsilon);
      shift[c] = beta[c]! - mean[c]! * scale[c]!;
    }
    return { scale, shift };
  }

  /** A Pad that adds nothing (torch writes one before AveragePool): all pads 0, constant mode. Anything else is refused. */
  private zeroPad(node: NodeProto, shape: number[]): void {
    const mode = attributeString(node, 'mode') ?? 'constant';
    let pads = attributeInts(node, 'pads') ?? null;
    const padsInput = (node.input ?? [])[1];
    if (padsInput) {
      const value = this.constant(padsInput);
      if (!value) throw new InputError(`${this.at(node)}: its pads '${q(padsInput)}' are not a constant`);
      pads = Array.from(value.data, Number);
    }
    if (mode !== 'constant' || pads === null || pads.some((p) => p !== 0)) {
      throw new InputError(`${this.at(node)}: Pad with mode ${q(mode, 20)} and pads [${list(pads ?? [])}] on [batch, ${shape.join(', ')}]; only a Pad that adds nothing is supported (use the padding of Conv or the pooling layer)`);
    }
  }

  /** MaxPool or AveragePool with a square window equal to its stride and no padding (MaxPool2d / AvgPool2d(size)). */
  private maxPool(node: NodeProto, shape: number[]): number {
    if (shape.length !== 3) throw new InputError(`${this.at(node)}: needs a [batch, channels, height, width] input but receives [batch, ${shape.join(', ')}]`);
    const kernel = attributeInts(node, 'kernel_shape') ?? [];
    const strides = attributeInts(node, 'strides') ?? [1, 1];
    const pads = attributeInts(node, 'pads') ?? [0, 0, 0, 0];
    const dilations = attributeInts(node, 'dilations') ?? [1, 1];
    const ceilMode = attributeInt(node, 'ceil_mode') ?? 0;
    const autoPad = attributeString(node, 'auto_pad') ?? 'NOTSET';
    const size = kernel[0] ?? 0;
    const problems: string[] = [];
    if (kernel.length !== 2 || kernel[1] !== size || size < 1) problems.push(`kernel_shape [${list(kernel)}] is not a square 2-D window`);
    if (strides.length !== 2 || strides.some((s) => s !== size)) problems.push(`strides [${list(strides)}] differ from the window ${size}`);
    if (pads.some((p) => p !== 0)) problems.push(`pads [${list(pads)}] (only no padding is supported)`);
    if (dilations.some((d) => d !== 1)) problems.push(`dilations [${list(dilations)}] (only 1 is supported)`);
    if (autoPad !== 'NOTSET' && autoPad !== 'VALID') problems.push(`auto_pad=${q(autoPad, 20)} (only no padding is supported)`);
    // ceil_mode only differs from floor when the window does not divide the size.
    if (ceilMode !== 0 && (shape[1]! % size !== 0 || shape[2]! % size !== 0)) problems.push('ceil_mode=1 on a size the window does not divide');
    if (problems.length === 0 && (shape[1]! < size || shape[2]! < size)) problems.push(`window ${size} is larger than the input [batch, ${shape.join(', ')}]`);
    if (problems.length > 0) throw new InputError(`${this.at(node)}: ${problems.join('; ')}`);
    return size;
  }

  /**
   * The per-sample shape a Reshape produces from [batch, …shape]: its target must be a constant (from constants and
   * Shape), keep the batch first (batch, −1, 0 or the static batch), and hold the same number of elements; 0 copies
   * the input's dimension, one −1 is inferred.
   */
  private reshapeTarget(node: NodeProto, shape: number[]): number[] {
    if ((attributeInt(node, 'allowzero') ?? 0) !== 0) throw new InputError(`${this.at(node)}: allowzero=1 is not supported`);
    const shapeName = node.input![1];
    const target = shapeName ? this.constant(shapeName) : null;
    if (!target || target.kind !== 'int' || target.dims.length !== 1) {
      throw new InputError(`${this.at(node)}: the target shape${shapeName ? ` '${q(shapeName)}'` : ''} must be a constant 1-D integer tensor (computed only from constants and Shape)`);
    }
    const features = elementCount(shape);
    const dims = target.data;
    const text = `[${list(dims.map((v) => (Number.isNaN(v) ? 'batch' : String(v))))}]`;
    const refuse = (why: string): never => {
      throw new InputError(`${this.at(node)}: reshapes [batch, ${shape.join(', ')}] to ${text}: ${why}`);
    };
    const first = dims[0];
    const batchInferred = first === -1;
    if (first === undefined || !(Number.isNaN(first) || batchInferred || first === 0 || (this.staticBatch !== null && first === this.staticBatch))) refuse('the first dimension must stay the batch');
    const rest = dims.slice(1).map((v, i) => (v === 0 ? (shape[i] ?? NaN) : v));
    if (rest.some((v) => Number.isNaN(v) || v < -1 || (v === -1 && batchInferred))) refuse('unsupported dimensions');
    const unknown = rest.filter((v) => v === -1).length;
    if (unknown > 1) refuse('more than one −1');
    const known = rest.filter((v) => v !== -1).reduce((a, b) => a * b, 1);
    if (unknown === 1) {
      if (known === 0 || features % known !== 0) refuse(`${features} features do not fill it`);
      return rest.map((v) => (v === -1 ? features / known : v));
    }
    if (known !== features) refuse(`${features} features become ${known}`);
    return rest;
  }
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function transpose(data: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) out[c * rows + r] = data[r * columns + c]!;
  }
  return out;
}

function normaliseAxis(axis: number, rank: number, clamp: boolean): number {
  const a = axis < 0 ? axis + rank : axis;
  if (clamp) return Math.min(Math.max(a, 0), rank);
  return a;
}

function attribute(node: NodeProto, name: string): AttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

function attributeInt(node: NodeProto, name: string): number | undefined {
  const a = attribute(node, name);
  return a ? int64ToNumber(a.i) : undefined;
}

function attributeInts(node: NodeProto, name: string): number[] | undefined {
  const a = attribute(node, name);
  return a ? (a.ints ?? []).map((v) => int64ToNumber(v)) : undefined;
}

function attributeFloat(node: NodeProto, name: string): number | undefined {
  const a = attribute(node, name);
  return a ? (a.f ?? 0) : undefined;
}

function attributeString(node: NodeProto, name: string): string | undefined {
  const a = attribute(node, name);
  return a ? new TextDecoder().decode(a.s ?? new Uint8Array(0)) : undefined;
}
