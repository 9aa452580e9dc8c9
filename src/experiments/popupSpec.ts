/**
 * Declarative specs of Experiment 2 (edge-popup on MNIST, Pensia et al. 2020 §5): one run (`lottery popup`) or a
 * sweep over structures × pruned fractions (`lottery run experiments/<figure>.json`). Validation rejects unknown
 * keys and bad values with the field and value named; a seed is required; resolving fills every default so the
 * resolved spec, saved beside the results, says everything that determined them.
 */
import { InputError } from '../core/errors.js';
import { describeJson, quoteText } from '../core/describe.js';
import { POPUP_WEIGHT_INITS, type PopupWeightInit } from '../popup/network.js';
import { POPUP_ARCHS, POPUP_STRUCTURES, type PopupArch, type PopupStructure } from '../popup/structures.js';

/** Where LeNet5's frozen conv layers come from: a LeNet5 trained first (as the paper), or random (Kaiming normal). */
export type ConvSource = 'trained' | 'random';
export const CONV_SOURCES: readonly ConvSource[] = ['trained', 'random'];
export type PopupSchedule = 'cosine' | 'constant';

/** The pruned fractions of the paper's figures (its code's `sparsity`). */
export const PAPER_PRUNE_FRACTIONS: readonly number[] = [0, 0.01, 0.02, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 0.98, 0.99];

/** Training settings shared by a single run and a sweep (all resolved). */
export interface PopupTraining {
  arch: PopupArch;
  seed: number;
  epochs: number;
  /** r of ours-linear / ours-relu and of the parameter count `wide` matches. */
  redundancy: number;
  /** n of theorem1 (blocks of 2n units). */
  sampleCount: number;
  weightInit: PopupWeightInit;
  /** SGD on the scores (edge-popup) or the weights (dense). */
  learningRate: number;
  momentum: number;
  /** On the scores of edge-popup runs; the dense baseline (src/nn/train.ts) trains without weight decay. */
  weightDecay: number;
  batchSize: number;
  schedule: PopupSchedule;
  /** Training examples used: the first `trainCount` of the 60,000 MNIST training images. */
  trainCount: number;
  /** Test examples: the first `testCount` of the 10,000 MNIST test images. */
  testCount: number;
  /** LeNet5 only (null otherwise). */
  convs: ConvSource | null;
  /** Epochs of the LeNet5 whose convs are copied (Adam 1e-3, batch 128, src/nn/train.ts defaults); null unless convs = trained. */
  convEpochs: number | null;
}

export interface PopupRunSpec extends PopupTraining {
  structure: PopupStructure;
  /** Fraction of every weight tensor kept (1 − pruneFraction); 1 for dense. */
  keepFraction: number;
}

export interface PopupSweepSpec extends PopupTraining {
  experiment: 'popup';
  name: string;
  description: string;
  structures: PopupStructure[];
  /** Pruned fractions of the masked structures (dense runs once, unpruned). */
  pruneFractions: number[];
}

const TRAINING_KEYS = [
  'arch', 'seed', 'epochs', 'redundancy', 'sampleCount', 'weightInit', 'learningRate', 'momentum', 'weightDecay', 'batchSize', 'schedule',
  'trainCount', 'testCount', 'convs', 'convEpochs',
] as const;
const RUN_KEYS = [...TRAINING_KEYS, 'structure', 'keepFraction', 'pruneFraction'];
const SWEEP_KEYS = [...TRAINING_KEYS, 'experiment', 'name', 'description', 'structures', 'pruneFractions', 'keepFractions'];

export const MNIST_TRAIN_COUNT = 60_000;
export const MNIST_TEST_COUNT = 10_000;

/** Default learning rate of the paper's runs: 0.1, LeNet5 0.01. */
export function defaultLearningRate(arch: PopupArch): number {
  return arch === 'lenet5' ? 0.01 : 0.1;
}

/** 1 − f rounded to 12 decimals, so that 1 − 0.9 is 0.1 as written (kept counts round(k·size) are unaffected). */
export function complementFraction(f: number): number {
  return Number((1 - f).toFixed(12));
}

/** JSON text of a spec file → value; invalid JSON is an InputError naming `source` (one line, the parser's reason). */
export function parseSpecJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`${source}: not valid JSON (${quoteText((error as Error).message, 200)})`);
  }
}

function objectOf(input: unknown, source: string): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new InputError(`${source}: expected a JSON object`);
  return input as Record<string, unknown>;
}

function checkKeys(spec: Record<string, unknown>, allowed: readonly string[], source: string): void {
  for (const key of Object.keys(spec)) {
    if (!allowed.includes(key)) throw new InputError(`${source}: unknown key '${quoteText(key)}' (allowed: ${allowed.join(', ')})`);
  }
}

function integer(spec: Record<string, unknown>, key: string, source: string, min: number, max: number, fallback?: number): number {
  const value = spec[key] ?? fallback;
  if (value === undefined) throw new InputError(`${source}: ${key} is required (an integer ${min}..${max})`);
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InputError(`${source}: ${key} must be an integer ${min}..${max}, got ${describeJson(value)}`);
  }
  return value;
}

function real(spec: Record<string, unknown>, key: string, source: string, check: (v: number) => boolean, rule: string, fallback: number): number {
  const value = spec[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) throw new InputError(`${source}: ${key} must be ${rule}, got ${describeJson(value)}`);
  return value;
}

function choice<T extends string>(spec: Record<string, unknown>, key: string, source: string, choices: readonly T[], fallback?: T): T {
  const value = spec[key] ?? fallback;
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new InputError(`${source}: ${key} must be one of ${choices.join(', ')}, got ${describeJson(value)}`);
  }
  return value as T;
}

function fraction(value: unknown, what: string, source: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) throw new InputError(`${source}: ${what} must be a number in [0, 1], got ${describeJson(value)}`);
  return value;
}

function resolveTraining(spec: Record<string, unknown>, source: string): PopupTraining {
  const arch = choice(spec, 'arch', source, POPUP_ARCHS);
  const lenet = arch === 'lenet5';
  if (!lenet && spec['convs'] !== undefined && spec['convs'] !== null) throw new InputError(`${source}: convs applies to lenet5 only, got arch ${arch}`);
  const convs = lenet ? choice(spec, 'convs', source, CONV_SOURCES, 'trained') : null;
  if (convs !== 'trained' && spec['convEpochs'] !== undefined && spec['convEpochs'] !== null) {
    throw new InputError(`${source}: convEpochs applies to lenet5 with convs "trained" only`);
  }
  return {
    arch,
    seed: integer(spec, 'seed', source, 0, 0xffffffff),
    epochs: integer(spec, 'epochs', source, 1, 10_000),
    redundancy: integer(spec, 'redundancy', source, 1, 64, 5),
    sampleCount: integer(spec, 'sampleCount', source, 1, 32, 3),
    weightInit: choice(spec, 'weightInit', source, POPUP_WEIGHT_INITS, 'kaiming-normal'),
    learningRate: real(spec, 'learningRate', source, (v) => v > 0, 'a number > 0', defaultLearningRate(arch)),
    momentum: real(spec, 'momentum', source, (v) => v >= 0 && v < 1, 'a number in [0, 1)', 0.9),
    weightDecay: real(spec, 'weightDecay', source, (v) => v >= 0, 'a number ≥ 0', 5e-4),
    batchSize: integer(spec, 'batchSize', source, 1, 60_000, 64),
    schedule: choice<PopupSchedule>(spec, 'schedule', source, ['cosine', 'constant'], 'cosine'),
    trainCount: integer(spec, 'trainCount', source, 1, MNIST_TRAIN_COUNT, MNIST_TRAIN_COUNT),
    testCount: integer(spec, 'testCount', source, 1, MNIST_TEST_COUNT, MNIST_TEST_COUNT),
    convs,
    convEpochs: convs === 'trained' ? integer(spec, 'convEpochs', source, 1, 1000, 2) : null,
  };
}

/**
 * A single run. keepFraction or pruneFraction (not both; neither for dense, which is never pruned).
 * `source` names where the spec came from in error messages (a file or "lottery popup").
 */
export function resolvePopupRunSpec(input: unknown, source = 'popup spec'): PopupRunSpec {
  const spec = objectOf(input, source);
  checkKeys(spec, RUN_KEYS, source);
  const training = resolveTraining(spec, source);
  const structure = choice(spec, 'structure', source, POPUP_STRUCTURES);
  const keep = spec['keepFraction'];
  const prune = spec['pruneFraction'];
  if (keep !== undefined && prune !== undefined) throw new InputError(`${source}: give keepFraction or pruneFraction, not both`);
  let keepFraction: number;
  if (structure === 'dense') {
    if ((keep !== undefined && keep !== 1) || (prune !== undefined && prune !== 0)) {
      throw new InputError(`${source}: the dense baseline is trained, not pruned: keepFraction must be 1 (got ${describeJson(keep ?? 1 - (prune as number))})`);
    }
    keepFraction = 1;
  } else if (keep !== undefined) {
    keepFraction = fraction(keep, 'keepFraction', source);
  } else if (prune !== undefined) {
    keepFraction = complementFraction(fraction(prune, 'pruneFraction', source));
  } else {
    throw new InputError(`${source}: keepFraction or pruneFraction is required for structure ${structure}`);
  }
  return { ...training, structure, keepFraction };
}

/** A sweep (`lottery run`): structures × pruneFractions (or keepFractions), one seed. */
export function resolvePopupSweepSpec(input: unknown, source = 'popup spec'): PopupSweepSpec {
  const spec = objectOf(input, source);
  checkKeys(spec, SWEEP_KEYS, source);
  if (spec['experiment'] !== 'popup') throw new InputError(`${source}: experiment must be "popup", got ${describeJson(spec['experiment'])}`);
  const training = resolveTraining(spec, source);
  const name = spec['name'];
  if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new InputError(`${source}: name must be 1–64 characters of A-Z a-z 0-9 . _ -, got ${describeJson(name)}`);
  const description = spec['description'] ?? '';
  if (typeof description !== 'string') throw new InputError(`${source}: description must be a string`);
  const structuresValue = spec['structures'];
  if (!Array.isArray(structuresValue) || structuresValue.length === 0) throw new InputError(`${source}: structures must be a non-empty array of ${POPUP_STRUCTURES.join(', ')}`);
  const structures = structuresValue.map((s) => {
    if (typeof s !== 'string' || !(POPUP_STRUCTURES as readonly string[]).includes(s)) throw new InputError(`${source}: structures: unknown structure ${describeJson(s)} (known: ${POPUP_STRUCTURES.join(', ')})`);
    return s as PopupStructure;
  });
  if (new Set(structures).size !== structures.length) throw new InputError(`${source}: structures lists a structure twice`);
  const keeps = spec['keepFractions'];
  const prunes = spec['pruneFractions'];
  if ((keeps === undefined) === (prunes === undefined)) throw new InputError(`${source}: give exactly one of pruneFractions and keepFractions`);
  const list = (keeps ?? prunes) as unknown;
  const key = keeps !== undefined ? 'keepFractions' : 'pruneFractions';
  if (!Array.isArray(list) || list.length === 0) throw new InputError(`${source}: ${key} must be a non-empty array of numbers in [0, 1]`);
  const given = list.map((v) => fraction(v, key, source));
  // Fractions are stored as pruned fractions (the paper's grid); a given keep fraction k becomes 1 − k.
  const pruneFractions = keeps !== undefined ? given.map(complementFraction) : given;
  if (new Set(pruneFractions).size !== pruneFractions.length) throw new InputError(`${source}: ${key} lists a fraction twice`);
  return { experiment: 'popup', name, description, ...training, structures, pruneFractions: [...pruneFractions].sort((a, b) => a - b) };
}

/** The runs of a sweep, in order: dense once (unpruned), then every masked structure at every pruned fraction. */
export function sweepRuns(spec: PopupSweepSpec): PopupRunSpec[] {
  const { experiment: _e, name: _n, description: _d, structures, pruneFractions, ...training } = spec;
  const runs: PopupRunSpec[] = [];
  for (const structure of structures) {
    if (structure === 'dense') runs.push({ ...training, structure, keepFraction: 1 });
    else for (const p of pruneFractions) runs.push({ ...training, structure, keepFraction: complementFraction(p) });
  }
  return runs;
}
