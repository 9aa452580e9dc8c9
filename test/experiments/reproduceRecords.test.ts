// Records of `lottery reproduce`: the rss fit is the library's fit of the same cells; timings never reach a
// record; JSONL round trips with the right line numbers; a broken or foreign records file means "run the step".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/core/errors.js';
import { PUBLISHED_EXPERIMENT1 } from '../../src/experiments/approximateRun.js';
import { PUBLISHED_POPUP, type PopupRunRecord } from '../../src/experiments/popup.js';
import {
  encodeRecords,
  groupRecords,
  parseRecords,
  popupRecords,
  publishedRecords,
  readStepHeader,
  recordsPath,
  rssRecords,
  type StepHeaderRecord,
} from '../../src/experiments/reproduceRecords.js';
import { REPRODUCE_RECORDS_FORMAT } from '../../src/experiments/reproducePlan.js';
import { runRss } from '../../src/experiments/rss.js';

const work = mkdtempSync(join(tmpdir(), 'lottery-reproduce-records-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

test('rss records: the cells as printed, the fit recomputed equals the fit of the run', () => {
  const result = runRss({ distributions: ['uniform', 'product'], sampleCounts: [6, 10, 14, 18], tolerances: [0.05, 0.01], trials: 30, seed: 2, targetProbability: 0.6 });
  // Through JSON, as the CLI prints them.
  const records = rssRecords(JSON.parse(JSON.stringify(result.records)), 0.6);
  const cells = records.filter((r) => r.type === 'rss-cell');
  const fits = records.filter((r) => r.type === 'rss-fit');
  assert.deepEqual(cells.map(({ type: _t, ...c }) => c), result.records);
  assert.deepEqual(fits.map(({ type: _t, ...f }) => f), result.fits);
  assert.throws(() => rssRecords([], 0.9), InputError);
});

test('popup records carry no timing', () => {
  const run: PopupRunRecord = {
    arch: 'fc2', structure: 'wide', keepFraction: 0.5, pruneFraction: 0.5, seed: 1, epochs: 2, widths: [784, 2508, 10], redundancy: 5, sampleCount: null,
    parameters: 10, keptParameters: 5, convParameters: 0, convs: null, convNote: null, trainCount: 100, testCount: 100, learningRate: 0.1,
    history: [{ epoch: 1, learningRate: 0.1, trainLoss: 1, trainAccuracy: 0.5, testAccuracy: 0.6, seconds: 3 }, { epoch: 2, learningRate: 0.05, trainLoss: 0.5, trainAccuracy: 0.7, seconds: 3 }],
    finalAccuracy: 0.6, bestAccuracy: 0.6, seconds: 7, secondsPerEpoch: 3,
  };
  const [record] = popupRecords([run]);
  const text = JSON.stringify(record);
  assert.ok(!/seconds/i.test(text), text);
  assert.equal(record!.history[1]!.testAccuracy, null);
  assert.equal(record!.finalAccuracy, 0.6);
});

test('JSONL round trip: header on line 1, records on the following lines', () => {
  const header: StepHeaderRecord = { type: 'step', step: 'experiment2', format: REPRODUCE_RECORDS_FORMAT, configHash: 'abc', config: { a: 1 } };
  const records = publishedRecords();
  const parsed = parseRecords(encodeRecords(header, records), 'records/x.jsonl');
  assert.deepEqual(parsed.header, header);
  assert.deepEqual(parsed.records.map((r) => r.data), records);
  assert.deepEqual(parsed.records.map((r) => r.line), records.map((_, i) => i + 2));
  assert.ok(parsed.records.every((r) => r.file === 'records/x.jsonl'));
  assert.throws(() => parseRecords('{"type":"step"}\nnot json\n', 'records/y.jsonl'), /records\/y\.jsonl: line 2 is not JSON/);
  assert.throws(() => parseRecords('{"no":"type"}\n', 'records/y.jsonl'), /line 1 has no "type"/);
});

test('published records hold exactly the published numbers', () => {
  const records = publishedRecords();
  const e1 = records.find((r) => r.type === 'published-experiment1')!;
  for (const [key, value] of Object.entries(PUBLISHED_EXPERIMENT1)) assert.equal((e1 as unknown as Record<string, unknown>)[key], value, key);
  const popup = records.filter((r) => r.type === 'published-popup');
  assert.equal(popup.length, PUBLISHED_POPUP.length);
  for (const p of PUBLISHED_POPUP) assert.ok(popup.some((r) => r.type === 'published-popup' && r.arch === p.arch && r.structure === p.structure && r.pruneFraction === p.pruneFraction && r.accuracy === p.accuracy));
});

test('grouping names the missing kind of record', () => {
  const located = parseRecords(encodeRecords(null, publishedRecords()), 'records/published.jsonl').records;
  assert.throws(() => groupRecords(located), (e: unknown) => e instanceof InputError && /no target record/.test(e.message));
});

test('a missing, corrupt or foreign records file has no header: the step runs again', () => {
  const dir = join(work, 'out');
  mkdirSync(join(dir, 'records'), { recursive: true });
  assert.equal(readStepHeader(dir, 'rss'), null);
  writeFileSync(join(dir, recordsPath('rss')), '{"type":"step","step":"rss","format":"other/9","configHash":"x","config":{}}\n');
  assert.equal(readStepHeader(dir, 'rss'), null);
  writeFileSync(join(dir, recordsPath('rss')), '{"type":"step", trunc');
  assert.equal(readStepHeader(dir, 'rss'), null);
  const header: StepHeaderRecord = { type: 'step', step: 'rss', format: REPRODUCE_RECORDS_FORMAT, configHash: 'h1', config: {} };
  writeFileSync(join(dir, recordsPath('rss')), encodeRecords(header, []));
  assert.deepEqual(readStepHeader(dir, 'rss'), header);
});
