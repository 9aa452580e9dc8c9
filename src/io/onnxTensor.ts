/**
 * ONNX TensorProto codec for the ONNX reader and writer (src/io/onnx.ts): decodes initializer and Constant
 * tensors (raw_data little-endian or the typed repeated fields) into float32 weights or integer shape values,
 * and encodes float32 weights as raw_data. Refuses external data, unknown element types and size mismatches.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { InputError } from '../core/errors.js';
import { quoteText } from '../core/describe.js';

const { onnx } = onnxProto;

export type TensorProto = OnnxTypes.ITensorProto;

/** ONNX TensorProto.DataType values used here (onnx.proto). */
export const DataType = {
  FLOAT: 1,
  INT32: 6,
  INT64: 7,
  FLOAT16: 10,
  DOUBLE: 11,
  BFLOAT16: 16,
} as const;

const DATA_TYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING',
  9: 'BOOL', 10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128', 16: 'BFLOAT16',
};

export function dataTypeName(dataType: number): string {
  return DATA_TYPE_NAMES[dataType] ?? `type ${dataType}`;
}

/** protobufjs decodes int64 fields as Long objects when the `long` package is present, else as numbers. */
export function int64ToNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

/** A decoded constant: float weights (any float type, converted to float32) or integer values (shapes, axes). */
export type ConstantValue =
  | { kind: 'float'; dims: number[]; data: Float32Array; sourceType: number }
  | { kind: 'int'; dims: number[]; data: number[] };

export function elementCount(dims: readonly number[]): number {
  let count = 1;
  for (const d of dims) count *= d;
  return count;
}

/** IEEE half-precision bits → number (exact). */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

function bfloat16ToNumber(bits: number, scratch: DataView): number {
  scratch.setUint32(0, (bits & 0xffff) << 16, true);
  return scratch.getFloat32(0, true);
}

/**
 * Decodes one TensorProto. `what` names it in messages, e.g. "initializer 'fc1.weight' in model.onnx".
 * Float types (FLOAT, FLOAT16, BFLOAT16, DOUBLE) become float32 (DOUBLE rounded to nearest); INT32/INT64 become
 * numbers. Anything else, external data, or a data length that disagrees with dims is an InputError.
 */
export function decodeTensor(tensor: TensorProto, what: string): ConstantValue {
  const externalData = tensor.externalData ?? [];
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || externalData.length > 0) {
    const location = externalData.find((entry) => entry.key === 'location')?.value;
    throw new InputError(
      `${what} stores its data outside the model file${location ? ` (in '${quoteText(location)}')` : ''}; external data is not supported: ` +
        `save the model as one file (onnx.save(model, path, save_as_external_data=False))`,
    );
  }
  if (tensor.segment) throw new InputError(`${what} is a segmented tensor; segmented tensors are not supported`);
  const dims = (tensor.dims ?? []).map((d) => int64ToNumber(d));
  const dimsText = (): string => (dims.length > 8 ? `${dims.slice(0, 8).join(', ')}, … (${dims.length} dims)` : dims.join(', '));
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new InputError(`${what} has an invalid dimension ${d} in dims [${dimsText()}]`);
  }
  const count = elementCount(dims);
  const dataType = tensor.dataType ?? 0;
  const raw = tensor.rawData && tensor.rawData.length > 0 ? tensor.rawData : null;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  /**
   * Checks that the tensor holds exactly `count` values (raw_data of `bytesPerValue`-byte values, or the typed
   * field), before anything is allocated: dims are a declared size, the data is what the file really has.
   */
  const checkData = (bytesPerValue: number, values: ArrayLike<unknown> | null | undefined, field: string): void => {
    let found: number;
    let unit: string;
    if (raw) {
      if (raw.length % bytesPerValue !== 0) {
        throw new InputError(`${what}: raw_data length ${raw.length} is not a multiple of ${bytesPerValue} bytes (${dataTypeName(dataType)})`);
      }
      found = raw.length / bytesPerValue;
      unit = 'values in raw_data';
    } else {
      found = values?.length ?? 0;
      unit = `values in ${field}`;
    }
    if (found !== count) throw new InputError(`${what} has dims [${dimsText()}] (${count} values) but holds ${found} ${unit}`);
  };
  switch (dataType) {
    case DataType.FLOAT: {
      checkData(4, tensor.floatData, 'float_data');
      const data = new Float32Array(count);
      if (view) for (let i = 0; i < count; i++) data[i] = view.getFloat32(4 * i, true);
      else for (let i = 0; i < count; i++) data[i] = tensor.floatData![i]!;
      return { kind: 'float', dims, data, sourceType: dataType };
    }
    case DataType.DOUBLE: {
      checkData(8, tensor.doubleData, 'double_data');
      const data = new Float32Array(count);
      if (view) for (let i = 0; i < count; i++) data[i] = view.getFloat64(8 * i, true);
      else for (let i = 0; i < count; i++) data[i] = tensor.doubleData![i]!;
      return { kind: 'float', dims, data, sourceType: dataType };
    }
    case DataType.FLOAT16:
    case DataType.BFLOAT16: {
      // The spec stores 16-bit floats as their bit patterns in int32_data.
      checkData(2, tensor.int32Data, 'int32_data');
      const data = new Float32Array(count);
      const scratch = new DataView(new ArrayBuffer(4));
      const convert = (bits: number): number => (dataType === DataType.FLOAT16 ? halfToNumber(bits) : bfloat16ToNumber(bits, scratch));
      if (view) for (let i = 0; i < count; i++) data[i] = convert(view.getUint16(2 * i, true));
      else for (let i = 0; i < count; i++) data[i] = convert(tensor.int32Data![i]!);
      return { kind: 'float', dims, data, sourceType: dataType };
    }
    case DataType.INT64: {
      checkData(8, tensor.int64Data, 'int64_data');
      const data = new Array<number>(count);
      if (view) for (let i = 0; i < count; i++) data[i] = Number(view.getBigInt64(8 * i, true));
      else for (let i = 0; i < count; i++) data[i] = int64ToNumber(tensor.int64Data![i]);
      return { kind: 'int', dims, data };
    }
    case DataType.INT32: {
      checkData(4, tensor.int32Data, 'int32_data');
      const data = new Array<number>(count);
      if (view) for (let i = 0; i < count; i++) data[i] = view.getInt32(4 * i, true);
      else for (let i = 0; i < count; i++) data[i] = tensor.int32Data![i]!;
      return { kind: 'int', dims, data };
    }
    default:
      throw new InputError(
        `${what} has element type ${dataTypeName(dataType)}; supported: FLOAT, FLOAT16, BFLOAT16, DOUBLE (weights), INT32, INT64 (shapes)`,
      );
  }
}

/** A float32 initializer with its values in raw_data, little-endian (the layout torch.onnx.export writes). */
export function encodeFloatTensor(name: string, dims: readonly number[], data: Float32Array): TensorProto {
  const raw = new Uint8Array(4 * data.length);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i]!, true);
  return onnx.TensorProto.create({ name, dims: [...dims], dataType: DataType.FLOAT, rawData: raw });
}

/** A float64 initializer with its values in raw_data, little-endian. */
export function encodeDoubleTensor(name: string, dims: readonly number[], data: Float64Array): TensorProto {
  const raw = new Uint8Array(8 * data.length);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat64(8 * i, data[i]!, true);
  return onnx.TensorProto.create({ name, dims: [...dims], dataType: DataType.DOUBLE, rawData: raw });
}

/** An INT32 tensor in raw_data, little-endian. */
export function encodeInt32Tensor(name: string, dims: readonly number[], data: Int32Array): TensorProto {
  const raw = new Uint8Array(4 * data.length);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setInt32(4 * i, data[i]!, true);
  return onnx.TensorProto.create({ name, dims: [...dims], dataType: DataType.INT32, rawData: raw });
}

/** An INT64 tensor in raw_data, little-endian (values are integers below 2^53). */
export function encodeInt64Tensor(name: string, dims: readonly number[], data: Float64Array): TensorProto {
  const raw = new Uint8Array(8 * data.length);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setBigInt64(8 * i, BigInt(data[i]!), true);
  return onnx.TensorProto.create({ name, dims: [...dims], dataType: DataType.INT64, rawData: raw });
}
