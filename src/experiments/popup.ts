/**
 * Experiment 2 of Pensia et al. (2020, §5, Fig. 3): edge-popup mask search on MNIST for the structures of
 * src/popup/structures.ts, one run (spec → record) or a sweep over structures × pruned fractions written to
 * a resumable run directory (resolved spec, one record per finished run, records.jsonl, figure, summary), and the
 * published accuracies to compare with (the digest's table, from the official code's result files).
 */
import { InputError } from '../core/errors.js';
import { checkMemory, checkTfHeap, popupMemory, popupTfMemory, type MemoryLimit, type PopupMemoryInput } from '../core/limits.js';
import { loadMnist } from '../io/mnist.js';
import { MNIST_PIXELS, preprocessImages, type MnistSet } from '../nn/images.js';
import { RunDirectory } from '../io/runDirectory.js';
import { createLenet5 } from '../nn/architectures.js';
import type { Conv2dLayer, Network } from '../nn/network.js';
import { initTf } from '../nn/tf/backend.js';
import { TfModel } from '../nn/tf/model.js';
import { defaultTraining, initializeNetwork, trainNetwork, type LabelledImages } from '../nn/train.js';
import { trainPopup, type PopupEpochRecord, type PopupExamples } from '../popup/edgePopup.js';
import {
  buildPopupNetwork,
  denseBaselineNetwork,
  fcWidths,
  lenet5ConvParameterCount,
  structureParameterCount,
  structureWidths,
  type PopupArch,
  type PopupStructure,
} from '../popup/structures.js';
import { complementFraction, sweepRuns, type ConvSource, type PopupRunSpec, type PopupSweepSpec, type PopupTraining } from './popupSpec.js';

// ───────────────────────────── published numbers ─────────────────────────────

/** One published accuracy (best over runs of 10–100 epochs, one seed; digest §3). */
export interface PublishedPopupPoint {
  arch: PopupArch;
  structure: PopupStructure;
  pruneFraction: number;
  accuracy: number;
}

const published = (arch: PopupArch, pruneFraction: number, oursLinear: number, oursRelu: number, wide: number): PublishedPopupPoint[] => [
  { arch, structure: 'ours-linear', pruneFraction, accuracy: oursLinear },
  { arch, structure: 'ours-relu', pruneFraction, accuracy: oursRelu },
  { arch, structure: 'wide', pruneFraction, accuracy: wide },
];

export const PUBLISHED_POPUP: readonly PublishedPopupPoint[] = [
  ...published('fc2', 0.5, 0.9797, 0.9655, 0.9817),
  ...published('fc2', 0.9, 0.9577, 0.7867, 0.9724),
  ...published('fc2', 0.99, 0.3926, 0.1818, 0.8779),
  ...published('fc4', 0.5, 0.979, 0.9759, 0.9871),
  ...published('fc4', 0.9, 0.972, 0.8194, 0.9863),
  ...published('lenet5', 0.25, 0.983, 0.9714, 0.9734),
  ...published('lenet5', 0.9, 0.8777, 0.252, 0.9248),
  { arch: 'fc2', structure: 'dense', pruneFraction: 0, accuracy: 0.986 },
  { arch: 'fc4', structure: 'dense', pruneFraction: 0, accuracy: 0.9881 },
  { arch: 'lenet5', structure: 'dense', pruneFraction: 0, accuracy: 0.9844 },
];

/** The published accuracy of this point, or null when the paper's table has none. */
export function publishedAccuracy(arch: PopupArch, structure: PopupStructure, pruneFraction: number): number | null {
  const hit = PUBLISHED_POPUP.find((p) => p.arch === arch && p.structure === structure && Math.abs(p.pruneFraction - pruneFraction) < 1e-9);
  return hit?.accuracy ?? null;
}

// ───────────────────────────── records ─────────────────────────────

export interface PopupEpochTimed extends PopupEpochRecord {
  /** Training time of this epoch (batches only, no evaluation). */
  seconds: number;
}

/** One finished run. Fractions are plain fractions; parameters count the fully connected part. */
export interface PopupRunRecord {
  arch: PopupArch;
  structure: PopupStructure;
  keepFraction: number;
  pruneFraction: number;
  seed: number;
  epochs: number;
  /** Fully connected widths as built (wide: the matched hidden width; ours/theorem1: the target widths). */
  widths: number[];
  /** r (ours-*, and the r that wide matches); null for dense and theorem1. */
  redundancy: number | null;
  /** n of theorem1 (2n copies per input); null otherwise. */
  sampleCount: number | null;
  /** Weights of the fully connected part: masked (edge-popup) or trained (dense). */
  parameters: number;
  /** Of those, kept by the masks: Σ round(keepFraction·size) per tensor; = parameters for dense. */
  keptParameters: number;
  /** LeNet5: weights of its conv layers (frozen, never pruned, not in `parameters`); 0 otherwise. */
  convParameters: number;
  convs: ConvSource | null;
  /** LeNet5: what the conv layers are (e.g. trained 2 epochs, test accuracy); null otherwise. */
  convNote: string | null;
  trainCount: number;
  testCount: number;
  learningRate: number;
  history: PopupEpochTimed[];
  /** Test accuracy after the last epoch. */
  finalAccuracy: number;
  /** Best test accuracy over the epochs (the paper reports the best over its runs). */
  bestAccuracy: number;
  /** Wall time of the run: training and per-epoch evaluation. */
  seconds: number;
  /** Mean training time per epoch (no evaluation). */
  secondsPerEpoch: number;
}

// ───────────────────────────── data ─────────────────────────────

/** Trained or random LeNet5 conv weights ([O, I, K, K] per layer) with a line saying where they come from. */
export interface ConvWeights {
  conv1: number[];
  conv2: number[];
  note: string;
}

/** The inputs of the fully connected part: standardised pixels, or LeNet5 conv features (computed once per run). */
export interface PopupData {
  arch: PopupArch;
  train: PopupExamples;
  test: PopupExamples;
  /** Raw images for the dense baseline (trained on pixels by src/nn/train.ts). */
  trainImages: LabelledImages;
  testImages: LabelledImages;
  convs: ConvWeights | null;
}

export interface PopupHooks {
  /** Batches done and total, per run (or per conv-source training). */
  onBatch?: (done: number, total: number) => void;
  onEpoch?: (record: PopupEpochTimed) => void;
  /** A phase starts (e.g. "training the LeNet5 whose convs are copied"). */
  onPhase?: (message: string) => void;
  /** Clock in ms for timing (default performance.now). */
  now?: () => number;
  /** Reads / writes the conv weights of a LeNet5 run so a sweep trains them once (run directory cache). */
  convCache?: { read(): ConvWeights | null; write(weights: ConvWeights): void };
  /** Threads of the edge-popup engine (default: src/popup/engine.ts defaultPopupThreads); results do not depend on it. */
  threads?: number;
}

function labelled(set: MnistSet, count: number): LabelledImages {
  return { images: set.images.subarray(0, count * MNIST_PIXELS), labels: set.labels.subarray(0, count), count };
}

function convLayers(network: Network): [Conv2dLayer, Conv2dLayer] {
  const convs = network.layers.filter((l): l is Conv2dLayer => l.kind === 'conv2d');
  if (convs.length !== 2) throw new InputError(`LeNet5: expected 2 conv layers, found ${convs.length}`);
  return [convs[0]!, convs[1]!];
}

/**
 * LeNet5's conv weights: trained (a LeNet5 trained with src/nn/train.ts's LeNet5 defaults — Adam 1e-3, batch 128,
 * cosine, standard inputs — for convEpochs on the run's training examples), or random (Kaiming normal).
 */
async function lenet5Convs(training: PopupTraining, trainImages: LabelledImages, testImages: LabelledImages, hooks: PopupHooks): Promise<ConvWeights> {
  const cached = hooks.convCache?.read() ?? null;
  if (cached !== null) return cached;
  let network: Network;
  let note: string;
  if (training.convs === 'random') {
    network = initializeNetwork(createLenet5({ bias: false, preprocess: 'standard' }), training.seed, 'kaiming-normal');
    note = `random conv layers (Kaiming normal, seed ${training.seed}), frozen`;
  } else {
    const defaults = defaultTraining('lenet5');
    const epochs = training.convEpochs ?? 2;
    hooks.onPhase?.(`training the LeNet5 whose conv layers are copied (${epochs} epochs, Adam)`);
    const result = await trainNetwork(initializeNetwork(createLenet5({ bias: false, preprocess: 'standard' }), training.seed, defaults.init), trainImages, {
      epochs,
      batchSize: defaults.batchSize,
      optimizer: defaults.optimizer,
      learningRate: defaults.learningRate,
      schedule: defaults.schedule,
      preprocess: 'standard',
      seed: training.seed,
      testSet: testImages,
      ...(hooks.onBatch !== undefined ? { onBatch: hooks.onBatch } : {}),
    });
    network = result.network;
    const accuracy = result.history[result.history.length - 1]?.testAccuracy ?? NaN;
    note = `conv layers copied from a LeNet5 trained ${epochs} epoch${epochs === 1 ? '' : 's'} (Adam 1e-3, seed ${training.seed}; test accuracy ${accuracy.toFixed(4)}), frozen as in the paper`;
  }
  const [c1, c2] = convLayers(network);
  const weights: ConvWeights = { conv1: Array.from(c1.weight), conv2: Array.from(c2.weight), note };
  hooks.convCache?.write(weights);
  return weights;
}

/** Features [count, 400] of the frozen conv stack (conv, ReLU, pool, conv, ReLU, pool, flatten) of LeNet5. */
function convFeatures(weights: ConvWeights, images: LabelledImages): PopupExamples {
  const lenet = createLenet5({ bias: false, preprocess: 'standard' });
  const [c1, c2] = convLayers(lenet);
  c1.weight.set(weights.conv1);
  c2.weight.set(weights.conv2);
  const flatten = lenet.layers.findIndex((l) => l.kind === 'flatten');
  const stack: Network = { inputShape: [1, 28, 28], layers: lenet.layers.slice(0, flatten + 1), preprocess: 'standard' };
  const model = new TfModel(stack, false);
  const features = fcWidths('lenet5')[0]!;
  const out = new Float32Array(images.count * features);
  try {
    const chunk = 2000;
    for (let start = 0; start < images.count; start += chunk) {
      const n = Math.min(chunk, images.count - start);
      const pixels = preprocessImages(images.images, 'standard', start, n);
      const x = model.inputTensor(pixels, n);
      const y = model.apply(x);
      out.set(y.dataSync() as Float32Array, start * features);
      x.dispose();
      y.dispose();
    }
  } finally {
    model.dispose();
  }
  return { inputs: out, labels: images.labels.subarray(0, images.count), count: images.count };
}

/** Loads MNIST (first trainCount / testCount images) and prepares the inputs of the fully connected part. */
export async function preparePopupData(training: PopupTraining, hooks: PopupHooks = {}): Promise<PopupData> {
  await initTf();
  const trainImages = labelled(loadMnist('train'), training.trainCount);
  const testImages = labelled(loadMnist('test'), training.testCount);
  if (training.arch !== 'lenet5') {
    const pixels = (set: LabelledImages): PopupExamples => ({ inputs: preprocessImages(set.images, 'standard', 0, set.count), labels: set.labels, count: set.count });
    return { arch: training.arch, train: pixels(trainImages), test: pixels(testImages), trainImages, testImages, convs: null };
  }
  const convs = await lenet5Convs(training, trainImages, testImages, hooks);
  hooks.onPhase?.('computing the frozen conv features');
  return { arch: 'lenet5', train: convFeatures(convs, trainImages), test: convFeatures(convs, testImages), trainImages, testImages, convs };
}

// ───────────────────────────── one run ─────────────────────────────

/** Runs one spec on prepared data and returns its record. */
export async function runPopup(spec: PopupRunSpec, data: PopupData, hooks: PopupHooks = {}): Promise<PopupRunRecord> {
  if (data.arch !== spec.arch) throw new InputError(`popup: data prepared for ${data.arch}, spec is for ${spec.arch}`);
  await initTf();
  const now = hooks.now ?? (() => performance.now());
  const started = now();
  let epochStarted = started;
  let trained = started;
  const history: PopupEpochTimed[] = [];
  const onEpochTrained = () => {
    trained = now();
  };
  const onEpoch = (record: PopupEpochRecord) => {
    const timed: PopupEpochTimed = { ...record, seconds: (trained - epochStarted) / 1000 };
    history.push(timed);
    hooks.onEpoch?.(timed);
    epochStarted = now();
  };
  const structureOptions = { redundancy: spec.redundancy, sampleCount: spec.sampleCount };
  let parameters: number;
  let keptParameters: number;
  if (spec.structure === 'dense') {
    const network = denseBaselineNetwork(spec.arch, spec.seed);
    await trainNetwork(network, data.trainImages, {
      epochs: spec.epochs,
      batchSize: spec.batchSize,
      optimizer: 'sgd',
      learningRate: spec.learningRate,
      momentum: spec.momentum,
      weightDecay: spec.weightDecay,
      schedule: spec.schedule,
      preprocess: 'standard',
      seed: spec.seed,
      testSet: data.testImages,
      onBatch: (done, total) => {
        hooks.onBatch?.(done, total);
        if (done % Math.ceil(data.trainImages.count / spec.batchSize) === 0) onEpochTrained();
      },
      onEpoch: (r) => onEpoch({ epoch: r.epoch, learningRate: r.learningRate, trainLoss: r.trainLoss, trainAccuracy: r.trainAccuracy, testAccuracy: r.testAccuracy ?? NaN }),
    });
    parameters = structureParameterCount(spec.arch, 'dense', structureOptions);
    keptParameters = parameters;
  } else {
    const network = buildPopupNetwork(spec.arch, spec.structure, { ...structureOptions, weightInit: spec.weightInit, seed: spec.seed });
    epochStarted = now();
    const result = trainPopup(network, data.train, {
      keepFraction: spec.keepFraction,
      epochs: spec.epochs,
      batchSize: spec.batchSize,
      learningRate: spec.learningRate,
      momentum: spec.momentum,
      weightDecay: spec.weightDecay,
      schedule: spec.schedule,
      seed: spec.seed,
      test: data.test,
      onEpochTrained,
      onEpoch,
      ...(hooks.onBatch !== undefined ? { onBatch: hooks.onBatch } : {}),
      ...(hooks.threads !== undefined ? { threads: hooks.threads } : {}),
    });
    parameters = result.total;
    keptParameters = result.kept;
  }
  const seconds = (now() - started) / 1000;
  const accuracies = history.map((h) => h.testAccuracy ?? NaN);
  const masked = spec.structure !== 'dense';
  return {
    arch: spec.arch,
    structure: spec.structure,
    keepFraction: spec.keepFraction,
    pruneFraction: complementFraction(spec.keepFraction),
    seed: spec.seed,
    epochs: spec.epochs,
    widths: structureWidths(spec.arch, spec.structure, structureOptions),
    redundancy: spec.structure === 'ours-linear' || spec.structure === 'ours-relu' || spec.structure === 'wide' ? spec.redundancy : null,
    sampleCount: spec.structure === 'theorem1' ? spec.sampleCount : null,
    parameters,
    keptParameters,
    convParameters: spec.arch === 'lenet5' ? lenet5ConvParameterCount() : 0,
    convs: spec.arch === 'lenet5' ? (masked ? spec.convs : null) : null,
    convNote: spec.arch === 'lenet5' ? (masked ? (data.convs?.note ?? null) : 'dense baseline: the whole LeNet5, conv layers included, is trained') : null,
    trainCount: spec.trainCount,
    testCount: spec.testCount,
    learningRate: spec.learningRate,
    history,
    finalAccuracy: accuracies[accuracies.length - 1] ?? NaN,
    bestAccuracy: Math.max(...accuracies),
    seconds,
    secondsPerEpoch: history.reduce((sum, h) => sum + h.seconds, 0) / Math.max(1, history.length),
  };
}

// ───────────────────────────── sweeps ─────────────────────────────

export const SWEEP_COMMAND = 'run';
export const SPEC_FILE = 'spec.json';
export const RECORDS_FILE = 'records.jsonl';
export const CONVS_FILE = 'lenet5-convs.json';

export interface PopupSweepOptions extends PopupHooks {
  outDir: string;
  version: string;
  argv: string[];
  /** Run `index` (0-based) of `total` starts; `resumed` when its record was already on disk. */
  onRun?: (index: number, total: number, spec: PopupRunSpec, resumed: boolean) => void;
  /** Refuse the sweep up front when its largest run's estimated memory exceeds this (always: the 4 GiB tf heap). */
  memoryLimit?: MemoryLimit;
  /** A run finished (or was read back); records so far, in sweep order. */
  onRecord?: (record: PopupRunRecord, records: readonly PopupRunRecord[], run: RunDirectory) => void;
}

export interface PopupSweepResult {
  records: PopupRunRecord[];
  /** Runs found finished on disk. */
  resumedRuns: number;
  run: RunDirectory;
}

/** Sizes of one run for the memory estimate (src/core/limits.ts), from the spec alone. */
export function popupMemoryInput(spec: PopupRunSpec): PopupMemoryInput {
  const structureOptions = { redundancy: spec.redundancy, sampleCount: spec.sampleCount };
  return {
    parameterCount: structureParameterCount(spec.arch, spec.structure, structureOptions),
    activationsPerExample: structureWidths(spec.arch, spec.structure, structureOptions).reduce((a, b) => a + b, 0),
    batchSize: spec.batchSize,
    examples: spec.trainCount + spec.testCount,
    features: spec.arch === 'lenet5' ? MNIST_PIXELS + fcWidths('lenet5')[0]! : MNIST_PIXELS,
  };
}

/** Throws an InputError when a run of this spec cannot fit the memory limit (if given) or the tf wasm heap. */
export function checkPopupMemory(spec: PopupRunSpec, limit?: MemoryLimit): void {
  const sizes = popupMemoryInput(spec);
  const subject = `popup ${spec.arch} ${spec.structure}`;
  const hint = 'lower redundancy, sampleCount, batchSize or trainCount';
  checkTfHeap(subject, popupTfMemory(sizes), hint);
  if (limit !== undefined) checkMemory(subject, popupMemory(sizes), limit, hint);
}

/**
 * Runs every run of the sweep that the directory does not hold yet (each finished record is a checksummed chunk
 * of the run directory, so an interrupted sweep resumes where it stopped), and rewrites records.jsonl after each.
 */
export async function runPopupSweep(spec: PopupSweepSpec, options: PopupSweepOptions): Promise<PopupSweepResult> {
  // Refused before the run directory is made: nothing to clean up.
  for (const runSpec of sweepRuns(spec)) checkPopupMemory(runSpec, options.memoryLimit);
  const run = RunDirectory.open(options.outDir, { command: SWEEP_COMMAND, version: options.version, argv: options.argv, config: { experiment: 'popup', spec } });
  run.writeFile(SPEC_FILE, JSON.stringify(spec, null, 2) + '\n');
  const runs = sweepRuns(spec);
  const records: (PopupRunRecord | null)[] = runs.map((_, i) => {
    const payload = run.readChunk(i);
    return payload === null ? null : (JSON.parse(new TextDecoder().decode(payload)) as PopupRunRecord);
  });
  const resumedRuns = records.filter((r) => r !== null).length;
  const finished = () => records.filter((r): r is PopupRunRecord => r !== null);
  const writeRecords = () => run.writeFile(RECORDS_FILE, finished().map((r) => JSON.stringify(r)).join('\n') + '\n');
  let data: PopupData | null = null;
  const convCache = {
    read: (): ConvWeights | null => {
      try {
        const text = new TextDecoder().decode(run.readChunk(runs.length) ?? new Uint8Array());
        return text === '' ? null : (JSON.parse(text) as ConvWeights);
      } catch {
        return null;
      }
    },
    write: (weights: ConvWeights) => run.writeChunk(runs.length, new TextEncoder().encode(JSON.stringify(weights))),
  };
  for (let i = 0; i < runs.length; i++) {
    const runSpec = runs[i]!;
    const existing = records[i];
    options.onRun?.(i, runs.length, runSpec, existing !== null);
    if (existing !== null && existing !== undefined) {
      options.onRecord?.(existing, finished(), run);
      continue;
    }
    data ??= await preparePopupData(spec, { ...options, convCache });
    const record = await runPopup(runSpec, data, options);
    records[i] = record;
    run.writeChunk(i, new TextEncoder().encode(JSON.stringify(record)));
    writeRecords();
    options.onRecord?.(record, finished(), run);
  }
  writeRecords();
  if (data?.convs) run.writeFile(CONVS_FILE, JSON.stringify(data.convs) + '\n');
  return { records: finished(), resumedRuns, run };
}

/** Records of a JSONL file (as written by runPopupSweep). */
export function parsePopupRecords(text: string, source: string): PopupRunRecord[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as PopupRunRecord;
      } catch (error) {
        throw new InputError(`${source}: line ${i + 1} is not JSON (${(error as Error).message})`);
      }
    });
}

/** One run beside the published accuracy of its point (null where the paper's table has none). */
export interface PopupComparisonRow {
  arch: PopupArch;
  structure: PopupStructure;
  pruneFraction: number;
  keptParameters: number;
  epochs: number;
  accuracy: number;
  bestAccuracy: number;
  published: number | null;
  secondsPerEpoch: number;
}

/** Rows comparing our accuracy with the published one wherever the paper's table has the point. */
export function comparisonRows(records: readonly PopupRunRecord[]): PopupComparisonRow[] {
  return records.map((r) => ({
    arch: r.arch,
    structure: r.structure,
    pruneFraction: r.pruneFraction,
    keptParameters: r.keptParameters,
    epochs: r.epochs,
    accuracy: r.finalAccuracy,
    bestAccuracy: r.bestAccuracy,
    published: publishedAccuracy(r.arch, r.structure, r.pruneFraction),
    secondsPerEpoch: r.secondsPerEpoch,
  }));
}

