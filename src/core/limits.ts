/**
 * Memory estimates and the memory limit. A command estimates its peak memory from the sizes it is asked for
 * (before allocating anything large) and is refused up front — an InputError, exit 2, naming the estimate, the
 * limit and what to change — when the estimate exceeds the limit, instead of running the machine out of memory.
 * The limit is half of the machine's memory unless `--memory-limit` or LOTTERY_MEMORY_LIMIT says otherwise.
 * Estimates are deliberately generous upper bounds of the large buffers, not measurements.
 */
import { InputError } from './errors.js';

export const MEMORY_LIMIT_ENV = 'LOTTERY_MEMORY_LIMIT';
/** Fraction of the machine's memory a command may plan to use when no limit is given. */
export const DEFAULT_MEMORY_FRACTION = 0.5;
/** The TensorFlow.js wasm heap is 32-bit: whatever the machine, training tensors must fit in 4 GiB. */
export const TF_WASM_HEAP_BYTES = 4294901760;
const MiB = 2 ** 20;
/** Node, the libraries and MNIST, whatever the command. */
const RUNTIME_BYTES = 256 * MiB;
/** A subset-sum solver thread: its fixed meet-in-the-middle tables (2^20 entries each) and a Node isolate. */
const SOLVER_THREAD_BYTES = 96 * MiB;

export interface MemoryLimit {
  bytes: number;
  /** Where the limit comes from, for messages: "--memory-limit 8G", "half of this machine's 24 GiB", … */
  source: string;
}

export interface MemoryPart {
  what: string;
  bytes: number;
}

export interface MemoryEstimate {
  bytes: number;
  parts: MemoryPart[];
}

/** 1536 → "1.5 KiB", 12.9e9 → "12.0 GiB" (binary units). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return `${bytes} bytes`;
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

const UNIT_FACTORS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, kb: 2 ** 10, kib: 2 ** 10, m: 2 ** 20, mb: 2 ** 20, mib: 2 ** 20, g: 2 ** 30, gb: 2 ** 30, gib: 2 ** 30, t: 2 ** 40, tb: 2 ** 40, tib: 2 ** 40 };

/**
 * A memory size: bytes ("1000000"), binary units ("512M", "8G", "8GiB", "1.5T"), or a percentage of the
 * machine's memory ("75%"). InputError naming `flag` otherwise.
 */
export function parseByteSize(flag: string, text: string, totalBytes: number): number {
  const trimmed = text.trim().toLowerCase();
  const percent = /^([0-9]*\.?[0-9]+)\s*%$/.exec(trimmed);
  let bytes: number;
  if (percent !== null) {
    bytes = (Number(percent[1]) / 100) * totalBytes;
  } else {
    const match = /^([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([a-z]*)$/.exec(trimmed);
    const factor = match === null ? undefined : UNIT_FACTORS[match[2]!];
    if (match === null || factor === undefined) {
      throw new InputError(`${flag}: expected a size such as 8G, 512M, 2000000000 or 75%, got '${text}'`);
    }
    bytes = Number(match[1]) * factor;
  }
  if (!Number.isFinite(bytes) || bytes < 1) throw new InputError(`${flag}: expected a size of at least 1 byte, got '${text}'`);
  return Math.floor(bytes);
}

/** The limit in force: the flag, else the environment variable, else DEFAULT_MEMORY_FRACTION of `totalBytes`. */
export function resolveMemoryLimit(flagText: string | undefined, envText: string | undefined, totalBytes: number): MemoryLimit {
  if (flagText !== undefined) return { bytes: parseByteSize('--memory-limit', flagText, totalBytes), source: `--memory-limit ${flagText}` };
  if (envText !== undefined && envText.trim() !== '') return { bytes: parseByteSize(MEMORY_LIMIT_ENV, envText, totalBytes), source: `${MEMORY_LIMIT_ENV}=${envText}` };
  return { bytes: Math.floor(DEFAULT_MEMORY_FRACTION * totalBytes), source: `half of this machine's ${formatBytes(totalBytes)}` };
}

export function memoryEstimate(parts: MemoryPart[]): MemoryEstimate {
  const kept = parts.filter((p) => p.bytes > 0);
  return { bytes: kept.reduce((s, p) => s + p.bytes, 0), parts: kept };
}

function largestPart(estimate: MemoryEstimate): MemoryPart | null {
  let best: MemoryPart | null = null;
  for (const p of estimate.parts) if (best === null || p.bytes > best.bytes) best = p;
  return best;
}

function refusal(subject: string, estimate: MemoryEstimate, limitText: string, hint: string): string {
  const largest = largestPart(estimate);
  return (
    `${subject}: needs about ${formatBytes(estimate.bytes)} (${Math.round(estimate.bytes).toLocaleString('en-US')} bytes` +
    `${largest !== null ? `; largest part: ${largest.what}, ${formatBytes(largest.bytes)}` : ''}), ${limitText}; ${hint}`
  );
}

/**
 * Throws an InputError (one line: the estimate, its largest part, the limit and `hint`, what to change) when
 * the estimate exceeds the limit.
 */
export function checkMemory(subject: string, estimate: MemoryEstimate, limit: MemoryLimit, hint: string): void {
  if (estimate.bytes <= limit.bytes) return;
  throw new InputError(
    refusal(subject, estimate, `above the memory limit of ${formatBytes(limit.bytes)} (${limit.source})`, `${hint}, or raise the limit with --memory-limit SIZE or ${MEMORY_LIMIT_ENV}=SIZE`),
  );
}

/** Throws when the tensors placed on the TensorFlow.js wasm heap cannot fit in its 4 GiB, whatever the limit. */
export function checkTfHeap(subject: string, estimate: MemoryEstimate, hint: string): void {
  if (estimate.bytes <= TF_WASM_HEAP_BYTES) return;
  throw new InputError(refusal(`${subject} (TensorFlow.js tensors)`, estimate, `above the 4 GiB that the TensorFlow.js wasm heap can address`, hint));
}

// ───────────────────────────── estimates per command ─────────────────────────────

export interface ApproximateMemoryInput {
  parameterCount: number;
  /** n: random numbers per weight. */
  sampleCount: number;
  chunkSize: number;
  /** Solver threads (workers; the calling thread is added). */
  workers: number;
}

/** `lottery approximate`: two chunks in flight, every chunk's records, the assembled records and the networks. */
export function approximateMemory(input: ApproximateMemoryInput): MemoryEstimate {
  const p = input.parameterCount;
  const n = input.sampleCount;
  const maskBytes = Math.ceil(n / 8);
  const c = Math.min(input.chunkSize, p);
  return memoryEstimate([
    { what: 'runtime and MNIST', bytes: RUNTIME_BYTES },
    { what: `2 chunks of ${c.toLocaleString('en-US')} weights × n = ${n} random numbers in flight`, bytes: 2 * c * (8 * n + 12) + 2 * c * (n + 16) },
    { what: 'per-weight records (chunks, assembled, encoded)', bytes: p * (16 + maskBytes) + 2 * p * (17 + maskBytes) + p * 12 },
    { what: 'target and approximated networks', bytes: 12 * p },
    { what: `${input.workers + 1} solver threads`, bytes: (input.workers + 1) * SOLVER_THREAD_BYTES },
  ]);
}

/** The geometry of one Theorem 1 stage (a target layer → a pair of random layers). */
export interface StageSize {
  inUnits: number;
  outUnits: number;
  kernelSize: number;
  /** n: 2n hidden units per input unit. */
  sampleCount: number;
  twoBranch: boolean;
}

/** Random weights of the dense pair M_{2i−1}, M_{2i} of a stage (as Theorem 1 counts them). */
export function stageRandomParameters(stage: StageSize): number {
  const hidden = 2 * stage.sampleCount * stage.inUnits;
  return hidden * stage.inUnits + stage.outUnits * hidden * stage.kernelSize * stage.kernelSize;
}

/** `lottery prune` (and each n of `bound --search`): per-entry errors, kept edges, one solver batch. */
export function pruneMemory(stages: readonly StageSize[], workers: number, valuesPerBatch = 4_000_000): MemoryEstimate {
  let keptEdges = 0;
  let stageWork = 0;
  for (const s of stages) {
    const entries = s.outUnits * s.inUnits * s.kernelSize * s.kernelSize;
    const instances = entries * (s.twoBranch ? 2 : 1);
    const valuesPerInstance = Math.min(2 * s.sampleCount, 40);
    // Kept edges: at most every value of every instance, about half of them in practice; kept as JS numbers, then int32.
    keptEdges += (instances * valuesPerInstance) / 2;
    const batchValues = Math.min(valuesPerBatch, instances * valuesPerInstance);
    const work = entries * 24 + 2 * s.sampleCount * s.inUnits * 5 + batchValues * 17 + (batchValues / Math.max(1, valuesPerInstance)) * 24;
    stageWork = Math.max(stageWork, work);
  }
  return memoryEstimate([
    { what: 'runtime and MNIST', bytes: RUNTIME_BYTES },
    { what: 'per-entry errors and one solver batch', bytes: stageWork },
    { what: 'kept edges (masks and regenerated kept weights)', bytes: keptEdges * 24 },
    { what: `${workers + 1} solver threads`, bytes: (workers + 1) * SOLVER_THREAD_BYTES },
  ]);
}

/** `lottery export --full-width`: every weight of the random network, stored (float32), encoded and copied. */
export function fullWidthExportMemory(stages: readonly StageSize[]): MemoryEstimate {
  const weights = stages.reduce((s, stage) => s + stageRandomParameters(stage), 0);
  return memoryEstimate([
    { what: 'runtime', bytes: RUNTIME_BYTES },
    { what: `the full-width random network (${weights.toLocaleString('en-US')} weights, as float32, encoded and copied)`, bytes: weights * 4 * 3 },
  ]);
}

export interface TrainMemoryInput {
  /** Weights and biases of the network. */
  parameterCount: number;
  /** Sum of the layer widths (activations per example), input included. */
  activationsPerExample: number;
  batchSize: number;
  /** Optimizer state per weight: 1 (SGD momentum) or 2 (Adam). */
  optimizerStates: number;
}

/** Training tensors (TensorFlow.js, wasm heap): weights, gradients, optimizer state, a transposed copy, activations. */
export function trainTfMemory(input: TrainMemoryInput): MemoryEstimate {
  return memoryEstimate([
    { what: 'weights, gradients, optimizer state and a transposed copy', bytes: input.parameterCount * 4 * (3 + input.optimizerStates) },
    { what: `activations and their gradients for a batch of ${input.batchSize}`, bytes: input.batchSize * input.activationsPerExample * 4 * 6 },
  ]);
}

/** A training run as a whole: the TensorFlow.js tensors, the network copies in JS and MNIST. */
export function trainMemory(input: TrainMemoryInput): MemoryEstimate {
  const tf = trainTfMemory(input);
  return memoryEstimate([
    { what: 'runtime and MNIST', bytes: RUNTIME_BYTES },
    { what: 'network copies (initial, trained, evaluated)', bytes: input.parameterCount * 4 * 3 },
    ...tf.parts,
  ]);
}

export interface PopupMemoryInput {
  /** Masked (or trained, for dense) weights. */
  parameterCount: number;
  activationsPerExample: number;
  batchSize: number;
  /** Training plus test examples held as float32 inputs of the fully connected part. */
  examples: number;
  features: number;
}

/** Edge-popup tensors (wasm heap): frozen weights, scores, their gradient and momentum, the mask, a copy; activations. */
export function popupTfMemory(input: PopupMemoryInput): MemoryEstimate {
  return memoryEstimate([
    { what: 'weights, scores, gradients, momentum and masks', bytes: input.parameterCount * 4 * 6 },
    { what: `activations and their gradients for a batch of ${input.batchSize}`, bytes: input.batchSize * input.activationsPerExample * 4 * 6 },
  ]);
}

export function popupMemory(input: PopupMemoryInput): MemoryEstimate {
  const tf = popupTfMemory(input);
  return memoryEstimate([
    { what: 'runtime and MNIST', bytes: RUNTIME_BYTES },
    { what: 'inputs of the fully connected part', bytes: input.examples * input.features * 4 * 2 },
    { what: 'weights and scores in JS', bytes: input.parameterCount * 4 * 2 },
    ...tf.parts,
  ]);
}

/**
 * The exact subset-sum solver takes n ≤ maxCount values: meet in the middle keeps 2^⌈n/2⌉ sorted sums per half in
 * fixed tables. The refusal message for n values, with what n would need.
 */
export function subsetSumRefusal(flag: string, n: number, maxCount: number): string {
  const half = Math.ceil(n / 2);
  const tables = 2 ** half * 40; // sums, grid cells and keys of one half, as the solver lays them out
  return (
    `${flag}: ${n} values, but the exact solver takes at most ${maxCount} (2^${n} subsets; meet in the middle would need ` +
    `${formatBytes(tables)} of tables per thread where it has ${formatBytes(2 ** Math.ceil(maxCount / 2) * 40)}); keep the ${maxCount} values that matter or split the instance`
  );
}
