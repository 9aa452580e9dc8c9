/**
 * The safetensors format (huggingface/safetensors): a u64 little-endian header length N, N bytes of JSON
 * header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, then the
 * raw little-endian tensor bytes, offsets relative to the start of that byte buffer.
 *
 * Reading is as strict as the reference Rust implementation: the header is at most 100 MB, every tensor
 * covers exactly product(shape)·dtypeSize bytes, and the tensors tile the byte buffer exactly — no
 * overlaps, no gaps and no trailing bytes after the last tensor (the Rust reader rejects those too, so a
 * file we accept is one PyTorch's `safetensors` accepts). Unknown keys inside a tensor entry are ignored,
 * as the Rust reader does. Writing pads the header with spaces so the data starts 8-byte aligned.
 */
import { InputError } from '../core/errors.js';
import { describeJson, quoteText } from '../core/describe.js';

/** Dtypes this toolkit writes. */
export type SafetensorsWriteDtype = 'F32' | 'F64' | 'U8' | 'I64' | 'I32' | 'U32';
/** Dtypes this toolkit reads. F16 and BF16 are widened to Float32Array on read; BOOL comes back as Uint8Array. */
export type SafetensorsDtype = SafetensorsWriteDtype | 'F16' | 'BF16' | 'I8' | 'I16' | 'U16' | 'U64' | 'BOOL';

export type SafetensorsData =
  | Float32Array
  | Float64Array
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface SafetensorsTensorInput {
  name: string;
  dtype: SafetensorsWriteDtype;
  /** Sizes; product(shape) must equal data.length. */
  shape: number[];
  /** Float32Array for F32, Float64Array for F64, Uint8Array for U8, BigInt64Array for I64, Int32Array for I32, Uint32Array for U32. */
  data: SafetensorsData;
}

export interface SafetensorsTensor {
  /** The dtype stored in the file (F16/BF16 data is returned widened to float32). */
  dtype: SafetensorsDtype;
  shape: number[];
  /** A fresh, aligned copy (never a view into the file bytes). */
  data: SafetensorsData;
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** Header size limit of the reference implementation (safetensors' MAX_HEADER_SIZE). */
export const MAX_HEADER_BYTES = 100_000_000;

const DTYPE_SIZES: Record<SafetensorsDtype, number> = {
  F32: 4,
  F64: 8,
  U8: 1,
  I64: 8,
  I32: 4,
  U32: 4,
  F16: 2,
  BF16: 2,
  I8: 1,
  I16: 2,
  U16: 2,
  U64: 8,
  BOOL: 1,
};

/** Dtypes the format defines that we recognise but cannot convert (named in the error). */
const KNOWN_UNSUPPORTED = new Set(['F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64', 'C128']);

const WRITE_ARRAY_TYPES: Record<SafetensorsWriteDtype, Function> = {
  F32: Float32Array,
  F64: Float64Array,
  U8: Uint8Array,
  I64: BigInt64Array,
  I32: Int32Array,
  U32: Uint32Array,
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bytesOf(data: SafetensorsData): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return view;
  return swapped(view, data.BYTES_PER_ELEMENT);
}

/** Byte-reversed copy of each `size`-byte element (only used on big-endian hosts). */
function swapped(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size) for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j]!;
  return out;
}

function product(shape: readonly number[]): number {
  let p = 1;
  for (const size of shape) p *= size;
  return p;
}

/**
 * Encodes tensors (in the given order) and optional string metadata as safetensors. Returns chunks to be
 * written one after another (the tensor data chunks are views of the inputs, not copies): pass them to
 * writeChunksAtomic.
 */
export function encodeSafetensors(tensors: SafetensorsTensorInput[], metadata?: Record<string, string>): Uint8Array[] {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    const clean: Record<string, string> = {};
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') throw new TypeError(`safetensors metadata '${key}' must be a string, got ${typeof value}`);
      clean[key] = value;
    }
    header['__metadata__'] = clean;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const seen = new Set<string>();
  for (const tensor of tensors) {
    const { name, dtype, shape, data } = tensor;
    if (name === '' || name === '__metadata__' || seen.has(name)) throw new TypeError(`safetensors: invalid or duplicate tensor name '${name}'`);
    seen.add(name);
    const expectedType = WRITE_ARRAY_TYPES[dtype];
    if (expectedType === undefined) throw new TypeError(`safetensors: tensor '${name}': cannot write dtype ${String(dtype)}`);
    if (!(data instanceof expectedType)) {
      throw new TypeError(`safetensors: tensor '${name}': dtype ${dtype} needs a ${expectedType.name}, got ${data.constructor.name}`);
    }
    if (!shape.every((size) => Number.isSafeInteger(size) && size >= 0)) {
      throw new TypeError(`safetensors: tensor '${name}': shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    if (product(shape) !== data.length) {
      throw new TypeError(`safetensors: tensor '${name}': shape ${JSON.stringify(shape)} holds ${product(shape)} values, data has ${data.length}`);
    }
    const bytes = bytesOf(data);
    header[name] = { dtype, shape: [...shape], data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    if (bytes.length > 0) chunks.push(bytes);
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const prefix = new Uint8Array(8 + padded);
  const view = new DataView(prefix.buffer);
  view.setUint32(0, padded % 2 ** 32, true);
  view.setUint32(4, Math.floor(padded / 2 ** 32), true);
  prefix.set(json, 8);
  prefix.fill(0x20, 8 + json.length);
  return [prefix, ...chunks];
}

/** Concatenation of encodeSafetensors' chunks (for tests and small files). */
export function encodeSafetensorsBytes(tensors: SafetensorsTensorInput[], metadata?: Record<string, string>): Uint8Array {
  return concatChunks(encodeSafetensors(tensors, metadata));
}

/** The chunks of an encoded file as one array (where there is no file to write them to, e.g. a download). */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** float16 bits → float32 value (exact: every half is a float). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

function copyTensorData(dtype: SafetensorsDtype, bytes: Uint8Array, count: number): SafetensorsData {
  const size = DTYPE_SIZES[dtype];
  // A fresh buffer is aligned for any element size; on big-endian hosts reverse each element's bytes.
  // (new Uint8Array(view) copies; Buffer#slice would not: it returns a view of the whole file's memory.)
  const own = LITTLE_ENDIAN || size === 1 ? new Uint8Array(bytes) : swapped(bytes, size);
  const buffer = own.buffer;
  switch (dtype) {
    case 'F32':
      return new Float32Array(buffer, 0, count);
    case 'F64':
      return new Float64Array(buffer, 0, count);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(buffer, 0, count);
    case 'I8':
      return new Int8Array(buffer, 0, count);
    case 'I16':
      return new Int16Array(buffer, 0, count);
    case 'U16':
      return new Uint16Array(buffer, 0, count);
    case 'I32':
      return new Int32Array(buffer, 0, count);
    case 'U32':
      return new Uint32Array(buffer, 0, count);
    case 'I64':
      return new BigInt64Array(buffer, 0, count);
    case 'U64':
      return new BigUint64Array(buffer, 0, count);
    case 'F16': {
      const halves = new Uint16Array(buffer, 0, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(halves[i]!);
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32: shift the bits up.
      const halves = new Uint16Array(buffer, 0, count);
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = halves[i]! << 16;
      return out;
    }
  }
}

interface Entry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Decodes a whole safetensors file held in memory; every problem is an InputError naming `file`. */
export function decodeSafetensors(bytes: Uint8Array, file: string): SafetensorsFile {
  if (bytes.length < 8) throw new InputError(`${file}: not a safetensors file: ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength > MAX_HEADER_BYTES) {
    throw new InputError(`${file}: not a safetensors file: header length ${headerLength} exceeds the 100 MB limit`);
  }
  if (8 + headerLength > bytes.length) {
    throw new InputError(`${file}: truncated safetensors file: header length ${headerLength} but only ${bytes.length - 8} bytes follow`);
  }
  if (headerLength < 2) throw new InputError(`${file}: safetensors header is ${headerLength} bytes, too short for a JSON object`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    throw new InputError(`${file}: safetensors header is not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: safetensors header is not valid JSON (${quoteText((error as Error).message, 200)})`);
  }
  if (!isPlainObject(header)) throw new InputError(`${file}: safetensors header must be a JSON object, got ${describeJson(header)}`);

  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isPlainObject(info)) throw new InputError(`${file}: __metadata__ must be an object of strings, got ${describeJson(info)}`);
      for (const [key, value] of Object.entries(info)) {
        if (typeof value !== 'string') throw new InputError(`${file}: __metadata__ '${quoteText(key)}' must be a string, got ${describeJson(value)}`);
        Object.defineProperty(metadata, key, { value, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    const where = `${file}: tensor '${quoteText(name)}'`;
    if (!isPlainObject(info)) throw new InputError(`${where}: entry must be an object, got ${describeJson(info)}`);
    const dtype = info['dtype'];
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_SIZES, dtype)) {
      const why = typeof dtype === 'string' && KNOWN_UNSUPPORTED.has(dtype) ? 'is not supported' : 'is unknown';
      throw new InputError(`${where}: dtype ${describeJson(dtype)} ${why} (supported: ${Object.keys(DTYPE_SIZES).join(', ')})`);
    }
    const shape = info['shape'];
    if (!Array.isArray(shape) || !shape.every((size) => Number.isSafeInteger(size) && size >= 0)) {
      throw new InputError(`${where}: shape must be a list of non-negative integers, got ${describeJson(shape)}`);
    }
    const offsets = info['data_offsets'];
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw new InputError(`${where}: data_offsets must be two non-negative integers [begin, end], got ${describeJson(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) throw new InputError(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
    const expected = product(shape as number[]) * DTYPE_SIZES[dtype as SafetensorsDtype];
    if (end - begin !== expected) {
      throw new InputError(`${where}: data_offsets [${begin}, ${end}] cover ${end - begin} bytes, shape ${describeJson(shape)} of ${dtype} needs ${expected}`);
    }
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape: [...(shape as number[])], begin, end });
  }

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  for (const entry of entries) {
    if (entry.end > dataLength) {
      throw new InputError(`${file}: tensor '${quoteText(entry.name)}': data_offsets [${entry.begin}, ${entry.end}] run past the ${dataLength} data bytes (truncated file?)`);
    }
  }
  // The tensors must tile [0, dataLength) exactly: sort by offsets and walk.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let position = 0;
  let previous: Entry | null = null;
  for (const entry of sorted) {
    if (entry.begin < position) {
      throw new InputError(`${file}: tensor '${quoteText(entry.name)}' (bytes ${entry.begin}..${entry.end}) overlaps tensor '${quoteText(previous!.name)}' (bytes ${previous!.begin}..${previous!.end})`);
    }
    if (entry.begin > position) {
      throw new InputError(`${file}: tensor '${quoteText(entry.name)}' starts at byte ${entry.begin}, leaving bytes ${position}..${entry.begin} unindexed (the data must be fully indexed)`);
    }
    position = entry.end;
    previous = entry;
  }
  if (position !== dataLength) {
    throw new InputError(`${file}: ${dataLength - position} bytes after the last tensor are not indexed by the header (the data must be fully indexed)`);
  }

  const tensors = new Map<string, SafetensorsTensor>();
  for (const entry of entries) {
    const count = product(entry.shape);
    const slice = bytes.subarray(dataStart + entry.begin, dataStart + entry.end);
    tensors.set(entry.name, { dtype: entry.dtype, shape: entry.shape, data: copyTensorData(entry.dtype, slice, count) });
  }
  return { tensors, metadata };
}
