/**
 * The records of `lottery reproduce`: one JSONL file per step (records/<step>.jsonl), a header line with the
 * step's configuration and its hash, then one flat record per result, built from the typed values the `lottery`
 * verbs print with --json (src/experiments/verbOutputs.ts; timings left out, so equal seeds give byte-identical records). Also the published numbers as records,
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
import { outputOf, type VerbOutput, type VerbOutputs } from './verbOutputs.js';
import { predictedFixedSizeSampleCounts } from '../subsetsum/fixedSizePrediction.js';

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

/** Beyond twice as deep: a ticket of the 2l or l+1 construction at the step's ε, with its verification. */
export interface ConstructionTicketRecord {
  type: 'construction-ticket';
  construction: '2l' | 'l+1';
  tolerance: number;
  /** The target the constructions were compared on (as commands name it). */
  target: string;
  targetParams: number;
  depth: number;
  sampleCounts: number[];
  randomParams: number;
  randomBlockParams: number;
  keptParams: number;
  /** l+1: m_i of every stage after the first (the norm bound of its kept random matrix). */
  edgeNormBounds: number[];
  certifiedBound: number;
  certifiedBoundNormalised: number;
  maxOutputError: number;
  withinCertificate: boolean;
  targetAccuracy: number | null;
  ticketAccuracy: number | null;
  argmaxAgreement: number | null;
}

/** Fixed-size subsets: the smallest n (one n for every layer) whose k-subset ticket meets ε, from a search over n. */
export interface DensityRecord {
  type: 'density-point';
  subsetSize: number;
  tolerance: number;
  targetParams: number;
  /** ε′ of the first layer (the one that needs the most samples), for the predicted shape. */
  entryTolerance: number;
  /** null: no n ≤ 40 met ε. */
  smallestSampleCount: number | null;
  randomBlockParams: number | null;
  keptParams: number | null;
  /** keptParams / randomBlockParams at the smallest n: the ticket's density within the usable random network. */
  keptFraction: number | null;
  /** randomBlockParams / targetParams at the smallest n. */
  overParameterisation: number | null;
  certifiedBoundNormalised: number | null;
  /** Natale et al.'s shape: the smallest n with log2 C(n, k) − ½·log2 k ≥ log2(1/ε′) + c, c fitted to all points. */
  predictedSampleCount: number | null;
  /** Every n tried: its certificate (null: no ticket, fewer random units than k) and whether it met ε. */
  tried: Array<{ sampleCount: number; certifiedBoundNormalised: number | null; works: boolean }>;
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
  | ConstructionTicketRecord
  | DensityRecord
  | PopupRecord
  | PublishedExperiment1Record
  | PublishedPopupRecord;

// ───────────────────────────── from verb outputs ─────────────────────────────
// Each builder takes the typed value the verb printed with --json (src/experiments/verbOutputs.ts) and picks the
// result fields, leaving out timings.

/** rss: the cells of `lottery rss --json`, and the fit recomputed from them (src/experiments/rss.ts). */
export function rssRecords(cells: VerbOutputs['rss'], targetProbability: number): (RssCellRecord | RssFitRecord)[] {
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
export function targetRecord(output: VerbOutput, file: { file: string; sha256: string; arch: string | null; trained: boolean }): TargetRecord {
  if (file.trained) {
    const o = outputOf(output, 'train', 'target');
    const history = o.history.map((e): TargetEpoch => ({ epoch: e.epoch, trainLoss: e.trainLoss, trainAccuracy: e.trainAccuracy, testAccuracy: e.testAccuracy ?? null }));
    return {
      type: 'target', file: file.file, sha256: file.sha256, arch: o.arch, params: o.params, trained: true,
      epochs: o.epochs, trainImages: o.trainImages, testAccuracy: o.testAccuracy, testLoss: o.testLoss, history,
    };
  }
  const o = outputOf(output, 'eval', 'target');
  return {
    type: 'target', file: file.file, sha256: file.sha256, arch: file.arch, params: o.params, trained: false,
    epochs: null, trainImages: null, testAccuracy: o.accuracy, testLoss: o.loss, history: [],
  };
}

function experiment1Record(type: Experiment1Record['type'], variant: string, s: ApproximateRunSummary): Experiment1Record {
  const o = s.options;
  return {
    type, variant,
    coefficients: o.coefficients, objective: o.objective, distribution: o.distribution, resolvedDistribution: o.resolvedDistribution,
    n: s.n, tolerance: o.tolerance, seed: s.seed,
    targetParams: s.targetParams, randomParams: s.randomParams, paperRandomParams: s.paperRandomParams,
    keptParams: s.keptParams, distinctKeptParams: s.distinctKeptParams,
    relativeKeptSize: s.relativeKeptSize, relativeDistinctKeptSize: s.relativeDistinctKeptSize,
    maxWeightError: s.maxWeightError, meanWeightError: s.meanWeightError,
    weightsOutsideTolerance: s.weightsOutsideTolerance, zeroApproximations: s.zeroApproximations,
    targetAccuracy: s.targetAccuracy ?? null, ticketAccuracy: s.ticketAccuracy ?? null,
  };
}

/** One run of `lottery approximate` (not a sweep). */
function singleRun(output: VerbOutput | undefined, name: string): ApproximateRunSummary {
  const summary = outputOf(output, 'approximate', name);
  if (Array.isArray(summary)) throw new InputError(`reproduce: approximate ${name}: expected one run, got a sweep`);
  return summary;
}

/** Experiment 1: one record per variant (outputs keyed by variant id), then one per n of the sweep (sorted by n). */
export function experiment1Records(outputs: Record<string, VerbOutput>): Experiment1Record[] {
  const variants = EXPERIMENT1_VARIANTS.map((v) => experiment1Record('experiment1-variant', v.id, singleRun(outputs[v.id], v.id)));
  const sweepOutput = outputOf(outputs['sweep'], 'approximate', 'sweep');
  const rows = Array.isArray(sweepOutput) ? sweepOutput : [sweepOutput];
  const sweep = rows.map((row) => experiment1Record('experiment1-sweep', 'sweep', row)).sort((a, b) => a.n - b.n);
  return [...variants, ...sweep];
}

function ticketRecord(o: VerbOutputs['prune']): TicketRecord {
  return {
    type: 'theorem1-ticket', tolerance: o.tolerance, file: o.ticket, seed: o.seed, distribution: o.distribution, objective: o.objective,
    sampleCounts: o.stages.map((s) => s.sampleCount), depth: o.depth, inputDomain: o.inputDomain, inputRadius: o.inputRadius,
    outputScale: o.scales.outputScale, targetParams: o.targetParams, randomParams: o.randomParams, randomBlockParams: o.randomBlockParams,
    keptParams: o.keptParams, instances: o.instances, instancesSavedNonnegative: o.instancesSavedNonnegative, outsideTolerance: o.outsideTolerance,
    certifiedBound: o.certifiedBound, certifiedBoundNormalised: o.certifiedBoundNormalised, guaranteedBound: o.guaranteedBound,
  };
}

function verifyRecord(o: VerbOutputs['verify']): VerifyRecord {
  const data = o.dataError;
  return {
    type: 'theorem1-verify', tolerance: o.tolerance, ticket: o.ticket, keptParams: o.keptParams, randomParams: o.randomParams,
    inputRadius: o.inputRadius, inputDomain: o.inputDomain, certifiedBound: o.certifiedBound, certifiedBoundNormalised: o.certifiedBoundNormalised,
    maxOutputError: o.maxOutputError,
    dataCount: data === null ? null : data.count, dataMax: data === null ? null : data.max, dataMean: data === null ? null : data.mean,
    ballCount: o.ballError.count, ballMax: o.ballError.max, ballMean: o.ballError.mean,
    adversarialEvaluations: o.adversarialError.evaluations, adversarialMax: o.adversarialError.max,
    withinCertificate: o.withinCertificate === true,
    targetAccuracy: o.targetAccuracy ?? null, ticketAccuracy: o.ticketAccuracy ?? null, argmaxAgreement: o.argmaxAgreement ?? null,
  };
}

function sizesRecord(o: VerbOutputs['bound']): SizesRecord {
  return {
    type: 'theorem1-sizes', tolerance: o.tolerance, targetParams: o.targetParams,
    sampleCounts: o.theorem1.sampleCounts, randomDense: o.theorem1.randomDense, randomBlock: o.theorem1.randomBlock,
    failureProbability: o.theorem1Formula.failureProbability, formulaSampleCount: o.theorem1Formula.sampleCount,
    formulaRandomDense: o.theorem1Formula.randomDense, formulaRandomBlock: o.theorem1Formula.randomBlock,
    malachWidths: o.malach.widths, malachUnresolved: o.malach.stages.reduce((sum, s) => sum + s.unresolved, 0),
    malachRandomDense: o.malach.randomDense, malachRandomBlock: o.malach.randomBlock, malachAnalyticRandomDense: o.malach.analyticRandomDense ?? null,
    lowerBound: o.lowerBound,
  };
}

/** Theorem 1: tickets (prune-eps*), the verification (verify-eps*), sizes against ε (bound-eps*), in plan order. */
export function theorem1Records(outputs: Record<string, VerbOutput>, order: readonly string[]): (TicketRecord | VerifyRecord | SizesRecord)[] {
  const records: (TicketRecord | VerifyRecord | SizesRecord)[] = [];
  for (const name of order) {
    const output = outputs[name];
    if (name.startsWith('prune-')) records.push(ticketRecord(outputOf(output, 'prune', name)));
    else if (name.startsWith('verify-')) records.push(verifyRecord(outputOf(output, 'verify', name)));
    else if (name.startsWith('bound-')) records.push(sizesRecord(outputOf(output, 'bound', name)));
  }
  return records.sort((a, b) => typeOrder(a.type) - typeOrder(b.type) || b.tolerance - a.tolerance);
}

const typeOrder = (type: string): number => ['theorem1-ticket', 'theorem1-verify', 'theorem1-sizes'].indexOf(type);

/** Beyond twice as deep: per construction its ticket with its verification, then one density point per k. */
export function constructionsRecords(outputs: Record<string, VerbOutput>, order: readonly string[]): (ConstructionTicketRecord | DensityRecord)[] {
  const records: (ConstructionTicketRecord | DensityRecord)[] = [];
  for (const name of order) {
    if (name.startsWith('prune-')) {
      const p = outputOf(outputs[name], 'prune', name);
      const v = outputOf(outputs[name.replace('prune-', 'verify-')], 'verify', name.replace('prune-', 'verify-'));
      records.push({
        type: 'construction-ticket', construction: p.construction, tolerance: p.tolerance, target: p.target, targetParams: p.targetParams,
        depth: p.depth, sampleCounts: p.stages.map((st) => st.sampleCount), randomParams: p.randomParams, randomBlockParams: p.randomBlockParams,
        keptParams: p.keptParams, edgeNormBounds: (p.edgeNormBounds ?? []).filter((m): m is number => m !== null),
        certifiedBound: p.certifiedBound, certifiedBoundNormalised: p.certifiedBoundNormalised,
        maxOutputError: v.maxOutputError, withinCertificate: v.withinCertificate === true,
        targetAccuracy: v.targetAccuracy ?? null, ticketAccuracy: v.ticketAccuracy ?? null, argmaxAgreement: v.argmaxAgreement ?? null,
      });
    } else if (name.startsWith('density-')) {
      const b = outputOf(outputs[name], 'bound', name);
      if (b.subsetSize === null || b.search === null) throw new InputError(`reproduce: ${name}: bound printed no search with a subset size`);
      const best = b.search.find((row) => row.sampleCount === b.smallestWorkingSampleCount) ?? null;
      records.push({
        type: 'density-point', subsetSize: b.subsetSize, tolerance: b.tolerance, targetParams: b.targetParams, entryTolerance: b.entryTolerances[0]!,
        smallestSampleCount: b.smallestWorkingSampleCount,
        randomBlockParams: best?.randomBlockParams ?? null, keptParams: best?.keptParams ?? null,
        keptFraction: best ? best.keptParams / best.randomBlockParams : null,
        overParameterisation: best ? best.randomBlockParams / b.targetParams : null,
        certifiedBoundNormalised: best?.certifiedBoundNormalised ?? null,
        predictedSampleCount: null,
        tried: b.search.map((row) => ({ sampleCount: row.sampleCount, certifiedBoundNormalised: row.certifiedBoundNormalised, works: row.works })),
      });
    }
  }
  const points = records.filter((r): r is DensityRecord => r.type === 'density-point');
  predictedFixedSizeSampleCounts(points).forEach((n, i) => (points[i]!.predictedSampleCount = n));
  return records;
}

/** Experiment 2: the sweep's records (`lottery run --json`) without their timings. */
export function popupRecords(runs: VerbOutputs['run']): PopupRecord[] {
  return runs.map((r) => {
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
  constructionTickets: Located<ConstructionTicketRecord>[];
  densityPoints: Located<DensityRecord>[];
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
    constructionTickets: of('construction-ticket'),
    densityPoints: of('density-point'),
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
