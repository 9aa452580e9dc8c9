/**
 * The public entry of `lottery` (`import { … } from "lottery"`): everything exported here is the library; every
 * other module is private. It installs the Node platform (worker threads, clock, tfjs's .wasm files), reads and
 * writes files, and calls the pure methods: the random-subset-sum engine, Experiment 1 (approximateNetwork),
 * Theorem 1 (pruneTheorem1, verifyTicket) and edge-popup (trainPopup). Errors in what the caller gave are
 * InputErrors that name the option field (`tolerance: …`), never a CLI flag.
 */
import './node/platform.js';
import { readFile } from 'node:fs/promises';
import { InputError } from './core/errors.js';
import { checkMemory, pruneMemory, type MemoryLimit } from './core/limits.js';
import { platform } from './core/platform.js';
import type { ProgressListener } from './core/progress.js';
import { distributionByName, type Distribution } from './core/random.js';
import { Sha256 } from './core/sha256.js';
import {
  approximateNetworkAsync,
  outsideToleranceRecords,
  type ApproximateOptions,
  type ApproximationSummary,
  type CoefficientDistribution,
  type CoefficientSharing,
  type OutsideToleranceRecord,
  type ResolvedApproximateOptions,
} from './approximate/approximate.js';
import { runRss, type RssResult, type RssSpec } from './experiments/rss.js';
import { loadMnist } from './io/mnist.js';
import { modelFromBytes } from './io/modelBytes.js';
import { decodeTicket, encodeTicket } from './io/ticketBytes.js';
import { fileSha256 } from './io/ticketFile.js';
import { writeChunksAtomic } from './io/atomicFile.js';
import { evaluate, type EvaluationResult } from './nn/evaluate.js';
import { preprocessImages } from './nn/images.js';
import { allLayers, isParameterised, type Network, type Preprocess } from './nn/network.js';
import { solveBatch } from './subsetsum/batch.js';
import { closestOfSize } from './subsetsum/fixedSize.js';
import { solve } from './subsetsum/solve.js';
import { OBJECTIVES, type Objective } from './subsetsum/types.js';
import { validateInstance } from './subsetsum/validate.js';
import { createEvaluator } from './theorem1/evaluator.js';
import { planPrune, pruneWithSolver } from './theorem1/prune.js';
import { pruneLPlusOne } from './theorem1/lPlusOne.js';

/** The random networks prune can build (PruneTheorem1Options.construction). */
export const CONSTRUCTIONS = ['2l', 'l+1'] as const;
import { pruneReport, type PruneReport } from './theorem1/report.js';
import { INPUT_DOMAINS, type InputDomain } from './theorem1/theorem1.js';
import { checkInputBox, type InputBox } from './theorem1/boxCertificate.js';
import type { Ticket } from './theorem1/ticket.js';
import { verifyTicket as measureTicket, type VerifyData, type VerifyReport } from './theorem1/verify.js';

export { RandomStream, namedStream, distributionByName, distributionName } from './core/random.js';
export { InputError, RunError, LotteryError } from './core/errors.js';
export type { Distribution } from './core/random.js';
export type { ProgressListener } from './core/progress.js';
export type { Network, Layer, DenseLayer, Conv2dLayer, Preprocess } from './nn/network.js';
export type { Ticket, TicketMeta } from './theorem1/ticket.js';
export type { PruneReport } from './theorem1/report.js';
export type { StagePruneReport } from './theorem1/prune.js';
export type { VerifyReport, ErrorStats } from './theorem1/verify.js';
export type { SizeReport } from './theorem1/sizes.js';
export type { InputBox, BoxCertifiedBound } from './theorem1/boxCertificate.js';
export type { ApproximationSummary, OutsideToleranceRecord, ResolvedApproximateOptions } from './approximate/approximate.js';
export type { RssSpec, RssResult, RssRecord, RssFit } from './experiments/rss.js';
export type { EvaluationResult } from './nn/evaluate.js';
export { trainPopup } from './popup/edgePopup.js';
export type { PopupTrainOptions, PopupTrainResult, PopupExamples, PopupEpochRecord } from './popup/edgePopup.js';
export { buildPopupNetwork, POPUP_ARCHS, POPUP_STRUCTURES } from './popup/structures.js';
export type { PopupArch, PopupStructure, MaskedStructure, PopupStructureOptions } from './popup/structures.js';
export type { PopupNetwork, PopupLayer } from './popup/network.js';
export { platform, setPlatform } from './core/platform.js';
export type { Platform, WorkerEntry, WorkerHandle } from './core/platform.js';

// ───────────────────────────── checks ─────────────────────────────

function checkInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InputError(`${field}: expected an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

function checkChoice<T extends string>(field: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new InputError(`${field}: expected one of ${choices.join(', ')}, got ${typeof value === 'string' ? `'${value}'` : String(value)}`);
  }
  return value as T;
}

function checkOptions(value: unknown, what: string): void {
  if (value === null || typeof value !== 'object') throw new InputError(`${what}: expected an options object, got ${String(value)}`);
}

// ───────────────────────────── subset sum ─────────────────────────────

export interface SubsetSumSolution {
  /** Indices into `values`, ascending. */
  indices: number[];
  sum: number;
  /** |target − sum| */
  error: number;
  /** error ≤ tolerance (for `sparsest` with no subset within ε: false, and the subset is the closest one). */
  withinTolerance: boolean;
}

/**
 * One subset-sum instance solved exactly (meet in the middle, n ≤ 40): `closest` (default) gives the least error,
 * `sparsest` the fewest values within the tolerance; `subsetSize: k` the closest subset of exactly k values.
 */
export function solveSubsetSum(values: ArrayLike<number>, target: number, options: { tolerance: number; objective?: 'closest' | 'sparsest'; subsetSize?: number }): SubsetSumSolution {
  checkOptions(options, 'options');
  const objective = options.objective === undefined ? 'closest' : checkChoice<Objective>('objective', options.objective, OBJECTIVES);
  const instance = { values, target, tolerance: options.tolerance };
  validateInstance(instance, '');
  if (options.subsetSize !== undefined && objective !== 'closest') throw new InputError('subsetSize: fixes how many values are used, so it goes with the closest objective only');
  const { indices, sum, error, withinTolerance } = options.subsetSize === undefined ? solve(instance, objective) : closestOfSize(instance, options.subsetSize);
  return { indices, sum, error, withinTolerance };
}

/**
 * Random subset sum coverage (`lottery rss`): for n random values from a distribution, the exact fraction of the
 * interval whose points are within ε of a subset sum, over many trials, with a fit of the n needed per ε.
 */
export function randomSubsetSumCoverage(spec: RssSpec, options: { onProgress?: (done: number, total: number) => void } = {}): RssResult {
  return runRss(spec, options.onProgress ? { onProgress: options.onProgress } : {});
}

// ───────────────────────────── networks and tickets on disk ─────────────────────────────

export interface LoadNetworkOptions {
  /** Architecture when the file does not record it: fc2, fc4, lenet5, mlp:784-300-100-10. */
  arch?: string;
  /** MNIST input scaling when the file does not record it. */
  preprocess?: 'pixels' | 'standard';
}

/** Reads a target network: safetensors (PyTorch state_dict names) or ONNX. `network.source` records the file and its SHA-256. */
export async function loadNetwork(path: string, options: LoadNetworkOptions = {}): Promise<Network> {
  checkOptions(options, 'options');
  if (options.preprocess !== undefined) checkChoice<Preprocess>('preprocess', options.preprocess, ['pixels', 'standard']);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new InputError(`${path}: cannot read the network file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const network = modelFromBytes(bytes, path, { ...(options.arch !== undefined ? { arch: options.arch } : {}), ...(options.preprocess !== undefined ? { preprocess: options.preprocess } : {}) });
  network.source = { file: path, sha256: fileSha256(bytes) };
  return network;
}

/** Reads a ticket file written by writeTicket or `lottery prune` (validated: a damaged file is an InputError). */
export async function readTicket(path: string): Promise<Ticket> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new InputError(`${path}: cannot read the ticket file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return decodeTicket(bytes, path);
}

/** Writes a ticket (safetensors: masks and metadata, no weights) atomically: the file is whole or absent. */
export async function writeTicket(path: string, ticket: Ticket): Promise<void> {
  writeChunksAtomic(path, encodeTicket(ticket));
}

/**
 * What identifies a target: the SHA-256 of the file it was read from, or, for a network built in memory, of its
 * parameters (float32, little-endian, in layer order).
 */
export function networkSha256(network: Network): string {
  if (network.source) return network.source.sha256;
  const hash = new Sha256();
  for (const layer of allLayers(network.layers)) {
    if (layer.kind === 'batchnorm') {
      hash.update(new Uint8Array(layer.scale.buffer, layer.scale.byteOffset, layer.scale.byteLength));
      hash.update(new Uint8Array(layer.shift.buffer, layer.shift.byteOffset, layer.shift.byteLength));
    }
    if (!isParameterised(layer)) continue;
    hash.update(new Uint8Array(layer.weight.buffer, layer.weight.byteOffset, layer.weight.byteLength));
    if (layer.bias) hash.update(new Uint8Array(layer.bias.buffer, layer.bias.byteOffset, layer.bias.byteLength));
  }
  return hash.digestHex();
}

// ───────────────────────────── Theorem 1 ─────────────────────────────

export interface PruneTheorem1Options {
  /** ε in the normalised domain (‖x‖ ≤ 1, every ‖W_i‖ ≤ 1 after rescaling): a fraction in (0, 1). Or outputTolerance. */
  tolerance?: number;
  /** Seed of the random network, an integer in [0, 2^32). */
  seed: number;
  /** n (2n hidden units per input unit): one for all layers, or one per parameterised layer. */
  samples?: number | number[];
  /** δ for Theorem 1's formula for n (instead of samples). */
  failureProbability?: number;
  /**
   * Without samples (or failureProbability), n starts at a default per layer and is raised, layer by layer, until the
   * certificate meets the tolerance; maxSamples (default 40, the exact solver's limit) bounds that search.
   */
  maxSamples?: number;
  /**
   * The guarantee in the real domain instead: max ‖f(x) − g(x)‖ over the input domain, in the network's output
   * units (logits); translated to tolerance = outputTolerance / outputScale. Give tolerance or outputTolerance.
   */
  outputTolerance?: number;
  /** Solver threads (default: all cores); the ticket does not depend on it. */
  workers?: number;
  /**
   * Progress: `done` of `total` subset sums (phase "subset sums"; again from 0 for each layer whose n is raised:
   * phase "subset sums, fc1 at n = 25"), then sampled entries of the Malach-style width (phase "Malach-style width").
   */
  onProgress?: ProgressListener;
  /** Random weights: uniform (U[−1, 1], the theorem; default), normal, log-uniform, product. */
  distribution?: string;
  /** sparsest (default): fewest kept edges within ε′; closest: least error. */
  objective?: 'closest' | 'sparsest';
  /** Every non-zero entry matched by exactly k products (the closest k-subset; objective closest): a known density. */
  subsetSize?: number;
  /**
   * The random network: '2l' (default; Pensia et al., every target layer a random layer pair) or 'l+1' (Burkholz
   * 2022: a copying layer, then one random layer per target layer holding `samples` copies of each unit).
   */
  construction?: '2l' | 'l+1';
  /** nonnegative (only the σ(x) branch in layer 1; default for pixel inputs) or any. */
  inputDomain?: 'nonnegative' | 'any';
  /** The guarantee holds for ‖x‖ ≤ inputRadius (default: the MNIST pixel box's largest norm). */
  inputRadius?: number;
  /** Target entries sampled to measure the Malach-style width (default 1000; 0 skips the size comparison). */
  malachSample?: number;
  /** Refuse before allocating when the estimated memory exceeds this. */
  memoryLimit?: MemoryLimit;
  /** The box [low, high]^d of the box certificate (default: the target's MNIST input box; null: none). */
  inputBox?: InputBox | null;
}

/** The fields of `lottery prune --json`, with `ticket` the ticket itself and `target` the file it came from (null: in memory). */
export type PruneResult = PruneReport & { target: string | null; ticket: Ticket };

/**
 * Theorem 1 of Pensia et al.: prunes a random network of depth 2l (regenerated from the seed, never stored) so
 * that it approximates `network` within ε on its whole input ball, by subset sums over products of random weights.
 */
export async function pruneTheorem1(network: Network, options: PruneTheorem1Options): Promise<PruneResult> {
  checkOptions(options, 'options');
  const tolerance = normalisedTolerance(network, options);
  const now = () => platform().now();
  const started = now();
  const workers = options.workers === undefined ? undefined : checkInteger('workers', options.workers, 1, 256);
  const malachSample = options.malachSample === undefined ? 1000 : checkInteger('malachSample', options.malachSample, 0, 1e9);
  let distribution: Distribution | undefined;
  if (options.distribution !== undefined) {
    distribution = typeof options.distribution === 'string' ? distributionByName(options.distribution) ?? undefined : undefined;
    if (!distribution) throw new InputError(`distribution: expected uniform, normal, log-uniform or product, got ${String(options.distribution)}`);
  }
  const objective = options.objective === undefined ? (options.subsetSize !== undefined ? 'closest' : 'sparsest') : checkChoice<Objective>('objective', options.objective, OBJECTIVES);
  const pruneOptions = {
    tolerance,
    seed: options.seed,
    targetSha256: networkSha256(network),
    objective,
    ...(options.samples !== undefined ? { sampleCounts: options.samples } : {}),
    ...(options.failureProbability !== undefined ? { failureProbability: options.failureProbability } : {}),
    ...(options.maxSamples !== undefined ? { maxSamples: options.maxSamples } : {}),
    ...(options.subsetSize !== undefined ? { subsetSize: options.subsetSize } : {}),
    ...(distribution !== undefined ? { distribution } : {}),
    ...(options.inputDomain !== undefined ? { inputDomain: checkChoice<InputDomain>('inputDomain', options.inputDomain, INPUT_DOMAINS) } : {}),
    ...(options.inputRadius !== undefined ? { inputRadius: options.inputRadius } : {}),
    ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
  };
  if (options.samples !== undefined && options.failureProbability !== undefined) throw new InputError('samples and failureProbability: give one or the other');
  if (options.memoryLimit !== undefined) {
    const { plan } = planPrune(network, pruneOptions);
    checkMemory('prune', pruneMemory(plan.stages, workers ?? platform().parallelism()), options.memoryLimit, 'lower samples or workers, or prune a smaller target');
  }
  const construction = options.construction === undefined ? '2l' : checkChoice<'2l' | 'l+1'>('construction', options.construction, CONSTRUCTIONS);
  const solveStarted = now();
  const outcome = await (construction === 'l+1' ? pruneLPlusOne : pruneWithSolver)(network, pruneOptions, (batch, onProgress) =>
    solveBatch(batch, { ...(workers !== undefined ? { workers } : {}), ...(onProgress !== undefined ? { onProgress } : {}) }),
  );
  const solveSeconds = (now() - solveStarted) / 1000;
  const report = pruneReport(outcome, {
    network,
    malachSample,
    seconds: 0,
    solveSeconds,
    ...(options.failureProbability !== undefined ? { failureProbability: options.failureProbability } : {}),
    ...(options.inputBox !== undefined ? { inputBox: options.inputBox === null ? null : checkInputBox(options.inputBox) } : {}),
    ...(options.onProgress !== undefined ? { onProgress: (done: number, total: number) => options.onProgress!(done, total, 'Malach-style width') } : {}),
  });
  report.seconds = (now() - started) / 1000;
  return { target: network.source?.file ?? null, ...report, ticket: outcome.ticket };
}

/** The normalised ε of the options: `tolerance`, or `outputTolerance` / outputScale of the plan for this network. */
export function normalisedTolerance(network: Network, options: Pick<PruneTheorem1Options, 'tolerance' | 'outputTolerance' | 'inputDomain' | 'inputRadius'>): number {
  if (options.outputTolerance === undefined) {
    if (options.tolerance === undefined) throw new InputError('tolerance: required (ε in (0, 1), the normalised domain), or give outputTolerance (logits)');
    return options.tolerance;
  }
  if (options.tolerance !== undefined) throw new InputError('tolerance and outputTolerance: give one or the other');
  const t = options.outputTolerance;
  if (typeof t !== 'number' || !Number.isFinite(t) || !(t > 0)) throw new InputError(`outputTolerance: expected a finite number > 0, got ${String(t)}`);
  const { plan } = planPrune(network, {
    tolerance: 0.5, // any value in (0, 1): the plan's scales do not depend on ε
    seed: 0,
    targetSha256: '',
    sampleCounts: 1,
    ...(options.inputDomain !== undefined ? { inputDomain: options.inputDomain } : {}),
    ...(options.inputRadius !== undefined ? { inputRadius: options.inputRadius } : {}),
  });
  const tolerance = t / plan.outputScale;
  if (!(tolerance < 1)) {
    throw new InputError(`outputTolerance: ${t} is at least the network's output scale ${plan.outputScale.toPrecision(4)} (max ‖f(x)‖ over the domain is bounded by it): the empty ticket already meets it`);
  }
  return tolerance;
}

export interface VerifyTicketOptions {
  /** Use only the first `limit` MNIST test images. */
  limit?: number;
  /** Evaluation threads (default: all cores, at most 8); results do not depend on it. */
  workers?: number;
  /** Random points of the certified input ball (default 10,000). */
  randomPoints?: number;
  /** Budget of the derivative-free worst-input search (default 4,096). */
  adversarialEvaluations?: number;
  /** Measure on the MNIST test set when the input is an MNIST image (default true). */
  mnist?: boolean;
  /** Inputs evaluated so far (test images, ball points, adversarial candidates) out of the total. */
  onProgress?: (done: number, total: number) => void;
  /** The box [low, high]^d of the box certificate (default: the target's MNIST input box; null: none). */
  inputBox?: InputBox | null;
}

/**
 * Checks a ticket against its target: regenerates the random network from the ticket alone, runs the pruned
 * network's own forward pass, and measures ‖f(x) − g(x)‖ on the MNIST test set, on random points of the certified
 * ball and at the worst input a search finds, beside the certificate (the fields of `lottery verify --json`).
 */
export async function verifyTicket(ticket: Ticket, network: Network, options: VerifyTicketOptions = {}): Promise<VerifyReport> {
  checkOptions(options, 'options');
  const now = () => platform().now();
  const started = now();
  const workers = options.workers === undefined ? Math.min(platform().parallelism(), 8) : checkInteger('workers', options.workers, 1, 256);
  const limit = options.limit === undefined ? undefined : checkInteger('limit', options.limit, 1, Number.MAX_SAFE_INTEGER);
  const randomPoints = options.randomPoints === undefined ? 10_000 : checkInteger('randomPoints', options.randomPoints, 0, 10_000_000);
  const adversarialEvaluations = options.adversarialEvaluations === undefined ? 4096 : checkInteger('adversarialEvaluations', options.adversarialEvaluations, 0, Number.MAX_SAFE_INTEGER);
  const sha256 = networkSha256(network);
  if (sha256 !== ticket.meta.targetSha256) {
    throw new InputError(`target: ${network.source?.file ?? 'the network'} has SHA-256 ${sha256.slice(0, 16)}…, but the ticket was pruned for ${ticket.meta.targetSha256.slice(0, 16)}… (wrong target)`);
  }
  const inputSize = ticket.meta.inputShape.reduce((a, b) => a * b, 1);
  let data: VerifyData | null = null;
  if ((options.mnist ?? true) && inputSize === 784) {
    const set = loadMnist('test');
    const count = Math.min(set.count, limit ?? set.count);
    data = { inputs: preprocessImages(set.images, network.preprocess ?? 'pixels', 0, count), labels: set.labels.subarray(0, count), count };
  }
  const evaluator = createEvaluator(network, ticket, workers);
  let report: VerifyReport;
  try {
    report = await measureTicket(network, ticket, data, evaluator, { randomPoints, adversarialEvaluations, now, ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}), ...(options.inputBox !== undefined ? { inputBox: options.inputBox === null ? null : checkInputBox(options.inputBox) } : {}) });
  } finally {
    await evaluator.close();
  }
  report.seconds = (now() - started) / 1000;
  return report;
}

// ───────────────────────────── Experiment 1 ─────────────────────────────

export interface ApproximateNetworkOptions {
  /** ε: a parameter is approximated when |w − Σ| ≤ ε. */
  tolerance: number;
  seed: number;
  /** c in n = c·round(log2(1/ε)) (default 3, the paper's). */
  sampleFactor?: number;
  /** n, overriding the formula. */
  samples?: number;
  /** per-row (the official code's setting, default) or per-weight (the paper's text). */
  coefficients?: CoefficientSharing;
  /** target-range (default), uniform or product. */
  distribution?: CoefficientDistribution;
  /** closest (default) or sparsest. */
  objective?: Objective;
  /** Solver threads (default: all cores); results do not depend on it. */
  workers?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ApproximateNetworkResult {
  /** The network with every parameter replaced by its subset sum, evaluated as a network. */
  network: Network;
  options: ResolvedApproximateOptions;
  summary: ApproximationSummary;
  /** Parameters whose best subset is farther than ε (kept at their best approximation). */
  outsideTolerance: OutsideToleranceRecord[];
}

/** Experiment 1: every parameter of `network` replaced by a subset sum of n random numbers. */
export async function approximateNetwork(network: Network, options: ApproximateNetworkOptions): Promise<ApproximateNetworkResult> {
  checkOptions(options, 'options');
  const workers = options.workers === undefined ? undefined : checkInteger('workers', options.workers, 1, 256);
  const resolved: ApproximateOptions = {
    tolerance: options.tolerance,
    seed: options.seed,
    sampleFactor: options.sampleFactor ?? 3,
    coefficients: options.coefficients ?? 'per-row',
    distribution: options.distribution ?? 'target-range',
    objective: options.objective ?? 'closest',
    ...(options.samples !== undefined ? { sampleCount: options.samples } : {}),
  };
  const result = await approximateNetworkAsync(network, resolved, (batch) => solveBatch(batch, workers !== undefined ? { workers } : {}), options.onProgress);
  return {
    network: result.network,
    options: result.plan.options,
    summary: result.summary,
    outsideTolerance: outsideToleranceRecords(result.plan, result.records),
  };
}

/** Accuracy (and loss, per-class accuracy) of a network on the MNIST test set, by its own forward pass. */
export function evaluateOnMnist(network: Network, options: { limit?: number } = {}): EvaluationResult {
  const set = loadMnist('test');
  const limit = options.limit === undefined ? set.count : Math.min(set.count, checkInteger('limit', options.limit, 1, Number.MAX_SAFE_INTEGER));
  return evaluate(network, { ...set, images: set.images.subarray(0, limit * 784), labels: set.labels.subarray(0, limit), count: limit });
}
