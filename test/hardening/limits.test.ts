// Resource limits (issue 8): sizes that would exceed memory are refused up front — exit 2, one line with the
// estimate, the limit and what to change — before anything large is allocated (asserted on the process's
// ArrayBuffer memory); the limit comes from --memory-limit, LOTTERY_MEMORY_LIMIT or half the machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MEMORY_LIMIT_ENV,
  TF_WASM_HEAP_BYTES,
  approximateMemory,
  checkMemory,
  formatBytes,
  parseByteSize,
  pruneMemory,
  resolveMemoryLimit,
  trainTfMemory,
} from '../../src/core/limits.js';
import '../../src/node/platform.js'; // the Node platform: worker threads, clock, tfjs wasm files
import { InputError } from '../../src/core/errors.js';
import { closeSolverPool } from '../../src/subsetsum/batch.js';
import { cli } from '../helpers/cli.js';
import { saveTinyTarget } from '../helpers/tinyTarget.js';

const work = mkdtempSync(join(tmpdir(), 'lottery-limits-'));
test.after(async () => {
  rmSync(work, { recursive: true, force: true });
  await closeSolverPool();
});
const GiB = 2 ** 30;

const tinyTarget = (name: string, seed: number): string => saveTinyTarget(join(work, name), seed);
const target = tinyTarget('tiny.safetensors', 1);

/** Runs the CLI expecting a refusal: exit 2, one line naming `pattern`, no stack, and no large allocation on the way. */
async function refused(args: string[], pattern: RegExp): Promise<string> {
  const before = process.memoryUsage().arrayBuffers;
  const run = await cli(args);
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.equal(run.code, 2, `lottery ${args.join(' ')}: exit ${run.code}\n${run.stderr}`);
  assert.equal(run.stderr.trimEnd().split('\n').length, 1, `one line expected:\n${run.stderr}`);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
  assert.match(run.stderr, pattern);
  assert.ok(grown < 200 * 2 ** 20, `lottery ${args.join(' ')} allocated ${formatBytes(grown)} before refusing`);
  return run.stderr;
}

test('sizes: byte counts, units and percentages; bad sizes name the flag', () => {
  assert.equal(parseByteSize('--memory-limit', '8G', 0), 8 * GiB);
  assert.equal(parseByteSize('--memory-limit', '512MiB', 0), 512 * 2 ** 20);
  assert.equal(parseByteSize('--memory-limit', '1.5k', 0), 1536);
  assert.equal(parseByteSize('--memory-limit', '2000000000', 0), 2e9);
  assert.equal(parseByteSize('--memory-limit', '75%', 16 * GiB), 12 * GiB);
  for (const bad of ['', 'abc', '-1G', '0', '8X', 'NaN', '1e999']) assert.throws(() => parseByteSize('--memory-limit', bad, GiB), (e) => e instanceof InputError && /--memory-limit/.test(e.message), bad);
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(12 * GiB), '12.0 GiB');
});

test('the limit: the flag wins over the environment, which wins over half the machine', () => {
  assert.deepEqual(resolveMemoryLimit('1G', '2G', 8 * GiB), { bytes: GiB, source: '--memory-limit 1G' });
  assert.deepEqual(resolveMemoryLimit(undefined, '2G', 8 * GiB), { bytes: 2 * GiB, source: `${MEMORY_LIMIT_ENV}=2G` });
  assert.equal(resolveMemoryLimit(undefined, undefined, 8 * GiB).bytes, 4 * GiB);
  assert.match(resolveMemoryLimit(undefined, '', 8 * GiB).source, /half of this machine's 8\.0 GiB/);
});

test('estimates grow with what is asked for, and the refusal names estimate, limit and remedy', () => {
  const base = { parameterCount: 400_000, sampleCount: 21, chunkSize: 20_000, workers: 2 };
  assert.ok(approximateMemory({ ...base, chunkSize: 200_000 }).bytes > approximateMemory(base).bytes);
  assert.ok(approximateMemory({ ...base, sampleCount: 40 }).bytes > approximateMemory(base).bytes);
  assert.ok(approximateMemory({ ...base, parameterCount: 4_000_000 }).bytes > approximateMemory(base).bytes);
  const stage = { inUnits: 784, outUnits: 500, kernelSize: 1, sampleCount: 10, twoBranch: false };
  assert.ok(pruneMemory([{ ...stage, sampleCount: 20 }], 2).bytes > pruneMemory([stage], 2).bytes);
  // fc2 with Adam fits the 4 GiB tf heap by far; a 1,000,000-wide hidden layer does not.
  assert.ok(trainTfMemory({ parameterCount: 397_000, activationsPerExample: 1294, batchSize: 128, optimizerStates: 2 }).bytes < TF_WASM_HEAP_BYTES / 100);
  const estimate = approximateMemory(base);
  assert.doesNotThrow(() => checkMemory('approximate', estimate, { bytes: estimate.bytes, source: 'test' }, 'lower --chunk-size'));
  assert.throws(
    () => checkMemory('approximate', estimate, { bytes: estimate.bytes - 1, source: '--memory-limit 1' }, 'lower --chunk-size'),
    (e) => e instanceof InputError && /^approximate: needs about [0-9.]+ MiB \([0-9,]+ bytes; largest part: .+\), above the memory limit of .+ \(--memory-limit 1\); lower --chunk-size, or raise the limit/.test(e.message),
  );
});

test('train: absurd widths are refused before any weight is allocated', async () => {
  await refused(['train', '--arch', 'mlp:784-100000000-10', '--seed', '1', '--out', join(work, 'x.safetensors')], /layer 1 \(784→100000000\) would hold 78,400,000,000 weights \(292\.1 GiB as float32\); the limit is/);
  await refused(['train', '--arch', 'mlp:784-1000000-10', '--seed', '1', '--out', join(work, 'x.safetensors')], /needs about 1[0-9.]+ GiB .*above the 4 GiB that the TensorFlow\.js wasm heap can address/);
  await refused(['train', '--arch', 'mlp:784-100000-10', '--seed', '1', '--memory-limit', '1G', '--out', join(work, 'x.safetensors')], /needs about [0-9.]+ GiB .*above the memory limit of 1\.0 GiB \(--memory-limit 1G\); train a narrower network/);
  assert.ok(!existsSync(join(work, 'x.safetensors')));
});

test('approximate, prune, bound --search and export --full-width refuse sizes above the limit; nothing is written', async () => {
  const out = join(work, 'refused-run');
  await refused(['approximate', '--target', target, '--seed', '1', '--samples', '40', '--chunk-size', '10000000', '--workers', '1', '--memory-limit', '200M', '--out', out], /^lottery: approximate: needs about .*above the memory limit of 200\.0 MiB/);
  assert.ok(!existsSync(out), 'a refused run makes no run directory');
  const ticket = join(work, 'refused.safetensors');
  await refused(['prune', '--target', target, '--tolerance', '0.5', '--samples', '64', '--seed', '1', '--workers', '4', '--memory-limit', '300M', '--out', ticket], /^lottery: prune: needs about .*lower --samples or --workers/);
  assert.ok(!existsSync(ticket));
  await refused(['bound', '--target', target, '--tolerance', '0.5', '--search', '--search-max', '64', '--workers', '4', '--memory-limit', '300M'], /^lottery: bound --search: needs about .*lower --search-max/);
  const small = join(work, 'small.safetensors');
  const made = await cli(['prune', '--target', target, '--tolerance', '0.5', '--samples', '4', '--seed', '1', '--workers', '1', '--no-progress', '--malach-sample', '0', '--out', small]);
  assert.equal(made.code, 0, made.stderr);
  await refused(['export', '--ticket', small, '--full-width', '--memory-limit', '260M', '--out', join(work, 'full.onnx')], /^lottery: export --full-width: needs about .*export without --full-width/);
});

test('the environment variable sets the limit; a bad value is refused like a bad flag', async () => {
  const saved = process.env[MEMORY_LIMIT_ENV];
  try {
    process.env[MEMORY_LIMIT_ENV] = '100M';
    await refused(['approximate', '--target', target, '--seed', '1', '--samples', '8', '--workers', '1', '--out', join(work, 'env-run')], /above the memory limit of 100\.0 MiB \(LOTTERY_MEMORY_LIMIT=100M\)/);
    process.env[MEMORY_LIMIT_ENV] = 'lots';
    await refused(['prune', '--target', target, '--tolerance', '0.5', '--seed', '1', '--out', join(work, 'env.safetensors')], /^lottery: LOTTERY_MEMORY_LIMIT: expected a size such as 8G/);
  } finally {
    if (saved === undefined) delete process.env[MEMORY_LIMIT_ENV];
    else process.env[MEMORY_LIMIT_ENV] = saved;
  }
});

test('popup sweeps are refused before the run directory is made; solve refuses n > 40 with what it would need', async () => {
  const spec = join(work, 'wide.json');
  writeFileSync(spec, JSON.stringify({ experiment: 'popup', name: 'wide', arch: 'fc4', seed: 1, epochs: 1, structures: ['wide'], pruneFractions: [0.5], redundancy: 64 }));
  const out = join(work, 'wide-run');
  await refused(['run', spec, '--memory-limit', '1G', '--out', out], /^lottery: popup fc4 wide: needs about [0-9.]+ GiB .*above the memory limit of 1\.0 GiB .*lower redundancy/);
  assert.ok(!existsSync(out));
  await refused(['solve', '--values', Array(41).fill('0.1').join(','), '--target', '1'], /^lottery: --values: 41 values, but the exact solver takes at most 40 \(2\^41 subsets; .* tables per thread/);
});
