/**
 * ONNX files for our Network: writes a standard opset-13 graph (Gemm/Conv/Relu/MaxPool/Flatten, float32 weights
 * in raw_data) that onnxruntime runs, and reads the chains of such ops that `torch.onnx.export` writes for MLPs
 * and LeNet-style conv nets (the reader lives in onnxImport.ts). Mapping rules: docs/onnx.md.
 */
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { InputError } from '../core/errors.js';
import type { Layer, Network } from '../nn/network.js';
import { writeFileAtomic } from './atomicFile.js';
import { encodeFloatTensor, DataType, type TensorProto } from './onnxTensor.js';
import { networkFromOnnxBytes, type OnnxImportOptions } from './onnxImport.js';

export { networkFromOnnxBytes, ONNX_SUPPORTED_OPS, type OnnxImportOptions } from './onnxImport.js';

const { onnx } = onnxProto;

export interface OnnxExportOptions {
  /** Default opset 13; the graph only uses ops whose semantics are unchanged from opset 11 to 21. */
  opset?: number;
  /** producer_name written into the model; default "lottery". */
  producer?: string;
}

export const ONNX_DEFAULT_OPSET = 13;
export const ONNX_MIN_OPSET = 11;
export const ONNX_MAX_OPSET = 21;
/** IR version 8 (ONNX 1.10, the newest the onnx-proto schema knows); onnxruntime 1.30 reads IR ≤ 11. */
export const ONNX_IR_VERSION = 8;
export const ONNX_INPUT_NAME = 'input';
export const ONNX_OUTPUT_NAME = 'logits';
/** metadata_props keys that carry what ONNX has no field for; the reader restores them. */
export const ONNX_METADATA_PREPROCESS = 'lottery.preprocess';
export const ONNX_METADATA_ARCH = 'lottery.arch';

type NodeProto = OnnxTypes.INodeProto;
type AttributeProto = OnnxTypes.IAttributeProto;

export function intAttribute(name: string, value: number): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}

export function floatAttribute(name: string, value: number): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value };
}

export function intsAttribute(name: string, values: number[]): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: values };
}

export function valueInfo(name: string, dims: (number | string)[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

function shapeText(shape: readonly number[]): string {
  return `[batch, ${shape.join(', ')}]`;
}

/**
 * Encodes `network` as an ONNX ModelProto: input "input" [batch, ...inputShape] float32 with a symbolic batch
 * dimension, output "logits". Dense layers become Gemm(transB=1) with the weight stored [out, in] as PyTorch
 * does; a dense layer that follows a [c, h, w] activation gets a Flatten(axis=1) first. Throws InputError if a
 * layer's sizes disagree with the activation it receives.
 */
export function onnxBytesFromNetwork(network: Network, options: OnnxExportOptions = {}): Uint8Array {
  const opset = options.opset ?? ONNX_DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < ONNX_MIN_OPSET || opset > ONNX_MAX_OPSET) {
    throw new InputError(`ONNX export: opset must be an integer in [${ONNX_MIN_OPSET}, ${ONNX_MAX_OPSET}], got ${opset}`);
  }
  for (const d of network.inputShape) {
    if (!Number.isInteger(d) || d < 1) throw new InputError(`ONNX export: inputShape [${network.inputShape.join(', ')}] has a non-positive dimension`);
  }
  if (network.inputShape.length !== 1 && network.inputShape.length !== 3) {
    throw new InputError(`ONNX export: inputShape [${network.inputShape.join(', ')}] must be [features] or [channels, height, width]`);
  }

  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  const usedNames = new Set<string>();
  let shape = [...network.inputShape];
  let current = ONNX_INPUT_NAME;

  const uniqueScope = (preferred: string): string => {
    let scope = preferred;
    for (let k = 1; usedNames.has(scope); k++) scope = `${preferred}_${k}`;
    usedNames.add(scope);
    return scope;
  };
  const addNode = (opType: string, scope: string, inputs: string[], attribute: AttributeProto[] = []): void => {
    const output = `/${scope}/${opType}_output_0`;
    nodes.push({ name: `/${scope}/${opType}`, opType, input: inputs, output: [output], attribute });
    current = output;
  };
  const flatten = (scope: string): void => {
    addNode('Flatten', scope, [current], [intAttribute('axis', 1)]);
    shape = [shape.reduce((a, b) => a * b, 1)];
  };

  let blocks = 0;
  const emit = (layers: readonly Layer[], prefix: string): void => layers.forEach((layer, position) => {
    const index = prefix === '' ? position : `${prefix}.${position}`;
    switch (layer.kind) {
      case 'dense': {
        const scope = uniqueScope(layer.name || `layers.${index}`);
        if (shape.length !== 1) flatten(`${scope}_flatten`);
        if (shape[0] !== layer.inFeatures) {
          throw new InputError(`ONNX export: dense layer '${scope}' expects ${layer.inFeatures} inputs but receives ${shapeText(shape)}`);
        }
        checkLength(scope, 'weight', layer.weight.length, layer.outFeatures * layer.inFeatures);
        initializers.push(encodeFloatTensor(`${scope}.weight`, [layer.outFeatures, layer.inFeatures], layer.weight));
        const inputs = [current, `${scope}.weight`];
        if (layer.bias) {
          checkLength(scope, 'bias', layer.bias.length, layer.outFeatures);
          initializers.push(encodeFloatTensor(`${scope}.bias`, [layer.outFeatures], layer.bias));
          inputs.push(`${scope}.bias`);
        }
        addNode('Gemm', scope, inputs, [
          { name: 'alpha', type: onnx.AttributeProto.AttributeType.FLOAT, f: 1 },
          { name: 'beta', type: onnx.AttributeProto.AttributeType.FLOAT, f: 1 },
          intAttribute('transB', 1),
        ]);
        shape = [layer.outFeatures];
        break;
      }
      case 'conv2d': {
        const scope = uniqueScope(layer.name || `layers.${index}`);
        const stride = layer.stride ?? 1;
        const k = layer.kernelSize;
        const p = layer.padding;
        if (shape.length !== 3 || shape[0] !== layer.inChannels) {
          throw new InputError(`ONNX export: conv2d layer '${scope}' expects [batch, ${layer.inChannels}, h, w] but receives ${shapeText(shape)}`);
        }
        if (!(Number.isInteger(stride) && stride >= 1)) throw new InputError(`ONNX export: conv2d layer '${scope}' has stride ${stride}`);
        const height = Math.floor((shape[1]! + 2 * p - k) / stride) + 1;
        const width = Math.floor((shape[2]! + 2 * p - k) / stride) + 1;
        if (!(k >= 1 && p >= 0 && height >= 1 && width >= 1)) {
          throw new InputError(`ONNX export: conv2d layer '${scope}' (kernel ${k}, padding ${p}) does not fit its input ${shapeText(shape)}`);
        }
        checkLength(scope, 'weight', layer.weight.length, layer.outChannels * layer.inChannels * k * k);
        initializers.push(encodeFloatTensor(`${scope}.weight`, [layer.outChannels, layer.inChannels, k, k], layer.weight));
        const inputs = [current, `${scope}.weight`];
        if (layer.bias) {
          checkLength(scope, 'bias', layer.bias.length, layer.outChannels);
          initializers.push(encodeFloatTensor(`${scope}.bias`, [layer.outChannels], layer.bias));
          inputs.push(`${scope}.bias`);
        }
        addNode('Conv', scope, inputs, [
          intsAttribute('dilations', [1, 1]),
          intAttribute('group', 1),
          intsAttribute('kernel_shape', [k, k]),
          intsAttribute('pads', [p, p, p, p]),
          intsAttribute('strides', [stride, stride]),
        ]);
        shape = [layer.outChannels, height, width];
        break;
      }
      case 'relu':
        addNode('Relu', uniqueScope(`relu.${index}`), [current]);
        break;
      case 'maxpool2d': {
        const scope = uniqueScope(`pool.${index}`);
        const s = layer.size;
        if (shape.length !== 3 || !(Number.isInteger(s) && s >= 1) || Math.floor(shape[1]! / s) < 1 || Math.floor(shape[2]! / s) < 1) {
          throw new InputError(`ONNX export: maxpool2d layer ${index} (size ${s}) does not fit its input ${shapeText(shape)}`);
        }
        addNode('MaxPool', scope, [current], [intsAttribute('kernel_shape', [s, s]), intsAttribute('strides', [s, s])]);
        shape = [shape[0]!, Math.floor(shape[1]! / s), Math.floor(shape[2]! / s)];
        break;
      }
      case 'flatten':
        flatten(uniqueScope(`flatten.${index}`));
        break;
      case 'avgpool2d':
      case 'globalavgpool': {
        const scope = uniqueScope(`pool.${index}`);
        if (shape.length !== 3) throw new InputError(`ONNX export: ${layer.kind} layer ${index} needs [batch, c, h, w], receives ${shapeText(shape)}`);
        if (layer.kind === 'globalavgpool') {
          addNode('GlobalAveragePool', scope, [current]);
          shape = [shape[0]!, 1, 1];
          break;
        }
        const s = layer.size;
        if (!(Number.isInteger(s) && s >= 1) || Math.floor(shape[1]! / s) < 1 || Math.floor(shape[2]! / s) < 1) {
          throw new InputError(`ONNX export: avgpool2d layer ${index} (size ${s}) does not fit its input ${shapeText(shape)}`);
        }
        addNode('AveragePool', scope, [current], [intsAttribute('kernel_shape', [s, s]), intsAttribute('strides', [s, s])]);
        shape = [shape[0]!, Math.floor(shape[1]! / s), Math.floor(shape[2]! / s)];
        break;
      }
      case 'batchnorm': {
        // The affine map exactly: γ = scale, β = shift, mean 0, variance 1, ε = 0, so (x − 0)/√(1 + 0)·γ + β = scale·x + shift.
        const scope = uniqueScope(layer.name || `bn.${index}`);
        const c = layer.channels;
        if (shape[0] !== c) throw new InputError(`ONNX export: batch norm '${scope}' has ${c} channels, receives ${shapeText(shape)}`);
        checkLength(scope, 'scale', layer.scale.length, c);
        checkLength(scope, 'shift', layer.shift.length, c);
        initializers.push(
          encodeFloatTensor(`${scope}.weight`, [c], layer.scale),
          encodeFloatTensor(`${scope}.bias`, [c], layer.shift),
          encodeFloatTensor(`${scope}.running_mean`, [c], new Float32Array(c)),
          encodeFloatTensor(`${scope}.running_var`, [c], new Float32Array(c).fill(1)),
        );
        addNode('BatchNormalization', scope, [current, `${scope}.weight`, `${scope}.bias`, `${scope}.running_mean`, `${scope}.running_var`], [floatAttribute('epsilon', 0)]);
        break;
      }
      case 'residual': {
        const scope = uniqueScope(`block${blocks++}`);
        const start = current;
        const startShape = shape;
        emit(layer.body, `${index}.body`);
        const bodyOut = current;
        const bodyShape = shape;
        current = start;
        shape = startShape;
        emit(layer.skip, `${index}.skip`);
        if (shape.length !== bodyShape.length || shape.some((d, i) => d !== bodyShape[i])) {
          throw new InputError(`ONNX export: residual block '${scope}' adds ${shapeText(bodyShape)} and ${shapeText(shape)}`);
        }
        addNode('Add', scope, [bodyOut, current]);
        break;
      }
    }
  });
  emit(network.layers, '');
  if (current === ONNX_INPUT_NAME) addNode('Identity', 'identity', [current]);
  // The last node writes the graph output directly.
  nodes[nodes.length - 1]!.output = [ONNX_OUTPUT_NAME];

  const metadataProps: OnnxTypes.IStringStringEntryProto[] = [];
  if (network.preprocess) metadataProps.push({ key: ONNX_METADATA_PREPROCESS, value: network.preprocess });
  if (network.arch) metadataProps.push({ key: ONNX_METADATA_ARCH, value: network.arch });

  const model = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: opset }],
    producerName: options.producer ?? 'lottery',
    graph: {
      name: network.arch ?? 'network',
      node: nodes,
      initializer: initializers,
      input: [valueInfo(ONNX_INPUT_NAME, ['batch', ...network.inputShape])],
      output: [valueInfo(ONNX_OUTPUT_NAME, ['batch', ...shape])],
    },
    metadataProps,
  });
  const encoded = onnx.ModelProto.encode(model).finish();
  return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

function checkLength(scope: string, field: string, found: number, expected: number): void {
  if (found !== expected) throw new InputError(`ONNX export: layer '${scope}' ${field} has ${found} values, expected ${expected}`);
}

/** Writes `network` as an ONNX file (atomically). */
export function exportOnnx(path: string, network: Network, options: OnnxExportOptions = {}): void {
  writeFileAtomic(path, onnxBytesFromNetwork(network, options));
}

/** Reads an ONNX file written by torch.onnx.export or by exportOnnx; see networkFromOnnxBytes. */
export function loadOnnxModel(path: string, options: OnnxImportOptions = {}): Network {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new InputError(`cannot read ONNX model ${path}: ${code}`);
  }
  return networkFromOnnxBytes(bytes, path, options);
}
