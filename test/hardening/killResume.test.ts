// Kill and resume (issue 8): long commands are SIGKILLed at seeded points — after k chunks, at a progress line,
// after a random delay, several times in a row — and re-run; every output file then equals an uninterrupted
// run's byte for byte (timing keys filtered), and no kill ever leaves a half-written file or a temporary behind.
import { test } from 'node:test';
import { saveTinyTarget } from '../helpers/tinyTarget.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAndResume, type KillResumeReport } from '../helpers/killResume.js';

const work = mkdtempSync(join(tmpdir(), 'lottery-kill-test-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

/** mlp:784-16-10 without biases (12,704 weights), weights U[-0.3, 0.3] from a seeded stream. */
const tinyTarget = (name: string, seed: number): string => saveTinyTarget(join(work, name), seed);

const target = tinyTarget('tiny.safetensors', 1);
const summaryOf = (report: KillResumeReport): string =>
  `reference ${report.referenceMs.toFixed(0)} ms; ` + report.attempts.map((a, i) => `attempt ${i}: ${a.map((k) => `${k.point} → ${k.killed ? `killed at ${k.atMs.toFixed(0)} ms, ${k.filesAfterKill} files` : 'finished first'}`).join(', ')}`).join('; ');

test('kill and resume: lottery approximate (a seeded delay, then after 10 and 22 of 32 chunks; while writing results)', async (t) => {
  const report = await killAndResume({
    name: 'approximate',
    seed: 801,
    output: 'run',
    args: (out) => ['approximate', '--target', target, '--seed', '3', '--samples', '24', '--chunk-size', '400', '--workers', '2', '--out', out],
    attempts: [
      [
        { kind: 'delay', minMs: 100, maxMs: 2500 },
        { kind: 'files', folder: 'chunks', count: 10 },
        { kind: 'files', folder: 'chunks', count: 22 },
      ],
      // Solving is done: the kill lands while the result files are written or the networks evaluated.
      [{ kind: 'line', pattern: /^approximate: 12704\/12704/ }],
    ],
    ignore: (path) => path === 'meta.json',
  });
  t.diagnostic(summaryOf(report));
  assert.ok(report.killsLanded >= 2, summaryOf(report));
});

test('kill and resume: lottery prune (at the first progress line, seeded delays twice in a row)', async (t) => {
  const report = await killAndResume({
    name: 'prune',
    seed: 802,
    output: 'ticket.safetensors',
    args: (out) => ['prune', '--target', target, '--tolerance', '0.5', '--samples', '10', '--seed', '2', '--workers', '2', '--malach-sample', '0', '--out', out],
    attempts: [[{ kind: 'line', pattern: /^prune: / }, { kind: 'delay', minMs: 300, maxMs: 1500 }, { kind: 'delay', minMs: 600, maxMs: 2500 }]],
  });
  t.diagnostic(summaryOf(report));
  assert.ok(report.killsLanded >= 1, summaryOf(report));
});

test('kill and resume: lottery run (edge-popup sweep: after the first finished run, mid-run, a seeded delay)', async (t) => {
  const spec = join(work, 'sweep.json');
  writeFileSync(
    spec,
    JSON.stringify({ experiment: 'popup', name: 'kill', arch: 'fc2', seed: 3, epochs: 1, structures: ['dense', 'wide'], pruneFractions: [0.5], redundancy: 1, trainCount: 200, testCount: 100 }),
  );
  const report = await killAndResume({
    name: 'run (popup sweep)',
    seed: 803,
    output: 'run',
    args: (out) => ['run', spec, '--out', out],
    attempts: [
      [{ kind: 'delay', minMs: 200, maxMs: 2500 }, { kind: 'files', folder: 'chunks', count: 1 }, { kind: 'line', pattern: /^run 2\/2: fc2 wide/ }],
    ],
    ignore: (path) => path === 'meta.json',
    // Rewritten after every finished run: after a kill they hold the runs finished so far.
    growing: (path) => path === 'records.jsonl' || path === 'summary.md' || path.endsWith('.svg'),
    // summary.md's last column is seconds per epoch, a timing.
    normalize: (path, text) => (path === 'summary.md' ? text.replace(/\| [0-9.]+ \|$/gm, '| (s) |') : text),
  });
  t.diagnostic(summaryOf(report));
  assert.ok(report.killsLanded >= 2, summaryOf(report));
});
