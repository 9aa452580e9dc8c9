// Kill and resume, and determinism across thread counts (issue 8), for `lottery reproduce --scale smoke`: the
// command is SIGKILLed at seeded points in every phase (a random delay, mid-approximate, between two prunes, mid
// edge-popup sweep, while writing figures, mid-overwrite of a figure and of the page) and re-run; the final folder equals an
// uninterrupted run's file by file, and no kill leaves a half-written file. The uninterrupted reference runs with
// --workers 1 and the eight invocations of the killed run alternate --workers 2 and 4, so the same runs show that
// records, figures and page depend neither on the number of threads nor on changing it when resuming (one
// reference for both keeps the test near a minute; test/cli/reproduce.test.ts runs the default uninterrupted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { killAndResume, type KillResumeReport } from '../helpers/killResume.js';

/** The report folder's name inside the harness's reference/ and attempt-N/ folders. */
const OUTPUT = 'report';
/** --workers of each invocation: 1 for the reference, then 2, 4, 2, … for the killed and resumed runs in turn. */
const used: number[] = [];
function workersFor(out: string): number {
  const workers = /[\\/]reference[\\/][^\\/]+$/.test(out) ? 1 : used.filter((w) => w !== 1).length % 2 === 0 ? 2 : 4;
  used.push(workers);
  return workers;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The report folder as the inner commands name it (absolute, in the harness's temporary folder). */
const FOLDER = new RegExp(`${escapeRegExp(tmpdir())}/lottery-kill-[^/"]+/(?:reference|attempt-\\d+)/${OUTPUT}`, 'g');

/**
 * What legitimately differs between two equal runs in different folders, on top of the harness's timing keys:
 * the folder itself (inner commands write absolute paths into their own run directories), reproduce.json's
 * timings (steps ran or reused, --workers, load) and the seconds-per-epoch column of the edge-popup summary.
 */
function normalize(path: string, text: string): string {
  let out = text.replace(FOLDER, '$OUT');
  if (path === 'reproduce.json') {
    const summary = JSON.parse(out) as Record<string, unknown>;
    delete summary['timings'];
    out = JSON.stringify(summary, null, 1);
  }
  if (path.endsWith('/summary.md')) out = out.replace(/\| [0-9.]+ \|$/gm, '| (s) |');
  return out;
}

const summaryOf = (report: KillResumeReport): string =>
  `reference ${(report.referenceMs / 1000).toFixed(1)} s; ` +
  report.attempts.map((a, i) => `attempt ${i}: ${a.map((k) => `${k.point} → ${k.killed ? `killed at ${k.atMs.toFixed(0)} ms, ${k.filesAfterKill} files` : `finished first (${k.atMs.toFixed(0)} ms)`}`).join(', ')}`).join('; ');

test('reproduce --scale smoke: killed in every phase and resumed with --workers 2 and 4 in turn, byte-identical to an uninterrupted run with --workers 1', async (t) => {
  const started = performance.now();
  const report = await killAndResume({
    name: 'reproduce --scale smoke (reference --workers 1, killed runs --workers 2, 4, 2, …)',
    seed: 808,
    output: OUTPUT,
    args: (out) => ['reproduce', '--scale', 'smoke', '--no-timings', '--seed', '1', '--workers', String(workersFor(out)), '--out', out],
    attempts: [
      [
        // Anywhere in rss, training or the first approximate.
        { kind: 'delay', minMs: 800, maxMs: 5000 },
        // Mid-approximate: the second variant has written its first of two chunks.
        { kind: 'files', folder: 'work/experiment1/per-weight-closest/chunks', count: 1 },
        // Between the two prunes of Theorem 1 (the first prune's output is saved).
        { kind: 'line', pattern: /^\s+\(2\) \$ lottery prune / },
        // Mid edge-popup sweep: its first run is finished and recorded.
        { kind: 'line', pattern: /^run 2\/2: fc2 ours-linear/ },
        // While writing the figures (every step's records are done).
        { kind: 'files', folder: 'figures', count: 5 },
        // Runs that only re-render, killed while a figure, then the page or reproduce.json, is being overwritten
        // (its temporary exists).
        { kind: 'files', folder: 'figures', count: 1, match: /^\.lottery-tmp-/ },
        { kind: 'files', folder: '.', count: 1, match: /^\.lottery-tmp-/ },
      ],
    ],
    // Invocation logs of the inner run directories (absolute paths, clock times).
    ignore: (path) => /(^|\/)meta\.json$/.test(path),
    // Rewritten by the edge-popup sweep after each finished run.
    growing: (path) => /^work\/experiment2\/runs\/(records\.jsonl|summary\.md|figure-[^/]+\.svg)$/.test(path),
    normalize,
  });
  t.diagnostic(summaryOf(report));
  t.diagnostic(`--workers of the invocations: ${used.join(', ')}`);
  t.diagnostic(`wall time ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // A temporary may exist too briefly for the 2 ms poll: one kill point may be passed without a kill.
  assert.ok(report.killsLanded >= 6, summaryOf(report));
  // The reference, seven killed runs and the resumed run, the killed ones with both thread counts.
  assert.equal(used.length, 9, used.join(', '));
  assert.deepEqual([...new Set(used)].sort(), [1, 2, 4]);
});
