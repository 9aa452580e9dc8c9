/**
 * The plan of `lottery reproduce`: the paper's results as five steps of ordinary `lottery` commands (random-subset-
 * sum coverage, the target, Experiment 1, Theorem 1, Experiment 2), their settings per scale (smoke, quick, full),
 * the configuration that identifies each step's records, and the expected duration from measured per-unit costs.
 * Pure: commands are argv lists whose output paths start with `$OUT/` (the report folder), resolved by the caller.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../core/errors.js';
import { canonicalJson } from '../io/runDirectory.js';
import { EXPERIMENT1_VARIANTS } from '../approximate/variants.js';
import { resolvePopupSweepSpec, sweepRuns, type PopupSweepSpec } from './popupSpec.js';
import type { PopupStructure } from '../popup/structures.js';

export type ReproduceScale = 'smoke' | 'quick' | 'full';
export const REPRODUCE_SCALES: readonly ReproduceScale[] = ['smoke', 'quick', 'full'];

export type StepId = 'rss' | 'target' | 'experiment1' | 'theorem1' | 'constructions' | 'experiment2';
export const STEP_IDS: readonly StepId[] = ['rss', 'target', 'experiment1', 'theorem1', 'constructions', 'experiment2'];

/** Version of the records layout (the header line of every records/<step>.jsonl). */
export const REPRODUCE_RECORDS_FORMAT = 'lottery-reproduce-records/1';
/** Token that stands for the --out folder in displayed commands and configurations. */
export const OUT_TOKEN = '$OUT';


export interface ScaleSettings {
  rss: { distributions: string[]; samples: string; tolerances: number[]; trials: number; targetProbability: number };
  /** Training of the target when no --target is given. */
  train: { arch: string; epochs: number; trainImages: number | null };
  experiment1: { tolerance: number; c: number; sweep: number[] };
  theorem1: {
    /**
     * ε of the ticket that is verified (first) and of the other pruned tickets (kept size against ε). ε is a
     * fraction in (0, 1): on the normalised network ‖f(x)‖ ≤ 1, so ε ≥ 1 is met by the empty ticket.
     */
    pruneTolerances: number[];
    /** ε grid of the size comparison (`lottery bound`). */
    boundTolerances: number[];
    malachSample: number;
    verifyRandomPoints: number;
    verifyAdversarial: number;
    /** First N MNIST test images for verify (null: all 10,000). */
    verifyLimit: number | null;
  };
  /**
   * Beyond twice as deep: the 2l and l+1 constructions pruned at ε and verified, and the smallest n meeting ε with
   * subsets of exactly k products for each k (density against over-parameterisation). `ownTarget`: a small MLP
   * trained in the step instead of the reproduction's target (null: that target). Every scale trains one: l+1 on
   * fc2 solves ρ ≈ 13 times the subset sums of 2l's first layer at a finer ε′ (over 10 minutes on 2 cores).
   */
  constructions: {
    tolerance: number;
    subsetSizes: number[];
    ownTarget: { arch: string; epochs: number; trainImages: number | null } | null;
    verifyRandomPoints: number;
    verifyAdversarial: number;
    verifyLimit: number | null;
  };
  /** experiments/<file>.json of the repository, or a spec written into the work folder (smoke). */
  experiment2: { specFile: string } | { inlineSpec: Record<string, unknown> };
}

const TOLERANCES = [0.01, 0.001, 0.0001];

export function scaleSettings(scale: ReproduceScale): ScaleSettings {
  const rss = { distributions: ['uniform', 'product', 'log-uniform'], tolerances: TOLERANCES, targetProbability: 0.9 };
  switch (scale) {
    case 'smoke':
      return {
        rss: { ...rss, samples: '4:40:4', trials: 20 },
        train: { arch: 'mlp:784-32-10', epochs: 1, trainImages: 5000 },
        experiment1: { tolerance: 0.01, c: 3, sweep: [4, 8, 12] },
        theorem1: { pruneTolerances: [0.5, 0.25], boundTolerances: [0.5, 0.25, 0.1], malachSample: 100, verifyRandomPoints: 500, verifyAdversarial: 200, verifyLimit: 2000 },
        constructions: { tolerance: 0.5, subsetSizes: [3, 4], ownTarget: { arch: 'mlp:784-16-10', epochs: 1, trainImages: 5000 }, verifyRandomPoints: 500, verifyAdversarial: 200, verifyLimit: 2000 },
        experiment2: {
          inlineSpec: {
            experiment: 'popup',
            name: 'smoke',
            description: 'A tiny sweep for tests: dense and ours-linear at pruned fraction 0.5, 1 epoch on 1,000 training images, 1,000 test images.',
            arch: 'fc2',
            seed: 1,
            epochs: 1,
            structures: ['dense', 'ours-linear'],
            pruneFractions: [0.5],
            trainCount: 1000,
            testCount: 1000,
          },
        },
      };
    case 'quick':
      return {
        rss: { ...rss, samples: '4:40', trials: 200 },
        train: { arch: 'fc2', epochs: 3, trainImages: null },
        experiment1: { tolerance: 0.01, c: 3, sweep: [4, 6, 8, 10, 12, 14, 16, 18, 21] },
        theorem1: { pruneTolerances: [0.5, 0.25], boundTolerances: [0.5, 0.25, 0.1, 0.05, 0.02, 0.01], malachSample: 1000, verifyRandomPoints: 2000, verifyAdversarial: 1000, verifyLimit: null },
        constructions: { tolerance: 0.5, subsetSizes: [2, 3, 4, 6], ownTarget: { arch: 'mlp:784-32-10', epochs: 2, trainImages: null }, verifyRandomPoints: 2000, verifyAdversarial: 1000, verifyLimit: null },
        experiment2: { specFile: 'experiments/quick.json' },
      };
    case 'full':
      return {
        rss: { ...rss, samples: '4:40', trials: 1000 },
        train: { arch: 'fc2', epochs: 5, trainImages: null },
        experiment1: { tolerance: 0.01, c: 3, sweep: [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24] },
        theorem1: { pruneTolerances: [0.5, 0.25, 0.1], boundTolerances: [0.5, 0.25, 0.1, 0.05, 0.02, 0.01, 0.001], malachSample: 1000, verifyRandomPoints: 10000, verifyAdversarial: 4096, verifyLimit: null },
        constructions: { tolerance: 0.5, subsetSizes: [2, 3, 4, 6, 8], ownTarget: { arch: 'mlp:784-100-10', epochs: 3, trainImages: null }, verifyRandomPoints: 10000, verifyAdversarial: 4096, verifyLimit: null },
        experiment2: { specFile: 'experiments/fc2.json' },
      };
  }
}

/** One `lottery` command of a step: argv with `$OUT/…` paths, the files it must leave behind to be reused. */
export interface StepCommand {
  /** Unique within the step; names its saved output (work/<step>/outputs/<name>.json). */
  name: string;
  argv: string[];
  produces: string[];
  expectedSeconds: number;
}

export interface ReproduceStep {
  id: StepId;
  title: string;
  commands: StepCommand[];
  expectedSeconds: number;
  /** What costs the time, for the plan printed up front. */
  costNote: string;
}

export interface ReproducePlanInput {
  scale: ReproduceScale;
  seed: number;
  /** A given target (path as typed, and its parameter count), or null: train one. */
  target: { file: string; params: number } | null;
  /** The JSON of experiment2's spec file (quick, full); ignored for smoke (inline spec). */
  popupSpec?: unknown;
}

export interface ReproducePlan {
  scale: ReproduceScale;
  seed: number;
  settings: ScaleSettings;
  /** The target file as commands name it. */
  targetFile: string;
  targetParams: number;
  trained: boolean;
  /** The resolved Experiment 2 sweep. */
  popupSpec: PopupSweepSpec;
  /** The spec file as commands name it (`experiments/quick.json`, or `$OUT/work/experiment2/spec.json`). */
  popupSpecFile: string;
  /** The spec reproduce writes to popupSpecFile before running (smoke, or another seed than the file's), or null. */
  popupSpecToWrite: Record<string, unknown> | null;
  steps: ReproduceStep[];
  expectedSeconds: number;
  /** One sentence: which step dominates. */
  dominantNote: string;
}

const out = (path: string): string => `${OUT_TOKEN}/${path}`;
/** File-name form of a tolerance: 1 → "1", 0.5 → "0.5". */
export const toleranceTag = (tolerance: number): string => String(tolerance);

/** Where reproduce writes an Experiment 2 spec of its own (smoke, or another seed). */
export const SMOKE_SPEC_PATH = out('work/experiment2/spec.json');

// ───────────────────────────── costs ─────────────────────────────

/**
 * Per-unit costs measured on a 2-core machine (AMD EPYC, Node 20; docs/reproduce.md), the edge-popup ones in a
 * quick run that shared the cores with other jobs (load ≈ 3.5): used only for the expected durations printed up
 * front, never for results.
 */
export const COSTS = {
  /** Seconds per command for loading MNIST, TensorFlow.js and the model. */
  command: 1,
  /** rss: seconds per (trial, distribution, tolerance) with n up to 40. */
  rssTrial: 5e-4,
  /** train: seconds per epoch of fc2 (397,000 weights) on 60,000 images, evaluation included. */
  fc2Epoch: 6,
  /** approximate: seconds per weight per 2^(n/2) (meet in the middle), closest objective; sparsest × 0.6. */
  approximateUnit: 8.7e-9,
  /** approximate: evaluating target and approximated network on 10,000 images, per fc2-sized network. */
  approximateEvaluation: 1,
  /** prune at ε = 1 for fc2 (extrapolated: measured 10.5 s at 0.5, 31 s at 0.1); × (1/ε)^0.65 for smaller ε. */
  pruneFc2: 7,
  /** verify for fc2: per 10,000 MNIST images, per 10,000 ball points, per 4,096 adversarial evaluations. */
  verifyData: 2,
  verifyBall: 2.5,
  verifyAdversarial: 1.2,
  /** bound for fc2: base, plus the Malach measurement at ε = 0.01 per 1,000 sampled entries, × (0.01/ε)^0.63. */
  boundBase: 2,
  boundMalach: 5.2,
  /** edge-popup: seconds per training image and epoch of fc2 (batch 64, one wasm thread), by structure. */
  popupPerImage: { dense: 1e-4, wide: 9e-4, 'ours-linear': 8.5e-4, 'ours-relu': 8e-4, theorem1: 9e-4 } as Record<PopupStructure, number>,
  /** edge-popup: evaluation of the test images after each epoch, as a fraction of a training image's cost. */
  popupEvaluation: 0.2,
} as const;

function approximateSeconds(params: number, n: number, objective: string): number {
  const solve = params * 2 ** (n / 2) * COSTS.approximateUnit * (objective === 'sparsest' ? 0.6 : 1);
  return COSTS.command + solve + COSTS.approximateEvaluation * Math.max(0.05, params / 397_000);
}

export function popupSweepSeconds(spec: PopupSweepSpec): number {
  const fc2 = spec.arch === 'fc2' ? 1 : spec.arch === 'fc4' ? 2.26 : 0.15;
  let seconds = 0;
  for (const run of sweepRuns(spec)) {
    const perImage = COSTS.popupPerImage[run.structure] * fc2;
    seconds += run.epochs * (run.trainCount + COSTS.popupEvaluation * run.testCount) * perImage;
  }
  return seconds + COSTS.command;
}

// ───────────────────────────── the plan ─────────────────────────────

/** n = c·round(log2(1/ε)), as `lottery approximate` computes it. */
export function formulaSampleCount(c: number, tolerance: number): number {
  return Math.round(c * Math.round(Math.log2(1 / tolerance)));
}

/**
 * Experiment 2's sweep: the repository's spec file as it is, or (smoke, or a --seed other than the file's) a copy
 * with the seed set, written by reproduce to $OUT/work/experiment2/spec.json (`toWrite`).
 */
export function resolvePopupSpecFor(scale: ReproduceScale, settings: ScaleSettings, popupSpec: unknown, seed: number): { spec: PopupSweepSpec; file: string; toWrite: Record<string, unknown> | null } {
  if ('inlineSpec' in settings.experiment2) {
    const toWrite = { ...settings.experiment2.inlineSpec, seed };
    return { spec: resolvePopupSweepSpec(toWrite, `reproduce --scale ${scale}`), file: SMOKE_SPEC_PATH, toWrite };
  }
  if (popupSpec === undefined) throw new InputError(`reproduce: the Experiment 2 spec ${settings.experiment2.specFile} was not given`);
  const spec = resolvePopupSweepSpec(popupSpec, settings.experiment2.specFile);
  if (spec.seed === seed) return { spec, file: settings.experiment2.specFile, toWrite: null };
  const toWrite = { ...(popupSpec as Record<string, unknown>), seed };
  return { spec: resolvePopupSweepSpec(toWrite, settings.experiment2.specFile), file: SMOKE_SPEC_PATH, toWrite };
}

export function planReproduce(input: ReproducePlanInput): ReproducePlan {
  const { scale, seed } = input;
  const settings = scaleSettings(scale);
  const s = String(seed);
  const trained = input.target === null;
  const targetFile = input.target?.file ?? out('work/target/target.safetensors');
  const targetParams = input.target?.params ?? (settings.train.arch === 'fc2' ? 397_000 : mlpParams(settings.train.arch));
  const size = Math.max(0.01, targetParams / 397_000);
  const { spec: popupSpec, file: popupSpecFile, toWrite: popupSpecToWrite } = resolvePopupSpecFor(scale, settings, input.popupSpec, seed);

  // 1. Random subset sum.
  const r = settings.rss;
  const rssCommand: StepCommand = {
    name: 'rss',
    argv: ['rss', '--distribution', r.distributions.join(','), '--samples', r.samples, '--tolerance', r.tolerances.join(','), '--trials', String(r.trials),
      '--target-probability', String(r.targetProbability), '--seed', s, '--out', out('work/rss'), '--json'],
    produces: [],
    expectedSeconds: COSTS.command + r.trials * r.distributions.length * r.tolerances.length * COSTS.rssTrial,
  };

  // 2. The target.
  const t = settings.train;
  const targetCommand: StepCommand = trained
    ? {
        name: 'train',
        argv: ['train', '--arch', t.arch, '--epochs', String(t.epochs), ...(t.trainImages !== null ? ['--train-images', String(t.trainImages)] : []), '--seed', s, '--out', targetFile, '--json'],
        produces: [targetFile],
        expectedSeconds: COSTS.command + t.epochs * COSTS.fc2Epoch * size * ((t.trainImages ?? 60_000) / 60_000),
      }
    : { name: 'eval', argv: ['eval', '--model', targetFile, '--json'], produces: [], expectedSeconds: COSTS.command + size };

  // 3. Experiment 1.
  const e = settings.experiment1;
  const n = formulaSampleCount(e.c, e.tolerance);
  const common = ['--target', targetFile, '--tolerance', String(e.tolerance), '--c', String(e.c)];
  const experiment1: StepCommand[] = EXPERIMENT1_VARIANTS.map((v) => ({
    name: v.id,
    argv: ['approximate', ...common, '--coefficients', v.coefficients, '--objective', v.objective, '--seed', s, '--out', out(`work/experiment1/${v.id}`), '--json'],
    produces: [],
    expectedSeconds: approximateSeconds(targetParams, n, v.objective),
  }));
  experiment1.push({
    name: 'sweep',
    argv: ['approximate', ...common, '--samples-sweep', e.sweep.join(','), '--seed', s, '--out', out('work/experiment1/sweep'), '--json'],
    produces: [],
    expectedSeconds: e.sweep.reduce((sum, k) => sum + approximateSeconds(targetParams, k, 'closest'), 0),
  });

  // 4. Theorem 1.
  const h = settings.theorem1;
  const theorem1: StepCommand[] = [];
  for (const tolerance of h.pruneTolerances) {
    const ticket = out(`work/theorem1/ticket-eps${toleranceTag(tolerance)}.safetensors`);
    theorem1.push({
      name: `prune-eps${toleranceTag(tolerance)}`,
      argv: ['prune', '--target', targetFile, '--tolerance', String(tolerance), '--seed', s, '--malach-sample', String(h.malachSample), '--out', ticket, '--json'],
      produces: [ticket],
      expectedSeconds: COSTS.command + COSTS.pruneFc2 * size * (1 / tolerance) ** 0.65,
    });
  }
  const mainTolerance = h.pruneTolerances[0]!;
  theorem1.push({
    name: `verify-eps${toleranceTag(mainTolerance)}`,
    argv: ['verify', '--ticket', out(`work/theorem1/ticket-eps${toleranceTag(mainTolerance)}.safetensors`), '--target', targetFile,
      '--random-points', String(h.verifyRandomPoints), '--adversarial-evaluations', String(h.verifyAdversarial), ...(h.verifyLimit !== null ? ['--limit', String(h.verifyLimit)] : []), '--json'],
    produces: [],
    expectedSeconds:
      COSTS.command +
      size * (COSTS.verifyData * ((h.verifyLimit ?? 10_000) / 10_000) + COSTS.verifyBall * (h.verifyRandomPoints / 10_000) + COSTS.verifyAdversarial * (h.verifyAdversarial / 4096)),
  });
  for (const tolerance of h.boundTolerances) {
    theorem1.push({
      name: `bound-eps${toleranceTag(tolerance)}`,
      argv: ['bound', '--target', targetFile, '--tolerance', String(tolerance), '--seed', s, '--malach-sample', String(h.malachSample), '--json'],
      produces: [],
      expectedSeconds: COSTS.command + size * COSTS.boundBase + COSTS.boundMalach * (h.malachSample / 1000) * (0.01 / tolerance) ** 0.63,
    });
  }

  // 5. Beyond twice as deep: 2l against l+1, and fixed-size subsets.
  const c = settings.constructions;
  const constructions: StepCommand[] = [];
  const cTarget = c.ownTarget === null ? targetFile : out('work/constructions/target.safetensors');
  const cSize = c.ownTarget === null ? size : Math.max(0.01, mlpParams(c.ownTarget.arch) / 397_000);
  if (c.ownTarget !== null) {
    const o = c.ownTarget;
    constructions.push({
      name: 'train',
      argv: ['train', '--arch', o.arch, '--epochs', String(o.epochs), ...(o.trainImages !== null ? ['--train-images', String(o.trainImages)] : []), '--seed', s, '--out', cTarget, '--json'],
      produces: [cTarget],
      expectedSeconds: COSTS.command + o.epochs * COSTS.fc2Epoch * cSize * ((o.trainImages ?? 60_000) / 60_000),
    });
  }
  for (const construction of ['2l', 'l+1'] as const) {
    const tag = construction === '2l' ? '2l' : 'l1';
    const ticket = out(`work/constructions/ticket-${tag}.safetensors`);
    constructions.push({
      name: `prune-${tag}`,
      argv: ['prune', '--target', cTarget, '--tolerance', String(c.tolerance), '--construction', construction, '--seed', s, '--malach-sample', '0', '--out', ticket, '--json'],
      produces: [ticket],
      // l+1 solves ρ ≈ 13 times the first layer's subset sums at a finer ε′ (measured ≈ 12× the 2l time).
      expectedSeconds: COSTS.command + COSTS.pruneFc2 * cSize * (1 / c.tolerance) ** 0.65 * (construction === '2l' ? 1 : 12),
    });
    constructions.push({
      name: `verify-${tag}`,
      argv: ['verify', '--ticket', ticket, '--target', cTarget, '--random-points', String(c.verifyRandomPoints), '--adversarial-evaluations', String(c.verifyAdversarial), ...(c.verifyLimit !== null ? ['--limit', String(c.verifyLimit)] : []), '--json'],
      produces: [],
      expectedSeconds: COSTS.command + cSize * (COSTS.verifyData * ((c.verifyLimit ?? 10_000) / 10_000) + COSTS.verifyBall * (c.verifyRandomPoints / 10_000) + COSTS.verifyAdversarial * (c.verifyAdversarial / 4096)) * (construction === '2l' ? 1 : 4),
    });
  }
  for (const k of c.subsetSizes) {
    constructions.push({
      name: `density-k${k}`,
      argv: ['bound', '--target', cTarget, '--tolerance', String(c.tolerance), '--search', '--subset-size', String(k), '--search-max', '40', '--malach-sample', '1', '--seed', s, '--json'],
      produces: [],
      expectedSeconds: COSTS.command + 6 * COSTS.pruneFc2 * cSize * (1 / c.tolerance) ** 0.65,
    });
  }

  // 6. Experiment 2.
  const experiment2: StepCommand = {
    name: 'run',
    argv: ['run', popupSpecFile, '--out', out('work/experiment2/runs'), '--json'],
    produces: [],
    expectedSeconds: popupSweepSeconds(popupSpec),
  };

  const total = (commands: StepCommand[]): number => commands.reduce((sum, c) => sum + c.expectedSeconds, 0);
  const runs = sweepRuns(popupSpec).length;
  const steps: ReproduceStep[] = [
    { id: 'rss', title: 'Random subset sum: coverage of [-1, 1] against n, and the fit n ≈ a·log2(1/ε) + b', commands: [rssCommand], expectedSeconds: 0, costNote: `${r.trials} trials × ${r.distributions.length} distributions` },
    {
      id: 'target',
      title: trained ? `The target: ${t.arch} trained on MNIST (${t.epochs} epoch${t.epochs === 1 ? '' : 's'})` : `The target: ${targetFile}`,
      commands: [targetCommand],
      expectedSeconds: 0,
      costNote: trained ? `${t.epochs} training epoch${t.epochs === 1 ? '' : 's'}` : 'one evaluation',
    },
    { id: 'experiment1', title: 'Experiment 1: every weight replaced by a subset sum of n random numbers', commands: experiment1, expectedSeconds: 0, costNote: `${EXPERIMENT1_VARIANTS.length} variants at n = ${n} and a sweep over ${e.sweep.length} values of n` },
    { id: 'theorem1', title: 'Theorem 1: a verified ticket, and sizes against ε', commands: theorem1, expectedSeconds: 0, costNote: `${h.pruneTolerances.length} prunes, a verification, ${h.boundTolerances.length} size comparisons` },
    {
      id: 'constructions',
      title: 'Beyond twice as deep: depth 2l against l+1, and tickets with a fixed number of products per weight',
      commands: constructions,
      expectedSeconds: 0,
      costNote: `2 prunes and verifications${c.ownTarget !== null ? ` (on a ${c.ownTarget.arch} trained for them)` : ''}, ${c.subsetSizes.length} searches over n`,
    },
    { id: 'experiment2', title: 'Experiment 2: edge-popup accuracy against remaining parameters', commands: [experiment2], expectedSeconds: 0, costNote: `${runs} edge-popup runs × ${popupSpec.epochs} epoch${popupSpec.epochs === 1 ? '' : 's'} on ${popupSpec.trainCount.toLocaleString('en-US')} images` },
  ];
  for (const step of steps) step.expectedSeconds = total(step.commands);
  const expectedSeconds = steps.reduce((sum, step) => sum + step.expectedSeconds, 0);
  const dominant = steps.reduce((a, b) => (b.expectedSeconds > a.expectedSeconds ? b : a));
  const share = Math.round((100 * dominant.expectedSeconds) / expectedSeconds);
  const dominantNote = `${dominant.title.split(':')[0]} dominates (${dominant.costNote}: ${formatDuration(dominant.expectedSeconds)}, ${share} % of the time)`;
  return { scale, seed, settings, targetFile, targetParams, trained, popupSpec, popupSpecFile, popupSpecToWrite, steps, expectedSeconds, dominantNote };
}

/** Weights of an `mlp:a-b-…` without biases. */
function mlpParams(arch: string): number {
  const widths = arch.replace(/^mlp:/, '').split('-').map(Number);
  let params = 0;
  for (let i = 1; i < widths.length; i++) params += widths[i - 1]! * widths[i]!;
  return params;
}

/** "45 s", "7 min", "2.5 h". */
export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

// ───────────────────────────── identity of a step ─────────────────────────────

export interface StepInputs {
  /** SHA-256 of the target file (steps that read it). */
  targetSha256?: string;
  /** SHA-256 of the canonical resolved Experiment 2 spec. */
  popupSpecSha256?: string;
}

/** What determines a step's records: its commands (as displayed, $OUT-relative), the inputs' checksums, the format. */
export function stepConfig(step: ReproduceStep, inputs: StepInputs): Record<string, unknown> {
  return { step: step.id, format: REPRODUCE_RECORDS_FORMAT, commands: step.commands.map((c) => c.argv), inputs };
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function configHash(config: unknown): string {
  return sha256Hex(canonicalJson(config));
}

// ───────────────────────────── threads ─────────────────────────────

/**
 * Verbs of the plan that take `--workers` (threads), and the most each accepts. Their results do not depend on it
 * (tested in test/hardening/determinism.test.ts), so reproduce passes it only when running a command: it is not part
 * of the commands shown, of a step's configuration or of a saved output's hash.
 */
export const WORKER_VERBS: Readonly<Record<string, number>> = { approximate: 256, prune: 256, verify: 256, bound: 256, run: 4 };

/** The argv run for a command: as planned, plus `--workers` (capped at what the verb accepts) when it takes it. */
export function executedArgv(argv: readonly string[], workers: number | null): string[] {
  const verb = argv[0] ?? '';
  if (workers === null || !Object.hasOwn(WORKER_VERBS, verb)) return [...argv];
  return [...argv, '--workers', String(Math.min(workers, WORKER_VERBS[verb]!))];
}

/** A command as a shell line (arguments with spaces or shell characters quoted). */
export function commandLine(argv: readonly string[]): string {
  return ['lottery', ...argv].map((a) => (/^[A-Za-z0-9_@%+=:,./$-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
