// Determinism (issue 8): the same seed gives byte-identical tickets, records (minus timings) and reports with
// 1, 2 and 4 workers and across repeated runs — for approximate, prune, verify, bound --search and popup sweeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/node/platform.js'; // the Node platform: worker threads, clock, tfjs wasm files
import { closeSolverPool } from '../../src/subsetsum/batch.js';
import { cli } from '../helpers/cli.js';
import { saveTinyTarget } from '../helpers/tinyTarget.js';
import { comparable, withoutTimings } from '../helpers/killResume.js';

const work = mkdtempSync(join(tmpdir(), 'lottery-determinism-'));
test.after(async () => {
  rmSync(work, { recursive: true, force: true });
  await closeSolverPool();
});

const tinyTarget = (name: string, seed: number): string => saveTinyTarget(join(work, name), seed);
const target = tinyTarget('tiny.safetensors', 1);

async function ok(args: string[]): Promise<string> {
  const run = await cli(args);
  assert.equal(run.code, 0, `lottery ${args.join(' ')}\n${run.stderr}`);
  return run.stdout;
}

/** Every file of a run directory in comparable form (timing keys out), meta.json left out (it logs invocations). */
function runFiles(dir: string, normalize?: (path: string, text: string) => string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (folder: string, prefix: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = prefix + entry.name;
      if (entry.isDirectory()) walk(join(folder, entry.name), `${path}/`);
      else if (path !== 'meta.json') out[path] = comparable(path, readFileSync(join(folder, entry.name)), normalize);
    }
  };
  walk(dir, '');
  return out;
}

/** A JSON report without timings and without the keys naming this invocation's own output paths. */
const report = (stdout: string, drop: string[] = []): unknown => withoutTimings(JSON.parse(stdout), ['seconds', 'solveSeconds', 'evaluationSeconds', 'chunksResumed', 'phaseSeconds', ...drop]);

test('prune: byte-identical tickets and reports with 1, 2 and 4 workers and on a repeated run', async () => {
  const tickets: Buffer[] = [];
  const reports: unknown[] = [];
  for (const [i, workers] of [1, 2, 4, 2].entries()) {
    const out = join(work, `ticket-${i}.safetensors`);
    reports.push(report(await ok(['prune', '--target', target, '--tolerance', '0.5', '--samples', '10', '--seed', '5', '--workers', String(workers), '--json', '--no-progress', '--out', out]), ['ticket']));
    tickets.push(readFileSync(out));
  }
  for (let i = 1; i < tickets.length; i++) {
    assert.ok(tickets[i]!.equals(tickets[0]!), `ticket ${i} differs from the 1-worker ticket`);
    assert.deepEqual(reports[i], reports[0]);
  }
});

test('approximate: identical run directories (minus timings) with 1, 2 and 4 workers, another chunk size, and repeated', async () => {
  const dirs: Record<string, string>[] = [];
  for (const [i, [workers, chunk]] of ([[1, 20000], [2, 20000], [4, 20000], [2, 777], [2, 20000]] as const).entries()) {
    const out = join(work, `approximate-${i}`);
    await ok(['approximate', '--target', target, '--seed', '9', '--samples', '14', '--workers', String(workers), '--chunk-size', String(chunk), '--no-eval', '--no-progress', '--json', '--out', out]);
    const files = runFiles(out);
    // Chunk files and the chunk count in config/summary depend on --chunk-size by design; the results do not.
    for (const name of Object.keys(files)) if (name.startsWith('chunks/') || name === 'config.json' || name === 'summary.json') delete files[name];
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Record<string, unknown>;
    files['summary.json'] = JSON.stringify(withoutTimings(summary, ['seconds', 'evaluationSeconds', 'chunksResumed', 'chunkCount', 'chunkSize']));
    dirs.push(files);
  }
  assert.deepEqual(Object.keys(dirs[0]!).sort(), ['approximated.safetensors', 'outside-tolerance.json', 'records.safetensors', 'summary.json']);
  for (let i = 1; i < dirs.length; i++) assert.deepEqual(dirs[i], dirs[0], `run ${i}`);
});

test('verify and bound --search: identical reports (minus timings) with 1, 2 and 4 workers', async () => {
  const ticket = join(work, 'verify-ticket.safetensors');
  await ok(['prune', '--target', target, '--tolerance', '0.5', '--samples', '6', '--seed', '2', '--no-progress', '--malach-sample', '0', '--out', ticket]);
  const verify: unknown[] = [];
  for (const workers of [1, 2, 4]) {
    verify.push(report(await ok(['verify', '--ticket', ticket, '--target', target, '--no-mnist', '--random-points', '600', '--adversarial-evaluations', '300', '--workers', String(workers), '--json'])));
  }
  assert.deepEqual(verify[1], verify[0]);
  assert.deepEqual(verify[2], verify[0]);
  const bound: unknown[] = [];
  for (const workers of [1, 2]) {
    bound.push(report(await ok(['bound', '--target', target, '--tolerance', '0.9', '--search', '--search-max', '6', '--malach-sample', '50', '--workers', String(workers), '--json'])));
  }
  assert.deepEqual(bound[1], bound[0]);
});

test('popup sweep: identical records (minus timings), summary and figure on a repeated run', async () => {
  const spec = join(work, 'sweep.json');
  writeFileSync(spec, JSON.stringify({ experiment: 'popup', name: 'det', arch: 'fc2', seed: 4, epochs: 1, structures: ['ours-relu', 'wide'], pruneFractions: [0.5], redundancy: 1, trainCount: 300, testCount: 200 }));
  const secondsColumn = (path: string, text: string): string => (path === 'summary.md' ? text.replace(/\| [0-9.]+ \|$/gm, '| (s) |') : text);
  const runs: Record<string, string>[] = [];
  for (const i of [0, 1]) {
    const out = join(work, `popup-${i}`);
    await ok(['run', spec, '--out', out, '--no-progress', '--json']);
    runs.push(runFiles(out, secondsColumn));
  }
  assert.ok('records.jsonl' in runs[0]! && 'figure-fc2.svg' in runs[0]! && 'summary.md' in runs[0]!);
  assert.deepEqual(runs[1], runs[0]);
});
