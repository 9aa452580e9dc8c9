// Theorem 1 with fixed-size subsets (issue 15, item 2): with subsetSize k every non-zero target entry (each
// branch) is matched by exactly k products, so the ticket keeps exactly k·instances edges — counted here from the
// ticket's masks, entry by entry; the ticket is verified as a network (measured ≤ certified), round-trips through
// its file with subsetSize recorded, and bad combinations are refused with the field or flag named.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, pruneTheorem1, readTicket, verifyTicket, writeTicket } from '../../src/index.js';
import { closeSolverPool } from '../../src/subsetsum/batch.js';
import { cli } from '../helpers/cli.js';
import { biasedMlp, saveTinyTarget } from '../helpers/tinyTarget.js';
import { materializeTicket } from '../../src/theorem1/ticket.js';

const work = mkdtempSync(join(tmpdir(), 'lottery-subset-size-'));
after(async () => {
  rmSync(work, { recursive: true, force: true });
  await closeSolverPool();
});

test('every non-zero entry uses exactly k products; the ticket verifies and records k', async () => {
  const network = biasedMlp(6, 4);
  const k = 3;
  const result = await pruneTheorem1(network, { tolerance: 0.5, seed: 7, samples: 12, subsetSize: k, malachSample: 0, workers: 2 });
  assert.equal(result.subsetSize, k);
  assert.equal(result.objective, 'closest');
  const { meta, masks } = result.ticket;
  assert.equal(meta.subsetSize, k);
  const materialized = materializeTicket(result.ticket);
  meta.stages.forEach((stage, s) => {
    const report = result.stages[s]!;
    assert.equal(report.keptEdges, k * report.instances, `${stage.name}: k edges per instance`);
    // Entry by entry: the kept edges of output o grouped by (input j, branch = sign of the unit's u): k in each.
    const m = materialized.stages[s]!;
    const groups = new Map<string, number>();
    for (let o = 0; o < stage.outUnits; o++) {
      for (let e = m.edgeOffsets[o]!; e < m.edgeOffsets[o + 1]!; e++) {
        const q = m.edgeUnit[e]!;
        const key = `${o}/${m.unitInput[q]}/${m.unitWeight[q]! > 0 ? '+' : '-'}`;
        groups.set(key, (groups.get(key) ?? 0) + 1);
      }
    }
    assert.equal(groups.size, report.instances, `${stage.name}: one group per instance`);
    for (const [key, count] of groups) assert.equal(count, k, `${stage.name} entry ${key}`);
  });
  const report = await verifyTicket(result.ticket, network, { mnist: false, randomPoints: 300, adversarialEvaluations: 128, workers: 1 });
  assert.ok(report.withinCertificate && report.maxOutputError <= result.certifiedBound);
  const file = join(work, 'k3.ticket.safetensors');
  await writeTicket(file, result.ticket);
  assert.equal((await readTicket(file)).meta.subsetSize, k);
});

test('refusals: k with the sparsest objective, and n too small for k (the layer named)', async () => {
  const network = biasedMlp(6, 4);
  await assert.rejects(pruneTheorem1(network, { tolerance: 0.5, seed: 1, samples: 12, subsetSize: 3, objective: 'sparsest', malachSample: 0 }), (e) => e instanceof InputError && /^subsetSize: .*closest objective/.test(e.message));
  await assert.rejects(pruneTheorem1(network, { tolerance: 0.5, seed: 1, samples: 2, subsetSize: 5, malachSample: 0 }), (e) => e instanceof InputError && /^subsetSize: layer fc1, input \d+ has only \d+ random units/.test(e.message));
  const target = saveTinyTarget(join(work, 'tiny.safetensors'), 2);
  const refused = await cli(['prune', '--target', target, '--tolerance', '0.5', '--seed', '1', '--subset-size', '3', '--objective', 'sparsest', '--out', join(work, 'never.safetensors')]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /^lottery: --subset-size: fixes how many products each entry uses/);
  const shown = await cli(['prune', '--target', target, '--tolerance', '0.5', '--seed', '1', '--samples', '10', '--subset-size', '2', '--malach-sample', '0', '--no-progress', '--out', join(work, 'k2.safetensors')]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /objective closest, exactly 2 products per entry/);
});

test('fixed-size subsets with the ε search (n not given): n is raised until ε is met, still k products per entry', async () => {
  const network = biasedMlp(6, 4);
  const result = await pruneTheorem1(network, { tolerance: 0.2, seed: 3, subsetSize: 4, malachSample: 0, workers: 2 });
  assert.ok(result.toleranceMet, `certificate ${result.certifiedBoundNormalised}`);
  assert.ok(result.sampleCountSearch !== null);
  for (const stage of result.stages) assert.equal(stage.keptEdges, 4 * stage.instances, stage.name);
});
