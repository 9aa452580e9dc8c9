/**
 * The records of `lottery reproduce`: one JSONL file per step (records/<step>.jsonl), a header line with the
 * step's configuration and its hash, then one flat record per result, built from the JSON the `lottery` verbs
 * print (timings left out, so equal seeds give byte-identical records). Also the published numbers as records,
 * and reading a records folder back with the file and line of every record (the report links numbers to them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.js';
import { PUBLISHED_EXPERIMENT1, type ApproximateRunSummary } from './approximateRun.js';
import { PUBLISHED_POPUP, type PopupRunRecord } from './popup.js';
import { fitSampleCounts, resolveRssSpec, type RssFit, type RssRecord } from './rss.js';
import { EXPERIMENT1_VARIANTS } from '../approximate/variants.js';
import { REPRODUCE_RECORDS_FORMAT, STEP_IDS, type StepId } from './reproducePlan.js';
import type { PopupArch, PopupStructure } from '../popup/structures.js';

export const RECORDS_FOLDER = 'records';
export const PUBLISHED_RECORDS = 'published';

// ───────────────────────────── record types ─────────────────────────────

export interface StepHeaderRecord {
  type: 'step';
  step: StepId;
  format: string;
  configHash: string;
  config: unknown;
  /** The toolkit that computed the records (not part of the configuration: a new commit does not rerun a step). */
  madeBy?: { lottery: string; gitCommit: string | null; node: string };
}

export type RssCellRecord = { type: 'rss-cell' } & RssRecord;
export type RssFitRecord = { type: 'rss-fit' } & RssFit;

export interface TargetEpoch {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number | null;
}

export interface TargetRecord {
  type: 'target';
  /** As the commands name it ($OUT/… when trained here). */
  file: string;
  sha256: string;
  arch: string | null;
  params: number;
  trained: boolean;
  epochs: number | null;
  trainImages: number | null;
  /** Test accuracy on the 10,000 MNIST test images (our forward pass). */
  testAccuracy: number;
  testLoss: number;
  history: TargetEpoch[];
}

/** The result fields of `lottery approximate`'s summary (everything but timings and the resume count). */
type Experiment1Result = Pick<
  ApproximateRunSummary,
  | 'targetParams' | 'randomParams' | 'paperRandomParams' | 'keptParams' | 'distinctKeptParams' | 'relativeKeptSize'
  | 'relativeDistinctKeptSize' | 'maxWeightError' | 'meanWeightError' | 'weightsOutsideTolerance' | 'zeroApproximations'
  | 'targetAccuracy' | 'ticketAccuracy'
>;

export interface Experiment1Record extends Experiment1Result {
  type: 'experiment1-variant' | 'experiment1-sweep';
  /** EXPERIMENT1_VARIANTS id, or "sweep". */
  variant: string;
  coefficients: string;
  objective: string;
  distribution: string;
  resolvedDistribution: string;
  n: number;
  tolerance: number;
  seed: number;
}

export interface TicketRecord {
  type: 'theorem1-ticket';
  tolerance: number;
  file: string;
  seed: number;
  distribution: string;
  objective: string;
  sampleCounts: number[];
  depth: number;
  inputDomain: string;
  inputRadius: number;
  outputScale: number;
  targetParams: number;
  randomParams: number;
  randomBlockParams: number;
  keptParams: number;
  instances: number;
  instancesSavedNonnegative: number;
  outsideTolerance: number;
  certifiedBound: number;
  certifiedBoundNormalised: number;
  guaranteedBound: number;
}

export interface VerifyRecord {
  type: 'theorem1-verify';
  tolerance: number;
  ticket: string;
  keptParams: number;
  randomParams: number;
  inputRadius: number;
  inputDomain: string;
  certifiedBound: number;
  certifiedBoundNormalised: number;
  maxOutputError: number;
  dataCount: number | null;
  dataMax: number | null;
  dataMean: number | null;
  ballCount: number;
  ballMax: number;
  ballMean: number;
  adversarialEvaluations: number;
  adversarialMax: number;
  withinCertificate: boolean;
  targetAccuracy: number | null;
  ticketAccuracy: number | null;
  argmaxAgreement: number | null;
}

export interface SizesRecord {
  type: 'theorem1-sizes';
  tolerance: number;
  targetParams: number;
  sampleCounts: number[];
  randomDense: number;
  randomBlock: number;
  failureProbability: number;
  formulaSampleCount: number;
  formulaRandomDense: number;
  formulaRandomBlock: number;
  malachWidths: number[];
  /** Sampled entries with no hit within the search cap (then the Malach widths are lower bounds). */
  malachUnresolved: number;
  malachRandomDense: number;
  malachRandomBlock: number;
  malachAnalyticRandomDense: number | null;
  lowerBound: number;
}

export interface PopupEpoch {
  epoch: number;
  learningRate: number;
  trainLoss: number;
  trainAccuracy: number;
  testAccuracy: number | null;
}

export type PopupRecord = { type: 'popup-run'; history: PopupEpoch[] } & Omit<PopupRunRecord, 'history' | 'seconds' | 'secondsPerEpoch'>;

export type PublishedExperiment1Record = { type: 'published-experiment1'; source: string } & { -readonly [K in keyof typeof PUBLISHED_EXPERIMENT1]: number };

export interface PublishedPopupRecord {
  type: 'published-popup';
  arch: PopupArch;
  structure: PopupStructure;
  pruneFraction: number;
  accuracy: number;
  source: string;
}

export type ReproduceRecord =
  | RssCellRecord
  | RssFitRecord
  | TargetRecord
  | Experiment1Record
  | TicketRecord
  | VerifyRecord
  | SizesRecord
  | PopupRecord
  | PublishedExperiment1Record
  | PublishedPopupRecord;

// ───────────────────────────── from verb outputs ─────────────────────────────

type Json = Record<string, unknown>;

function object(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InputError(`reproduce: ${what}: expected a JSON object from the command`);
  return value as Json;
}

function array(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new InputError(`reproduce: ${what}: expected a JSON array from the command`);
  return value;
}

function num(o: Json, key: string, what: string): number {
  const v = o[key];
  if (typeof v !== 'number') throw new InputError(`reproduce: ${what}: ${key} is not a number (${JSON.stringify(v)})`);
  return v;
}

function numOrNull(o: Json, key: string, what: string): number | null {
  return o[key] === null || o[key] === undefined ? null : num(o, key, what);
}

function str(o: Json, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new InputError(`reproduce: ${what}: ${key} is not a string (${JSON.stringify(v)})`);
  return v;
}

/** rss: the cells as printed by `lottery rss --json`, and the fit recomputed from them (src/experiments/rss.ts). */
export function rssRecords(output: unknown, targetProbability: number): (RssCellRecord | RssFitRecord)[] {
  const cells = array(output, 'rss') as RssRecord[];
  if (cells.length === 0) throw new InputError('reproduce: rss printed no records');
  const unique = <T>(values: T[]): T[] => [...new Set(values)];
  const spec = resolveRssSpec({
    distributions: unique(cells.map((c) => c.distribution)),
    sampleCounts: unique(cells.map((c) => c.sampleCount)),
    tolerances: unique(cells.map((c) => c.tolerance)),
    trials: cells[0]!.trials,
    seed: cells[0]!.seed,
    interval: { low: cells[0]!.intervalLow, high: cells[0]!.intervalHigh },
    targetProbability,
  });
  return [
    ...cells.map((c): RssCellRecord => ({ type: 'rss-cell', ...c })),
    ...fitSampleCounts(cells, spec).map((f): RssFitRecord => ({ type: 'rss-fit', ...f })),
  ];
}

/** target: `lottery train --json` (trained) or `lottery eval --json` (given), plus what the caller knows of the file. */
export function targetRecord(output: unknown, file: { file: string; sha256: string; arch: string | null; trained: boolean }): TargetRecord {
  const o = object(output, 'target');
  if (file.trained) {
    const history = array(o['history'], 'train history').map((h): TargetEpoch => {
      const e = object(h, 'train history');
      return { epoch: num(e, 'epoch', 'train'), trainLoss: num(e, 'trainLoss', 'train'), trainAccuracy: num(e, 'trainAccuracy', 'train'), testAccuracy: numOrNull(e, 'testAccuracy', 'train') };
    });
    return {
      type: 'target', file: file.file, sha256: file.sha256, arch: str(o, 'arch', 'train'), params: num(o, 'params', 'train'), trained: true,
      epochs: num(o, 'epochs', 'train'), trainImages: num(o, 'trainImages', 'train'), testAccuracy: num(o, 'testAccuracy', 'train'), testLoss: num(o, 'testLoss', 'train'), history,
    };
  }
  return {
    type: 'target', file: file.file, sha256: file.sha256, arch: file.arch, params: num(o, 'params', 'eval'), trained: false,
    epochs: null, trainImages: null, testAccuracy: num(o, 'accuracy', 'eval'), testLoss: num(o, 'loss', 'eval'), history: [],
  };
}

function experiment1Record(type: Experiment1Record['type'], variant: string, summary: unknown): Experiment1Record {
  const s = object(summary, `approximate ${variant}`);
  const o = object(s['options'], `approximate ${variant} options`);
  const w = `approximate ${variant}`;
  return {
    type, variant,
    coefficients: str(o, 'coefficients', w), objective: str(o, 'objective', w), distribution: str(o, 'distribution', w), resolvedDistribution: str(o, 'resolvedDistribution', w),
    n: num(s, 'n', w), tolerance: num(o, 'tolerance', w), seed: num(s, 'seed', w),
    targetParams: num(s, 'targetParams', w), randomParams: num(s, 'randomParams', w), paperRandomParams: num(s, 'paperRandomParams', w),
    keptParams: num(s, 'keptParams', w), distinctKeptParams: num(s, 'distinctKeptParams', w),
    relativeKeptSize: num(s, 'relativeKeptSize', w), relativeDistinctKeptSize: num(s, 'relativeDistinctKeptSize', w),
    maxWeightError: num(s, 'maxWeightError', w), meanWeightError: num(s, 'meanWeightError', w),
    weightsOutsideTolerance: num(s, 'weightsOutsideTolerance', w), zeroApproximations: num(s, 'zeroApproximations', w),
    targetAccuracy: numOrNull(s, 'targetAccuracy', w), ticketAccuracy: numOrNull(s, 'ticketAccuracy', w),
  };
}

/** Experiment 1: one record per variant (outputs keyed by variant id), then one per n of the sweep (sorted by n). */
export function experiment1Records(outputs: Record<string, unknown>): Experiment1Record[] {
  const variants = EXPERIMENT1_VARIANTS.map((v) => experiment1Record('experiment1-variant', v.id, outputs[v.id]));
  const sweep = array(outputs['sweep'], 'approximate sweep').map((row) => experiment1Record('experiment1-sweep', 'sweep', row)).sort((a, b) => a.n - b.n);
  return [...variants, ...sweep];
}

function ticketRecord(output: unknown): TicketRecord {
  const o = object(output, 'prune');
  const w = 'prune';
  const scales = object(o['scales'], 'prune scales');
  const stages = array(o['stages'], 'prune stages').map((s) => object(s, 'prune stage'));
  return {
    type: 'theorem1-ticket', tolerance: num(o, 'tolerance', w), file: str(o, 'ticket', w), seed: num(o, 'seed', w), distribution: str(o, 'distribution', w), objective: str(o, 'objective', w),
    sampleCounts: stages.map((s) => num(s, 'sampleCount', w)), depth: num(o, 'depth', w), inputDomain: str(o, 'inputDomain', w), inputRadius: num(o, 'inputRadius', w),
    outputScale: num(scales, 'outputScale', w), targetParams: num(o, 'targetParams', w), randomParams: num(o, 'randomParams', w), randomBlockParams: num(o, 'randomBlockParams', w),
    keptParams: num(o, 'keptParams', w), instances: num(o, 'instances', w), instancesSavedNonnegative: num(o, 'instancesSavedNonnegative', w), outsideTolerance: num(o, 'outsideTolerance', w),
    certifiedBound: num(o, 'certifiedBound', w), certifiedBoundNormalised: num(o, 'certifiedBoundNormalised', w), guaranteedBound: num(o, 'guaranteedBound', w),
  };
}

function verifyRecord(output: unknown): VerifyRecord {
  const o = object(output, 'verify');
  const w = 'verify';
  const data = o['dataError'] === null ? null : object(o['dataError'], 'verify dataError');
  const ball = object(o['ballError'], 'verify ballError');
  const adversarial = object(o['adversarialError'], 'verify adversarialError');
  return {
    type: 'theorem1-verify', tolerance: num(o, 'tolerance', w), ticket: str(o, 'ticket', w), keptParams: num(o, 'keptParams', w), randomParams: num(o, 'randomParams', w),
    inputRadius: num(o, 'inputRadius', w), inputDomain: str(o, 'inputDomain', w), certifiedBound: num(o, 'certifiedBound', w), certifiedBoundNormalised: num(o, 'certifiedBoundNormalised', w),
    maxOutputError: num(o, 'maxOutputError', w),
    dataCount: data === null ? null : num(data, 'count', w), dataMax: data === null ? null : num(data, 'max', w), dataMean: data === null ? null : num(data, 'mean', w),
    ballCount: num(ball, 'count', w), ballMax: num(ball, 'max', w), ballMean: num(ball, 'mean', w),
    adversarialEvaluations: num(adversarial, 'evaluations', w), adversarialMax: num(adversarial, 'max', w),
    withinCertificate: o['withinCertificate'] === true,
    targetAccuracy: numOrNull(o, 'targetAccuracy', w), ticketAccuracy: numOrNull(o, 'ticketAccuracy', w), argmaxAgreement: numOrNull(o, 'argmaxAgreement', w),
  };
}

function sizesRecord(output: unknown): SizesRecord {
  const o = object(output, 'bound');
  const w = 'bound';
  const t1 = object(o['theorem1'], 'bound theorem1');
  const formula = object(o['theorem1Formula'], 'bound theorem1Formula');
  const malach = object(o['malach'], 'bound malach');
  const malachStages = array(malach['stages'], 'bound malach stages').map((s) => object(s, 'bound malach stage'));
  return {
    type: 'theorem1-sizes', tolerance: num(o, 'tolerance', w), targetParams: num(o, 'targetParams', w),
    sampleCounts: array(t1['sampleCounts'], w).map(Number), randomDense: num(t1, 'randomDense', w), randomBlock: num(t1, 'randomBlock', w),
    failureProbability: num(formula, 'failureProbability', w), formulaSampleCount: num(formula, 'sampleCount', w),
    formulaRandomDense: num(formula, 'randomDense', w), formulaRandomBlock: num(formula, 'randomBlock', w),
    malachWidths: array(malach['widths'], w).map(Number), malachUnresolved: malachStages.reduce((sum, s) => sum + num(s, 'unresolved', w), 0),
    malachRandomDense: num(malach, 'randomDense', w), malachRandomBlock: num(malach, 'randomBlock', w), malachAnalyticRandomDense: numOrNull(malach, 'analyticRandomDense', w),
    lowerBound: num(o, 'lowerBound', w),
  };
}

/** Theorem 1: tickets (prune-eps*), the verification (verify-eps*), sizes against ε (bound-eps*), in plan order. */
export function theorem1Records(outputs: Record<string, unknown>, order: readonly string[]): (TicketRecord | VerifyRecord | SizesRecord)[] {
  const records: (TicketRecord | VerifyRecord | SizesRecord)[] = [];
  for (const name of order) {
    const output = outputs[name];
    if (name.startsWith('prune-')) records.push(ticketRecord(output));
    else if (name.startsWith('verify-')) records.push(verifyRecord(output));
    else if (name.startsWith('bound-')) records.push(sizesRecord(output));
  }
  return records.sort((a, b) => typeOrder(a.type) - typeOrder(b.type) || b.tolerance - a.tolerance);
}

const typeOrder = (type: string): number => ['theorem1-ticket', 'theorem1-verify', 'theorem1-sizes'].indexOf(type);

/** Experiment 2: the sweep's records (`lottery run --json`) without their timings. */
export function popupRecords(output: unknown): PopupRecord[] {
  return (array(output, 'run') as PopupRunRecord[]).map((r) => {
    const { history, seconds: _seconds, secondsPerEpoch: _perEpoch, ...rest } = r;
    return {
      type: 'popup-run',
      ...rest,
      history: history.map((h) => ({ epoch: h.epoch, learningRate: h.learningRate, trainLoss: h.trainLoss, trainAccuracy: h.trainAccuracy, testAccuracy: h.testAccuracy ?? null })),
    };
  });
}

/** The paper's numbers that the report sets beside ours (digest §3, from the official code's result files). */
export function publishedRecords(): (PublishedExperiment1Record | PublishedPopupRecord)[] {
  return [
    { type: 'published-experiment1', ...PUBLISHED_EXPERIMENT1, source: 'Pensia et al. (NeurIPS 2020) §5, Experiment 1 table; src/experiments/approximateRun.ts PUBLISHED_EXPERIMENT1' },
    ...PUBLISHED_POPUP.map((p): PublishedPopupRecord => ({
      type: 'published-popup', arch: p.arch, structure: p.structure, pruneFraction: p.pruneFraction, accuracy: p.accuracy,
      source: 'Pensia et al. (NeurIPS 2020) Fig. 3, best over runs of 10-100 epochs (official result files); src/experiments/popup.ts PUBLISHED_POPUP',
    })),
  ];
}

// ───────────────────────────── files ─────────────────────────────

/** records/<name>.jsonl, relative to the report folder (the href the report uses). */
export function recordsPath(name: string): string {
  return `${RECORDS_FOLDER}/${name}.jsonl`;
}

/** JSONL text: the header (if any), then one record per line. */
export function encodeRecords(header: StepHeaderRecord | null, records: readonly ReproduceRecord[]): string {
  return [...(header ? [header] : []), ...records].map((r) => JSON.stringify(r)).join('\n') + '\n';
}

/** A record with where it came from: `file` relative to the report folder, 1-based `line`. */
export interface Located<T> {
  file: string;
  line: number;
  data: T;
}

export interface RecordsFile {
  header: StepHeaderRecord | null;
  records: Located<ReproduceRecord>[];
}

export function parseRecords(text: string, file: string): RecordsFile {
  let header: StepHeaderRecord | null = null;
  const records: Located<ReproduceRecord>[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new InputError(`${file}: line ${i + 1} is not JSON (${(error as Error).message})`);
    }
    const type = (value as { type?: unknown } | null)?.type;
    if (typeof type !== 'string') throw new InputError(`${file}: line ${i + 1} has no "type"`);
    if (type === 'step') header = value as StepHeaderRecord;
    else records.push({ file, line: i + 1, data: value as ReproduceRecord });
  });
  return { header, records };
}

/** The header of records/<step>.jsonl in `dir`, or null when missing or unreadable (the step then runs). */
export function readStepHeader(dir: string, step: StepId): StepHeaderRecord | null {
  const path = join(dir, recordsPath(step));
  if (!existsSync(path)) return null;
  try {
    const header = parseRecords(readFileSync(path, 'utf8'), recordsPath(step)).header;
    return header !== null && header.format === REPRODUCE_RECORDS_FORMAT ? header : null;
  } catch {
    return null;
  }
}

/** Every record of a report folder, grouped by type, each with its file and line. */
export interface ReproduceRecordSet {
  /** The header of every step's records file, in step order. */
  headers: Located<StepHeaderRecord>[];
  rssCells: Located<RssCellRecord>[];
  rssFits: Located<RssFitRecord>[];
  target: Located<TargetRecord>;
  experiment1Variants: Located<Experiment1Record>[];
  experiment1Sweep: Located<Experiment1Record>[];
  tickets: Located<TicketRecord>[];
  verify: Located<VerifyRecord>;
  sizes: Located<SizesRecord>[];
  popupRuns: Located<PopupRecord>[];
  publishedExperiment1: Located<PublishedExperiment1Record>;
  publishedPopup: Located<PublishedPopupRecord>[];
}

/** Groups located records by type; throws naming the missing kind when a step's records are absent. */
export function groupRecords(all: readonly Located<ReproduceRecord>[], headers: Located<StepHeaderRecord>[] = []): ReproduceRecordSet {
  const of = <T extends ReproduceRecord>(type: T['type']): Located<T>[] => all.filter((r) => r.data.type === type) as Located<T>[];
  const one = <T extends ReproduceRecord>(type: T['type']): Located<T> => {
    const found = of<T>(type);
    if (found.length === 0) throw new InputError(`reproduce: no ${type} record`);
    return found[0]!;
  };
  return {
    headers,
    rssCells: of('rss-cell'),
    rssFits: of('rss-fit'),
    target: one('target'),
    experiment1Variants: of('experiment1-variant'),
    experiment1Sweep: of('experiment1-sweep'),
    tickets: of('theorem1-ticket'),
    verify: one('theorem1-verify'),
    sizes: of('theorem1-sizes'),
    popupRuns: of('popup-run'),
    publishedExperiment1: one('published-experiment1'),
    publishedPopup: of('published-popup'),
  };
}

/** Reads records/<step>.jsonl of every step and records/published.jsonl from a report folder. */
export function loadRecords(dir: string): ReproduceRecordSet {
  const all: Located<ReproduceRecord>[] = [];
  const headers: Located<StepHeaderRecord>[] = [];
  for (const name of [...STEP_IDS, PUBLISHED_RECORDS]) {
    const file = recordsPath(name);
    const path = join(dir, file);
    if (!existsSync(path)) throw new InputError(`${path}: missing (run the step first)`);
    const parsed = parseRecords(readFileSync(path, 'utf8'), file);
    all.push(...parsed.records);
    if (parsed.header !== null) headers.push({ file, line: 1, data: parsed.header });
  }
  return groupRecords(all, headers);
}
