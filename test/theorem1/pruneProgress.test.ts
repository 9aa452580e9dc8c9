// Progress of prune and export (issue 14, item 5): prune reports its phases — the subset sums, each raise of n for
// ε, the Malach-style width — each monotone from 0 to its total, without changing any result; export reports the
// kept weights it regenerates; --no-progress silences both verbs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pruneTheorem1 } from '../../src/index.js';
import { saveModel } from '../../src/io/modelFile.js';
import { closeSolverPool } from '../../src/subsetsum/batch.js';
import { cli } from '../helpers/cli.js';
import { biasedMlp } from '../helpers/tinyTarget.js';

const work = mkdtempSync(join(tmpdir(), 'lottery-prune-progress-'));
after(async () => {
  rmSync(work, { recursive: true, force: true });
  await closeSolverPool();
});

test('prune reports its phases in order, each monotone from 0 to its total; the result does not depend on it', async () => {
  const network = biasedMlp(4, 1); // at ε = 0.002 its fc1 needs a larger n than the default (see epsilon.test.ts)
  const options = { tolerance: 0.002, seed: 1, malachSample: 40, workers: 2 };
  const calls: Array<[number, number, string | undefined]> = [];
  const withProgress = await pruneTheorem1(network, { ...options, onProgress: (d, t, phase) => calls.push([d, t, phase]) });
  const without = await pruneTheorem1(network, options);
  const phases = [...new Set(calls.map((c) => c[2]))];
  const raised = withProgress.sampleCountSearch!.flatMap((s) => s.tried.slice(1).map((t) => `subset sums, ${s.stage} at n = ${t.sampleCount}`));
  assert.ok(raised.length >= 1);
  assert.deepEqual(phases, ['subset sums', ...raised, 'Malach-style width']);
  for (const phase of phases) {
    const mine = calls.filter((c) => c[2] === phase);
    const total = mine[0]![1];
    assert.ok(mine.every(([d, t], i) => t === total && d <= t && (i === 0 || d >= mine[i - 1]![0])), `${phase}: ${JSON.stringify(mine)}`);
    assert.equal(mine[mine.length - 1]![0], total, `${phase} reaches its total`);
  }
  assert.equal(calls.filter((c) => c[2] === 'subset sums').at(-1)![1], withProgress.instances);
  assert.equal(calls.filter((c) => c[2] === 'Malach-style width').at(-1)![1], 40 * withProgress.stages.length);
  const strip = (r: typeof without): unknown => ({ ...r, seconds: 0, solveSeconds: 0 });
  assert.deepEqual(strip(withProgress), strip(without));
});

test('lottery export draws progress on stderr; --no-progress prints none and writes the same file', async () => {
  const target = join(work, 'target.safetensors');
  saveModel(target, biasedMlp(6, 3));
  const ticket = join(work, 'ticket.safetensors');
  const pruned = await cli(['prune', '--target', target, '--tolerance', '0.3', '--seed', '2', '--malach-sample', '0', '--no-progress', '--out', ticket]);
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.equal(pruned.stderr, '');
  const shown = await cli(['export', '--ticket', ticket, '--out', join(work, 'shown.onnx')]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stderr, /^export: kept weights: 0\/\d+ \(0%\)/m);
  assert.match(shown.stderr, /^export: kept weights: (\d+)\/\1 \(100%\)/m);
  const quiet = await cli(['export', '--ticket', ticket, '--out', join(work, 'quiet.onnx'), '--no-progress']);
  assert.equal(quiet.code, 0);
  assert.equal(quiet.stderr, '');
  assert.deepEqual(readFileSync(join(work, 'quiet.onnx')), readFileSync(join(work, 'shown.onnx')));
});
