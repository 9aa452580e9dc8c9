// End-to-end through the CLI (prune → verify → export → bound) on tiny targets saved as model files, and the
// exit code 2 with a clear message for a wrong target (hash mismatch), a truncated ticket and an unsupported layer.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { saveModel } from '../../src/io/modelFile.js';
import { conv2dLayer } from '../../src/nn/architectures.js';
import { fillWeights, tinyMlp } from './fixtures.js';

const folder = mkdtempSync(join(tmpdir(), 'lottery-cli-'));
after(() => rmSync(folder, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), interactive: false };
  const code = await main(args, io);
  return { code, out, err };
}

const target = join(folder, 'mlp.safetensors');
const other = join(folder, 'other.safetensors');
const ticket = join(folder, 'mlp.ticket.safetensors');
saveModel(target, tinyMlp(1));
saveModel(other, tinyMlp(2));

test('prune, verify, export and bound run end to end with --json', async () => {
  const pruned = await run(['prune', '--target', target, '--tolerance', '0.2', '--seed', '4', '--samples', '12', '--input-radius', '2', '--input-domain', 'any', '--out', ticket, '--workers', '1', '--malach-sample', '50', '--json', '--no-progress']);
  assert.equal(pruned.code, 0, pruned.err);
  const p = JSON.parse(pruned.out);
  assert.ok(p.certifiedBound > 0 && p.keptParams > 0 && p.randomParams > p.randomBlockParams);
  assert.ok(p.sizes.lowerBound > 0 && p.sizes.malach.widths.length === 2);
  const verified = await run(['verify', '--ticket', ticket, '--target', target, '--random-points', '300', '--adversarial-evaluations', '128', '--workers', '1', '--json']);
  assert.equal(verified.code, 0, verified.err);
  const v = JSON.parse(verified.out);
  for (const key of ['targetParams', 'randomParams', 'keptParams', 'depth', 'certifiedBound', 'maxOutputError', 'targetAccuracy', 'ticketAccuracy', 'argmaxAgreement', 'seconds']) {
    assert.ok(key in v, `verify --json lacks ${key}`);
  }
  assert.equal(v.depth, 4);
  assert.ok(v.maxOutputError <= v.certifiedBound);
  const onnx = join(folder, 'mlp-ticket.onnx');
  const exported = await run(['export', '--ticket', ticket, '--format', 'onnx', '--out', onnx]);
  assert.equal(exported.code, 0, exported.err);
  assert.ok(existsSync(onnx));
  const bound = await run(['bound', '--target', target, '--tolerance', '0.2', '--input-radius', '2', '--malach-sample', '50', '--json']);
  assert.equal(bound.code, 0, bound.err);
  assert.ok(JSON.parse(bound.out).theorem1Formula.sampleCount > 0);
});

test('a wrong target, a truncated ticket and an unsupported layer exit with code 2 and a clear message', async () => {
  if (!existsSync(ticket)) {
    const p = await run(['prune', '--target', target, '--tolerance', '0.2', '--seed', '4', '--samples', '8', '--input-radius', '2', '--out', ticket, '--workers', '1', '--malach-sample', '0', '--no-progress']);
    assert.equal(p.code, 0, p.err);
  }
  const wrong = await run(['verify', '--ticket', ticket, '--target', other, '--workers', '1']);
  assert.equal(wrong.code, 2);
  assert.match(wrong.err, /wrong target/);
  const truncated = join(folder, 'truncated.ticket.safetensors');
  const bytes = readFileSync(ticket);
  writeFileSync(truncated, bytes.subarray(0, bytes.length - 7));
  const t = await run(['verify', '--ticket', truncated, '--target', target, '--workers', '1']);
  assert.equal(t.code, 2);
  assert.match(t.err, /truncated\.ticket\.safetensors/);
  const altered = join(folder, 'altered.ticket.safetensors');
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 1] ^= 0x10;
  writeFileSync(altered, flipped);
  const a = await run(['export', '--ticket', altered, '--format', 'onnx', '--out', join(folder, 'x.onnx')]);
  assert.equal(a.code, 2);
  assert.match(a.err, /altered\.ticket\.safetensors/);
  const conv = join(folder, 'conv.safetensors');
  saveModel(conv, fillWeights({ inputShape: [1, 5, 5], layers: [conv2dLayer('c', 1, 2, 3, 2, true)] }, 3));
  const u = await run(['prune', '--target', conv, '--tolerance', '0.2', '--seed', '1', '--samples', '6', '--input-radius', '1', '--out', join(folder, 'c.ticket'), '--no-progress']);
  assert.equal(u.code, 2);
  assert.match(u.err, /unsupported layer/);
});

test('--construction l+1 end to end: prune, verify, export, bound --compare and bound --search --subset-size, with --json', async () => {
  const l1 = join(folder, 'mlp.l1.ticket.safetensors');
  const pruned = await run(['prune', '--target', target, '--tolerance', '0.2', '--seed', '4', '--construction', 'l+1', '--input-radius', '2', '--input-domain', 'any', '--out', l1, '--workers', '1', '--json', '--no-progress']);
  assert.equal(pruned.code, 0, pruned.err);
  const p = JSON.parse(pruned.out);
  assert.equal(p.construction, 'l+1');
  assert.equal(p.depth, 3);
  assert.equal(p.edgeNormBounds.length, 2);
  assert.equal(p.edgeNormBounds[0], null);
  assert.ok(p.edgeNormBounds[1] > 0 && p.toleranceMet && p.boxCertifiedBound === null && p.sizes === null);
  const verified = await run(['verify', '--ticket', l1, '--target', target, '--random-points', '300', '--adversarial-evaluations', '128', '--workers', '1', '--json']);
  assert.equal(verified.code, 0, verified.err);
  const v = JSON.parse(verified.out);
  assert.equal(v.construction, 'l+1');
  assert.equal(v.depth, 3);
  assert.ok(v.maxOutputError <= v.certifiedBound);
  const onnx = join(folder, 'mlp-l1.onnx');
  assert.equal((await run(['export', '--ticket', l1, '--format', 'onnx', '--out', onnx])).code, 0);
  // The 2l prune reports its construction too (scripts read the key).
  const twoL = await run(['prune', '--target', target, '--tolerance', '0.2', '--seed', '4', '--input-radius', '2', '--out', join(folder, 'two.ticket.safetensors'), '--workers', '1', '--malach-sample', '0', '--json', '--no-progress']);
  assert.equal(JSON.parse(twoL.out).construction, '2l');
  assert.equal(JSON.parse(twoL.out).edgeNormBounds, null);

  const compared = await run(['bound', '--target', target, '--tolerance', '0.2', '--input-radius', '2', '--input-domain', 'any', '--malach-sample', '20', '--compare', '--subset-sizes', '3', '--seed', '4', '--workers', '1', '--json']);
  assert.equal(compared.code, 0, compared.err);
  const rows = JSON.parse(compared.out).constructions as Array<{ construction: string; subsetSize: number | null; depth: number; keptParams: number; toleranceMet: boolean; certifiedBoundNormalised: number }>;
  assert.deepEqual(rows.map((r) => [r.construction, r.subsetSize, r.depth]), [['2l', null, 4], ['l+1', null, 3], ['2l', 3, 4]]);
  for (const r of rows) assert.ok(r.toleranceMet && r.certifiedBoundNormalised <= 0.2 && r.keptParams > 0, JSON.stringify(r));
  // The l+1 row is the ticket prune wrote (same seed, same search).
  assert.equal(rows[1]!.keptParams, p.keptParams);
  const human = await run(['bound', '--target', target, '--tolerance', '0.2', '--input-radius', '2', '--input-domain', 'any', '--malach-sample', '20', '--compare', '--subset-sizes', '3', '--workers', '1']);
  assert.match(human.out, /\| l\+1 \| 3 \|/);

  const searched = await run(['bound', '--target', target, '--tolerance', '0.2', '--input-radius', '2', '--input-domain', 'any', '--malach-sample', '20', '--search', '--subset-size', '3', '--search-max', '30', '--workers', '1', '--json']);
  assert.equal(searched.code, 0, searched.err);
  const s = JSON.parse(searched.out);
  assert.equal(s.subsetSize, 3);
  assert.ok(s.smallestWorkingSampleCount !== null);
  const best = s.search.find((row: { sampleCount: number }) => row.sampleCount === s.smallestWorkingSampleCount);
  assert.ok(best.works && best.randomBlockParams > 0 && best.keptParams > 0);
  for (const row of s.search) if (row.sampleCount < s.smallestWorkingSampleCount) assert.equal(row.works, false);

  for (const [args, pattern] of [
    [['prune', '--target', target, '--tolerance', '0.2', '--seed', '4', '--construction', 'l+2', '--out', join(folder, 'x.safetensors')], /--construction.*l\+2/],
    [['bound', '--target', target, '--tolerance', '0.2', '--subset-size', '3'], /--subset-size goes with --search/],
  ] as const) {
    const bad = await run([...args]);
    assert.equal(bad.code, 2, bad.err);
    assert.match(bad.err, pattern);
  }
  assert.ok(!existsSync(join(folder, 'x.safetensors')));
});
