// `lottery eval` end to end on a small model: the JSON keys and their meaning, text output, refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { loadMnist } from '../../src/io/mnist.js';
import { saveModel } from '../../src/io/modelFile.js';
import { createNetwork } from '../../src/nn/architectures.js';
import { evaluate } from '../../src/nn/evaluate.js';

const work = mkdtempSync(join(tmpdir(), 'lottery-eval-test-'));
test.after(() => rmSync(work, { recursive: true, force: true }));


/** A 784→10 linear model whose logit c is the sum of the pixels in row 2c+4 of the image (a weak classifier). */
function rowSumModel(): string {
  const network = createNetwork('mlp:784-10', { bias: true, preprocess: 'standard' });
  const layer = network.layers[0]!;
  assert.ok(layer.kind === 'dense');
  for (let c = 0; c < 10; c++) for (let x = 0; x < 28; x++) layer.weight[c * 784 + (2 * c + 4) * 28 + x] = 0.1;
  const file = join(work, 'rows.safetensors');
  saveModel(file, network);
  return file;
}

test('eval --json prints accuracy, loss, params, perClassAccuracy, count, preprocess, seconds', async () => {
  const file = rowSumModel();
  const { code, stdout } = await cli(['eval', '--model', file, '--json']);
  assert.equal(code, 0);
  const result = JSON.parse(stdout);
  assert.deepEqual(Object.keys(result).sort(), ['accuracy', 'count', 'loss', 'params', 'perClassAccuracy', 'preprocess', 'seconds']);
  const expected = evaluate((await import('../../src/io/modelFile.js')).loadModel(file), loadMnist('test'));
  assert.equal(result.accuracy, expected.accuracy);
  assert.ok(result.accuracy >= 0 && result.accuracy <= 1);
  assert.equal(result.loss, expected.loss);
  assert.equal(result.params, 7850);
  assert.equal(result.count, 10000);
  assert.equal(result.preprocess, 'standard');
  assert.equal(result.perClassAccuracy.length, 10);
  assert.deepEqual(result.perClassAccuracy, expected.perClassAccuracy);
  assert.ok(result.seconds >= 0);
  const pixels = JSON.parse((await cli(['eval', '--model', file, '--json', '--preprocess', 'pixels'])).stdout);
  assert.equal(pixels.preprocess, 'pixels');
  assert.notEqual(pixels.loss, result.loss);
});

test('eval prints a readable summary and refuses bad input with exit code 2', async () => {
  const file = rowSumModel();
  const text = await cli(['eval', '--model', file]);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /accuracy {4}0\.\d{4} \(\d+\/10000\)/);
  assert.match(text.stdout, /parameters  7,850/);
  assert.match(text.stdout, /per class   0: /);
  const pickle = await cli(['eval', '--model', join(work, 'model.pt')]);
  assert.equal(pickle.code, 2);
  assert.match(pickle.stderr, /pickle files are not loaded/);
  const badFlag = await cli(['eval', '--model', file, '--preprocess', 'zscore']);
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.stderr, /--preprocess: expected one of pixels, standard, got 'zscore'/);
  assert.equal((await cli(['eval'])).code, 2);
  const help = await cli(['eval', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Example:\n {2}lottery eval --model/);
});
