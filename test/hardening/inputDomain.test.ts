// Input domain checks (issue 8): NaN or infinite weights, empty layers, shape mismatches, tolerances outside
// (0, 1), a ticket used with the wrong target or damaged, a run directory of another target — every verb that
// reads them exits 2 with one line naming the file or flag, never a stack trace.
import { test } from 'node:test';
import { tinyNetwork } from '../helpers/tinyTarget.js';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/core/errors.js';
import { writeChunksAtomic } from '../../src/io/atomicFile.js';
import { saveModel } from '../../src/io/modelFile.js';
import { encodeSafetensors } from '../../src/io/safetensors.js';
import type { Network } from '../../src/nn/network.js';
import { closeSolverPool, solveBatchSync } from '../../src/subsetsum/batch.js';
import { pruneWithSolver } from '../../src/theorem1/prune.js';
import { cli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'lottery-domain-'));
test.after(async () => {
  rmSync(work, { recursive: true, force: true });
  await closeSolverPool();
});
const file = (name: string): string => join(work, name);

function saved(name: string, network: Network): string {
  saveModel(file(name), network);
  return file(name);
}
function stateDict(name: string, tensors: { name: string; shape: number[]; data: Float32Array }[]): string {
  writeChunksAtomic(file(name), encodeSafetensors(tensors.map((t) => ({ ...t, dtype: 'F32' as const }))));
  return file(name);
}

const target = saved('tiny.safetensors', tinyNetwork(1));
const otherTarget = saved('other.safetensors', tinyNetwork(2));
const withNaN = tinyNetwork(1);
(withNaN.layers[0] as { weight: Float32Array }).weight[5] = NaN;
const withInf = tinyNetwork(1);
(withInf.layers[2] as { weight: Float32Array }).weight[7] = -Infinity;
const BAD_TARGETS: [string, string, RegExp][] = [
  ['NaN weight', saved('nan.safetensors', withNaN), /tensor 'fc1\.weight' has a non-finite value NaN at index 5/],
  ['infinite weight', saved('inf.safetensors', withInf), /tensor 'fc2\.weight' has a non-finite value -Infinity at index 7/],
  ['empty layer', stateDict('empty.safetensors', [{ name: 'fc1.weight', shape: [0, 784], data: new Float32Array(0) }, { name: 'fc2.weight', shape: [10, 0], data: new Float32Array(0) }]), /tensor 'fc1\.weight' is empty/],
  [
    'shape mismatch',
    stateDict('mismatch.safetensors', [{ name: 'fc1.weight', shape: [16, 784], data: new Float32Array(16 * 784) }, { name: 'fc2.weight', shape: [10, 17], data: new Float32Array(170) }]),
    /'fc2\.weight' \[10,17\] takes 17 inputs but 'fc1\.weight' gives 16 outputs/,
  ],
  [
    'bias of the wrong length',
    stateDict('bias.safetensors', [{ name: 'fc1.weight', shape: [10, 784], data: new Float32Array(7840) }, { name: 'fc1.bias', shape: [11], data: new Float32Array(11) }]),
    /tensor 'fc1\.bias' has shape \[11\], expected \[10\]/,
  ],
];

/** The CLI must refuse: exit 2, one line "lottery: …" matching `pattern`, no stack trace. */
async function refused(args: string[], pattern: RegExp): Promise<void> {
  const run = await cli(args);
  const where = `lottery ${args.join(' ')}\n${run.stderr}`;
  assert.equal(run.code, 2, where);
  assert.equal(run.stderr.trimEnd().split('\n').length, 1, where);
  assert.match(run.stderr, /^lottery: /, where);
  assert.doesNotMatch(run.stderr, /\n\s+at |internal error/, where);
  assert.match(run.stderr, pattern, where);
}

test('bad target files: every verb that reads a target exits 2 naming the tensor and the problem', async () => {
  const ticket = file('good.ticket.safetensors');
  const made = await cli(['prune', '--target', target, '--tolerance', '0.5', '--samples', '4', '--seed', '1', '--workers', '1', '--no-progress', '--malach-sample', '0', '--out', ticket]);
  assert.equal(made.code, 0, made.stderr);
  for (const [what, path, pattern] of BAD_TARGETS) {
    await test(what, async () => {
      await refused(['approximate', '--target', path, '--seed', '1', '--samples', '4', '--no-eval', '--out', file(`run-${what}`)], pattern);
      await refused(['prune', '--target', path, '--tolerance', '0.5', '--samples', '4', '--seed', '1', '--out', file('never.safetensors')], pattern);
      await refused(['bound', '--target', path, '--tolerance', '0.5'], pattern);
      await refused(['eval', '--model', path], pattern);
      await refused(['verify', '--ticket', ticket, '--target', path, '--no-mnist'], pattern);
    });
  }
});

test('tolerances: ε must be a finite fraction in (0, 1) where it is one; solve takes any ε > 0', async () => {
  for (const bad of ['0', '-0.1', '1', '1.5', 'NaN', 'Infinity', '']) {
    const pattern = /--tolerance(: must be [<>] [01]|: expected a finite number| is required)/;
    await refused(['approximate', '--target', target, '--seed', '1', '--tolerance', bad, '--out', file('never-run')], pattern);
    await refused(['prune', '--target', target, '--seed', '1', '--samples', '4', '--tolerance', bad, '--out', file('never.safetensors')], pattern);
    await refused(['bound', '--target', target, '--tolerance', bad], pattern);
  }
  // ε = 0.9 is a fraction, but n = 3·round(log2(1/0.9)) = 0 numbers per weight: named as such.
  await refused(['approximate', '--target', target, '--seed', '1', '--tolerance', '0.9', '--out', file('never-run')], /--tolerance 0\.9 with --c 3: n = c·round\(log2\(1\/ε\)\) = 3·round\(log2\(1\/0\.9\)\) = 3·0 = 0, outside 1\.\.40/);
  await refused(['solve', '--values', '0.3,0.2', '--target', '0.5', '--tolerance', '0'], /--tolerance: must be > 0/);
  const solve = await cli(['solve', '--values', '3,2', '--target', '5', '--tolerance', '2', '--json']);
  assert.equal(solve.code, 0, 'an absolute tolerance ≥ 1 is fine for a single instance');
});

test('the core refuses ε ≥ 1 too (library callers bypass the CLI)', async () => {
  const network = tinyNetwork(1);
  for (const tolerance of [1, 2, 0, NaN]) {
    await assert.rejects(
      pruneWithSolver(network, { tolerance, seed: 1, sampleCounts: 4, targetSha256: 'x' }, async (batch) => solveBatchSync(batch)),
      (e) => e instanceof InputError && /^tolerance: must be a number in \(0, 1\)/.test(e.message),
      String(tolerance),
    );
  }
});

test('tickets: the wrong target, a model file, a truncated or altered ticket are refused', async () => {
  const ticket = file('ticket.safetensors');
  const made = await cli(['prune', '--target', target, '--tolerance', '0.5', '--samples', '4', '--seed', '1', '--workers', '1', '--no-progress', '--malach-sample', '0', '--out', ticket]);
  assert.equal(made.code, 0, made.stderr);
  await refused(['verify', '--ticket', ticket, '--target', otherTarget, '--no-mnist'], /--target: .*other\.safetensors has SHA-256 [0-9a-f]{16}…, but .* was pruned for [0-9a-f]{16}… \(wrong target\)/);
  await refused(['verify', '--ticket', target, '--target', target, '--no-mnist'], /not a lottery ticket \(metadata format is 'lottery-model'/);
  await refused(['export', '--ticket', target, '--out', file('x.onnx')], /not a lottery ticket/);
  const bytes = readFileSync(ticket);
  writeFileSync(file('truncated.safetensors'), bytes.subarray(0, bytes.length - 100));
  await refused(['export', '--ticket', file('truncated.safetensors'), '--out', file('x.onnx')], /truncated\.safetensors: .*(truncated|run past)/);
  const altered = Buffer.from(bytes);
  altered[altered.length - 1] ^= 1;
  writeFileSync(file('altered.safetensors'), altered);
  await refused(['verify', '--ticket', file('altered.safetensors'), '--target', target, '--no-mnist'], /ticket checksum mismatch|out of range|not ascending/);
  await refused(['eval', '--model', ticket], /tensor 'stage1\.units' is not a weight or bias/);
});

test('a run directory of another target or other settings is refused, not overwritten', async () => {
  const out = file('approximate-run');
  const first = await cli(['approximate', '--target', target, '--seed', '1', '--samples', '6', '--workers', '1', '--no-eval', '--no-progress', '--out', out]);
  assert.equal(first.code, 0, first.stderr);
  await refused(['approximate', '--target', otherTarget, '--seed', '1', '--samples', '6', '--no-eval', '--out', out], /holds a run with different settings \(.+ there, .+ now\); resume with the same options and target/);
  await refused(['approximate', '--target', target, '--seed', '2', '--samples', '6', '--no-eval', '--out', out], /holds a run with different settings \(options\.seed: 1 there, 2 now\)/);
  writeFileSync(file('not-a-run.txt'), 'x');
  await refused(['approximate', '--target', target, '--seed', '1', '--samples', '6', '--no-eval', '--out', file('not-a-run.txt')], /exists and is not a directory/);
});
