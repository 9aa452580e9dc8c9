// MNIST loading (counts, caching, consistency checks) and the two preprocessings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/core/errors.js';
import { decodeMnist, defaultMnistDir, loadMnist } from '../../src/io/mnist.js';
import { preprocessImages, preprocessTable } from '../../src/nn/images.js';

const work = mkdtempSync(join(tmpdir(), 'lottery-mnist-test-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

test('loadMnist gives 60,000 / 10,000 images of 28×28 with labels 0..9, cached per process', () => {
  const train = loadMnist('train');
  const testSet = loadMnist('test');
  assert.equal(train.count, 60000);
  assert.equal(testSet.count, 10000);
  assert.equal(train.images.length, 60000 * 784);
  assert.equal(testSet.labels.length, 10000);
  assert.equal(train.rows, 28);
  assert.equal(train.cols, 28);
  assert.equal(loadMnist('test'), testSet);
  // pixel statistics behind the 'standard' preprocessing (torchvision's MNIST constants), from a histogram
  const histogram = new Float64Array(256);
  for (const byte of train.images) histogram[byte]!++;
  const table = preprocessTable('pixels');
  let sum = 0;
  let squares = 0;
  for (let byte = 0; byte < 256; byte++) {
    sum += histogram[byte]! * table[byte]!;
    squares += histogram[byte]! * table[byte]! ** 2;
  }
  const mean = sum / train.images.length;
  const std = Math.sqrt(squares / train.images.length - mean * mean);
  assert.ok(Math.abs(mean - 0.1307) < 5e-5, `mean ${mean}`);
  assert.ok(Math.abs(std - 0.3081) < 5e-5, `std ${std}`);
});

test('preprocessImages: pixels x/255, standard (x/255 − 0.1307)/0.3081, on a range of images', () => {
  const images = new Uint8Array(3 * 784);
  images[784] = 255;
  images[785] = 51;
  images[2 * 784] = 7;
  const pixels = preprocessImages(images, 'pixels', 1, 2);
  assert.equal(pixels.length, 2 * 784);
  assert.equal(pixels[0], 1);
  assert.equal(pixels[1], Math.fround(0.2));
  assert.equal(pixels[784], Math.fround(7 / 255));
  const standard = preprocessImages(images, 'standard');
  assert.equal(standard.length, 3 * 784);
  assert.equal(standard[0], Math.fround(-0.1307 / 0.3081));
  assert.equal(standard[784], Math.fround((1 - 0.1307) / 0.3081));
  assert.deepEqual([...preprocessTable('standard').subarray(0, 2)], [Math.fround(-0.1307 / 0.3081), Math.fround((1 / 255 - 0.1307) / 0.3081)]);
  assert.throws(() => preprocessImages(images, 'pixels', 2, 2), RangeError);
  assert.throws(() => preprocessImages(images, 'scaled' as never), InputError);
});

test('a folder without MNIST files, or with inconsistent files, is an InputError naming the file', () => {
  assert.throws(() => loadMnist('test', join(work, 'missing')), (e: unknown) => e instanceof InputError && /missing\/t10k-images-idx3-ubyte: cannot read MNIST file \(ENOENT\)/.test(e.message));
  const source = defaultMnistDir();
  // test images with a label file of 3 labels
  const labels = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3]);
  copyFileSync(join(source, 't10k-images-idx3-ubyte'), join(work, 't10k-images-idx3-ubyte'));
  writeFileSync(join(work, 't10k-labels-idx1-ubyte'), labels);
  assert.throws(() => loadMnist('test', work), (e: unknown) => e instanceof InputError && /3 labels for 10000 images/.test(e.message));
  const badLabel = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 1, 10]);
  writeFileSync(join(work, 't10k-labels-idx1-ubyte'), badLabel);
  const oneImage = new Uint8Array(16 + 784);
  oneImage.set([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28]);
  writeFileSync(join(work, 't10k-images-idx3-ubyte'), oneImage);
  assert.throws(() => loadMnist('test', work), (e: unknown) => e instanceof InputError && /label 0 is 10/.test(e.message));
});

test('decodeMnist pairs images with labels, and 1×784 images are refused as the message says (regression)', () => {
  const idx = (dims: number[], data: Uint8Array): Uint8Array => {
    const out = new Uint8Array(4 + 4 * dims.length + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, 0x800 + dims.length, false);
    dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
    out.set(data, 4 + 4 * dims.length);
    return out;
  };
  const set = decodeMnist(idx([2, 28, 28], new Uint8Array(2 * 784).fill(7)), 'i', idx([2], Uint8Array.of(3, 9)), 'l');
  assert.deepEqual([set.count, set.rows, set.cols, [...set.labels]], [2, 28, 28, [3, 9]]);
  const refuse = (run: () => unknown, pattern: RegExp): void => assert.throws(run, (e: unknown) => e instanceof InputError && pattern.test(e.message));
  // Only rows·cols = 784 was checked, so 1×784 passed with a message that says 28×28 is expected.
  refuse(() => decodeMnist(idx([1, 1, 784], new Uint8Array(784)), 'i', idx([1], Uint8Array.of(0)), 'l'), /^i: images are 1×784, expected 28×28/);
  refuse(() => decodeMnist(idx([1, 28, 28], new Uint8Array(784)), 'i', idx([2], Uint8Array.of(0, 1)), 'l'), /^l: 2 labels for 1 images in i/);
  refuse(() => decodeMnist(idx([1, 28, 28], new Uint8Array(784)), 'i', idx([1], Uint8Array.of(10)), 'l'), /^l: label 0 is 10, expected 0\.\.9/);
  refuse(() => decodeMnist(idx([1], Uint8Array.of(0)), 'i', idx([1], Uint8Array.of(0)), 'l'), /^i: expected an image file \(3 dims\), found 1 dims/);
});
