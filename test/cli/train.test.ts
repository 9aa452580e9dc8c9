/**
 * `lottery train` end to end through main() on a small MLP and 1,000 training images: the JSON summary,
 * the saved file (read back, re-evaluated, metadata), repeatability of the file bytes, and exit code 2
 * with a one-line message for bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import type { TrainSummary } from '../../src/nn/train.js';
import { loadMnist } from '../../src/io/mnist.js';
import { loadModel } from '../../src/io/modelFile.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { evaluate } from '../../src/nn/evaluate.js';

const work = mkdtempSync(join(tmpdir(), 'lottery-train-test-'));
test.after(() => rmSync(work, { recursive: true, force: true }));


const quick = (out: string) => ['train', '--arch', 'mlp:784-16-10', '--epochs', '2', '--train-images', '1000', '--batch-size', '50', '--seed', '4', '--out', out];

test('--json summary, saved file and its metadata; the same seed writes the same bytes', async () => {
  const out = join(work, 'small.safetensors');
  const { code, stdout, stderr } = await cli([...quick(out), '--json']);
  assert.equal(code, 0, stderr);
  const summary = JSON.parse(stdout) as TrainSummary;
  assert.equal(summary.arch, 'mlp:784-16-10');
  assert.equal(summary.params, 784 * 16 + 16 * 10);
  assert.equal(summary.epochs, 2);
  assert.equal(summary.trainImages, 1000);
  assert.equal(summary.out, out);
  assert.equal(summary.history.length, 2);
  assert.match(stderr, /^epoch 1\/2: loss /m);
  assert.match(stderr, /^epoch 2\/2: loss /m);
  assert.ok(summary.seconds > 0);
  // 40 updates of a 16-unit MLP: well above chance (0.1), far from converged.
  assert.ok(summary.testAccuracy > 0.4 && summary.testAccuracy <= 1, `test accuracy ${summary.testAccuracy} (a fraction)`);
  // The file holds the trained network: re-evaluating it gives the reported accuracy.
  const network = loadModel(out);
  assert.equal(network.arch, 'mlp:784-16-10');
  assert.equal(network.preprocess, 'pixels');
  assert.equal(evaluate(network, loadMnist('test')).accuracy, summary.testAccuracy);
  const bytes = readFileSync(out);
  const { metadata } = decodeSafetensors(bytes, out);
  assert.equal(metadata['seed'], '4');
  assert.equal(metadata['optimizer'], 'adam');
  assert.equal(metadata['epochs'], '2');
  assert.equal(Number(metadata['test_accuracy']), summary.testAccuracy);
  // Determinism: same seed and flags → identical file.
  const again = join(work, 'again.safetensors');
  assert.equal((await cli([...quick(again), '--no-progress'])).code, 0);
  assert.deepEqual(readFileSync(again), bytes);
});

test('human output names the accuracy and the file', async () => {
  const out = join(work, 'human.safetensors');
  const { code, stdout } = await cli([...quick(out), '--epochs', '1', '--no-progress']);
  assert.equal(code, 0);
  assert.match(stdout, /test accuracy \d+\.\d\d %/);
  assert.ok(stdout.includes(out));
});

test('bad input exits 2 with a one-line message naming the flag', async () => {
  const out = join(work, 'bad.safetensors');
  for (const [args, flag] of [
    [['train', '--arch', 'fc2', '--out', out], '--seed'],
    [['train', '--arch', 'fc2', '--seed', '1'], '--out'],
    [['train', '--arch', 'fc3', '--seed', '1', '--out', out], 'arch'],
    [['train', '--arch', 'fc2', '--seed', '1', '--out', join(work, 'x.pt')], '--out'],
    [['train', '--arch', 'fc2', '--seed', '1', '--out', out, '--optimizer', 'rmsprop'], '--optimizer'],
    [['train', '--arch', 'fc2', '--seed', '1', '--out', out, '--epochs', '0'], '--epochs'],
    [['train', '--arch', 'fc2', '--seed', '-1', '--out', out], '--seed'],
  ] as const) {
    const { code, stderr } = await cli([...args]);
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
    assert.ok(stderr.includes(flag), `${args.join(' ')}: ${stderr}`);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
  }
});
