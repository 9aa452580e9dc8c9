// ε on request (issue 14, item 1): without --samples, n is raised layer by layer until the certificate meets ε;
// the search is reported; a cap on n that is too low is refused with exit 2 naming the layer; --output-tolerance
// states the guarantee in logits. The target is small but tight: at ε = 0.002 its first layer's default n misses.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, pruneTheorem1, verifyTicket } from '../../src/index.js';
import { saveModel } from '../../src/io/modelFile.js';
import type { Network } from '../../src/nn/network.js';
import { closeSolverPool } from '../../src/subsetsum/batch.js';
import { cli } from '../helpers/cli.js';
import { biasedMlp } from '../helpers/tinyTarget.js';

const work = mkdtempSync(join(tmpdir(), 'lottery-epsilon-'));
after(async () => {
  rmSync(work, { recursive: true, force: true });
  await closeSolverPool();
});

/** 784-4-10 with biases, weights U[−0.1, 0.1) from stream 2 of seed 1: at ε = 0.002 its fc1 misses with the default n. */
const tightTarget = (): Network => biasedMlp(4, 1);

const TOLERANCE = 0.002;

test('n is raised until the certificate meets ε; the defaults alone miss it', async () => {
  const network = tightTarget();
  const result = await pruneTheorem1(network, { tolerance: TOLERANCE, seed: 1, malachSample: 0, workers: 2 });
  assert.ok(result.toleranceMet && result.certifiedBoundNormalised <= TOLERANCE, `certificate ${result.certifiedBoundNormalised}`);
  const search = result.sampleCountSearch!;
  assert.ok(search.length >= 1, 'some layer was raised');
  for (const s of search) {
    const tried = s.tried;
    assert.ok(tried.length >= 2);
    tried.forEach((t, i) => i > 0 && assert.equal(t.sampleCount, tried[i - 1]!.sampleCount + 1, 'upward by one'));
    assert.ok(tried.slice(0, -1).every((t) => t.errorNormBound > s.errorBoundTarget), 'every smaller n missed the share');
    assert.ok(tried[tried.length - 1]!.errorNormBound <= s.errorBoundTarget);
    const stage = result.stages.find((x) => x.name === s.stage)!;
    assert.equal(stage.sampleCount, tried[tried.length - 1]!.sampleCount, 'the report says the n chosen');
    // Every instance is solved at the default n; each raise solves again only those outside ε′ before it.
    tried.forEach((t, i) => assert.equal(t.solved, i === 0 ? stage.instances : tried[i - 1]!.outsideTolerance, `${s.stage} n = ${t.sampleCount}`));
    assert.ok(tried[1]!.solved < stage.instances / 2, 'the raise is cheap');
  }
  // The same ε with the default n forced: the certificate misses, and the report says so.
  const defaults = result.stages.map((s) => search.find((x) => x.stage === s.name)?.tried[0]!.sampleCount ?? s.sampleCount);
  const forced = await pruneTheorem1(network, { tolerance: TOLERANCE, seed: 1, samples: defaults, malachSample: 0, workers: 1 });
  assert.ok(!forced.toleranceMet && forced.certifiedBoundNormalised > TOLERANCE);
  assert.equal(forced.sampleCountSearch, null);
  // The certified ticket is sound where it is measured.
  const report = await verifyTicket(result.ticket, network, { mnist: false, randomPoints: 500, adversarialEvaluations: 256 });
  assert.ok(report.withinCertificate && report.maxOutputError <= result.certifiedBound);
});

test('a cap on n that is too low is refused: exit 2, the layer and the n it needs, nothing written', async () => {
  const target = join(work, 'tight.safetensors');
  saveModel(target, tightTarget());
  const out = join(work, 'never.ticket.safetensors');
  const run = await cli(['prune', '--target', target, '--tolerance', String(TOLERANCE), '--seed', '1', '--max-samples', '22', '--malach-sample', '0', '--no-progress', '--out', out]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /^lottery: --samples: layer fc1 needs n > 22 to meet ε = 0\.002: its error bound is .* at n = 22 .*--max-samples/);
  assert.ok(!existsSync(out));
  await assert.rejects(pruneTheorem1(tightTarget(), { tolerance: TOLERANCE, seed: 1, maxSamples: 22, malachSample: 0 }), (e) => e instanceof InputError && /^samples: layer fc1 needs n > 22/.test(e.message));
});

test('--output-tolerance states the guarantee in logits: ε = T / outputScale, certified ≤ T', async () => {
  const target = join(work, 'tight-output.safetensors');
  saveModel(target, tightTarget());
  const T = 0.5;
  const run = await cli(['prune', '--target', target, '--output-tolerance', String(T), '--seed', '1', '--malach-sample', '0', '--no-progress', '--json', '--out', join(work, 'output.ticket.safetensors')]);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout) as { tolerance: number; scales: { outputScale: number }; guaranteedBound: number; certifiedBound: number; toleranceMet: boolean };
  assert.ok(Math.abs(report.tolerance * report.scales.outputScale - T) <= 1e-12 * T);
  assert.ok(Math.abs(report.guaranteedBound - T) <= 1e-12 * T);
  assert.ok(report.toleranceMet && report.certifiedBound <= T);
  const both = await cli(['prune', '--target', target, '--output-tolerance', '0.5', '--tolerance', '0.1', '--seed', '1', '--out', join(work, 'x.safetensors')]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--tolerance and --output-tolerance: give one or the other/);
  const huge = await cli(['prune', '--target', target, '--output-tolerance', '1e9', '--seed', '1', '--out', join(work, 'y.safetensors')]);
  assert.equal(huge.code, 2);
  assert.match(huge.stderr, /--output-tolerance: 1000000000 is at least the network's output scale/);
});
