/**
 * Model files: a Network saved as safetensors with PyTorch state_dict names and shapes (`fc1.weight`
 * [out, in], `conv1.weight` [out, in, k, k], `*.bias` [out]) plus metadata to rebuild the exact layer chain;
 * and loading of such files, of plain PyTorch `save_file(model.state_dict())` files (MLPs inferred from
 * the chained weight shapes, conv nets with an explicit --arch) and of ONNX files. Pickle files
 * (.pt/.pth/.bin) are refused: unpickling can run arbitrary code. Format notes: docs/model-files.md.
 */
import { InputError } from '../core/errors.js';
import { createNetwork, mlpName, parseArch } from '../nn/architectures.js';
import { networkShapes } from '../nn/forward.js';
import { isParameterised, type Conv2dLayer, type DenseLayer, type Layer, type Network, type Preprocess } from '../nn/network.js';
import { checkLoadedNetwork, networkFromOnnxBytes } from './onnxImport.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsFile, type SafetensorsTensor, type SafetensorsTensorInput } from './safetensors.js';
import { describeJson, quoteText } from '../core/describe.js';

export const MODEL_FORMAT = 'lottery-model';
export const MODEL_FORMAT_VERSION = '1';
/** Metadata keys this module writes; extra metadata may not reuse them. */
export const RESERVED_METADATA_KEYS = ['format', 'version', 'arch', 'preprocess', 'inputShape', 'layers'] as const;
/** The MNIST input size an MLP read from a PyTorch file must start with. */
const MNIST_INPUT = 784;

export const PICKLE_EXTENSIONS = new Set(['.pt', '.pth', '.bin', '.pkl', '.pickle', '.ckpt', '.tar']);
export const PICKLE_REFUSAL =
  'PyTorch pickle files are not loaded, for safety (unpickling can run arbitrary code). Save the weights as safetensors: ' +
  '`from safetensors.torch import save_file; save_file(model.state_dict(), "model.safetensors")` ' +
  'or as ONNX: `torch.onnx.export(model, torch.zeros(1, 784), "model.onnx")`';

/** One entry of the `layers` metadata: a layer without its weights. */
export type LayerSpec =
  | { kind: 'dense'; name: string; inFeatures: number; outFeatures: number; bias: boolean }
  | { kind: 'conv2d'; name: string; inChannels: number; outChannels: number; kernelSize: number; padding: number; bias: boolean }
  | { kind: 'relu' }
  | { kind: 'maxpool2d'; size: number }
  | { kind: 'flatten' };

/** The state_dict key of a layer's tensor: `${name}.weight`, or `weight` for an unnamed single module. */
export function tensorName(layerName: string, part: 'weight' | 'bias'): string {
  return layerName === '' ? part : `${layerName}.${part}`;
}

export function layerSpec(layer: Layer): LayerSpec {
  switch (layer.kind) {
    case 'dense':
      return { kind: 'dense', name: layer.name, inFeatures: layer.inFeatures, outFeatures: layer.outFeatures, bias: layer.bias !== null };
    case 'conv2d':
      if ((layer.stride ?? 1) !== 1) throw new InputError(`layer ${layer.name}: a strided convolution cannot be written to a safetensors model file (it records stride-1 convolutions only); keep the network as ONNX`);
      return {
        kind: 'conv2d',
        name: layer.name,
        inChannels: layer.inChannels,
        outChannels: layer.outChannels,
        kernelSize: layer.kernelSize,
        padding: layer.padding,
        bias: layer.bias !== null,
      };
    case 'relu':
      return { kind: 'relu' };
    case 'maxpool2d':
      return { kind: 'maxpool2d', size: layer.size };
    case 'flatten':
      return { kind: 'flatten' };
    default:
      // Residual blocks, batch norm, average pooling: a safetensors model file records a chain only.
      throw new InputError(`layer kind '${layer.kind}' cannot be written to a safetensors model file (it records a plain chain of dense, conv2d, relu, maxpool2d and flatten layers); keep the network as ONNX`);
  }
}

function weightShape(layer: DenseLayer | Conv2dLayer): number[] {
  return layer.kind === 'dense' ? [layer.outFeatures, layer.inFeatures] : [layer.outChannels, layer.inChannels, layer.kernelSize, layer.kernelSize];
}

/** The tensors of a state_dict for `network`, in layer order (float32, PyTorch shapes). */
export function modelTensors(network: Network): SafetensorsTensorInput[] {
  const tensors: SafetensorsTensorInput[] = [];
  for (const layer of network.layers) {
    if (!isParameterised(layer)) continue;
    tensors.push({ name: tensorName(layer.name, 'weight'), dtype: 'F32', shape: weightShape(layer), data: layer.weight });
    if (layer.bias) tensors.push({ name: tensorName(layer.name, 'bias'), dtype: 'F32', shape: [layer.bias.length], data: layer.bias });
  }
  return tensors;
}

/** The safetensors metadata saveModel writes. */
export function modelMetadata(network: Network, extraMetadata: Record<string, string> = {}): Record<string, string> {
  for (const key of Object.keys(extraMetadata)) {
    if ((RESERVED_METADATA_KEYS as readonly string[]).includes(key)) throw new RangeError(`saveModel: extra metadata may not set the reserved key '${key}'`);
  }
  const metadata: Record<string, string> = { ...extraMetadata, format: MODEL_FORMAT, version: MODEL_FORMAT_VERSION };
  if (network.arch !== undefined) metadata['arch'] = network.arch;
  if (network.preprocess !== undefined) metadata['preprocess'] = network.preprocess;
  metadata['inputShape'] = JSON.stringify(network.inputShape);
  metadata['layers'] = JSON.stringify(network.layers.map(layerSpec));
  return metadata;
}

export interface LoadModelOptions {
  /** Architecture for files without our metadata (required when they hold conv weights): fc2, fc4, lenet5, mlp:…. */
  arch?: string;
  /** Overrides the preprocessing recorded in the file (a file that records none means 'pixels'). */
  preprocess?: Preprocess;
}

export function checkPreprocess(value: string, where: string): Preprocess {
  if (value === 'pixels' || value === 'standard') return value;
  throw new InputError(`${where}: preprocess must be pixels or standard, got '${quoteText(value)}'`);
}

/** The extension of a file name, lower-case, with its dot ('' when it has none); node:path's extname, kept pure. */
export function extensionOf(path: string): string {
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot).toLowerCase();
}

/** loadModel on bytes already read: `path` names the file in errors and its extension picks the format. */
export function modelFromBytes(bytes: Uint8Array, path: string, options: LoadModelOptions = {}): Network {
  const extension = extensionOf(path);
  if (PICKLE_EXTENSIONS.has(extension)) throw new InputError(`${path}: ${PICKLE_REFUSAL}`);
  if (options.preprocess !== undefined) checkPreprocess(options.preprocess, '--preprocess');
  if (extension === '.onnx') {
    return networkFromOnnxBytes(bytes, path, options.preprocess !== undefined ? { preprocess: options.preprocess } : {});
  }
  if (looksLikePickle(bytes)) throw new InputError(`${path}: this is a PyTorch pickle/zip file, not safetensors. ${PICKLE_REFUSAL}`);
  return networkFromSafetensors(decodeSafetensors(bytes, path), path, options);
}

/** torch.save writes a zip ("PK\x03\x04") or a raw pickle (0x80, protocol 2–5); neither is a plausible safetensors start. */
function looksLikePickle(bytes: Uint8Array): boolean {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return true;
  // A raw pickle starts 0x80 0x02..0x05; as a safetensors header length those bytes (with the next ones
  // nonzero) would exceed the 100 MB header limit, so the two cannot be confused.
  if (bytes.length >= 8 && bytes[0] === 0x80 && bytes[1]! >= 2 && bytes[1]! <= 5) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
    return view.getUint32(4, true) !== 0 || view.getUint32(0, true) > 100_000_000;
  }
  return false;
}

/** Builds a Network from a decoded safetensors file (`file` names it in errors). */
export function networkFromSafetensors(st: SafetensorsFile, file: string, options: LoadModelOptions = {}): Network {
  const recorded = st.metadata['preprocess'];
  const preprocess = options.preprocess ?? (recorded !== undefined ? checkPreprocess(recorded, `${file}: metadata`) : 'pixels');
  const network = st.metadata['format'] === MODEL_FORMAT ? fromOurMetadata(st, file, options) : fromStateDict(st, file, options);
  network.preprocess = preprocess;
  checkLoadedNetwork(network, file);
  return network;
}

/** Float32 copy of a floating-point tensor, rejecting integer dtypes and NaN/Inf values. */
function floatData(tensor: SafetensorsTensor, file: string, name: string): Float32Array {
  let data: Float32Array;
  if (tensor.data instanceof Float32Array) data = tensor.data; // F32, F16 and BF16 arrive as fresh Float32Arrays
  else if (tensor.data instanceof Float64Array) data = Float32Array.from(tensor.data);
  else throw new InputError(`${file}: tensor '${quoteText(name)}' has dtype ${tensor.dtype}; weights must be floating point (F32, F64, F16 or BF16)`);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      throw new InputError(`${file}: tensor '${quoteText(name)}' has a non-finite value ${data[i]} at index ${i} (shape ${describeJson(tensor.shape)})`);
    }
  }
  return data;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

// ---- files written by saveModel -------------------------------------------------------------------------

function parseJsonMetadata(st: SafetensorsFile, key: string, file: string): unknown {
  const text = st.metadata[key];
  if (text === undefined) throw new InputError(`${file}: metadata '${key}' is missing (format ${MODEL_FORMAT})`);
  try {
    return JSON.parse(text);
  } catch {
    throw new InputError(`${file}: metadata '${key}' is not valid JSON`);
  }
}

const LAYER_FIELDS: Record<LayerSpec['kind'], Record<string, 'name' | 'positive' | 'nonnegative' | 'boolean'>> = {
  dense: { name: 'name', inFeatures: 'positive', outFeatures: 'positive', bias: 'boolean' },
  conv2d: { name: 'name', inChannels: 'positive', outChannels: 'positive', kernelSize: 'positive', padding: 'nonnegative', bias: 'boolean' },
  relu: {},
  maxpool2d: { size: 'positive' },
  flatten: {},
};

function parseLayerSpec(value: unknown, index: number, file: string): LayerSpec {
  const where = `${file}: metadata layers[${index}]`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError(`${where} must be an object`);
  const record = value as Record<string, unknown>;
  const kind = record['kind'];
  if (typeof kind !== 'string' || !Object.hasOwn(LAYER_FIELDS, kind)) {
    throw new InputError(`${where}: kind must be one of ${Object.keys(LAYER_FIELDS).join(', ')}, got ${describeJson(kind)}`);
  }
  const fields = LAYER_FIELDS[kind as LayerSpec['kind']];
  for (const key of Object.keys(record)) {
    if (key !== 'kind' && !Object.hasOwn(fields, key)) throw new InputError(`${where}: unknown field '${quoteText(key)}' for a ${kind} layer`);
  }
  for (const [key, rule] of Object.entries(fields)) {
    const v = record[key];
    const ok =
      rule === 'name' ? typeof v === 'string' :
      rule === 'boolean' ? typeof v === 'boolean' :
      Number.isSafeInteger(v) && (v as number) >= (rule === 'positive' ? 1 : 0);
    if (!ok) throw new InputError(`${where}: field '${key}' must be ${rule === 'name' ? 'a string' : rule === 'boolean' ? 'true or false' : `an integer ≥ ${rule === 'positive' ? 1 : 0}`}, got ${describeJson(v)}`);
  }
  return record as unknown as LayerSpec;
}

function fromOurMetadata(st: SafetensorsFile, file: string, options: LoadModelOptions): Network {
  const version = st.metadata['version'];
  if (version !== MODEL_FORMAT_VERSION) throw new InputError(`${file}: ${MODEL_FORMAT} version ${describeJson(version)} is not supported (expected ${MODEL_FORMAT_VERSION})`);
  const arch = st.metadata['arch'];
  if (options.arch !== undefined && arch !== undefined && parseArch(options.arch).name !== arch) {
    throw new InputError(`${file}: --arch ${options.arch} contradicts the file's recorded arch '${quoteText(arch)}'`);
  }
  const inputShape = parseJsonMetadata(st, 'inputShape', file);
  if (!Array.isArray(inputShape) || inputShape.length === 0 || !inputShape.every((v) => Number.isSafeInteger(v) && v > 0)) {
    throw new InputError(`${file}: metadata inputShape must be a list of positive integers, got ${describeJson(inputShape)}`);
  }
  const specs = parseJsonMetadata(st, 'layers', file);
  if (!Array.isArray(specs)) throw new InputError(`${file}: metadata layers must be a JSON list`);
  const used = new Set<string>();
  const take = (name: string, shape: number[]): Float32Array => {
    const tensor = st.tensors.get(name);
    if (tensor === undefined) throw new InputError(`${file}: tensor '${quoteText(name)}' is missing (the metadata's layer list needs it)`);
    if (!sameShape(tensor.shape, shape)) throw new InputError(`${file}: tensor '${quoteText(name)}' has shape ${describeJson(tensor.shape)}, the layer list needs [${shape}]`);
    if (used.has(name)) throw new InputError(`${file}: tensor '${quoteText(name)}' is used by two layers`);
    used.add(name);
    return floatData(tensor, file, name);
  };
  const layers: Layer[] = specs.map((value, index): Layer => {
    const spec = parseLayerSpec(value, index, file);
    switch (spec.kind) {
      case 'dense': {
        const weight = take(tensorName(spec.name, 'weight'), [spec.outFeatures, spec.inFeatures]);
        const bias = spec.bias ? take(tensorName(spec.name, 'bias'), [spec.outFeatures]) : null;
        return { kind: 'dense', name: spec.name, inFeatures: spec.inFeatures, outFeatures: spec.outFeatures, weight, bias };
      }
      case 'conv2d': {
        const { name, inChannels, outChannels, kernelSize, padding } = spec;
        const weight = take(tensorName(name, 'weight'), [outChannels, inChannels, kernelSize, kernelSize]);
        const bias = spec.bias ? take(tensorName(name, 'bias'), [outChannels]) : null;
        return { kind: 'conv2d', name, inChannels, outChannels, kernelSize, padding, weight, bias };
      }
      case 'maxpool2d':
        return { kind: 'maxpool2d', size: spec.size };
      case 'relu':
        return { kind: 'relu' };
      case 'flatten':
        return { kind: 'flatten' };
    }
  });
  for (const name of st.tensors.keys()) {
    if (!used.has(name)) throw new InputError(`${file}: tensor '${quoteText(name)}' is not used by any layer of the metadata's layer list`);
  }
  const network: Network = { inputShape: inputShape as number[], layers };
  if (arch !== undefined) network.arch = arch;
  return network;
}

// ---- plain PyTorch state_dict files ---------------------------------------------------------------------

/**
 * Natural order of names: digit runs compare as numbers, so layers.2 < layers.10 and fc9 < fc10 (plain
 * string order would put layers.10 before layers.2).
 */
export function compareNatural(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    const xDigits = /^\d/.test(x);
    const yDigits = /^\d/.test(y);
    if (xDigits && yDigits) {
      const nx = x.replace(/^0+(?=\d)/, '');
      const ny = y.replace(/^0+(?=\d)/, '');
      if (nx.length !== ny.length) return nx.length - ny.length;
      if (nx !== ny) return nx < ny ? -1 : 1;
      if (x.length !== y.length) return x.length - y.length;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return pa.length - pb.length;
}

interface FileLayer {
  prefix: string;
  weight: SafetensorsTensor;
  bias: SafetensorsTensor | null;
}

/** Pairs `<prefix>.weight` with `<prefix>.bias`, in natural order of the prefixes. */
function fileLayers(st: SafetensorsFile, file: string): FileLayer[] {
  const byPrefix = new Map<string, { weight?: SafetensorsTensor; bias?: SafetensorsTensor }>();
  for (const [name, tensor] of st.tensors) {
    const match = /^(?:(.*)\.)?(weight|bias)$/.exec(name);
    const buffer = /^(?:(.*)\.)?(running_mean|running_var|num_batches_tracked)$/.exec(name);
    if (buffer !== null) {
      throw new InputError(
        `${file}: tensor '${quoteText(name)}' is a batch-norm buffer: a state_dict does not say where batch norm sits in the network, so it cannot be read as a chain; export the model to ONNX in eval mode (torch.onnx.export folds batch norm into the convolution before it) and pass the .onnx file`,
      );
    }
    if (match === null) {
      throw new InputError(
        `${file}: tensor '${quoteText(name)}' is not a weight or bias; only Linear and Conv2d layers are supported (no BatchNorm, embeddings or buffers)`,
      );
    }
    const prefix = match[1] ?? '';
    const entry = byPrefix.get(prefix) ?? {};
    entry[match[2] as 'weight' | 'bias'] = tensor;
    byPrefix.set(prefix, entry);
  }
  const layers: FileLayer[] = [];
  for (const [prefix, entry] of byPrefix) {
    if (entry.weight === undefined) throw new InputError(`${file}: tensor '${quoteText(tensorName(prefix, 'bias'))}' has no matching '${quoteText(tensorName(prefix, 'weight'))}'`);
    const rank = entry.weight.shape.length;
    const weightName = tensorName(prefix, 'weight');
    if (rank !== 2 && rank !== 4) {
      throw new InputError(
        `${file}: tensor '${quoteText(weightName)}' has shape ${describeJson(entry.weight.shape)}; only 2-D Linear and 4-D Conv2d weights are supported${rank === 1 ? ' (a 1-D weight is a normalisation layer)' : ''}`,
      );
    }
    if (entry.weight.shape.some((size) => size === 0)) throw new InputError(`${file}: tensor '${quoteText(weightName)}' is empty (shape ${describeJson(entry.weight.shape)})`);
    if (rank === 4 && entry.weight.shape[2] !== entry.weight.shape[3]) {
      throw new InputError(`${file}: tensor '${quoteText(weightName)}' has a non-square kernel ${describeJson(entry.weight.shape)}; only square kernels are supported`);
    }
    if (entry.bias !== undefined && !sameShape(entry.bias.shape, [entry.weight.shape[0]!])) {
      throw new InputError(`${file}: tensor '${quoteText(tensorName(prefix, 'bias'))}' has shape ${describeJson(entry.bias.shape)}, expected [${entry.weight.shape[0]}] to match '${quoteText(weightName)}'`);
    }
    layers.push({ prefix, weight: entry.weight, bias: entry.bias ?? null });
  }
  if (layers.length === 0) throw new InputError(`${file}: no weight tensors found`);
  return layers.sort((a, b) => compareNatural(a.prefix, b.prefix));
}

function fromStateDict(st: SafetensorsFile, file: string, options: LoadModelOptions): Network {
  const found = fileLayers(st, file);
  if (options.arch !== undefined) return fromStateDictWithArch(found, file, options.arch);
  const conv = found.find((layer) => layer.weight.shape.length === 4);
  if (conv !== undefined) {
    throw new InputError(
      `${file}: tensor '${quoteText(tensorName(conv.prefix, 'weight'))}' is a conv weight ${describeJson(conv.weight.shape)}; a conv net's layer chain cannot be inferred from its weights: pass --arch lenet5`,
    );
  }
  const sizes = [MNIST_INPUT];
  const layers: Layer[] = [];
  found.forEach((entry, i) => {
    const [out, inFeatures] = entry.weight.shape as [number, number];
    const name = tensorName(entry.prefix, 'weight');
    if (inFeatures !== sizes[i]) {
      const previous = i === 0 ? 'the 784 MNIST pixels' : `'${quoteText(tensorName(found[i - 1]!.prefix, 'weight'))}' gives ${sizes[i]} outputs`;
      const byShape = chainByShape(found);
      const hint =
        byShape !== null
          ? `; by their shapes they chain as ${byShape.map((l) => `'${quoteText(l.prefix)}'`).join(' → ')}: if that is the forward order, pass --arch ${mlpName(chainSizes(byShape))}`
          : '; pass --arch mlp:784-…-10 with the layer sizes in forward order, or export the model to ONNX';
      throw new InputError(
        `${file}: weights do not chain (taken in natural name order): '${quoteText(name)}' ${describeJson(entry.weight.shape)} takes ${inFeatures} inputs but ${previous}${hint}`,
      );
    }
    if (i > 0 && i < found.length - 1 && out === inFeatures) {
      throw new InputError(
        `${file}: tensor '${quoteText(name)}' ${describeJson(entry.weight.shape)} maps ${inFeatures} features to ${out}: from a state_dict a plain layer cannot be told from a residual block (h + relu(${quoteText(entry.prefix)}(h))); if the model is a plain chain, pass --arch ${mlpName(chainSizes(found))}; if it has skip connections, export it to ONNX`,
      );
    }
    if (i > 0) layers.push({ kind: 'relu' });
    layers.push({
      kind: 'dense',
      name: entry.prefix,
      inFeatures,
      outFeatures: out,
      weight: floatData(entry.weight, file, name),
      bias: entry.bias ? floatData(entry.bias, file, tensorName(entry.prefix, 'bias')) : null,
    });
    sizes.push(out);
  });
  const chain = found.map((entry, i) => `${entry.prefix} (${sizes[i]}→${sizes[i + 1]})`).join(' → ReLU → ');
  return {
    inputShape: [MNIST_INPUT],
    layers,
    arch: mlpName(sizes),
    inferredChain: `${chain}, inferred from the names and shapes of a state_dict, with ReLU assumed between the layers (a state_dict records no activation or skip connection: if the model uses other ones, export it to ONNX)`,
  };
}

/** The sizes [in, out₁, out₂, …] of a chain of dense weights. */
function chainSizes(chain: readonly FileLayer[]): number[] {
  return [chain[0]!.weight.shape[1]!, ...chain.map((l) => l.weight.shape[0]!)];
}

/** The one order in which the 2-D weights chain from the 784 pixels (each next layer's inputs = the previous outputs), or null. */
function chainByShape(found: readonly FileLayer[]): FileLayer[] | null {
  const left = [...found];
  const chain: FileLayer[] = [];
  let width = MNIST_INPUT;
  while (left.length > 0) {
    const next = left.filter((l) => l.weight.shape.length === 2 && l.weight.shape[1] === width);
    if (next.length !== 1) return null;
    chain.push(next[0]!);
    left.splice(left.indexOf(next[0]!), 1);
    width = next[0]!.weight.shape[0]!;
  }
  return chain;
}

/**
 * Maps the file's weights onto the parameterised layers of `arch`: each layer takes the first unused
 * weight (in natural name order) of exactly its shape, so the names need not be conv1/fc1 (e.g.
 * features.0 / classifier.2 work too) and equal-shaped layers keep their name order.
 */
function fromStateDictWithArch(found: FileLayer[], file: string, archText: string): Network {
  const spec = parseArch(archText);
  const arch = quoteText(archText);
  // Match the arch's weight shapes to the file's before building the network: createNetwork allocates every
  // layer of the arch (up to 2^30 weights each), which a file that lacks those weights must not cause.
  const shapes: { name: string; shape: number[] }[] =
    spec.kind === 'mlp'
      ? spec.sizes.slice(1).map((out, i) => ({ name: `fc${i + 1}`, shape: [out, spec.sizes[i]!] }))
      : createNetwork(spec, { bias: false }).layers.filter(isParameterised).map((layer) => ({ name: layer.name, shape: weightShape(layer) }));
  const used = new Set<FileLayer>();
  const matched = shapes.map(({ name, shape }) => {
    const entry = found.find((candidate) => !used.has(candidate) && sameShape(candidate.weight.shape, shape));
    if (entry === undefined) {
      const available = found.filter((c) => !used.has(c)).map((c) => `${quoteText(tensorName(c.prefix, 'weight'))} ${describeJson(c.weight.shape)}`);
      throw new InputError(
        `${file}: --arch ${arch} needs a weight of shape [${shape}] for ${name}, the file has none left (unused: ${available.slice(0, 4).join(', ') || 'none'}${available.length > 4 ? `, … ${available.length} in all` : ''})`,
      );
    }
    used.add(entry);
    return entry;
  });
  const extra = found.find((entry) => !used.has(entry));
  if (extra !== undefined) {
    throw new InputError(`${file}: tensor '${quoteText(tensorName(extra.prefix, 'weight'))}' ${describeJson(extra.weight.shape)} does not belong to --arch ${arch}`);
  }
  const network = createNetwork(spec, { bias: false });
  network.layers.filter(isParameterised).forEach((layer, k) => {
    const entry = matched[k]!;
    layer.name = entry.prefix;
    layer.weight = floatData(entry.weight, file, tensorName(entry.prefix, 'weight'));
    layer.bias = entry.bias ? floatData(entry.bias, file, tensorName(entry.prefix, 'bias')) : null;
  });
  return network;
}
