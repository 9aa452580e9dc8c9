// Experiment 2 end to end on small data: spec validation, a two-epoch edge-popup run on a training subset that
// learns, a resumable sweep with its records, figure and summary, and the published table.
import { main } from '../../src/cli/main.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '../../src/node/platform.js'; // the Node platform: worker threads, clock, tfjs wasm files
import { PUBLISHED_POPUP, RECORDS_FILE, comparisonRows, parsePopupRecords, preparePopupData, publishedAccuracy, runPopup, runPopupSweep } from '../../src/experiments/popup.js';
import { complementFraction, resolvePopupRunSpec, resolvePopupSweepSpec, sweepRuns, PAPER_PRUNE_FRACTIONS } from '../../src/experiments/popupSpec.js';
import { InputError } from '../../src/core/errors.js';
import { keptCount } from '../../src/popup/masks.js';
import { popupFigure, popupSummaryMarkdown } from '../../src/report/popupFigure.js';
import { Command } from 'commander';
import type { CliIo } from '../../src/cli/io.js';
import { registerPopup } from '../../src/cli/popup.js';
import { registerRun } from '../../src/cli/run.js';

const base = { arch: 'fc2', seed: 1, epochs: 2 };

test('run specs: seed required, unknown keys rejected, keep or prune fraction, dense never pruned', () => {
  const spec = resolvePopupRunSpec({ ...base, structure: 'ours-relu', pruneFraction: 0.9 });
  assert.equal(spec.keepFraction, 0.1);
  assert.equal(spec.learningRate, 0.1);
  assert.equal(spec.weightDecay, 5e-4);
  assert.equal(spec.batchSize, 64);
  assert.equal(spec.trainCount, 60_000);
  assert.equal(spec.convs, null);
  assert.equal(resolvePopupRunSpec({ ...base, arch: 'lenet5', structure: 'wide', keepFraction: 0.75 }).learningRate, 0.01);
  assert.equal(resolvePopupRunSpec({ ...base, arch: 'lenet5', structure: 'wide', keepFraction: 0.75 }).convs, 'trained');
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ arch: 'fc2', epochs: 2, structure: 'wide', keepFraction: 0.5 }, /seed is required/],
    [{ ...base, structure: 'wide', keepFraction: 0.5, sparsity: 0.5 }, /unknown key 'sparsity'/],
    [{ ...base, structure: 'wide', keepFraction: 0.5, pruneFraction: 0.5 }, /not both/],
    [{ ...base, structure: 'wide' }, /keepFraction or pruneFraction is required/],
    [{ ...base, structure: 'wide', keepFraction: 1.5 }, /keepFraction must be a number in \[0, 1\]/],
    [{ ...base, structure: 'dense', pruneFraction: 0.5 }, /dense baseline is trained, not pruned/],
    [{ ...base, structure: 'wide', keepFraction: 0.5, convs: 'random' }, /convs applies to lenet5 only/],
    [{ ...base, structure: 'pruned', keepFraction: 0.5 }, /structure must be one of/],
  ];
  for (const [input, message] of bad) assert.throws(() => resolvePopupRunSpec(input), (e: unknown) => e instanceof InputError && message.test(e.message));
});

test('sweep specs: experiment key, one fraction list, runs in order (dense once)', () => {
  const spec = resolvePopupSweepSpec({ experiment: 'popup', name: 'x', ...base, structures: ['dense', 'wide', 'ours-linear'], keepFractions: [0.5, 0.1] });
  assert.deepEqual(spec.pruneFractions, [0.5, 0.9]);
  const runs = sweepRuns(spec);
  assert.deepEqual(
    runs.map((r) => `${r.structure}@${r.keepFraction}`),
    ['dense@1', 'wide@0.5', 'wide@0.1', 'ours-linear@0.5', 'ours-linear@0.1'],
  );
  assert.throws(() => resolvePopupSweepSpec({ experiment: 'popup', name: 'x', ...base, structures: ['wide'] }), /exactly one of pruneFractions and keepFractions/);
  assert.throws(() => resolvePopupSweepSpec({ experiment: 'other', name: 'x', ...base, structures: ['wide'], pruneFractions: [0.5] }), /experiment must be "popup"/);
  assert.equal(complementFraction(0.9), 0.1);
  assert.equal(PAPER_PRUNE_FRACTIONS.length, 14);
});

test('the specs in experiments/ are valid', () => {
  // dist/test/experiments/popup.test.js → the repository's experiments/ folder
  const folder = fileURLToPath(new URL('../../../experiments/', import.meta.url));
  const names = readdirSync(folder).filter((f) => f.endsWith('.json'));
  assert.ok(names.length >= 4, `spec files in ${folder}: ${names.join(', ')}`);
  for (const name of names) {
    const input = JSON.parse(readFileSync(join(folder, name), 'utf8')) as unknown;
    if ((input as { experiment?: string }).experiment !== 'popup') continue;
    const spec = resolvePopupSweepSpec(input, name);
    assert.ok(sweepRuns(spec).length > 0, name);
  }
});

test('a two-epoch edge-popup run on a training subset learns (FC2 ours-linear, r = 2, 1,500 images)', async () => {
  const spec = resolvePopupRunSpec({ ...base, structure: 'ours-linear', pruneFraction: 0.5, redundancy: 2, trainCount: 1500, testCount: 1000 });
  const data = await preparePopupData(spec);
  const record = await runPopup(spec, data);
  assert.equal(record.history.length, 2);
  const sizes = [784 * 2, 784 * 2 * 500, 500 * 2, 1000 * 10];
  assert.equal(record.parameters, sizes.reduce((a, b) => a + b, 0));
  assert.equal(record.keptParameters, sizes.reduce((a, s) => a + keptCount(s, 0.5), 0));
  assert.ok(record.finalAccuracy > 0.6, `accuracy ${record.finalAccuracy} (chance 0.1)`);
  assert.ok(record.history[1]!.trainLoss < record.history[0]!.trainLoss);
  assert.equal(publishedAccuracy('fc2', 'ours-linear', record.pruneFraction), 0.9797);
});

test('a sweep writes one record per run, resumes without re-running, and makes the figure from the records', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'popup-sweep-'));
  try {
    const input = {
      experiment: 'popup',
      name: 'tiny',
      arch: 'lenet5',
      convs: 'random',
      seed: 2,
      epochs: 1,
      structures: ['wide', 'ours-relu'],
      pruneFractions: [0.25, 0.9],
      redundancy: 2,
      trainCount: 500,
      testCount: 300,
    };
    const spec = resolvePopupSweepSpec(input);
    const first = await runPopupSweep(spec, { outDir: dir, version: 'test', argv: ['run'] });
    assert.equal(first.records.length, 4);
    assert.equal(first.resumedRuns, 0);
    const records = parsePopupRecords(readFileSync(join(dir, RECORDS_FILE), 'utf8'), RECORDS_FILE);
    assert.deepEqual(records.map((r) => `${r.structure}@${r.pruneFraction}`), ['wide@0.25', 'wide@0.9', 'ours-relu@0.25', 'ours-relu@0.9']);
    for (const r of records) {
      assert.equal(r.convParameters, 2550);
      assert.match(r.convNote ?? '', /random conv layers/);
      assert.equal(r.history.length, 1);
      assert.ok(r.finalAccuracy >= 0 && r.finalAccuracy <= 1); // learning is test 4's job: 8 batches here
    }
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')), JSON.parse(JSON.stringify(spec)));
    let ran = 0;
    const second = await runPopupSweep(spec, { outDir: dir, version: 'test', argv: ['run'], onBatch: () => ran++ });
    assert.equal(second.resumedRuns, 4);
    assert.equal(ran, 0);
    assert.deepEqual(second.records, first.records);
    assert.throws(() => resolvePopupSweepSpec({ ...input, bogus: 1 }), /unknown key 'bogus'/);
    const svg = popupFigure(records, PUBLISHED_POPUP, 'lenet5');
    assert.match(svg, /^<svg/);
    assert.match(svg, /ours-relu \(ours\)/);
    assert.match(svg, /wide \(published\)/);
    const table = popupSummaryMarkdown(comparisonRows(records));
    assert.match(table, /\| lenet5 \| wide \| 0.25 \|/);
    assert.match(table, /\| 97.34 \|/); // published wide LeNet5 at 0.25
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('published table: every point the digest lists, fractions as fractions', () => {
  assert.equal(PUBLISHED_POPUP.length, 24);
  assert.ok(PUBLISHED_POPUP.every((p) => p.accuracy > 0 && p.accuracy < 1));
  assert.equal(publishedAccuracy('fc2', 'wide', 0.99), 0.8779);
  assert.equal(publishedAccuracy('fc4', 'ours-relu', 0.9), 0.8194);
  assert.equal(publishedAccuracy('fc2', 'theorem1', 0.5), null);
});

async function runCli(args: string[]): Promise<{ stdout: string; stderr: string; error: unknown }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), interactive: false };
  const program = new Command().exitOverride().configureOutput({ writeOut: (s) => void (stdout += s), writeErr: (s) => void (stderr += s) });
  registerPopup(program, io, main);
  registerRun(program, io, main);
  for (const command of program.commands) command.exitOverride();
  let error: unknown = null;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    error = e;
  }
  return { stdout, stderr, error };
}

test('CLI: lottery run writes the run directory and prints JSON records; lottery popup names bad flags', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'popup-cli-'));
  try {
    const specFile = join(dir, 'spec.json');
    writeFileSync(specFile, JSON.stringify({ experiment: 'popup', name: 'cli', arch: 'lenet5', convs: 'random', seed: 3, epochs: 1, structures: ['ours-linear'], pruneFractions: [0.5], redundancy: 1, trainCount: 200, testCount: 100 }));
    const out = join(dir, 'run');
    const { stdout, error } = await runCli(['run', specFile, '--out', out, '--json', '--no-progress']);
    assert.equal(error, null);
    const records = JSON.parse(stdout) as { structure: string; keptParameters: number }[];
    assert.equal(records.length, 1);
    assert.equal(records[0]!.structure, 'ours-linear');
    for (const name of ['config.json', 'meta.json', 'spec.json', RECORDS_FILE, 'summary.md', 'figure-lenet5.svg']) assert.ok(readdirSync(out).includes(name), name);
    assert.match(readFileSync(join(out, 'summary.md'), 'utf8'), /random conv layers/);
    const missingSeed = await runCli(['popup', '--arch', 'fc2', '--structure', 'wide', '--keep-fraction', '0.5']);
    assert.ok(missingSeed.error instanceof InputError && /--seed is required/.test(missingSeed.error.message));
    const badFraction = await runCli(['popup', '--arch', 'fc2', '--structure', 'wide', '--keep-fraction', '2', '--seed', '1']);
    assert.ok(badFraction.error instanceof InputError && /^--keep-fraction must be a number in \[0, 1\]/.test(badFraction.error.message), String(badFraction.error));
    const badSpec = await runCli(['run', specFile.replace('spec.json', 'missing.json'), '--out', out]);
    assert.ok(badSpec.error instanceof InputError && /cannot read spec/.test(badSpec.error.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
