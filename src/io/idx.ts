/**
 * Reader for the IDX files MNIST ships in (LeCun's format): a big-endian u32 magic 0x000008DD (two zero
 * bytes, type 0x08 = unsigned byte, DD = number of dimensions), DD big-endian u32 sizes, then the bytes.
 * Every declared size is checked against the actual file length before anything is read or allocated.
 */
import { InputError } from '../core/errors.js';

export interface IdxArray {
  /** Sizes as declared in the header, e.g. [60000, 28, 28] for images or [60000] for labels. */
  dims: number[];
  /** The payload (a view into `bytes`, not a copy), row-major, product(dims) bytes. */
  data: Uint8Array;
}

const TYPE_U8 = 0x08;
/** Dimension counts MNIST uses: 3 for images (0x00000803), 1 for labels (0x00000801). */
const ACCEPTED_DIMENSION_COUNTS = [1, 3];

function hex32(value: number): string {
  return '0x' + value.toString(16).padStart(8, '0');
}

/** Parses one IDX file of unsigned bytes; throws InputError naming `file` and the problem. */
export function readIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4) {
    throw new InputError(`${file}: not an IDX file: ${bytes.length} bytes, too short for the 4-byte magic number`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const dimensionCount = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0 || !ACCEPTED_DIMENSION_COUNTS.includes(dimensionCount)) {
    throw new InputError(
      `${file}: not an MNIST IDX file: magic number ${hex32(magic)}, expected 0x00000803 (images) or 0x00000801 (labels)`,
    );
  }
  if (bytes[2] !== TYPE_U8) {
    throw new InputError(`${file}: IDX element type 0x${bytes[2]!.toString(16).padStart(2, '0')} is not supported, expected 0x08 (unsigned byte)`);
  }
  const headerLength = 4 + 4 * dimensionCount;
  if (bytes.length < headerLength) {
    throw new InputError(`${file}: truncated IDX header: ${bytes.length} bytes, the header needs ${headerLength}`);
  }
  const dims: number[] = [];
  let declared = 1; // float64: exact up to 2^53, and any larger value is rejected below anyway
  for (let i = 0; i < dimensionCount; i++) {
    const size = view.getUint32(4 + 4 * i, false);
    dims.push(size);
    declared *= size;
  }
  const available = bytes.length - headerLength;
  if (declared !== available) {
    const shape = dims.join('×');
    const problem = declared > available ? 'truncated or declares too much data' : 'has trailing bytes';
    throw new InputError(`${file}: IDX ${problem}: dims ${shape} need ${declared} data bytes, the file has ${available}`);
  }
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + headerLength, available) };
}
