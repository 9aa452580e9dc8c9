// `lottery solve` end to end through main(): JSON output, the human summary, methods, and exit code 2
// with a one-line message for bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli } from '../helpers/cli.js';


test('--json prints exactly { indices, sum, error, withinTolerance }', async () => {
  const { code, stdout } = await cli(['solve', '--values', '0.3,-0.2,0.71', '--target', '0.5', '--tolerance', '0.01', '--json']);
  assert.equal(code, 0);
  const result = JSON.parse(stdout);
  assert.deepEqual(Object.keys(result), ['indices', 'sum', 'error', 'withinTolerance']);
  assert.deepEqual(result.indices, [1, 2]);
  assert.equal(result.sum, -0.2 + 0.71);
  assert.equal(result.error, Math.abs(0.5 - (-0.2 + 0.71)));
  assert.equal(result.withinTolerance, false); // 0.51 − 0.5 is 0.010000000000000009 in float64
});

test('sparsest, brute force and mip through the CLI; the human summary', async () => {
  const sparse = await cli(['solve', '--values', '0.3,-0.2,0.71,0.25', '--target=0.51', '--tolerance', '0.01', '--objective', 'sparsest', '--json']);
  assert.equal(sparse.code, 0);
  assert.deepEqual(JSON.parse(sparse.stdout).indices, [1, 2]);
  const brute = await cli(['solve', '--values', '0.3,-0.2,0.71,0.25', '--target', '0.51', '--method', 'brute-force', '--objective', 'sparsest', '--json']);
  assert.deepEqual(JSON.parse(brute.stdout).indices, JSON.parse(sparse.stdout).indices);
  const viaMip = await cli(['solve', '--values', '0.3,-0.2,0.71', '--target', '0.505', '--method', 'mip', '--json']);
  assert.equal(viaMip.code, 0);
  assert.deepEqual(JSON.parse(viaMip.stdout), { indices: [1, 2], sum: -0.2 + 0.71, error: Math.abs(0.505 - (-0.2 + 0.71)), withinTolerance: true, status: 'Optimal' });
  const human = await cli(['solve', '--values', '0.3,-0.2,0.71', '--target', '0.5']);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /indices: +1 \(-0\.2\), 2 \(0\.71\)/);
  assert.match(human.stdout, /withinTolerance: +false/);
});

test('bad input: one line on stderr, exit code 2', async () => {
  const cases: [string[], RegExp][] = [
    [['--values', '0.3,NaN', '--target', '0.5'], /--values: value 2 is not a finite number/],
    [['--values', '0.3', '--target', 'abc'], /--target: expected a finite number/],
    [['--values', '0.3', '--target', '0.5', '--tolerance', '0'], /--tolerance: must be > 0/],
    [['--values', '0.3', '--target', '0.5', '--tolerance', '-1'], /--tolerance: must be > 0/],
    [["--values", Array(41).fill("0.1").join(","), "--target", "0.5"], /--values: 41 values, but the exact solver takes at most 40/],
    [['--values', '', '--target', '0.5'], /--values: expected a comma-separated list/],
    [['--values', '0.3', '--target', '0.5', '--objective', 'fastest'], /--objective: expected one of closest, sparsest/],
    [['--values', Array(21).fill('0.1').join(','), '--target', '0.5', '--method', 'brute-force'], /at most 20 values/],
    [['--values', '0.3', '--target', '0.5', '--method', 'mip', '--objective', 'sparsest'], /mip/],
    [['--values', '0.3,0.2', '--target', '0.5', '--subset-size', '3'], /--subset-size: must be ≤ 2, got 3/],
    [['--values', '0.3,0.2', '--target', '0.5', '--subset-size', '1', '--objective', 'sparsest'], /--subset-size: .*--objective closest only/],
    [['--values', '0.3,0.2', '--target', '0.5', '--subset-size', '1', '--method', 'mip'], /--subset-size: the MIP method/],
  ];
  for (const [args, pattern] of cases) {
    const { code, stderr, stdout } = await cli(['solve', ...args]);
    assert.equal(code, 2, args.join(' '));
    assert.match(stderr, pattern);
    assert.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`);
    assert.equal(stdout, '');
  }
});

test('--subset-size k: exactly k values, the closest such subset; the exact solver agrees with brute force', async () => {
  const values = '0.31,-0.22,0.71,0.05,-0.44,0.18,0.9,-0.63';
  for (const k of ['0', '2', '5', '8']) {
    const exact = await cli(['solve', '--values', values, '--target', '0.5', '--subset-size', k, '--json']);
    const brute = await cli(['solve', '--values', values, '--target', '0.5', '--subset-size', k, '--method', 'brute-force', '--json']);
    assert.equal(exact.code, 0, exact.stderr);
    const a = JSON.parse(exact.stdout) as { indices: number[]; error: number; subsetSize: number };
    const b = JSON.parse(brute.stdout) as { indices: number[]; error: number };
    assert.equal(a.indices.length, Number(k));
    assert.equal(a.subsetSize, Number(k));
    assert.ok(Math.abs(a.error - b.error) <= 1e-12, `k ${k}: ${a.error} vs ${b.error}`);
  }
});
