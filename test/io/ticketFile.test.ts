// Tests of ticket files (src/io/ticketFile.ts): round trip, verification after regenerating the network from
// the file alone, and clear InputErrors (exit code 2) for truncated or altered files.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/node/platform.js'; // the Node platform: worker threads, clock, tfjs wasm files
import { InputError } from '../../src/core/errors.js';
import { decodeSafetensors, encodeSafetensorsBytes } from '../../src/io/safetensors.js';
import { decodeTicket, encodeTicket } from '../../src/io/ticketBytes.js';
import { loadTicket, saveTicket } from '../../src/io/ticketFile.js';
import { closeSolverPool } from '../../src/subsetsum/batch.js';
import { createEvaluator } from '../../src/theorem1/evaluator.js';
import { pruneWithSolver } from '../../src/theorem1/prune.js';
import { verifyTicket, checkRegeneration } from '../../src/theorem1/verify.js';
import { syncSolver, tinyConvNet, tinyMlp } from '../theorem1/fixtures.js';

const folder = mkdtempSync(join(tmpdir(), 'lottery-ticket-'));
after(async () => {
  rmSync(folder, { recursive: true, force: true });
  await closeSolverPool();
});

async function smallTicket() {
  const network = tinyMlp(6);
  const { ticket } = await pruneWithSolver(network, { tolerance: 0.2, seed: 9, targetSha256: 'ab'.repeat(32), sampleCounts: 12, inputRadius: 2, inputDomain: 'any' }, syncSolver);
  return { network, ticket };
}

const isInputError = (pattern: RegExp) => (e: unknown) => e instanceof InputError && e.exitCode === 2 && pattern.test(e.message);

test('a ticket survives a save/load round trip unchanged', async () => {
  const { ticket } = await smallTicket();
  const path = join(folder, 'a.ticket.safetensors');
  saveTicket(path, ticket);
  const loaded = loadTicket(path);
  assert.deepEqual(loaded.meta, ticket.meta);
  loaded.masks.forEach((m, s) => {
    assert.deepEqual([...m.units], [...ticket.masks[s]!.units]);
    assert.deepEqual([...m.edgeOffsets], [...ticket.masks[s]!.edgeOffsets]);
    assert.deepEqual([...m.edgeKeys], [...ticket.masks[s]!.edgeKeys]);
  });
});

test('a ticket is verified after regenerating its network from the file alone', async () => {
  for (const [network, domain] of [[tinyMlp(6), 'any'], [tinyConvNet(3), 'nonnegative']] as const) {
    const { ticket } = await pruneWithSolver(network, { tolerance: 0.2, seed: 9, targetSha256: 'cd'.repeat(32), sampleCounts: 14, inputRadius: 2, inputDomain: domain, objective: 'closest' }, syncSolver);
    const path = join(folder, 'b.ticket.safetensors');
    saveTicket(path, ticket);
    const loaded = loadTicket(path); // nothing but the file: masks + seed + geometry
    checkRegeneration(loaded, path);
    const evaluator = createEvaluator(network, loaded, 1);
    const report = await verifyTicket(network, loaded, null, evaluator, { randomPoints: 400, adversarialEvaluations: 200 });
    assert.ok(report.maxOutputError > 0);
    assert.ok(report.withinCertificate, `measured ${report.maxOutputError} > certified ${report.certifiedBound}`);
    assert.ok(report.adversarialError.max >= Math.min(report.ballError.max, report.maxOutputError) * 0.999, 'the search starts from the worst points');
    assert.equal(report.depth, 2 * ticket.meta.stages.length);
    assert.equal(report.keptParams, ticket.masks.reduce((s, m) => s + m.units.length + m.edgeKeys.length, 0));
  }
});

test('truncated or altered ticket files fail with a clear InputError', async () => {
  const { ticket } = await smallTicket();
  const bytes = Buffer.concat(encodeTicket(ticket));
  assert.throws(() => decodeTicket(bytes.subarray(0, bytes.length - 3), 't'), isInputError(/t:/));
  assert.throws(() => decodeTicket(bytes.subarray(0, 5), 't'), isInputError(/too short|truncated/));
  // Flip one byte of the index data (last bytes of the file) and one inside the JSON metadata.
  const data = Buffer.from(bytes);
  data[data.length - 2] ^= 0x01;
  assert.throws(() => decodeTicket(data, 't'), isInputError(/checksum mismatch|out of range|ascending/));
  const text = Buffer.from(bytes);
  const at = text.indexOf('"seed\\":9');
  assert.ok(at > 0, 'the JSON metadata contains the seed');
  text[at + 9] = '8'.charCodeAt(0);
  assert.throws(() => decodeTicket(text, 't'), isInputError(/checksum mismatch/));
  const path = join(folder, 'c.ticket.safetensors');
  writeFileSync(path, readFileSync(join(folder, 'a.ticket.safetensors')).subarray(0, 100));
  assert.throws(() => loadTicket(path), isInputError(/c\.ticket\.safetensors/));
  assert.throws(() => loadTicket(join(folder, 'missing')), isInputError(/cannot read/));
});

test('a ticket whose regenerated weights differ (other generator) is rejected', async () => {
  const { ticket } = await smallTicket();
  const other = { ...ticket, meta: { ...ticket.meta, seed: ticket.meta.seed + 1 } };
  assert.throws(() => checkRegeneration(other, 'x'), isInputError(/keptWeightsSha256/));
});

// ---- found by fuzzing with re-sealed files (docs/fuzzing.md) -----------------------------------------------------

/** Re-encodes a ticket file with changed metadata and a recomputed payload_sha256 (docs/ticket-format.md). */
function resealed(bytes: Uint8Array, change: (metadata: Record<string, string>) => void): Uint8Array {
  const decoded = decodeSafetensors(bytes, 'seed');
  const metadata = { ...decoded.metadata };
  change(metadata);
  const tensors = [...decoded.tensors].map(([name, t]) => ({ name, dtype: 'I32' as const, shape: t.shape, data: t.data as Int32Array }));
  const hash = createHash('sha256');
  for (const key of Object.keys(metadata).sort()) if (key !== 'payload_sha256') hash.update(`${key}\u0000${metadata[key]}\u0000`);
  for (const t of tensors) {
    hash.update(`${t.name}\u0000`);
    hash.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  metadata['payload_sha256'] = hash.digest('hex');
  return encodeSafetensorsBytes(tensors, metadata);
}

test('regression (fuzz): a checksum-valid ticket with wrong metadata types is an InputError, not a TypeError or a bad ticket', async () => {
  const { ticket } = await smallTicket();
  const bytes = Buffer.concat(encodeTicket(ticket));
  const withMeta = (edit: (meta: Record<string, any>) => unknown): Uint8Array =>
    resealed(bytes, (md) => {
      const meta = JSON.parse(md['ticket']!);
      const replaced = edit(meta);
      md['ticket'] = JSON.stringify(replaced === undefined ? meta : replaced);
    });
  // The re-sealing itself is faithful: an unchanged ticket still loads.
  assert.deepEqual(decodeTicket(withMeta(() => undefined), 't').meta, ticket.meta);
  const cases: [Uint8Array, RegExp][] = [
    [withMeta(() => null), /ticket metadata: expected a JSON object, got null/], // was: TypeError reading 'format' of null
    [withMeta((m) => { m['distribution'] = { kind: 'bogus' }; }), /distribution \{"kind":"bogus"\}: expected one of the kinds/], // was accepted
    [withMeta((m) => { m['distribution'] = null; }), /distribution null/], // was: TypeError in distributionProblem
    [withMeta((m) => { m['distribution']['high'] = new Array(10_000).fill(0.5); }), /distribution uniform: high \[0\.5,0\.5,.*\.\.\. is not a number/], // was a 50 KB message
    [withMeta((m) => { m['stages'][0]['sampleCount'] = '12'; }), /stage 1: sampleCount "12": expected a positive integer/], // was accepted
    [withMeta((m) => { m['stages'][0]['inUnits'] = 1e9; }), /stage 1: .* hidden weights per output is too large/],
    [withMeta((m) => { m['stages'][0]['after'] = [{ kind: 'maxpool2d', size: 0 }]; }), /stage 1: after holds \{"kind":"maxpool2d","size":0\}/],
    [withMeta((m) => { delete m['certificate']; }), /certificate undefined: expected finite bounds/],
    [withMeta((m) => { m['keptWeightsSha256'] = 7; }), /keptWeightsSha256 7: expected 64 hex digits/],
    [resealed(bytes, (md) => { md['format'] = 'x\n'.repeat(100_000); }), /not a lottery ticket \(metadata format is 'x\\nx\\n.*…', expected/],
  ];
  for (const [file, pattern] of cases) {
    assert.throws(() => decodeTicket(file, 't.ticket'), (error: unknown) => {
      assert.ok(error instanceof InputError, String(error));
      assert.match(error.message, /^t\.ticket: /);
      assert.match(error.message, pattern);
      assert.doesNotMatch(error.message, /\n/);
      assert.ok(error.message.length < 300, `${error.message.length} characters`);
      return true;
    });
  }
});
