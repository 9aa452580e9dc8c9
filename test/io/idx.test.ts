// The IDX reader on the real MNIST files and on corrupted copies: every bad header is an InputError naming
// the file, and a huge declared size is rejected before anything is allocated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { InputError } from '../../src/core/errors.js';
import { readIdx } from '../../src/io/idx.js';
import { defaultMnistDir } from '../../src/io/mnist.js';

const dir = defaultMnistDir();
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));

/** An IDX file of unsigned bytes with the given dims and payload. */
function idxBytes(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x00000800 | dims.length, false);
  dims.forEach((size, i) => view.setUint32(4 + 4 * i, size, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => readIdx(bytes, 'bad-file-idx'),
    (error: unknown) => error instanceof InputError && error.message.startsWith('bad-file-idx:') && pattern.test(error.message),
  );
}

test('the four MNIST files have the canonical sizes, labels and mean pixel', () => {
  const train = readIdx(read('train-images-idx3-ubyte'), 'train-images');
  const trainLabels = readIdx(read('train-labels-idx1-ubyte'), 'train-labels');
  const testImages = readIdx(read('t10k-images-idx3-ubyte'), 't10k-images');
  const testLabels = readIdx(read('t10k-labels-idx1-ubyte'), 't10k-labels');
  assert.deepEqual(train.dims, [60000, 28, 28]);
  assert.deepEqual(trainLabels.dims, [60000]);
  assert.deepEqual(testImages.dims, [10000, 28, 28]);
  assert.deepEqual(testLabels.dims, [10000]);
  let sum = 0;
  for (const byte of train.data) sum += byte;
  const mean = sum / train.data.length / 255;
  assert.ok(Math.abs(mean - 0.1307) < 5e-5, `mean pixel ${mean}`); // the value torchvision's Normalize uses
  const histogram = new Array<number>(10).fill(0);
  for (const label of testLabels.data) histogram[label]!++;
  assert.deepEqual(histogram, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
});

test('small IDX arrays round trip', () => {
  fc.assert(
    fc.property(fc.constantFrom(1, 3), fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 3, maxLength: 3 }), (rank, sizes) => {
      const dims = sizes.slice(0, rank);
      const count = dims.reduce((a, b) => a * b, 1);
      const data = Uint8Array.from({ length: count }, (_, i) => (i * 37) & 255);
      const parsed = readIdx(idxBytes(dims, data), 'x');
      assert.deepEqual(parsed.dims, dims);
      assert.deepEqual([...parsed.data], [...data]);
    }),
    { seed: 20240611 },
  );
});

test('a truncated file is rejected with its sizes', () => {
  const labels = read('t10k-labels-idx1-ubyte');
  rejects(labels.subarray(0, labels.length - 1), /truncated.*10000.*9999/);
  rejects(labels.subarray(0, 6), /truncated IDX header/);
  rejects(labels.subarray(0, 2), /too short/);
});

test('trailing bytes are rejected', () => {
  const file = idxBytes([3], new Uint8Array([1, 2, 3, 4]));
  rejects(file, /trailing bytes/);
});

test('a foreign file or another element type is rejected', () => {
  rejects(new TextEncoder().encode('{"not": "idx"}'), /magic number 0x7b226e6f/);
  rejects(idxBytes([2, 2], new Uint8Array(4)), /not an MNIST IDX file/); // 2 dims
  const floats = idxBytes([1], new Uint8Array(1));
  floats[2] = 0x0d; // float32 elements
  rejects(floats, /element type 0x0d/);
});

test('a huge declared size is rejected without allocating it', () => {
  const file = idxBytes([0xffffffff, 0xffffffff, 28], new Uint8Array(16));
  rejects(file, /4294967295×4294967295×28 need .* the file has 16/);
});
