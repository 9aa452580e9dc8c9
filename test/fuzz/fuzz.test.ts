// The seeded fuzz slice of `npm test`: the first inputs of every reader's fuzz sequence (fuzz/targets.ts), each
// accepted with a sane result or rejected with a one-line InputError naming the file; the full run is `npm run fuzz`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz } from '../../fuzz/engine.js';
import { READERS, checkSeeds, createTarget } from '../../fuzz/targets.js';

/** Inputs per reader (16,000 in all: 6.8–8.4 s with 2 workers on the shared 2-core machine; the full run is 100,000). */
const SLICE = 2000;
/** Fixed so that a failure here is reproducible: node dist/fuzz/run.js --reader R --seed 20260704 --start I --iterations 1. */
const SEED = 20260704;

test('every seed input of every reader is accepted', async () => {
  for (const reader of READERS) checkSeeds(await createTarget(reader));
});

test(`fuzz slice: ${SLICE} mutated inputs per reader, zero failures`, { timeout: 300_000 }, async () => {
  const reports = await runFuzz({
    readers: READERS,
    iterations: SLICE,
    seed: SEED,
    jobs: 2,
    // Generous on a shared 2-core CI machine; the full run holds inputs to 2 s.
    inputSeconds: 20,
    hangSeconds: 60,
    failureDir: null,
  });
  for (const report of reports) {
    const detail = report.failures.map((f) => `iteration ${f.iteration} (${f.kind}): ${f.error.split('\n')[0]}`).join('\n');
    assert.equal(report.failed, 0, `${report.reader}: ${report.failed} failures (seed ${SEED})\n${detail}`);
    assert.equal(report.tried, SLICE, `${report.reader}: tried ${report.tried} of ${SLICE}`);
    assert.equal(report.accepted + report.rejected, SLICE);
    // The mutations reach past the first check: some inputs are accepted, most are rejected.
    assert.ok(report.accepted > 0 && report.rejected > SLICE / 2, `${report.reader}: ${report.accepted} accepted, ${report.rejected} rejected`);
  }
});
