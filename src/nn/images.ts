/**
 * MNIST-shaped image sets in memory and the input scalings the networks were trained with. Pure: reading the
 * files is src/io/mnist.ts.
 */
import { InputError } from '../core/errors.js';
import { PREPROCESS_STANDARD_MEAN, PREPROCESS_STANDARD_STD, type Preprocess } from './network.js';

export interface MnistSet {
  /** count × rows × cols bytes (0..255), one image after another, row-major. */
  images: Uint8Array;
  /** count labels 0..9. */
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

/** Pixels per MNIST image (28 × 28). */
export const MNIST_PIXELS = 784;
export const MNIST_CLASSES = 10;

/** The value each byte 0..255 maps to under `preprocess`, as float32 (computed in float64, rounded once). */
export function preprocessTable(preprocess: Preprocess): Float32Array {
  const table = new Float32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    table[byte] = preprocess === 'standard' ? (byte / 255 - PREPROCESS_STANDARD_MEAN) / PREPROCESS_STANDARD_STD : byte / 255;
  }
  return table;
}

/**
 * Network inputs for images start … start+count−1 (of 784 pixels each): `pixels` gives x/255 in [0, 1],
 * `standard` gives (x/255 − 0.1307)/0.3081. Returns count × 784 float32 values.
 */
export function preprocessImages(images: Uint8Array, preprocess: Preprocess, start = 0, count?: number): Float32Array {
  if (preprocess !== 'pixels' && preprocess !== 'standard') {
    throw new InputError(`preprocess: expected pixels or standard, got '${String(preprocess)}'`);
  }
  const total = Math.floor(images.length / MNIST_PIXELS);
  const n = count ?? total - start;
  if (!Number.isInteger(start) || !Number.isInteger(n) || start < 0 || n < 0 || start + n > total) {
    throw new RangeError(`preprocessImages: images ${start}..${start + n - 1} out of range for ${total} images`);
  }
  const table = preprocessTable(preprocess);
  const out = new Float32Array(n * MNIST_PIXELS);
  const offset = start * MNIST_PIXELS;
  for (let i = 0; i < out.length; i++) out[i] = table[images[offset + i]!]!;
  return out;
}
