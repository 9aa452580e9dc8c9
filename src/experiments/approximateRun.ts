/**
 * Experiment 1 end to end (`lottery approximate`): plans the approximation of a target network
 * (src/approximate/approximate.ts), solves it chunk by chunk through the subset-sum batch solver, saving each
 * finished chunk in a resumable run directory, then writes the approximated network, the per-parameter
 * records and a summary, and evaluates target and approximated network on the 10,000 MNIST test images.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.js';
import { distributionName } from '../core/random.js';
import { loadMnist } from '../io/mnist.js';
import { MNIST_PIXELS, type MnistSet } from '../nn/images.js';
import { loadModel, saveModel } from '../io/modelFile.js';
import { RunDirectory, canonicalJson } from '../io/runDirectory.js';
import { decodeSafetensors, encodeSafetensors, encodeSafetensorsBytes } from '../io/safetensors.js';
import { writeChunksAtomic, writeFileAtomic } from '../io/atomicFile.js';
import { evaluate } from '../nn/evaluate.js';
import type { Network, Preprocess } from '../nn/network.js';
import { solveBatch } from '../subsetsum/batch.js';
import type { BatchOptions, SubsetSumBatch, SubsetSumBatchResult } from '../subsetsum/types.js';
import {
  allocateChunkBatchStorage,
  assembleRecords,
  buildApproximatedNetwork,
  buildChunkBatch,
  chunkRange,
  compactChunkResult,
  outsideToleranceRecords,
  planApproximation,
  summarizeApproximation,
  type ApproximateOptions,
  type ApproximationPlan,
  type ApproximationRecords,
  type ChunkRecords,
  type ResolvedApproximateOptions,
} from '../approximate/approximate.js';

export const APPROXIMATED_FILE = 'approximated.safetensors';
export const RECORDS_FILE = 'records.safetensors';
export const OUTSIDE_FILE = 'outside-tolerance.json';
export const SUMMARY_FILE = 'summary.json';
export const SWEEP_FILE = 'sweep.json';
/** Version of the records.safetensors layout (see docs/experiment1.md). */
export const RECORDS_FORMAT = 'lottery-approximate-records/1';

/** The published line of the paper's Experiment 1 table (Pensia et al. 2020, §5; official code's result files). */
export const PUBLISHED_EXPERIMENT1 = {
  targetParams: 397_000,
  randomParams: 8_337_000,
  keptParams: 3_725_871,
  relativeKeptSize: 9.39,
  /** Measured on the target network by mistake; the pruned network's accuracy was never measured. */
  accuracy: 0.9719,
  seconds: 77_266,
  cores: 36,
  sampleCount: 21,
  tolerance: 0.01,
} as const;

export type BatchSolver = (batch: SubsetSumBatch, options: BatchOptions) => Promise<SubsetSumBatchResult>;

export interface ApproximateRunSpec {
  target: Network;
  /** Path of the target file (recorded) and the SHA-256 of its bytes (part of the run's identity). */
  targetFile: string;
  targetSha256: string;
  options: ApproximateOptions;
  outDir: string;
  version: string;
  argv: string[];
}

export interface ApproximateRunOptions {
  /** Solver threads (default: the solver's default, all cores). Does not change any result. */
  workers?: number;
  /** (parameters done, parameter count), including chunks found finished on disk. */
  onProgress?: (done: number, total: number) => void;
  /** The batch solver (default solveBatch). */
  solve?: BatchSolver;
  /** Stop after solving this many chunks in this call (an interruption, for tests); the run resumes later. */
  chunkLimit?: number;
  /** Evaluate both networks on MNIST test (default true; skipped for networks without 784 inputs). */
  evaluate?: boolean;
  /** The test set to evaluate on (default: loadMnist('test')). */
  testSet?: MnistSet;
}

export interface ApproximateRunSummary {
  targetParams: number;
  randomParams: number;
  paperRandomParams: number;
  keptParams: number;
  distinctKeptParams: number;
  relativeKeptSize: number;
  relativeDistinctKeptSize: number;
  maxWeightError: number;
  meanWeightError: number;
  weightsOutsideTolerance: number;
  zeroApproximations: number;
  /** Accuracy of the target on the 10,000 MNIST test images (null when evaluation is off). */
  targetAccuracy: number | null;
  /** Accuracy of the approximated network itself, loaded back from approximated.safetensors. */
  ticketAccuracy: number | null;
  /** Wall time of this invocation excluding evaluation (planning, drawing, solving, writing). */
  seconds: number;
  evaluationSeconds: number;
  chunkCount: number;
  /** Chunks found finished in the directory (resumed) rather than solved in this invocation. */
  chunksResumed: number;
  /** n, the numbers per subset sum (`--samples`; the name used in code and every other JSON). */
  sampleCount: number;
  /** The same n under its first name, kept because scripts read it. */
  n: number;
  formula: string;
  options: {
    tolerance: number;
    sampleFactor: number;
    sampleCount: number;
    coefficients: string;
    distribution: string;
    /** The distribution actually drawn from, e.g. uniform[-0.4642,0.5407]. */
    resolvedDistribution: string;
    objective: string;
    stream: string;
    chunkSize: number;
  };
  seed: number;
  targetFile: string;
  targetSha256: string;
  preprocess: Preprocess;
}

/** Keys of the summary that depend on the invocation (time, resume), not on the result. */
export const TIMING_KEYS = ['seconds', 'evaluationSeconds', 'chunksResumed'] as const;

export interface ApproximateRunResult {
  /** False when stopped by chunkLimit before the last chunk. */
  complete: boolean;
  chunksSolved: number;
  chunksResumed: number;
  summary: ApproximateRunSummary | null;
  plan: ApproximationPlan;
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** What makes two runs the same run: resuming requires all of it to match. */
function runConfig(spec: ApproximateRunSpec, plan: ApproximationPlan): unknown {
  return {
    targetSha256: spec.targetSha256,
    // How the file was read (--arch, --preprocess) is part of the run: it changes the network or its evaluation.
    arch: spec.target.arch ?? null,
    preprocess: spec.target.preprocess ?? 'pixels',
    targetParams: plan.parameterCount,
    options: plan.options,
    recordsFormat: RECORDS_FORMAT,
  };
}

function encodeChunk(chunk: ChunkRecords, maskBytes: number): Uint8Array {
  return encodeSafetensorsBytes(
    [
      { name: 'sums', dtype: 'F64', shape: [chunk.count], data: chunk.sums },
      { name: 'errors', dtype: 'F64', shape: [chunk.count], data: chunk.errors },
      { name: 'masks', dtype: 'U8', shape: [chunk.count, maskBytes], data: chunk.masks },
    ],
    { start: String(chunk.start), count: String(chunk.count) },
  );
}

/** A stored chunk, or null if it does not match the plan (then it is recomputed). */
function decodeChunk(plan: ApproximationPlan, index: number, payload: Uint8Array, where: string): ChunkRecords | null {
  const { start, end } = chunkRange(plan, index);
  const count = end - start;
  try {
    const file = decodeSafetensors(payload, where);
    const sums = file.tensors.get('sums')?.data;
    const errors = file.tensors.get('errors')?.data;
    const masks = file.tensors.get('masks')?.data;
    if (file.metadata['start'] !== String(start) || file.metadata['count'] !== String(count)) return null;
    if (!(sums instanceof Float64Array) || sums.length !== count) return null;
    if (!(errors instanceof Float64Array) || errors.length !== count) return null;
    if (!(masks instanceof Uint8Array) || masks.length !== count * plan.maskBytes) return null;
    return { start, count, sums, errors, masks };
  } catch {
    return null;
  }
}

/** Per-parameter records as safetensors: enough to regenerate every number and recompute every weight. */
function encodeRecords(plan: ApproximationPlan, records: ApproximationRecords, spec: ApproximateRunSpec): Uint8Array[] {
  const total = plan.parameterCount;
  return encodeSafetensors(
    [
      { name: 'targets', dtype: 'F32', shape: [total], data: Float32Array.from(plan.targets) },
      { name: 'sums', dtype: 'F64', shape: [total], data: records.sums },
      { name: 'errors', dtype: 'F64', shape: [total], data: records.errors },
      { name: 'counts', dtype: 'U8', shape: [total], data: records.counts },
      { name: 'masks', dtype: 'U8', shape: [total, plan.maskBytes], data: records.masks },
    ],
    {
      format: RECORDS_FORMAT,
      options: canonicalJson(resultOptions(plan.options)),
      tensors: JSON.stringify(plan.tensors),
      targetSha256: spec.targetSha256,
      description:
        'Parameter p (global flat order of `tensors`) = float32(sums[p]); sums[p] = Σ_t number(p, t) over bits t of masks[p] ' +
        '(bit t = byte t>>3, bit t&7), added in ascending t; number(p, t) = RandomStream(seed, stream).sample(distribution, index), ' +
        'index = p·n + t (per-weight) or row(p)·n + t (per-row). See docs/experiment1.md.',
    },
  );
}

/** The resolved options as recorded in result files: without chunkSize, which changes no result. */
function resultOptions(options: ResolvedApproximateOptions): Omit<ResolvedApproximateOptions, 'chunkSize'> {
  const { chunkSize, ...rest } = options;
  void chunkSize;
  return rest;
}

function approximationMetadata(plan: ApproximationPlan, spec: ApproximateRunSpec): Record<string, string> {
  return {
    lottery_approximate: canonicalJson({
      description: 'every parameter replaced by float32 of a subset sum of n random numbers (lottery approximate; records in records.safetensors)',
      targetSha256: spec.targetSha256,
      options: resultOptions(plan.options),
    }),
  };
}

function resolvedDescription(options: ResolvedApproximateOptions): string {
  return distributionName(options.resolvedDistribution);
}

/** Accuracy of a network on a test set (the fraction of correct labels). */
export function accuracyOf(network: Network, testSet: MnistSet, preprocess: Preprocess): number {
  return evaluate(network, testSet, { preprocess }).accuracy;
}

/**
 * Runs (or resumes) an approximation into spec.outDir. Chunks already in the directory are read, the others
 * solved and saved one by one; when all are done the result files are written (byte-identical however many
 * times the run was interrupted) and both networks are evaluated.
 */
export async function runApproximation(spec: ApproximateRunSpec, runOptions: ApproximateRunOptions = {}): Promise<ApproximateRunResult> {
  const started = performance.now();
  const plan = planApproximation(spec.target, spec.options);
  const run = RunDirectory.open(spec.outDir, { command: 'approximate', version: spec.version, argv: spec.argv, config: runConfig(spec, plan) });
  const solve = runOptions.solve ?? solveBatch;
  const total = plan.parameterCount;
  const progress = runOptions.onProgress ?? (() => {});
  const chunks: ChunkRecords[] = new Array(plan.chunkCount);
  const pending: number[] = [];
  let done = 0;
  for (let c = 0; c < plan.chunkCount; c++) {
    const payload = run.readChunk(c);
    const chunk = payload === null ? null : decodeChunk(plan, c, payload, run.chunkPath(c));
    if (chunk === null) pending.push(c);
    else {
      chunks[c] = chunk;
      done += chunk.count;
    }
  }
  const chunksResumed = plan.chunkCount - pending.length;
  progress(done, total);

  // Pipeline: while the workers solve chunk k+1, this thread saves chunk k and draws the numbers of chunk k+2.
  const toSolve = Math.min(pending.length, runOptions.chunkLimit ?? Infinity);
  // Two storages in turn: chunk k+2 is drawn into chunk k's storage once chunk k is saved.
  const storages = toSolve > 0 ? [allocateChunkBatchStorage(plan), toSolve > 1 ? allocateChunkBatchStorage(plan) : null] : [];
  const batchOf = (k: number): SubsetSumBatch | null => (k < toSolve ? buildChunkBatch(plan, pending[k]!, storages[k % 2]!) : null);
  const launch = (batch: SubsetSumBatch, before: number): Promise<SubsetSumBatchResult> =>
    solve(batch, { ...(runOptions.workers !== undefined ? { workers: runOptions.workers } : {}), onProgress: (d: number) => progress(before + d, total) });
  let current = batchOf(0);
  let solving = current === null ? null : launch(current, done);
  let upcoming = batchOf(1);
  let solved = 0;
  for (let k = 0; k < toSolve; k++) {
    const result = await solving!;
    const batch = current!;
    const c = pending[k]!;
    current = upcoming;
    solving = current === null ? null : launch(current, done + batch.targets.length);
    const chunk = compactChunkResult(plan, c, batch, result);
    run.writeChunk(c, encodeChunk(chunk, plan.maskBytes));
    chunks[c] = chunk;
    done += chunk.count;
    solved++;
    progress(done, total);
    upcoming = batchOf(k + 2);
  }
  if (solved < pending.length) return { complete: false, chunksSolved: solved, chunksResumed, summary: null, plan };

  const records = assembleRecords(plan, chunks);
  const approximated = buildApproximatedNetwork(plan, spec.target, records);
  const counts = summarizeApproximation(plan, records);
  const outside = outsideToleranceRecords(plan, records);
  saveModel(run.file(APPROXIMATED_FILE), approximated, approximationMetadata(plan, spec));
  writeChunksAtomic(run.file(RECORDS_FILE), encodeRecords(plan, records, spec));
  // One record per line: readable, and compact when n is small and most weights miss ε.
  run.writeFile(OUTSIDE_FILE, outside.length === 0 ? '[]\n' : `[\n${outside.map((record) => JSON.stringify(record)).join(',\n')}\n]\n`);
  const seconds = (performance.now() - started) / 1000;

  const preprocess: Preprocess = spec.target.preprocess ?? 'pixels';
  let targetAccuracy: number | null = null;
  let ticketAccuracy: number | null = null;
  const evaluationStarted = performance.now();
  // Only MNIST-shaped networks (784 inputs) can be evaluated; others get null accuracies.
  const mnistShaped = spec.target.inputShape.reduce((a, b) => a * b, 1) === MNIST_PIXELS;
  if ((runOptions.evaluate ?? true) && mnistShaped) {
    const testSet = runOptions.testSet ?? loadMnist('test');
    targetAccuracy = accuracyOf(spec.target, testSet, preprocess);
    // Evaluate what was written, read back: the number describes the file a user gets.
    const written = loadModel(run.file(APPROXIMATED_FILE), { preprocess });
    ticketAccuracy = accuracyOf(written, testSet, preprocess);
  }
  const evaluationSeconds = (performance.now() - evaluationStarted) / 1000;

  const o = plan.options;
  const summary: ApproximateRunSummary = {
    targetParams: counts.targetParams,
    randomParams: counts.randomParams,
    paperRandomParams: counts.paperRandomParams,
    keptParams: counts.keptParams,
    distinctKeptParams: counts.distinctKeptParams,
    relativeKeptSize: counts.relativeKeptSize,
    relativeDistinctKeptSize: counts.distinctKeptParams / counts.targetParams,
    maxWeightError: counts.maxWeightError,
    meanWeightError: counts.meanWeightError,
    weightsOutsideTolerance: counts.weightsOutsideTolerance,
    zeroApproximations: counts.zeroApproximations,
    targetAccuracy,
    ticketAccuracy,
    seconds,
    evaluationSeconds,
    chunkCount: plan.chunkCount,
    chunksResumed,
    sampleCount: o.sampleCount,
    n: o.sampleCount,
    formula: o.sampleCountFormula,
    options: {
      tolerance: o.tolerance,
      sampleFactor: o.sampleFactor,
      sampleCount: o.sampleCount,
      coefficients: o.coefficients,
      distribution: o.distribution,
      resolvedDistribution: resolvedDescription(o),
      objective: o.objective,
      stream: o.streamName,
      chunkSize: o.chunkSize,
    },
    seed: o.seed,
    targetFile: spec.targetFile,
    targetSha256: spec.targetSha256,
    preprocess,
  };
  run.writeFile(SUMMARY_FILE, JSON.stringify(summary, null, 2) + '\n');
  run.finish();
  return { complete: true, chunksSolved: solved, chunksResumed, summary, plan };
}

export interface SampleSweepRow {
  n: number;
  outDir: string;
  summary: ApproximateRunSummary;
}

/** Runs the approximation once per n (each in outDir/samples-NN, each resumable) and writes outDir/sweep.json. */
export async function runSampleSweep(
  spec: ApproximateRunSpec,
  sampleCounts: readonly number[],
  runOptions: ApproximateRunOptions & { onStart?: (n: number, index: number) => void } = {},
): Promise<SampleSweepRow[]> {
  if (sampleCounts.length === 0) throw new InputError('--samples-sweep: no sample counts given');
  const rows: SampleSweepRow[] = [];
  for (let i = 0; i < sampleCounts.length; i++) {
    const n = sampleCounts[i]!;
    runOptions.onStart?.(n, i);
    const outDir = join(spec.outDir, `samples-${String(n).padStart(2, '0')}`);
    const result = await runApproximation({ ...spec, outDir, options: { ...spec.options, sampleCount: n } }, runOptions);
    if (!result.complete || result.summary === null) break;
    rows.push({ n, outDir, summary: result.summary });
  }
  writeFileAtomic(join(spec.outDir, SWEEP_FILE), JSON.stringify(rows.map((row) => ({ outDir: row.outDir, ...row.summary })), null, 2) + '\n');
  return rows;
}
