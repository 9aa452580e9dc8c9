// Experiment spec files read from elsewhere (regressions found by fuzzing, docs/fuzzing.md): invalid JSON,
// values nested 100,000 deep and enormous strings are one-line InputErrors naming the file, never stack overflows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/errors.js';
import { parseSpecJson, resolvePopupRunSpec, resolvePopupSweepSpec, sweepRuns } from '../../src/experiments/popupSpec.js';
import { resolveRssSpec } from '../../src/experiments/rss.js';

const sweep = { experiment: 'popup', name: 'quick', arch: 'fc2', seed: 1, epochs: 2, structures: ['dense', 'ours-relu'], pruneFractions: [0.5, 0.9] };
const deep = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));

function refuses(run: () => unknown, pattern: RegExp, maxLength = 300): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.match(error.message, /^spec\.json: /);
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /[\n\r]/);
    assert.ok(error.message.length < maxLength, `${error.message.length} characters`);
    return true;
  });
}

test('regression (fuzz): a value nested 100,000 deep in any field is an InputError, not a stack overflow', () => {
  // JSON.parse reads it; the message used JSON.stringify, which overflows the stack past ~10,000 levels.
  refuses(() => resolvePopupSweepSpec({ ...sweep, seed: deep(100_000) }, 'spec.json'), /seed must be an integer 0\.\.4294967295, got \[\[\[\[\[\[\[\[\[…\]/);
  refuses(() => resolvePopupSweepSpec({ ...sweep, structures: [deep(100_000)] }, 'spec.json'), /structures: unknown structure \[\[\[/);
  refuses(() => resolvePopupRunSpec({ arch: 'fc2', seed: 1, epochs: 1, structure: 'wide', keepFraction: deep(100_000) }, 'spec.json'), /keepFraction must be a number in \[0, 1\]/);
});

test('regression (fuzz): enormous strings and keys are cut short in messages', () => {
  refuses(() => resolvePopupSweepSpec({ ...sweep, name: 'n'.repeat(5_000_000) }, 'spec.json'), /name must be 1–64 characters .*, got "nnnn+\.\.\.$/);
  refuses(() => resolvePopupSweepSpec({ ...sweep, ['k\n'.repeat(1_000_000)]: 1 }, 'spec.json'), /unknown key 'k\\nk\\n.*…' \(allowed: /, 500); // the allowed keys make it long
  refuses(() => resolvePopupSweepSpec({ ...sweep, arch: 'fc2\n' }, 'spec.json'), /arch must be one of fc2, fc4, lenet5, got "fc2\\n"/);
});

test('regression (fuzz): invalid JSON is reported on one line (V8 quotes the text around the error, newlines and all)', () => {
  refuses(() => parseSpecJson('{"a": 1,\n "b" x}', 'spec.json'), /not valid JSON \(Unexpected token 'x', .*1,\\n "b" x/);
  assert.deepEqual(parseSpecJson(JSON.stringify(sweep), 'spec.json'), sweep);
});

test('a resolved sweep reads back as itself, and every run of it is a valid run spec', () => {
  const resolved = resolvePopupSweepSpec(sweep, 'spec.json');
  assert.deepEqual(resolvePopupSweepSpec(JSON.parse(JSON.stringify(resolved)), 'spec.json'), resolved);
  for (const run of sweepRuns(resolved)) assert.deepEqual(resolvePopupRunSpec(JSON.parse(JSON.stringify(run)), 'spec.json'), run);
});

test('regression (fuzz): rss specs name their source and survive deep values', () => {
  const rss = { distributions: ['uniform'], sampleCounts: [4], tolerances: [0.01], trials: 10, seed: 1 };
  refuses(() => resolveRssSpec({ ...rss, trials: deep(100_000) }, 'spec.json'), /trials must be an integer in 2\.\.1e8, got \[\[\[/);
  refuses(() => resolveRssSpec({ ...rss, distributions: ['u'.repeat(1_000_000)] }, 'spec.json'), /unknown distribution "uuu+\.\.\. \(known:/);
  assert.throws(() => resolveRssSpec({ ...rss, seed: -1 }), /^InputError: rss spec: seed is required/);
});
