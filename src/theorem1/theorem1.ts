/**
 * The construction plan of Theorem 1 (Pensia et al., NeurIPS 2020): every parameterised target layer i becomes a
 * random layer pair (M_{2i-1}, M_{2i}) — a hidden layer with a block of 2n ReLU units per input unit/channel, then
 * a layer back to d_i outputs — and every target entry becomes one or two subset-sum instances over products u·v.
 * This file fixes the geometry, the (seed, layer, index) mapping of every random weight, the rescaling that meets
 * the theorem's ‖W_i‖ ≤ 1, ‖x‖ ≤ 1 (positive homogeneity of ReLU), and biases (a constant unit carried through the
 * layers, W̃ = [[W, b], [0, 1]]). Mapping and file layout: docs/theorem1.md, docs/ticket-format.md.
 */
import { InputError } from '../core/errors.js';
import { RandomStream, namedStream, type Distribution } from '../core/random.js';
import type { FlattenLayer, Layer, MaxPool2dLayer, Network, ReluLayer } from '../nn/network.js';
import { PREPROCESS_STANDARD_MEAN, PREPROCESS_STANDARD_STD } from '../nn/network.js';
import { MAX_SAMPLE_COUNT } from '../subsetsum/types.js';
import { convNormUpperBound, convOutputSize, spectralNormUpperBound } from './spectral.js';

export type CopiedLayer = ReluLayer | MaxPool2dLayer | FlattenLayer;
export type InputDomain = 'nonnegative' | 'any';
export const INPUT_DOMAINS: readonly InputDomain[] = ['nonnegative', 'any'];

/** Geometry of one target layer and its random layer pair (JSON-serialisable; stored in the ticket). */
export interface StageGeometry {
  kind: 'dense' | 'conv2d';
  /** The target layer's name (state_dict prefix). */
  name: string;
  /** Input units (dense) or channels (conv) of the augmented layer, constant unit(s) included, = d_{i-1}. */
  inUnits: number;
  /** Output units/channels of the augmented layer (+1 constant when carried on), = d_i. */
  outUnits: number;
  /** Real (target) inputs before the constant units; inputs ≥ realInUnits are the constant. */
  realInUnits: number;
  realOutUnits: number;
  /** 1 for dense. */
  kernelSize: number;
  padding: number;
  /** 1 × 1 for dense. */
  inputHeight: number;
  inputWidth: number;
  outputHeight: number;
  outputWidth: number;
  /** n: the hidden block of every input unit has 2n units (the random network's width is 2n·inUnits). */
  sampleCount: number;
  /** True when the layer input may be negative: both the σ(x) and σ(−x) branches are solved. */
  twoBranch: boolean;
  /** Parameter-free target layers applied after this layer (copied into the ticket). */
  after: CopiedLayer[];
  /**
   * Depth-(l+1) construction only (lPlusOne.ts). Set when the stage has no random first layer: its input is
   * `inputCopies` copies of each of the target's inUnits / inputCopies units (copy-major: copy c of unit j is input
   * c·(inUnits / inputCopies) + j), hidden unit r is input r itself (weight 1), and each instance sums over the copies.
   */
  inputCopies?: number;
  /** Depth-(l+1) only: outUnits = target outputs × outputCopies, copy-major (row c·targetOut + o is copy c of o). */
  outputCopies?: number;
  /** Random layer (1-based) holding this stage's second matrix; default 2i for stage i (the 2l numbering). */
  edgeLayer?: number;
}

/** Units of the target layer's (augmented) input: inUnits without the copies of a depth-(l+1) stage. */
export function targetInUnits(stage: Pick<StageGeometry, 'inUnits' | 'inputCopies'>): number {
  return stage.inputCopies ? stage.inUnits / stage.inputCopies : stage.inUnits;
}

/** Values an instance can draw on per input unit: the 2n slots of its block, or the copies of its input. */
export function slotCount(stage: Pick<StageGeometry, 'sampleCount' | 'inputCopies'>): number {
  return stage.inputCopies ?? 2 * stage.sampleCount;
}

/** Random layer numbers (1-based) of stage i's two matrices; null for the first when the stage has none. */
export function stageLayerNumbers(stage: Pick<StageGeometry, 'inputCopies' | 'edgeLayer'>, stageNumber: number): { unitLayer: number | null; edgeLayer: number } {
  const edgeLayer = stage.edgeLayer ?? 2 * stageNumber;
  return { unitLayer: stage.inputCopies ? null : edgeLayer - 1, edgeLayer };
}

/** Random layers of a network made of these stages: 2 per stage, 1 per stage whose input is copies (depth l+1). */
export function randomDepth(stages: readonly Pick<StageGeometry, 'inputCopies'>[]): number {
  let depth = 0;
  for (const s of stages) depth += s.inputCopies ? 1 : 2;
  return depth;
}

/** A stage with its normalised augmented target matrix Ã_i = A_i / s_i. */
export interface PlannedStage extends StageGeometry {
  /** [outUnits, inUnits, k, k] row-major, float64, spectral norm ≤ 1. */
  target: Float64Array;
  /** s_i: rigorous upper bound of ‖A_i‖₂ (A_i the real augmented layer) used to normalise; 1 for a zero layer. */
  scale: number;
}

export interface Theorem1PlanOptions {
  inputDomain?: InputDomain;
  /** R: the guarantee holds for real inputs with ‖x‖ ≤ R. Default from the target's MNIST preprocessing. */
  inputRadius?: number;
  /** n per stage (one number for all stages, or one per parameterised layer). */
  sampleCounts: number | number[];
}

export interface Theorem1Plan {
  /** Real input shape of the target. */
  inputShape: number[];
  inputDomain: InputDomain;
  inputRadius: number;
  /** A constant unit is carried (the target has biases). */
  constant: boolean;
  /** Constant entries appended to the (flattened or image) input: 1 for a vector, H·W for an image channel. */
  inputConstantCount: number;
  /** R̃ = sqrt(R² + inputConstantCount): bound on ‖[x; 1]‖ over the domain. */
  augmentedRadius: number;
  /** α = 1/R̃: the normalised network sees z = α·[x; 1], ‖z‖ ≤ 1. */
  inputScale: number;
  /** R̃·Π s_i: f(x) = outputScale · f_norm(α·[x; 1]) by positive homogeneity. */
  outputScale: number;
  /** Parameter-free layers applied to the real input before the first parameterised layer. */
  before: CopiedLayer[];
  stages: PlannedStage[];
  /** Output shape of the target (and ticket). */
  outputShape: number[];
}

/** Stream of random-network layer m (1-based, 1..2l) under the ticket's seed. */
export function layerStreamName(m: number): string {
  return `theorem1/layer/${m}`;
}

export function layerStream(seed: number, m: number): RandomStream {
  return new RandomStream(seed, namedStream(layerStreamName(m)));
}

/**
 * Hidden units of a pair are numbered slot-major: r = t·inUnits + j is slot t (0 ≤ t < 2n) of the block of input j.
 * Stream indices are unit-major, so widening the network (larger n) only appends random numbers:
 *   M_{2i-1}[r, c] (1×1 conv for conv layers) at index r·inUnits + c — the kept diagonal u_r at r·inUnits + (r mod inUnits);
 *   M_{2i}[o, r, a, b] at index ((r·k + a)·k + b)·outUnits + o (dense: k = 1, index r·outUnits + o).
 */
export function firstLayerIndex(stage: StageGeometry, r: number): number {
  return r * stage.inUnits + (r % stage.inUnits);
}

/** Layer stream of stage i's second matrix (see stageLayerNumbers). */
export function edgeStream(seed: number, stageNumber: number, stage: Pick<StageGeometry, 'inputCopies' | 'edgeLayer'>): RandomStream {
  return layerStream(seed, stageLayerNumbers(stage, stageNumber).edgeLayer);
}

export function secondLayerIndex(stage: StageGeometry, o: number, r: number, tap: number): number {
  return (r * stage.kernelSize * stage.kernelSize + tap) * stage.outUnits + o;
}

/** A random-network weight as the ticket stores and uses it: float32 of the drawn number. */
export function randomWeight(stream: RandomStream, distribution: Distribution, index: number): number {
  return Math.fround(stream.sample(distribution, index));
}

/** u_r for every hidden unit r of stage i's M_{2i-1} (only the block-diagonal entries the construction keeps). */
export function blockWeights(seed: number, stageNumber: number, stage: StageGeometry, distribution: Distribution): Float32Array {
  const count = hiddenUnitCount(stage);
  if (stage.inputCopies) return new Float32Array(count).fill(1); // no random first layer: hidden unit r is input r
  const stream = layerStream(seed, stageLayerNumbers(stage, stageNumber).unitLayer!);
  const u = new Float32Array(count);
  for (let r = 0; r < count; r++) u[r] = randomWeight(stream, distribution, firstLayerIndex(stage, r));
  return u;
}

/** Slots of block j whose unit has u > 0 (branch +) or u < 0 (branch −), t ascending, at most 40 (solver limit). */
export function branchUnits(stage: StageGeometry, u: Float32Array, j: number, positive: boolean): Int32Array {
  const units: number[] = [];
  const slots = slotCount(stage);
  const width = targetInUnits(stage);
  for (let t = 0; t < slots && units.length < MAX_SAMPLE_COUNT; t++) {
    const r = t * width + j;
    const value = u[r]!;
    if (positive ? value > 0 : value < 0) units.push(r);
  }
  return Int32Array.from(units);
}

/** Branch units beyond the solver's 40-value limit that were left out (reported, never silently). */
export function truncatedBranchUnits(stage: StageGeometry, u: Float32Array): number {
  let dropped = 0;
  const width = targetInUnits(stage);
  for (let j = 0; j < width; j++) {
    let pos = 0;
    let neg = 0;
    for (let t = 0; t < slotCount(stage); t++) {
      const value = u[t * width + j]!;
      if (value > 0) pos++;
      else if (value < 0) neg++;
    }
    dropped += Math.max(0, pos - MAX_SAMPLE_COUNT);
    if (stage.twoBranch) dropped += Math.max(0, neg - MAX_SAMPLE_COUNT);
  }
  return dropped;
}

/** Input j of a stage is one-branch when the stage input is ≥ 0, or j is the exact constant of the first stage. */
export function columnIsTwoBranch(stage: StageGeometry, stageIndex: number, j: number): boolean {
  if (!stage.twoBranch) return false;
  return !(stageIndex === 0 && j >= stage.realInUnits);
}

/** Default input radius for MNIST-shaped inputs: max ‖x‖ over the preprocessed pixel box [0,1]^784. */
export function defaultInputRadius(network: Network): number | null {
  const size = network.inputShape.reduce((a, b) => a * b, 1);
  if (size !== 784) return null;
  const preprocess = network.preprocess ?? 'pixels';
  const perPixel = preprocess === 'pixels' ? 1 : Math.max(PREPROCESS_STANDARD_MEAN, 1 - PREPROCESS_STANDARD_MEAN) / PREPROCESS_STANDARD_STD;
  return Math.sqrt(784) * perPixel;
}

/** Default input domain: non-negative for 'pixels' inputs (bytes/255 ≥ 0), otherwise any sign. */
export function defaultInputDomain(network: Network): InputDomain {
  return (network.preprocess ?? 'pixels') === 'pixels' ? 'nonnegative' : 'any';
}

const COPIED_KINDS = new Set(['relu', 'maxpool2d', 'flatten']);

/** Analyses the target, builds the augmented normalised layers and the pair geometry. Throws InputError. */
export function planTheorem1(network: Network, options: Theorem1PlanOptions, source = 'target'): Theorem1Plan {
  const layers = network.layers;
  if (!Array.isArray(layers) || layers.length === 0) throw new InputError(`${source}: the network has no layers`);
  layers.forEach((layer: Layer, i) => {
    const kind = (layer as { kind?: unknown }).kind;
    if (kind !== 'dense' && kind !== 'conv2d' && !COPIED_KINDS.has(String(kind))) {
      throw new InputError(`${source}: layer ${i} has kind '${String(kind)}', which the Theorem 1 construction does not support yet (supported: dense, conv2d, relu, maxpool2d, flatten)`);
    }
    if (layer.kind === 'conv2d' && (layer.stride ?? 1) !== 1) {
      throw new InputError(`${source}: layer ${layer.name} is a convolution with stride ${layer.stride}, which the Theorem 1 construction does not support yet (stride 1 only)`);
    }
  });
  const parameterised = layers.filter((l) => l.kind === 'dense' || l.kind === 'conv2d');
  if (parameterised.length === 0) throw new InputError(`${source}: the network has no dense or conv2d layer to approximate`);
  const given = Array.isArray(options.sampleCounts) ? options.sampleCounts : [options.sampleCounts];
  const sampleCounts = given.length === 1 ? parameterised.map(() => given[0]!) : given;
  if (sampleCounts.length !== parameterised.length) {
    throw new InputError(`samples: expected 1 or ${parameterised.length} values (one per parameterised layer), got ${sampleCounts.length}`);
  }
  for (const n of sampleCounts) {
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new InputError(`samples: n must be an integer in [1, 64], got ${n}`);
  }
  const inputDomain = options.inputDomain ?? defaultInputDomain(network);
  const radius = options.inputRadius ?? defaultInputRadius(network);
  if (radius === null) throw new InputError(`inputRadius: required for a target whose input is not an MNIST image (input shape [${network.inputShape}])`);
  if (!(radius > 0) || !Number.isFinite(radius)) throw new InputError(`inputRadius: must be a finite number > 0, got ${radius}`);
  const constant = parameterised.some((l) => (l as { bias: Float32Array | null }).bias !== null);

  // Walk the layers: shapes are real shapes; a carried constant is one extra channel (image) or trailing
  // entries (vector: 1, or H·W after flattening an image whose constant channel was carried).
  let shape = [...network.inputShape];
  let nonnegative = inputDomain === 'nonnegative';
  const before: CopiedLayer[] = [];
  const stages: PlannedStage[] = [];
  let constantChannel = false;
  let constantEntries = 0;
  let inputConstantCount = 0;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i]!;
    if (layer.kind === 'relu' || layer.kind === 'maxpool2d' || layer.kind === 'flatten') {
      const copied = copyLayer(layer, i, source);
      if (copied.kind === 'flatten' && constantChannel) {
        constantEntries = shape.length === 3 ? shape[1]! * shape[2]! : 1;
        constantChannel = false;
      }
      shape = copiedShape(copied, shape, source, i);
      if (copied.kind === 'relu') nonnegative = true;
      if (stages.length === 0) before.push(copied);
      else stages[stages.length - 1]!.after.push(copied);
      continue;
    }
    if (layer.kind !== 'dense' && layer.kind !== 'conv2d') throw new InputError(`${source}: layer ${i} of kind '${layer.kind}' is not supported`);
    const first = stages.length === 0;
    const last = layer === parameterised[parameterised.length - 1];
    const carry = constant && !last;
    const n = sampleCounts[stages.length]!;
    checkFinite(layer.weight, `${layer.name}.weight`, source);
    if (layer.bias) checkFinite(layer.bias, `${layer.name}.bias`, source);
    if (layer.kind === 'dense') {
      if (shape.length !== 1 || shape[0] !== layer.inFeatures) {
        throw new InputError(`${source}: layer ${layer.name} (dense ${layer.inFeatures}→${layer.outFeatures}) receives shape [${shape}]; add a flatten or fix the sizes`);
      }
      if (layer.weight.length !== layer.inFeatures * layer.outFeatures) throw new InputError(`${source}: ${layer.name}.weight has ${layer.weight.length} values, expected ${layer.inFeatures * layer.outFeatures}`);
      if (first && constant) {
        constantEntries = 1;
        inputConstantCount = 1;
      }
      const realIn = layer.inFeatures;
      const inUnits = realIn + constantEntries;
      const outUnits = layer.outFeatures + (carry ? 1 : 0);
      const a = new Float64Array(outUnits * inUnits);
      for (let o = 0; o < layer.outFeatures; o++) {
        for (let j = 0; j < realIn; j++) a[o * inUnits + j] = layer.weight[o * realIn + j]!;
        if (layer.bias) a[o * inUnits + realIn] = layer.bias[o]!;
      }
      // The constant row reads the first constant entry (column realIn) with weight 1; the bias sits there too.
      if (carry) a[layer.outFeatures * inUnits + realIn] = 1;
      const bound = spectralNormUpperBound(a, outUnits, inUnits).upper;
      const scale = bound > 0 ? bound : 1;
      for (let e = 0; e < a.length; e++) a[e] = a[e]! / scale;
      stages.push({
        kind: 'dense', name: layer.name, inUnits, outUnits, realInUnits: realIn, realOutUnits: layer.outFeatures,
        kernelSize: 1, padding: 0, inputHeight: 1, inputWidth: 1, outputHeight: 1, outputWidth: 1,
        sampleCount: n, twoBranch: !nonnegative, after: [], target: a, scale,
      });
      shape = [layer.outFeatures];
      constantEntries = carry ? 1 : 0;
    } else {
      const { inChannels: ci, outChannels: co, kernelSize: k, padding: p } = layer;
      if (shape.length !== 3 || shape[0] !== ci) {
        throw new InputError(`${source}: layer ${layer.name} (conv2d ${ci}→${co}) receives shape [${shape}], expected [${ci}, H, W]`);
      }
      if (!Number.isInteger(k) || k < 1 || !Number.isInteger(p) || p < 0) throw new InputError(`${source}: layer ${layer.name} has kernel size ${k} and padding ${p}`);
      if (layer.weight.length !== co * ci * k * k) throw new InputError(`${source}: ${layer.name}.weight has ${layer.weight.length} values, expected ${co * ci * k * k}`);
      if (constant && 2 * p > k - 1) {
        throw new InputError(`${source}: layer ${layer.name} has padding ${p} > (k−1)/2 = ${(k - 1) / 2}: a carried bias channel would be clipped at the borders (unsupported layer)`);
      }
      const h = shape[1]!;
      const w = shape[2]!;
      const oh = convOutputSize(h, k, p);
      const ow = convOutputSize(w, k, p);
      if (oh < 1 || ow < 1) throw new InputError(`${source}: layer ${layer.name} maps a ${h}×${w} plane to ${oh}×${ow}`);
      if (first && constant) {
        constantChannel = true;
        inputConstantCount = h * w;
      }
      const inUnits = ci + (constantChannel ? 1 : 0);
      const outUnits = co + (carry ? 1 : 0);
      const kk = k * k;
      const a = new Float64Array(outUnits * inUnits * kk);
      // The bias sits on tap (p, p) of the constant channel: that tap always reads inside the plane when 2p ≤ k−1.
      const biasTap = p * k + p;
      for (let o = 0; o < co; o++) {
        for (let c = 0; c < ci; c++) for (let t = 0; t < kk; t++) a[(o * inUnits + c) * kk + t] = layer.weight[(o * ci + c) * kk + t]!;
        if (layer.bias) a[(o * inUnits + ci) * kk + biasTap] = layer.bias[o]!;
      }
      if (carry) a[(co * inUnits + ci) * kk + biasTap] = 1;
      const bound = convNormUpperBound(a, { outChannels: outUnits, inChannels: inUnits, kernelSize: k, padding: p, inputHeight: h, inputWidth: w }).upper;
      const scale = bound > 0 ? bound : 1;
      for (let e = 0; e < a.length; e++) a[e] = a[e]! / scale;
      stages.push({
        kind: 'conv2d', name: layer.name, inUnits, outUnits, realInUnits: ci, realOutUnits: co,
        kernelSize: k, padding: p, inputHeight: h, inputWidth: w, outputHeight: oh, outputWidth: ow,
        sampleCount: n, twoBranch: !nonnegative, after: [], target: a, scale,
      });
      shape = [co, oh, ow];
      constantChannel = carry;
    }
    nonnegative = false;
  }
  const augmentedRadius = Math.sqrt(radius * radius + inputConstantCount);
  const inputScale = 1 / augmentedRadius;
  let outputScale = augmentedRadius;
  for (const s of stages) outputScale *= s.scale;
  return { inputShape: [...network.inputShape], inputDomain, inputRadius: radius, constant, inputConstantCount, augmentedRadius, inputScale, outputScale, before, stages, outputShape: shape };
}

function checkFinite(data: Float32Array, what: string, source: string): void {
  for (let j = 0; j < data.length; j++) {
    if (!Number.isFinite(data[j]!)) throw new InputError(`${source}: ${what} has a non-finite value ${data[j]} at flat index ${j}`);
  }
}

function copyLayer(layer: Layer, i: number, source: string): CopiedLayer {
  if (layer.kind === 'relu') return { kind: 'relu' };
  if (layer.kind === 'flatten') return { kind: 'flatten' };
  if (layer.kind === 'maxpool2d') {
    if (!Number.isInteger(layer.size) || layer.size < 1) throw new InputError(`${source}: layer ${i} (maxpool2d) has size ${layer.size}`);
    return { kind: 'maxpool2d', size: layer.size };
  }
  throw new InputError(`${source}: layer ${i} of kind '${layer.kind}' cannot be copied`);
}

/** Real shape after a copied layer (the constant channel, when carried, follows the same shape rules). */
export function copiedShape(layer: CopiedLayer, shape: number[], source: string, i: number): number[] {
  switch (layer.kind) {
    case 'relu':
      return shape;
    case 'flatten':
      return [shape.reduce((a, b) => a * b, 1)];
    case 'maxpool2d': {
      if (shape.length !== 3) throw new InputError(`${source}: layer ${i} (maxpool2d) receives shape [${shape}], expected [C, H, W]`);
      const h = Math.floor(shape[1]! / layer.size);
      const w = Math.floor(shape[2]! / layer.size);
      if (h < 1 || w < 1) throw new InputError(`${source}: layer ${i} (maxpool2d ${layer.size}) pools a ${shape[1]}×${shape[2]} plane to nothing`);
      return [shape[0]!, h, w];
    }
  }
}

/** Number of target entries, instances and random parameters of a plan (n per stage). */
export interface StageSizes {
  /** Entries of the augmented target layer (including the constant row/column). */
  entries: number;
  /** M_{2i-1} dense (2n·d_in × d_in, or ×1×1 conv) + M_{2i} dense, as the theorem counts the random network. */
  randomDense: number;
  /** Only what the block structure uses: the 2n·d_in block-diagonal entries + all of M_{2i}. */
  randomBlock: number;
  /** Hidden units of the pair: 2n·d_in (channels for conv). */
  hiddenUnits: number;
}

/** Hidden units of a stage's random layer pair: 2n·d_in (the paper's m_i; channels for conv). The one place this is counted. */
export function hiddenUnitCount(stage: Pick<StageGeometry, 'sampleCount' | 'inUnits' | 'inputCopies'>): number {
  return stage.inputCopies ? stage.inUnits : 2 * stage.sampleCount * stage.inUnits;
}

/** Sizes of a stage's random layer pair, as Theorem 1 counts them (the one home of the size formula). */
export function stageSizes(stage: StageGeometry): StageSizes {
  const hidden = hiddenUnitCount(stage);
  const kk = stage.kernelSize * stage.kernelSize;
  const second = stage.outUnits * hidden * kk;
  // A stage whose input is copies has no first random layer (depth l+1).
  const first = stage.inputCopies ? 0 : 1;
  return {
    entries: (stage.outUnits / (stage.outputCopies ?? 1)) * targetInUnits(stage) * kk,
    randomDense: first * hidden * stage.inUnits + second,
    randomBlock: first * hidden + second,
    hiddenUnits: hidden,
  };
}

/** u_r for the listed hidden units only (what a ticket keeps). */
export function blockWeightsFor(seed: number, stageNumber: number, stage: StageGeometry, distribution: Distribution, units: ArrayLike<number>): Float32Array {
  const u = new Float32Array(units.length);
  if (stage.inputCopies) return u.fill(1);
  const stream = layerStream(seed, stageLayerNumbers(stage, stageNumber).unitLayer!);
  for (let q = 0; q < units.length; q++) u[q] = randomWeight(stream, distribution, firstLayerIndex(stage, units[q]!));
  return u;
}
