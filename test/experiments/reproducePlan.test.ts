// The plan of `lottery reproduce`: the same steps at every scale, only smaller; every flag a real option of its
// verb; outputs under $OUT; configurations that depend on the seed and inputs but not on where the report lives;
// the quick run's expected duration within the 15 minutes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/main.js';
import {
  OUT_TOKEN,
  REPRODUCE_SCALES,
  STEP_IDS,
  WORKER_VERBS,
  commandLine,
  configHash,
  executedArgv,
  formatDuration,
  planReproduce,
  stepConfig,
  type ReproducePlan,
  type ReproduceScale,
} from '../../src/experiments/reproducePlan.js';

const root = join(import.meta.dirname, '..', '..', '..');
const spec = (file: string): unknown => JSON.parse(readFileSync(join(root, file), 'utf8'));

function plan(scale: ReproduceScale, seed = 1, target: { file: string; params: number } | null = null): ReproducePlan {
  const file = scale === 'quick' ? 'experiments/quick.json' : 'experiments/fc2.json';
  return planReproduce({ scale, seed, target, ...(scale === 'smoke' ? {} : { popupSpec: spec(file) }) });
}

/** A command's verb and the set of flags it passes (what "the same structure" means). */
const shape = (p: ReproducePlan) => p.steps.map((s) => ({ id: s.id, verbs: [...new Set(s.commands.map((c) => c.argv[0]))] }));

test('every scale has the five steps in the issue order; smoke has the structure of quick', () => {
  for (const scale of REPRODUCE_SCALES) assert.deepEqual(plan(scale).steps.map((s) => s.id), STEP_IDS);
  assert.deepEqual(shape(plan('smoke')), shape(plan('quick')));
  assert.deepEqual(shape(plan('quick')), shape(plan('full')));
  for (const scale of REPRODUCE_SCALES) {
    const names = plan(scale).steps.find((s) => s.id === 'experiment1')!.commands.map((c) => c.name);
    assert.deepEqual(names, ['per-row-closest', 'per-weight-closest', 'per-weight-sparsest', 'per-row-sparsest', 'sweep']);
  }
});

test('every flag of every command is an option of its verb; outputs go under $OUT', () => {
  const program = buildProgram({ stdout() {}, stderr() {}, interactive: false });
  for (const scale of REPRODUCE_SCALES) {
    for (const step of plan(scale).steps) {
      const names = step.commands.map((c) => c.name);
      assert.equal(new Set(names).size, names.length, `${scale} ${step.id}: command names repeat`);
      for (const command of step.commands) {
        const verb = program.commands.find((c) => c.name() === command.argv[0]);
        assert.ok(verb, `${command.argv[0]} is not a verb`);
        const known = new Set(verb!.options.map((o) => o.long));
        for (const token of command.argv.filter((a) => a.startsWith('--'))) assert.ok(known.has(token), `${scale}: lottery ${command.argv[0]} has no ${token}`);
        assert.ok(command.argv.includes('--json'), `${command.argv[0]} must print JSON`);
        const out = command.argv[command.argv.indexOf('--out') + 1];
        if (command.argv.includes('--out')) assert.ok(out!.startsWith(`${OUT_TOKEN}/`), out);
        for (const p of command.produces) assert.ok(p.startsWith(`${OUT_TOKEN}/`), p);
      }
    }
  }
});

test('a given target replaces training and is named in every later command', () => {
  const given = plan('quick', 1, { file: 'my model.onnx', params: 1234 });
  assert.equal(given.trained, false);
  const target = given.steps.find((s) => s.id === 'target')!;
  assert.deepEqual(target.commands[0]!.argv.slice(0, 3), ['eval', '--model', 'my model.onnx']);
  for (const id of ['experiment1', 'theorem1'] as const) {
    for (const c of given.steps.find((s) => s.id === id)!.commands) assert.equal(c.argv[c.argv.indexOf('--target') + 1], 'my model.onnx');
  }
  assert.match(commandLine(target.commands[0]!.argv), /--model 'my model\.onnx'/);
});

test('step configurations: seed and inputs change the hash, nothing machine-specific inside', () => {
  const a = plan('quick', 1);
  const b = plan('quick', 2);
  for (let i = 0; i < a.steps.length; i++) {
    const ca = stepConfig(a.steps[i]!, { targetSha256: 'aa' });
    assert.equal(configHash(ca), configHash(stepConfig(plan('quick', 1).steps[i]!, { targetSha256: 'aa' })));
    assert.notEqual(configHash(ca), configHash(stepConfig(a.steps[i]!, { targetSha256: 'bb' })));
    assert.notEqual(configHash(ca), configHash(stepConfig(b.steps[i]!, { targetSha256: 'aa' })), a.steps[i]!.id);
    assert.ok(!JSON.stringify(ca).includes(root), 'a real path in a configuration');
  }
});

test('expected durations: quick within 15 minutes, full states what dominates', () => {
  const quick = plan('quick');
  assert.ok(quick.expectedSeconds > 60 && quick.expectedSeconds <= 15 * 60, formatDuration(quick.expectedSeconds));
  assert.ok(plan('smoke').expectedSeconds < 60);
  const full = plan('full');
  assert.ok(full.expectedSeconds > quick.expectedSeconds * 10);
  assert.match(full.dominantNote, /^Experiment 2 dominates \(57 edge-popup runs × 10 epochs/);
  for (const p of [quick, full]) assert.ok(Math.abs(p.steps.reduce((s, x) => s + x.expectedSeconds, 0) - p.expectedSeconds) < 1e-6);
  assert.equal(formatDuration(45), '45 s');
  assert.equal(formatDuration(600), '10 min');
  assert.equal(formatDuration(36_000), '10.0 h');
});

test("Experiment 2 takes the repository's spec as is for its own seed, a copy with --seed otherwise", () => {
  assert.equal(plan('quick', 1).popupSpecFile, 'experiments/quick.json');
  assert.equal(plan('quick', 1).popupSpecToWrite, null);
  const other = plan('quick', 5);
  assert.equal(other.popupSpecFile, `${OUT_TOKEN}/work/experiment2/spec.json`);
  assert.deepEqual(other.popupSpecToWrite, { ...(spec('experiments/quick.json') as object), seed: 5 });
  assert.equal(other.popupSpec.seed, 5);
  assert.equal(plan('smoke', 7).popupSpec.seed, 7);
});

test('commandLine quotes what a shell would split, leaves $OUT paths to expand', () => {
  assert.equal(commandLine(['rss', '--out', '$OUT/work/rss']), 'lottery rss --out $OUT/work/rss');
  assert.equal(commandLine(['eval', '--model', "it's here.onnx"]), `lottery eval --model 'it'\\''s here.onnx'`);
});

test('--workers: passed to exactly the verbs that take it (run capped at 4), never part of a command as planned', () => {
  const program = buildProgram({ stdout() {}, stderr() {}, interactive: false });
  const verbs = new Set(REPRODUCE_SCALES.flatMap((scale) => plan(scale).steps.flatMap((s) => s.commands.map((c) => c.argv[0]!))));
  const taking = [...verbs].filter((verb) => program.commands.find((c) => c.name() === verb)!.options.some((o) => o.long === '--workers')).sort();
  assert.deepEqual(Object.keys(WORKER_VERBS).sort(), taking);
  for (const step of plan('smoke').steps) {
    for (const command of step.commands) {
      const planned = [...command.argv];
      const takes = Object.hasOwn(WORKER_VERBS, command.argv[0]!);
      assert.deepEqual(executedArgv(command.argv, null), planned);
      assert.deepEqual(executedArgv(command.argv, 3), takes ? [...planned, '--workers', '3'] : planned, commandLine(planned));
      assert.deepEqual(executedArgv(command.argv, 64), takes ? [...planned, '--workers', command.argv[0] === 'run' ? '4' : '64'] : planned);
      assert.deepEqual(command.argv, planned, 'executedArgv changed the plan');
    }
  }
  assert.deepEqual(executedArgv(['constructor', '--json'], 2), ['constructor', '--json']);
});
