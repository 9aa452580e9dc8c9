/**
 * Experiment 1 of Pensia et al. (NeurIPS 2020, §5) as the paper describes it: every parameter w of a target
 * network is replaced by a subset sum Σ_{t∈S} a_t of n random numbers a_1..a_n, n = c·round(log2(1/ε))
 * (Lueker's random subset sum, the paper's Lemma 1), S chosen by the closest or the sparsest objective.
 * Pure core: network + options → plan → chunk batches (random numbers from counter-based streams) → solver
 * results → approximated network and per-parameter records. See docs/experiment1.md for the number mapping.
 */
import { InputError } from '../core/errors.js';
import { RandomStream, UNIT_UNIFORM, namedStream, type Distribution } from '../core/random.js';
import { isParameterised, type Conv2dLayer, type DenseLayer, type Layer, type Network } from '../nn/network.js';
import { MAX_SAMPLE_COUNT, OBJECTIVES, type Objective, type SubsetSumBatch, type SubsetSumBatchResult } from '../subsetsum/types.js';

/** `per-weight`: n fresh numbers for every parameter (the paper's text). `per-row`: one set per output row (the official code). */
export type CoefficientSharing = 'per-weight' | 'per-row';
export const COEFFICIENT_SHARINGS: readonly CoefficientSharing[] = ['per-weight', 'per-row'];

/** `target-range`: U[min w, max w] over all target parameters (the code). `uniform`: U[-1,1]. `product`: u·v of two U[-1,1] (the construction). */
export type CoefficientDistribution = 'target-range' | 'uniform' | 'product';
export const COEFFICIENT_DISTRIBUTIONS: readonly CoefficientDistribution[] = ['target-range', 'uniform', 'product'];

export const PER_WEIGHT_STREAM = 'approximate/per-weight';
export const PER_ROW_STREAM = 'approximate/per-row';
export const DEFAULT_CHUNK_SIZE = 20_000;
const SUPPORTED_LAYER_KINDS = ['dense', 'conv2d', 'relu', 'maxpool2d', 'flatten'] as const;

export interface ApproximateOptions {
  /** ε: a parameter is approximated when |w − Σ| ≤ ε. */
  tolerance: number;
  /** c in n = c·round(log2(1/ε)). */
  sampleFactor: number;
  /** n, overriding the formula. */
  sampleCount?: number;
  coefficients: CoefficientSharing;
  distribution: CoefficientDistribution;
  objective: Objective;
  seed: number;
  /** Parameters per solver batch (and per resumable chunk). Default 20,000. Does not change any result. */
  chunkSize?: number;
}

/** Options with every default and derived value filled in; JSON-serialisable (saved beside the results). */
export interface ResolvedApproximateOptions {
  tolerance: number;
  sampleFactor: number;
  sampleCount: number;
  /** How n was obtained, e.g. "n = c·round(log2(1/ε)) = 3·round(log2(1/0.01)) = 3·7 = 21". */
  sampleCountFormula: string;
  coefficients: CoefficientSharing;
  distribution: CoefficientDistribution;
  /** The distribution drawn from, resolved (target-range becomes a uniform on the target's range). */
  resolvedDistribution: Distribution;
  objective: Objective;
  seed: number;
  /** The stream name and its number (namedStream). */
  streamName: string;
  stream: number;
  chunkSize: number;
}

/** One parameter tensor in the global flat order (layers in order; weight, then bias). */
export interface ParameterTensorInfo {
  layerIndex: number;
  layerName: string;
  tensor: 'weight' | 'bias';
  /** State-dict name, e.g. "fc1.weight". */
  name: string;
  shape: number[];
  /** First global flat parameter index. */
  offset: number;
  length: number;
  /** First global row index (per-row mode); a weight tensor has `rowCount` rows of `rowLength`, a bias one row. */
  rowOffset: number;
  rowCount: number;
  rowLength: number;
}

export interface ApproximationPlan {
  options: ResolvedApproximateOptions;
  tensors: ParameterTensorInfo[];
  /** All target parameters in the global flat order, as float64 (exact copies of the float32 values). */
  targets: Float64Array;
  parameterCount: number;
  rowCount: number;
  chunkCount: number;
  /** Smallest and largest target parameter (weights and biases). */
  targetMin: number;
  targetMax: number;
  /** Bytes per parameter in a packed selection mask: ceil(n/8). */
  maskBytes: number;
}

/** What one chunk of parameters [start, start+count) produced, in compact form (what is saved for resume). */
export interface ChunkRecords {
  start: number;
  count: number;
  /** Σ of the selected numbers, added in ascending t order in float64 (the canonical sum). */
  sums: Float64Array;
  /** |target − sum| */
  errors: Float64Array;
  /** count × maskBytes: bit t of parameter i is byte i·maskBytes + (t >> 3), bit (t & 7). */
  masks: Uint8Array;
}

/** The same for all parameters, plus the number of selected values of each. */
export interface ApproximationRecords extends ChunkRecords {
  counts: Uint8Array;
}

export interface OutsideToleranceRecord {
  /** Layer name, e.g. "fc1". */
  layer: string;
  tensor: 'weight' | 'bias';
  /** Flat index inside the tensor (row-major). */
  index: number;
  /** Global flat parameter index. */
  parameter: number;
  target: number;
  approximation: number;
  error: number;
}

export interface ApproximationSummary {
  targetParams: number;
  sampleCount: number;
  /** Random numbers drawn: parameters·n (per-weight) or rows·n (per-row). */
  randomParams: number;
  /** The paper's count: parameters·n (8,337,000 for FC2 at n = 21), whatever was drawn. */
  paperRandomParams: number;
  /** Numbers used, summed over parameters (in per-row mode a number used by k parameters counts k times, as the paper counted). */
  keptParams: number;
  /** Distinct numbers used (equals keptParams in per-weight mode). */
  distinctKeptParams: number;
  /** keptParams / targetParams (the paper's "9.39×"). */
  relativeKeptSize: number;
  /** Largest |w − float32(sum)| over parameters: the error of the network actually built. */
  maxWeightError: number;
  meanWeightError: number;
  /** Parameters whose best subset is farther than ε (kept at their best approximation). */
  weightsOutsideTolerance: number;
  /** Parameters approximated by the empty subset (value 0). */
  zeroApproximations: number;
}

// ---------------------------------------------------------------------------------------------
// Options

/** n = c·round(log2(1/ε)), with the formula written out. */
export function sampleCountFromFormula(sampleFactor: number, tolerance: number): { sampleCount: number; formula: string } {
  const bits = Math.round(Math.log2(1 / tolerance));
  const sampleCount = Math.round(sampleFactor * bits);
  return {
    sampleCount,
    formula: `n = c·round(log2(1/ε)) = ${sampleFactor}·round(log2(1/${tolerance})) = ${sampleFactor}·${bits} = ${sampleCount}`,
  };
}

function checkOptions(options: ApproximateOptions): void {
  if (!(options.tolerance > 0) || !Number.isFinite(options.tolerance)) throw new InputError(`tolerance: must be a finite number > 0, got ${options.tolerance}`);
  if (!(options.sampleFactor > 0) || !Number.isFinite(options.sampleFactor)) throw new InputError(`sampleFactor: must be a finite number > 0, got ${options.sampleFactor}`);
  if (!COEFFICIENT_SHARINGS.includes(options.coefficients)) throw new InputError(`coefficients: expected per-weight or per-row, got '${String(options.coefficients)}'`);
  if (!COEFFICIENT_DISTRIBUTIONS.includes(options.distribution)) {
    throw new InputError(`distribution: expected ${COEFFICIENT_DISTRIBUTIONS.join(', ')}, got '${String(options.distribution)}'`);
  }
  if (!OBJECTIVES.includes(options.objective)) throw new InputError(`objective: expected closest or sparsest, got '${String(options.objective)}'`);
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff) throw new InputError(`seed: expected an integer in [0, 2^32), got ${options.seed}`);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new InputError(`chunkSize: expected an integer ≥ 1, got ${chunkSize}`);
}

// ---------------------------------------------------------------------------------------------
// Plan

/** Throws an InputError naming the layer when the network cannot be approximated (unknown layer, bad sizes, NaN). */
export function checkTargetNetwork(network: Network, source = 'target'): void {
  if (!Array.isArray(network.layers) || network.layers.length === 0) throw new InputError(`${source}: the network has no layers`);
  network.layers.forEach((layer: Layer, i) => {
    const kind = (layer as { kind?: unknown }).kind;
    if (!(SUPPORTED_LAYER_KINDS as readonly unknown[]).includes(kind)) {
      throw new InputError(`${source}: layer ${i} has kind '${String(kind)}', which approximate does not support (supported: ${SUPPORTED_LAYER_KINDS.join(', ')})`);
    }
    if (!isParameterised(layer)) return;
    const expected = layer.kind === 'dense' ? layer.inFeatures * layer.outFeatures : layer.outChannels * layer.inChannels * layer.kernelSize * layer.kernelSize;
    const outputs = layer.kind === 'dense' ? layer.outFeatures : layer.outChannels;
    if (!(layer.weight instanceof Float32Array) || layer.weight.length !== expected) {
      throw new InputError(`${source}: layer ${layer.name}.weight has ${layer.weight?.length} values, its shape needs ${expected}`);
    }
    if (layer.bias !== null && (!(layer.bias instanceof Float32Array) || layer.bias.length !== outputs)) {
      throw new InputError(`${source}: layer ${layer.name}.bias has ${layer.bias?.length} values, expected ${outputs}`);
    }
    for (const [tensor, data] of [['weight', layer.weight], ['bias', layer.bias]] as const) {
      if (data === null) continue;
      for (let j = 0; j < data.length; j++) {
        if (!Number.isFinite(data[j]!)) throw new InputError(`${source}: ${layer.name}.${tensor} has a non-finite value ${data[j]} at flat index ${j}`);
      }
    }
  });
}

function weightShape(layer: DenseLayer | Conv2dLayer): number[] {
  return layer.kind === 'dense' ? [layer.outFeatures, layer.inFeatures] : [layer.outChannels, layer.inChannels, layer.kernelSize, layer.kernelSize];
}

/** Lays out the parameters and rows, resolves n and the distribution. Validates the network and options. */
export function planApproximation(network: Network, options: ApproximateOptions): ApproximationPlan {
  checkOptions(options);
  checkTargetNetwork(network);
  const tensors: ParameterTensorInfo[] = [];
  let offset = 0;
  let rowOffset = 0;
  network.layers.forEach((layer, layerIndex) => {
    if (!isParameterised(layer)) return;
    const shape = weightShape(layer);
    const rows = shape[0]!;
    const rowLength = layer.weight.length / rows;
    tensors.push({ layerIndex, layerName: layer.name, tensor: 'weight', name: `${layer.name}.weight`, shape, offset, length: layer.weight.length, rowOffset, rowCount: rows, rowLength });
    offset += layer.weight.length;
    rowOffset += rows;
    if (layer.bias !== null) {
      const length = layer.bias.length;
      tensors.push({ layerIndex, layerName: layer.name, tensor: 'bias', name: `${layer.name}.bias`, shape: [length], offset, length, rowOffset, rowCount: 1, rowLength: length });
      offset += length;
      rowOffset += 1;
    }
  });
  const parameterCount = offset;
  if (parameterCount === 0) throw new InputError('target: the network has no weights to approximate');

  const targets = new Float64Array(parameterCount);
  let targetMin = Infinity;
  let targetMax = -Infinity;
  for (const info of tensors) {
    const layer = network.layers[info.layerIndex] as DenseLayer | Conv2dLayer;
    const data = info.tensor === 'weight' ? layer.weight : layer.bias!;
    for (let j = 0; j < data.length; j++) {
      const w = data[j]!;
      targets[info.offset + j] = w;
      if (w < targetMin) targetMin = w;
      if (w > targetMax) targetMax = w;
    }
  }

  let sampleCount: number;
  let sampleCountFormula: string;
  if (options.sampleCount !== undefined) {
    sampleCount = options.sampleCount;
    sampleCountFormula = `n = ${sampleCount} (given by --samples; the formula c·round(log2(1/ε)) would give ${sampleCountFromFormula(options.sampleFactor, options.tolerance).sampleCount})`;
  } else {
    ({ sampleCount, formula: sampleCountFormula } = sampleCountFromFormula(options.sampleFactor, options.tolerance));
  }
  if (!Number.isInteger(sampleCount) || sampleCount < 1 || sampleCount > MAX_SAMPLE_COUNT) {
    throw new InputError(`samples: n must be an integer in 1..${MAX_SAMPLE_COUNT}, got ${sampleCount} (${sampleCountFormula})`);
  }

  let resolvedDistribution: Distribution;
  if (options.distribution === 'target-range') {
    if (!(targetMin < targetMax)) throw new InputError(`distribution target-range: every target parameter equals ${targetMin}, so U[min w, max w] is empty; use uniform or product`);
    resolvedDistribution = { kind: 'uniform', low: targetMin, high: targetMax };
  } else {
    resolvedDistribution = options.distribution === 'uniform' ? UNIT_UNIFORM : { kind: 'product' };
  }
  const streamName = options.coefficients === 'per-weight' ? PER_WEIGHT_STREAM : PER_ROW_STREAM;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  return {
    options: {
      tolerance: options.tolerance,
      sampleFactor: options.sampleFactor,
      sampleCount,
      sampleCountFormula,
      coefficients: options.coefficients,
      distribution: options.distribution,
      resolvedDistribution,
      objective: options.objective,
      seed: options.seed,
      streamName,
      stream: namedStream(streamName),
      chunkSize,
    },
    tensors,
    targets,
    parameterCount,
    rowCount: rowOffset,
    chunkCount: Math.ceil(parameterCount / chunkSize),
    targetMin,
    targetMax,
    maskBytes: Math.ceil(sampleCount / 8),
  };
}

/** The tensor holding global parameter `parameter` (binary search over offsets). */
export function tensorOf(plan: ApproximationPlan, parameter: number): ParameterTensorInfo {
  const tensors = plan.tensors;
  let lo = 0;
  let hi = tensors.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (tensors[mid]!.offset <= parameter) lo = mid;
    else hi = mid - 1;
  }
  return tensors[lo]!;
}

/** Global row of a parameter: its output unit's row in a weight tensor, or the bias tensor's single row. */
export function rowOf(plan: ApproximationPlan, parameter: number): number {
  const info = tensorOf(plan, parameter);
  return info.rowOffset + Math.floor((parameter - info.offset) / info.rowLength);
}

/** Index in the stream of number t of `parameter`: p·n + t (per-weight) or row(p)·n + t (per-row). */
export function coefficientIndex(plan: ApproximationPlan, parameter: number, t: number): number {
  const n = plan.options.sampleCount;
  return plan.options.coefficients === 'per-weight' ? parameter * n + t : rowOf(plan, parameter) * n + t;
}

export function coefficientStream(plan: ApproximationPlan): RandomStream {
  return new RandomStream(plan.options.seed, plan.options.stream);
}

/** The n numbers of `parameter`, regenerated from the stream (the oracle of what the batches contain). */
export function coefficientsOf(plan: ApproximationPlan, parameter: number, out = new Float64Array(plan.options.sampleCount)): Float64Array {
  coefficientStream(plan).fill(plan.options.resolvedDistribution, coefficientIndex(plan, parameter, 0), out);
  return out;
}

export function chunkRange(plan: ApproximationPlan, chunk: number): { start: number; end: number } {
  if (!Number.isInteger(chunk) || chunk < 0 || chunk >= plan.chunkCount) throw new RangeError(`chunk ${chunk} out of range 0..${plan.chunkCount - 1}`);
  const start = chunk * plan.options.chunkSize;
  return { start, end: Math.min(plan.parameterCount, start + plan.options.chunkSize) };
}

/**
 * Reusable storage for the batches of a plan, one chunk's worth. Backed by SharedArrayBuffers by default, so
 * the solver's worker pool reads the numbers in place instead of copying them.
 */
export interface ChunkBatchStorage {
  values: Float64Array;
  offsets: Uint32Array;
  targets: Float64Array;
}

export function allocateChunkBatchStorage(plan: ApproximationPlan, shared = true): ChunkBatchStorage {
  const size = Math.min(plan.options.chunkSize, plan.parameterCount);
  const n = plan.options.sampleCount;
  const buffer = (bytes: number): ArrayBufferLike => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const offsets = new Uint32Array(buffer(4 * (size + 1)));
  for (let i = 0; i <= size; i++) offsets[i] = i * n;
  return { values: new Float64Array(buffer(8 * size * n)), offsets, targets: new Float64Array(buffer(8 * size)) };
}

/**
 * The subset-sum instances of one chunk: n numbers per parameter (CSR, offsets i·n), targets the parameters.
 * With `storage` the batch is a view into it (valid until the storage is reused); otherwise freshly allocated.
 */
export function buildChunkBatch(plan: ApproximationPlan, chunk: number, storage: ChunkBatchStorage = allocateChunkBatchStorage(plan, false)): SubsetSumBatch {
  const { start, end } = chunkRange(plan, chunk);
  const count = end - start;
  const n = plan.options.sampleCount;
  const distribution = plan.options.resolvedDistribution;
  const stream = coefficientStream(plan);
  const values = storage.values.subarray(0, count * n);
  const offsets = storage.offsets.subarray(0, count + 1);
  const targets = storage.targets.subarray(0, count);
  targets.set(plan.targets.subarray(start, end));
  if (plan.options.coefficients === 'per-weight') {
    // Parameters start..end−1 use stream indices start·n .. end·n−1: one contiguous fill.
    stream.fill(distribution, start * n, values);
  } else {
    const rowValues = new Float64Array(n);
    let currentRow = -1;
    let info = tensorOf(plan, start);
    for (let p = start; p < end; p++) {
      if (p >= info.offset + info.length) info = tensorOf(plan, p);
      const row = info.rowOffset + Math.floor((p - info.offset) / info.rowLength);
      if (row !== currentRow) {
        stream.fill(distribution, row * n, rowValues);
        currentRow = row;
      }
      values.set(rowValues, (p - start) * n);
    }
  }
  return { values, offsets, targets, tolerance: plan.options.tolerance, objective: plan.options.objective };
}

/**
 * Packs a solver result into ChunkRecords. The sum is recomputed from the selection in ascending t order,
 * so the stored sum (and the float32 weight made from it) is a function of the mask and the numbers only,
 * not of the order in which a solver happened to add them.
 */
export function compactChunkResult(plan: ApproximationPlan, chunk: number, batch: SubsetSumBatch, result: SubsetSumBatchResult): ChunkRecords {
  const { start, end } = chunkRange(plan, chunk);
  const count = end - start;
  const n = plan.options.sampleCount;
  const maskBytes = plan.maskBytes;
  if (result.selected.length !== count * n) throw new Error(`solver returned ${result.selected.length} selection flags for ${count * n} values`);
  const sums = new Float64Array(count);
  const errors = new Float64Array(count);
  const masks = new Uint8Array(count * maskBytes);
  const { values, targets } = batch;
  const selected = result.selected;
  for (let i = 0; i < count; i++) {
    let sum = 0;
    const base = i * n;
    const maskBase = i * maskBytes;
    for (let t = 0; t < n; t++) {
      if (selected[base + t] !== 0) {
        sum += values[base + t]!;
        masks[maskBase + (t >> 3)]! |= 1 << (t & 7);
      }
    }
    sums[i] = sum;
    errors[i] = Math.abs(targets[i]! - sum);
  }
  return { start, count, sums, errors, masks };
}

/** Solves one chunk with a synchronous solver (e.g. solveBatchSync). */
export function solveChunkSync(plan: ApproximationPlan, chunk: number, solve: (batch: SubsetSumBatch) => SubsetSumBatchResult): ChunkRecords {
  const batch = buildChunkBatch(plan, chunk);
  return compactChunkResult(plan, chunk, batch, solve(batch));
}

const POPCOUNT = new Uint8Array(256);
for (let b = 1; b < 256; b++) POPCOUNT[b] = (b & 1) + POPCOUNT[b >> 1]!;

/** Concatenates the chunks (which must be all of them, in order) and counts the numbers each parameter uses. */
export function assembleRecords(plan: ApproximationPlan, chunks: readonly ChunkRecords[]): ApproximationRecords {
  const total = plan.parameterCount;
  const maskBytes = plan.maskBytes;
  const sums = new Float64Array(total);
  const errors = new Float64Array(total);
  const masks = new Uint8Array(total * maskBytes);
  const counts = new Uint8Array(total);
  if (chunks.length !== plan.chunkCount) throw new Error(`assembleRecords: ${chunks.length} chunks given, the plan has ${plan.chunkCount}`);
  chunks.forEach((chunk, c) => {
    const { start, end } = chunkRange(plan, c);
    if (chunk.start !== start || chunk.count !== end - start) throw new Error(`assembleRecords: chunk ${c} covers ${chunk.start}+${chunk.count}, expected ${start}+${end - start}`);
    sums.set(chunk.sums, start);
    errors.set(chunk.errors, start);
    masks.set(chunk.masks, start * maskBytes);
  });
  for (let p = 0; p < total; p++) {
    let c = 0;
    for (let b = 0; b < maskBytes; b++) c += POPCOUNT[masks[p * maskBytes + b]!]!;
    counts[p] = c;
  }
  return { start: 0, count: total, sums, errors, masks, counts };
}

/** A copy of the target whose every parameter is float32(sum of its selected numbers); other layers copied. */
export function buildApproximatedNetwork(plan: ApproximationPlan, network: Network, records: ApproximationRecords): Network {
  const layers: Layer[] = network.layers.map((layer) => (isParameterised(layer) ? { ...layer, weight: new Float32Array(layer.weight.length), bias: layer.bias === null ? null : new Float32Array(layer.bias.length) } : { ...layer }));
  for (const info of plan.tensors) {
    const layer = layers[info.layerIndex] as DenseLayer | Conv2dLayer;
    const data = info.tensor === 'weight' ? layer.weight : layer.bias!;
    // Float32Array assignment rounds to nearest: Math.fround(sum).
    data.set(records.sums.subarray(info.offset, info.offset + info.length));
  }
  const out: Network = { ...network, inputShape: [...network.inputShape], layers };
  return out;
}

/** Counts and errors of an approximation (the figures of the paper's table, and ours). */
export function summarizeApproximation(plan: ApproximationPlan, records: ApproximationRecords): ApproximationSummary {
  const { sampleCount: n, coefficients, tolerance } = plan.options;
  const total = plan.parameterCount;
  let kept = 0;
  let zero = 0;
  let outside = 0;
  let maxError = 0;
  let errorSum = 0;
  for (let p = 0; p < total; p++) {
    kept += records.counts[p]!;
    if (records.counts[p] === 0) zero++;
    if (records.errors[p]! > tolerance) outside++;
    const error = Math.abs(Math.fround(records.sums[p]!) - plan.targets[p]!);
    if (error > maxError) maxError = error;
    errorSum += error;
  }
  let distinct = kept;
  if (coefficients === 'per-row') {
    distinct = 0;
    const maskBytes = plan.maskBytes;
    const union = new Uint8Array(maskBytes);
    for (const info of plan.tensors) {
      for (let r = 0; r < info.rowCount; r++) {
        union.fill(0);
        const first = info.offset + r * info.rowLength;
        for (let p = first; p < first + info.rowLength; p++) for (let b = 0; b < maskBytes; b++) union[b]! |= records.masks[p * maskBytes + b]!;
        for (let b = 0; b < maskBytes; b++) distinct += POPCOUNT[union[b]!]!;
      }
    }
  }
  return {
    targetParams: total,
    sampleCount: n,
    randomParams: (coefficients === 'per-weight' ? total : plan.rowCount) * n,
    paperRandomParams: total * n,
    keptParams: kept,
    distinctKeptParams: distinct,
    relativeKeptSize: kept / total,
    maxWeightError: maxError,
    meanWeightError: errorSum / total,
    weightsOutsideTolerance: outside,
    zeroApproximations: zero,
  };
}

/** Every parameter whose subset error exceeds ε, in parameter order. */
export function outsideToleranceRecords(plan: ApproximationPlan, records: ApproximationRecords): OutsideToleranceRecord[] {
  const out: OutsideToleranceRecord[] = [];
  const tolerance = plan.options.tolerance;
  for (let p = 0; p < plan.parameterCount; p++) {
    if (!(records.errors[p]! > tolerance)) continue;
    const info = tensorOf(plan, p);
    out.push({ layer: info.layerName, tensor: info.tensor, index: p - info.offset, parameter: p, target: plan.targets[p]!, approximation: Math.fround(records.sums[p]!), error: records.errors[p]! });
  }
  return out;
}

/** True when bit t of parameter p's mask is set. */
export function maskBit(plan: ApproximationPlan, masks: Uint8Array, parameter: number, t: number): boolean {
  return (masks[parameter * plan.maskBytes + (t >> 3)]! & (1 << (t & 7))) !== 0;
}

/** Σ of the selected regenerated numbers in ascending t order: what the stored sum must equal. */
export function recomputeSum(plan: ApproximationPlan, masks: Uint8Array, parameter: number): number {
  const numbers = coefficientsOf(plan, parameter);
  let sum = 0;
  for (let t = 0; t < numbers.length; t++) if (maskBit(plan, masks, parameter, t)) sum += numbers[t]!;
  return sum;
}

export interface ApproximationResult {
  plan: ApproximationPlan;
  records: ApproximationRecords;
  network: Network;
  summary: ApproximationSummary;
}

function approximationResult(plan: ApproximationPlan, network: Network, chunks: readonly ChunkRecords[]): ApproximationResult {
  const records = assembleRecords(plan, chunks);
  return { plan, records, network: buildApproximatedNetwork(plan, network, records), summary: summarizeApproximation(plan, records) };
}

/** Whole approximation in memory with a synchronous solver (tests, small targets). */
export function approximateNetworkSync(network: Network, options: ApproximateOptions, solve: (batch: SubsetSumBatch) => SubsetSumBatchResult): ApproximationResult {
  const plan = planApproximation(network, options);
  const chunks: ChunkRecords[] = [];
  for (let c = 0; c < plan.chunkCount; c++) chunks.push(solveChunkSync(plan, c, solve));
  return approximationResult(plan, network, chunks);
}

/** The same with an asynchronous solver (worker threads), chunk by chunk; `onChunk(done, total)` after each. */
export async function approximateNetworkAsync(
  network: Network,
  options: ApproximateOptions,
  solve: (batch: SubsetSumBatch) => Promise<SubsetSumBatchResult>,
  onChunk?: (done: number, total: number) => void,
): Promise<ApproximationResult> {
  const plan = planApproximation(network, options);
  const chunks: ChunkRecords[] = [];
  for (let c = 0; c < plan.chunkCount; c++) {
    const batch = buildChunkBatch(plan, c);
    chunks.push(compactChunkResult(plan, c, batch, await solve(batch)));
    onChunk?.(c + 1, plan.chunkCount);
  }
  return approximationResult(plan, network, chunks);
}
