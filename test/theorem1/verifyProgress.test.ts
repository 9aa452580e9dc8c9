// Progress of verify (issue 14, item 5): the library reports (done, total) over every evaluated input, monotone, from
// 0 to the total, without changing any result; the CLI draws it on stderr and --no-progress silences it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pruneTheorem1, verifyTicket } from '../../src/index.js';
import { cli } from '../helpers/cli.js';
import { saveTinyTarget, tinyNetwork } from '../helpers/tinyTarget.js';

const work = mkdtempSync(join(tmpdir(), 'lottery-verify-progress-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('verify reports monotone progress up to its total, and the same report with or without a listener', async () => {
  const network = tinyNetwork(3);
  const { ticket } = await pruneTheorem1(network, { tolerance: 0.5, seed: 2, samples: 6, malachSample: 0, workers: 1 });
  const calls: Array<[number, number]> = [];
  const options = { limit: 2500, randomPoints: 300, adversarialEvaluations: 64, workers: 1 };
  const withProgress = await verifyTicket(ticket, network, { ...options, onProgress: (d, t) => calls.push([d, t]) });
  const without = await verifyTicket(ticket, network, options);
  const total = 2500 + 300 + 64;
  assert.deepEqual(calls[0], [0, total]);
  assert.deepEqual(calls[calls.length - 1], [total, total]);
  assert.ok(calls.every(([d, t], i) => t === total && d <= t && (i === 0 || d >= calls[i - 1]![0])), JSON.stringify(calls));
  assert.ok(calls.length >= 4, 'data is evaluated in chunks');
  const strip = (r: typeof without): unknown => ({ ...r, seconds: 0, phaseSeconds: null });
  assert.deepEqual(strip(withProgress), strip(without));
});

test('lottery verify draws progress on stderr; --no-progress prints none', async () => {
  const target = saveTinyTarget(join(work, 'tiny.safetensors'), 3);
  const ticketFile = join(work, 'tiny.ticket.safetensors');
  const pruned = await cli(['prune', '--target', target, '--tolerance', '0.5', '--seed', '2', '--samples', '6', '--malach-sample', '0', '--no-progress', '--out', ticketFile]);
  assert.equal(pruned.code, 0, pruned.stderr);
  const args = ['verify', '--ticket', ticketFile, '--target', target, '--limit', '500', '--random-points', '100', '--adversarial-evaluations', '32'];
  const shown = await cli(args);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stderr, /^verify: 0\/632 \(0%\)/m);
  assert.match(shown.stderr, /^verify: 632\/632 \(100%\)/m);
  const quiet = await cli([...args, '--no-progress']);
  assert.equal(quiet.code, 0);
  assert.equal(quiet.stderr, '');
  assert.equal(quiet.stdout, shown.stdout.replace(/time: .*\n/, quiet.stdout.match(/time: .*\n/)![0]));
});
