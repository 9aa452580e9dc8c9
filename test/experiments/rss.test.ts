// The random-subset-sum experiment: agreement with the independently measured table in the digest,
// regeneration of single trials, statistics helpers, the fit, spec validation, and the `rss` CLI verb.
import { main } from '../../src/cli/main.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import {
  runRss,
  resolveRssSpec,
  rssTrialSamples,
  wilsonInterval,
  leastSquaresLine,
  fitSampleCounts,
  type RssRecord,
  type RssSpec,
} from '../../src/experiments/rss.js';
import { coverage } from '../../src/subsetsum/coverage.js';
import { coverageGrowthOfSize } from '../../src/subsetsum/coverageOfSize.js';
import { distributionByName } from '../../src/core/random.js';
import { InputError } from '../../src/core/errors.js';
import { registerRss } from '../../src/cli/rss.js';
import type { CliIo } from '../../src/cli/io.js';

// Digest §2: exact coverage of [-1, 1] at ε = 0.01, 500 trials per point, measured independently.
const DIGEST: Record<string, Record<number, { coveredFraction: number; allCovered: number }>> = {
  uniform: { 12: { coveredFraction: 0.975, allCovered: 0.7 }, 16: { coveredFraction: 0.999, allCovered: 0.97 } },
  product: { 12: { coveredFraction: 0.91, allCovered: 0.35 }, 16: { coveredFraction: 0.976, allCovered: 0.78 } },
};

test('agrees with the digest table (ε = 0.01, n = 12 and 16) within 4 standard errors', () => {
  const trials = 200;
  const { records } = runRss({ distributions: ['uniform', 'product'], sampleCounts: [12, 16], tolerances: [0.01], trials, seed: 1 });
  assert.equal(records.length, 4);
  for (const record of records) {
    const expected = DIGEST[record.distribution]![record.sampleCount]!;
    // Both figures are estimates (ours: 200 trials, the digest's: 500), so the difference has variance
    // σ²/200 + σ²/500. 4 standard errors is generous on purpose: 12 comparisons, skewed covered
    // fractions near 1, and the digest rounds to 2–4 digits. A wrong definition (e.g. open intervals,
    // a grid, the wrong distribution) moves these figures by far more (see the product-vs-uniform gap).
    const p = (record.allCoveredProbability + expected.allCovered) / 2;
    const allSe = Math.sqrt(p * (1 - p) * (1 / trials + 1 / 500));
    assert.ok(Math.abs(record.allCoveredProbability - expected.allCovered) <= 4 * allSe + 0.005,
      `${record.distribution} n=${record.sampleCount}: all covered ${record.allCoveredProbability} vs digest ${expected.allCovered}`);
    const fractionSe = record.coveredFractionStd * Math.sqrt(1 / trials + 1 / 500);
    assert.ok(Math.abs(record.coveredFraction - expected.coveredFraction) <= 4 * fractionSe + 0.0005,
      `${record.distribution} n=${record.sampleCount}: covered fraction ${record.coveredFraction} vs digest ${expected.coveredFraction}`);
  }
});

test('every record can be regenerated trial by trial from the documented sample mapping', () => {
  const spec: RssSpec = { distributions: ['product', 'log-uniform'], sampleCounts: [5, 9], tolerances: [0.05, 0.01], trials: 7, seed: 42 };
  const { records } = runRss(spec);
  assert.equal(records.length, 2 * 2 * 2);
  for (const record of records) {
    const distribution = distributionByName(record.distribution)!;
    const samples = new Float64Array(record.sampleCount);
    let sum = 0;
    let all = 0;
    for (let trial = 0; trial < record.trials; trial++) {
      rssTrialSamples(record.seed, distribution, trial, samples);
      const result = coverage(samples, record.tolerance);
      sum += result.coveredFraction;
      all += result.allCovered ? 1 : 0;
    }
    assert.ok(Math.abs(sum / record.trials - record.coveredFraction) <= 1e-12);
    assert.equal(record.allCoveredCount, all);
    assert.equal(record.allCoveredProbability, all / record.trials);
  }
});

test('records for an n do not depend on which other n are requested', () => {
  const base = { distributions: ['uniform', 'normal'], tolerances: [0.01], trials: 50, seed: 3 };
  const alone = runRss({ ...base, sampleCounts: [14] }).records;
  const among = runRss({ ...base, sampleCounts: [20, 6, 14, 9] }).records.filter((r) => r.sampleCount === 14);
  assert.equal(alone.length, 2);
  for (let i = 0; i < alone.length; i++) {
    assert.ok(Math.abs(alone[i]!.coveredFraction - among[i]!.coveredFraction) <= 1e-12);
    assert.equal(alone[i]!.allCoveredCount, among[i]!.allCoveredCount);
  }
});

test('records carry the required keys, one per (distribution, n, ε), with consistent intervals', () => {
  const { records, spec } = runRss({ distributions: ['uniform', 'product', 'normal', 'log-uniform'], sampleCounts: [4, 8, 12], tolerances: [0.01, 0.1], trials: 20, seed: 9 });
  assert.equal(records.length, 4 * 3 * 2);
  const keys = ['distribution', 'sampleCount', 'tolerance', 'trials', 'coveredFraction', 'coveredFractionLow', 'coveredFractionHigh',
    'allCoveredProbability', 'allCoveredLow', 'allCoveredHigh', 'seed'];
  const seen = new Set<string>();
  for (const record of records) {
    for (const key of keys) assert.ok(key in record, key);
    seen.add(`${record.distribution}/${record.sampleCount}/${record.tolerance}`);
    assert.ok(record.coveredFractionLow <= record.coveredFraction && record.coveredFraction <= record.coveredFractionHigh);
    assert.ok(record.allCoveredLow <= record.allCoveredProbability && record.allCoveredProbability <= record.allCoveredHigh);
    assert.ok(record.coveredFractionLow >= 0 && record.coveredFractionHigh <= 1);
  }
  assert.equal(seen.size, records.length);
  assert.deepEqual(spec.tolerances, [0.1, 0.01]);
});

test('Wilson interval matches known values', () => {
  const half = wilsonInterval(5, 10);
  assert.ok(Math.abs(half.low - 0.2366) < 1e-4 && Math.abs(half.high - 0.7634) < 1e-4);
  const none = wilsonInterval(0, 10);
  assert.equal(none.low, 0);
  assert.ok(Math.abs(none.high - 0.2775) < 1e-4);
  const all = wilsonInterval(10, 10);
  assert.ok(Math.abs(all.low - 0.7225) < 1e-4);
  assert.equal(all.high, 1);
});

test('least squares recovers an exact line and refuses one x', () => {
  const line = leastSquaresLine([1, 2, 4, 7], [13, 15, 19, 25]);
  assert.ok(line !== null && Math.abs(line.slope - 2) < 1e-12 && Math.abs(line.intercept - 11) < 1e-12);
  assert.equal(leastSquaresLine([3], [4]), null);
  assert.equal(leastSquaresLine([3, 3], [4, 5]), null);
});

test('the fit takes the smallest n reaching the target per ε and says when a line is impossible', () => {
  const spec = resolveRssSpec({ distributions: ['uniform', 'product'], sampleCounts: [10, 12, 14, 16], tolerances: [0.01, 0.001], trials: 10, seed: 1 });
  const row = (distribution: 'uniform' | 'product', tolerance: number, sampleCount: number, p: number): RssRecord => ({
    distribution, sampleCount, tolerance, trials: 10, seed: 1, intervalLow: -1, intervalHigh: 1, coveredFraction: 1, coveredFractionStd: 0,
    coveredFractionLow: 1, coveredFractionHigh: 1, allCoveredCount: p * 10, allCoveredProbability: p, allCoveredLow: 0, allCoveredHigh: 1,
  });
  const records = [
    row('uniform', 0.01, 10, 0.5), row('uniform', 0.01, 12, 0.9), row('uniform', 0.01, 14, 0.95), row('uniform', 0.01, 16, 1),
    row('uniform', 0.001, 10, 0), row('uniform', 0.001, 12, 0.2), row('uniform', 0.001, 14, 0.8), row('uniform', 0.001, 16, 0.9),
    row('product', 0.01, 10, 0.95), row('product', 0.001, 16, 0.5),
  ];
  const [uniform, product] = fitSampleCounts(records, spec);
  assert.deepEqual(uniform!.points.map((p) => [p.tolerance, p.sampleCount]), [[0.01, 12], [0.001, 16]]);
  // Two points: slope = 4 / log2(10), through (log2 100, 12).
  assert.ok(Math.abs(uniform!.slope! - 4 / Math.log2(10)) < 1e-12);
  assert.ok(Math.abs(uniform!.slope! * Math.log2(100) + uniform!.intercept! - 12) < 1e-12);
  assert.equal(uniform!.note, null);
  assert.equal(product!.points.length, 1);
  assert.equal(product!.points[0]!.reachedAtSmallestSampleCount, true);
  assert.deepEqual(product!.unreachedTolerances, [0.001]);
  assert.equal(product!.slope, null);
  assert.match(product!.note!, /at least two/);
});

test('bad specs are InputErrors naming the field', () => {
  const good = { distributions: ['uniform'], sampleCounts: [8], tolerances: [0.01], trials: 10, seed: 1 };
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...good, sampleCounts: [41] }, /sampleCounts/],
    [{ ...good, tolerances: [0] }, /tolerances/],
    [{ ...good, tolerances: [-0.1] }, /tolerances/],
    [{ ...good, distributions: ['cauchy'] }, /cauchy/],
    [{ ...good, interval: { low: 1, high: -1 } }, /interval/],
    [{ ...good, seed: undefined }, /seed/],
    [{ ...good, trials: 1 }, /trials/],
    [{ ...good, colour: 'red' }, /unknown key 'colour'/],
  ];
  for (const [spec, message] of bad) assert.throws(() => resolveRssSpec(spec), (e: unknown) => e instanceof InputError && message.test(e.message));
});

// The CLI verb, driven through a fresh commander program (not main(), so other verbs are not loaded).
function runCli(args: string[]): { stdout: string; stderr: string; error: unknown } {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), interactive: false };
  const program = new Command().exitOverride().configureOutput({ writeOut: (s) => void (stdout += s), writeErr: (s) => void (stderr += s) });
  registerRss(program, io, main);
  for (const command of program.commands) command.exitOverride();
  let error: unknown = null;
  try {
    program.parse(args, { from: 'user' });
  } catch (e) {
    error = e;
  }
  return { stdout, stderr, error };
}

test('lottery rss --json prints a JSON array of records; --out writes the run files', () => {
  const out = mkdtempSync(join(tmpdir(), 'lottery-rss-'));
  try {
    const { stdout, error } = runCli(['rss', '--distribution', 'uniform,product', '--samples', '8:10', '--tolerance', '0.01,0.1',
      '--trials', '20', '--seed', '1', '--json', '--no-progress', '--out', out]);
    assert.equal(error, null);
    const records = JSON.parse(stdout) as RssRecord[];
    assert.ok(Array.isArray(records));
    assert.equal(records.length, 2 * 3 * 2);
    assert.deepEqual(readdirSync(out).sort(), ['rss-fit.json', 'rss.csv', 'rss.jsonl', 'rss.svg']);
    const lines = readFileSync(join(out, 'rss.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RssRecord);
    assert.deepEqual(lines, records);
    assert.equal(readFileSync(join(out, 'rss.csv'), 'utf8').trim().split('\n').length, records.length + 1);
    assert.equal((JSON.parse(readFileSync(join(out, 'rss-fit.json'), 'utf8')) as { fits: unknown[] }).fits.length, 2);
    assert.match(readFileSync(join(out, 'rss.svg'), 'utf8'), /^<svg[^>]*>[\s\S]*<\/svg>\n$/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('lottery rss rejects n > 40, ε ≤ 0, unknown distributions and bad intervals with InputError', () => {
  const base = ['rss', '--seed', '1', '--trials', '5', '--no-progress'];
  for (const extra of [['--samples', '8:41'], ['--tolerance', '0'], ['--tolerance', '0.01,-1'], ['--distribution', 'uniform,cauchy'],
    ['--interval=1,-1'], ['--interval=0'], ['--trials', '1']]) {
    const { error } = runCli([...base, ...extra]);
    assert.ok(error instanceof InputError, `${extra.join(' ')}: ${String(error)}`);
  }
  assert.ok(runCli(['rss', '--samples', '8']).error instanceof InputError, 'missing --seed');
  const table = runCli([...base, '--samples', '6', '--interval=-0.5,0.5']);
  assert.equal(table.error, null);
  assert.match(table.stdout, /interval \[-0\.5, 0\.5\]/);
});

test('subsetSize: records of sums of exactly k samples, regenerable trial by trial; refused when C(n, k) is too large', () => {
  const spec: RssSpec = { distributions: ['uniform'], sampleCounts: [3, 8, 14], tolerances: [0.05], trials: 6, seed: 3, subsetSize: 4 };
  const { records, spec: resolved } = runRss(spec);
  assert.equal(resolved.subsetSize, 4);
  for (const record of records) {
    assert.equal(record.subsetSize, 4);
    const distribution = distributionByName(record.distribution)!;
    const samples = new Float64Array(record.sampleCount);
    let sum = 0;
    for (let trial = 0; trial < record.trials; trial++) {
      rssTrialSamples(record.seed, distribution, trial, samples);
      sum += coverageGrowthOfSize(samples, 4, record.tolerance).coveredFraction[record.sampleCount]!;
    }
    assert.ok(Math.abs(sum / record.trials - record.coveredFraction) <= 1e-12);
  }
  assert.equal(records[0]!.coveredFraction, 0, 'n = 3 < k = 4: no sums at all');
  // Without subsetSize the records keep their keys (no subsetSize key).
  assert.ok(!('subsetSize' in runRss({ ...spec, subsetSize: undefined }).records[0]!));
  assert.throws(() => resolveRssSpec({ ...spec, sampleCounts: [40], subsetSize: 20 }), (e) => e instanceof InputError && /subsetSize 20 with n up to 40 needs .* sums per trial/.test(e.message));
  // k near n has few k-sums but needs every c-subset sum below it on the way: refused too, not an allocation failure.
  for (const k of ['20', '36']) {
    const refused = runCli(['rss', '--seed', '1', '--samples', '40', '--subset-size', k, '--no-progress']);
    assert.ok(refused.error instanceof InputError && new RegExp(`^--subset-size: ${k} with --samples up to 40 needs`).test(refused.error.message), String(refused.error));
  }
});
