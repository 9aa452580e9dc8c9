/**
 * The networks of Experiment 2 (Pensia et al. 2020, §5 and Fig. 3: edge-popup on MNIST): for the fully connected
 * part of FC2, FC4 or LeNet5 (widths d_0 … d_L), `dense` is the ordinary network trained as usual; `ours-linear` /
 * `ours-relu` replace every layer d_{i−1} → d_i by the paper's redundant layer (each input copied r times, each copy
 * times its own random weight, optionally a ReLU, then a random d_i × r·d_{i−1} layer), `wide` keeps the depth
 * with every hidden width set to the H whose parameter count is closest to ours, and `theorem1` is the random
 * network of Theorem 1 itself (U[−1, 1], blocks of 2n ReLU units per input, only the block-diagonal of M_{2i−1}).
 */
import { InputError } from '../core/errors.js';
import { RandomStream, UNIT_UNIFORM, namedStream } from '../core/random.js';
import { createNetwork } from '../nn/architectures.js';
import type { Network } from '../nn/network.js';
import { initializeNetwork } from '../nn/train.js';
import { initScores, initWeights, type PopupDenseLayer, type PopupLayer, type PopupNetwork, type PopupSpreadLayer, type PopupWeightInit } from './network.js';
import { blockWeights, layerStream, randomWeight, secondLayerIndex, type StageGeometry } from '../theorem1/theorem1.js';

export type PopupArch = 'fc2' | 'fc4' | 'lenet5';
export const POPUP_ARCHS: readonly PopupArch[] = ['fc2', 'fc4', 'lenet5'];
export type PopupStructure = 'dense' | 'wide' | 'ours-linear' | 'ours-relu' | 'theorem1';
export const POPUP_STRUCTURES: readonly PopupStructure[] = ['dense', 'wide', 'ours-linear', 'ours-relu', 'theorem1'];
/** Structures whose weights are frozen and masked by edge-popup (all but `dense`). */
export type MaskedStructure = Exclude<PopupStructure, 'dense'>;

/** Widths of the fully connected part, input first (LeNet5: after its conv layers, 16·5·5 = 400 features). */
export function fcWidths(arch: PopupArch): number[] {
  switch (arch) {
    case 'fc2':
      return [784, 500, 10];
    case 'fc4':
      return [784, 500, 500, 500, 10];
    case 'lenet5':
      return [400, 120, 84, 10];
  }
}

/** Weights of LeNet5's two conv layers (1→6 and 6→16, 5×5, no biases): 150 + 2400 = 2550. */
export function lenet5ConvParameterCount(): number {
  let count = 0;
  for (const layer of createNetwork('lenet5', { bias: false }).layers) if (layer.kind === 'conv2d') count += layer.weight.length;
  return count;
}

export interface PopupStructureOptions {
  /** r of ours-linear / ours-relu, and the r whose parameter count `wide` matches. */
  redundancy: number;
  /** n of theorem1: blocks of 2n hidden units per input. */
  sampleCount: number;
  /** Frozen weights of wide and ours (theorem1's are U[−1, 1] by definition). */
  weightInit: PopupWeightInit;
  seed: number;
}

/** Σ_i d_{i−1}·d_i: the weights of the plain MLP. */
export function mlpParameterCount(widths: readonly number[]): number {
  let count = 0;
  for (let i = 1; i < widths.length; i++) count += widths[i - 1]! * widths[i]!;
  return count;
}

/** Σ_i (r·d_{i−1} + r·d_{i−1}·d_i): the block-diagonal and the random layer of every redundant layer. */
export function redundantParameterCount(widths: readonly number[], copies: number): number {
  let count = 0;
  for (let i = 1; i < widths.length; i++) count += copies * widths[i - 1]! * (1 + widths[i]!);
  return count;
}

/** The widths with every hidden width replaced by `hidden`. */
export function withHiddenWidth(widths: readonly number[], hidden: number): number[] {
  return widths.map((w, i) => (i === 0 || i === widths.length - 1 ? w : hidden));
}

/**
 * The hidden width H ≥ 1 (all hidden layers equal) whose MLP parameter count is closest to `targetCount` (the
 * smaller H on a tie). The count d_0·H + (L−2)·H² + H·d_L grows with H, so a binary search finds the crossing.
 */
export function wideHiddenWidth(widths: readonly number[], targetCount: number): { hidden: number; count: number } {
  if (widths.length < 3) throw new InputError(`wide: needs at least one hidden layer, got widths ${widths.join('-')}`);
  const count = (h: number) => mlpParameterCount(withHiddenWidth(widths, h));
  let low = 1;
  let high = 1;
  while (count(high) < targetCount) high *= 2;
  // invariant: count(low) < target ≤ count(high), or low = high = 1
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (count(mid) < targetCount) low = mid;
    else high = mid;
  }
  const best = Math.abs(count(low) - targetCount) <= Math.abs(count(high) - targetCount) ? low : high;
  return { hidden: best, count: count(best) };
}

/** Copies per input of a redundant/theorem1 structure: r, or 2n. */
export function copiesOf(structure: MaskedStructure, options: Pick<PopupStructureOptions, 'redundancy' | 'sampleCount'>): number {
  return structure === 'theorem1' ? 2 * options.sampleCount : options.redundancy;
}

/** Weights of a structure's fully connected part: trained (dense) or masked (the others). */
export function structureParameterCount(arch: PopupArch, structure: PopupStructure, options: Pick<PopupStructureOptions, 'redundancy' | 'sampleCount'>): number {
  const widths = fcWidths(arch);
  switch (structure) {
    case 'dense':
      return mlpParameterCount(widths);
    case 'wide':
      return wideHiddenWidth(widths, redundantParameterCount(widths, options.redundancy)).count;
    case 'ours-linear':
    case 'ours-relu':
    case 'theorem1':
      return redundantParameterCount(widths, copiesOf(structure, options));
  }
}

/** Hidden widths of the structure's fully connected part as the network sees them (for reports). */
export function structureWidths(arch: PopupArch, structure: PopupStructure, options: Pick<PopupStructureOptions, 'redundancy' | 'sampleCount'>): number[] {
  const widths = fcWidths(arch);
  if (structure === 'wide') return withHiddenWidth(widths, wideHiddenWidth(widths, redundantParameterCount(widths, options.redundancy)).hidden);
  return widths;
}

function checkOptions(options: PopupStructureOptions): void {
  if (!Number.isSafeInteger(options.redundancy) || options.redundancy < 1 || options.redundancy > 64) {
    throw new InputError(`redundancy: expected an integer 1..64, got ${options.redundancy}`);
  }
  if (!Number.isSafeInteger(options.sampleCount) || options.sampleCount < 1 || options.sampleCount > 32) {
    throw new InputError(`sampleCount (theorem1's n): expected an integer 1..32, got ${options.sampleCount}`);
  }
}

function stream(seed: number, name: string): RandomStream {
  return new RandomStream(seed, namedStream(name));
}

/** The dense layer [out, in] with weights N(0, std²) (or ±std) and scores U[−bound, bound), streams popup/<family>/<name>. */
function randomDense(family: string, name: string, inFeatures: number, outFeatures: number, std: number, scoreBound: number, options: PopupStructureOptions): PopupDenseLayer {
  const weight = new Float32Array(inFeatures * outFeatures);
  const scores = new Float32Array(weight.length);
  initWeights(stream(options.seed, `popup/${family}/${name}`), options.weightInit, std, weight);
  initScores(stream(options.seed, `popup/${family}/${name}/scores`), scoreBound, scores);
  return { kind: 'dense', name, inFeatures, outFeatures, weight, scores };
}

/**
 * Theorem-1 stage i (1-based) as the random network draws it (src/theorem1/theorem1.ts: streams theorem1/layer/m,
 * float32 of U[−1, 1]); no biases, so the stage geometry is the plain d_{i−1} → d_i layer.
 */
function theoremStage(i: number, inUnits: number, outUnits: number, sampleCount: number): StageGeometry {
  return {
    kind: 'dense',
    name: `fc${i}`,
    inUnits,
    outUnits,
    realInUnits: inUnits,
    realOutUnits: outUnits,
    kernelSize: 1,
    padding: 0,
    inputHeight: 1,
    inputWidth: 1,
    outputHeight: 1,
    outputWidth: 1,
    sampleCount,
    twoBranch: true,
    after: [],
  };
}

/**
 * The edge-popup network of a masked structure (fully connected part; LeNet5's frozen convs are applied to the
 * data beforehand). Weights and initial scores follow the subset-sum paper's code:
 * - ours: block weights u ~ N(0, 2) (fan-in 1), random layer ~ N(0, 2/d_{i−1}) (its code uses the fan-in of the
 *   original layer, not r·d_{i−1}); scores U[−std, std] with the std of their own tensor;
 * - wide: weights N(0, 2/fanIn), scores U[−1/√fanIn, 1/√fanIn] (kaiming_uniform_(a = √5));
 * - theorem1: the Theorem-1 weights U[−1, 1] multiplied by a fixed factor per layer (√6 for the blocks,
 *   √(6/d_{i−1}) for the second layer) so activations have the scale of ours-relu. ReLU networks without biases
 *   are positively homogeneous: for every mask the rescaled network's logits are a positive multiple of the
 *   unscaled network's, so predictions (and accuracy) are those of the Theorem-1 random network.
 */
export function buildPopupNetwork(arch: PopupArch, structure: MaskedStructure, options: PopupStructureOptions): PopupNetwork {
  checkOptions(options);
  const widths = fcWidths(arch);
  const layers: PopupLayer[] = [];
  const L = widths.length - 1;
  if (structure === 'wide') {
    const hidden = withHiddenWidth(widths, wideHiddenWidth(widths, redundantParameterCount(widths, options.redundancy)).hidden);
    for (let i = 1; i <= L; i++) {
      if (i > 1) layers.push({ kind: 'relu' });
      const fanIn = hidden[i - 1]!;
      layers.push(randomDense('wide', `fc${i}`, fanIn, hidden[i]!, Math.sqrt(2 / fanIn), 1 / Math.sqrt(fanIn), options));
    }
    return { inputFeatures: widths[0]!, classes: widths[L]!, layers };
  }
  const copies = copiesOf(structure, options);
  for (let i = 1; i <= L; i++) {
    if (i > 1) layers.push({ kind: 'relu' });
    const dIn = widths[i - 1]!;
    const dOut = widths[i]!;
    const spreadStd = Math.SQRT2;
    const denseStd = Math.sqrt(2 / dIn);
    let spread: PopupSpreadLayer;
    let dense: PopupDenseLayer;
    if (structure === 'theorem1') {
      const stage = theoremStage(i, dIn, dOut, options.sampleCount);
      const hidden = copies * dIn;
      const spreadScale = Math.fround(spreadStd * Math.sqrt(3));
      const u = blockWeights(options.seed, i, stage, UNIT_UNIFORM);
      const spreadWeight = new Float32Array(hidden);
      for (let r = 0; r < hidden; r++) spreadWeight[r] = Math.fround(u[r]! * spreadScale);
      const second = layerStream(options.seed, 2 * i);
      const denseScale = Math.fround(denseStd * Math.sqrt(3));
      const denseWeight = new Float32Array(dOut * hidden);
      for (let o = 0; o < dOut; o++) {
        for (let r = 0; r < hidden; r++) denseWeight[o * hidden + r] = Math.fround(randomWeight(second, UNIT_UNIFORM, secondLayerIndex(stage, o, r, 0)) * denseScale);
      }
      const spreadScores = new Float32Array(hidden);
      const denseScores = new Float32Array(dOut * hidden);
      initScores(stream(options.seed, `popup/theorem1/stage${i}.blocks/scores`), spreadStd, spreadScores);
      initScores(stream(options.seed, `popup/theorem1/stage${i}.second/scores`), denseStd, denseScores);
      spread = { kind: 'spread', name: `stage${i}.blocks`, features: dIn, copies, weight: spreadWeight, scores: spreadScores };
      dense = { kind: 'dense', name: `stage${i}.second`, inFeatures: hidden, outFeatures: dOut, weight: denseWeight, scores: denseScores };
    } else {
      const weight = new Float32Array(copies * dIn);
      const scores = new Float32Array(weight.length);
      initWeights(stream(options.seed, `popup/ours/red${i}.weight1`), options.weightInit, spreadStd, weight);
      initScores(stream(options.seed, `popup/ours/red${i}.weight1/scores`), spreadStd, scores);
      spread = { kind: 'spread', name: `red${i}.weight1`, features: dIn, copies, weight, scores };
      dense = randomDense('ours', `red${i}.weight2`, copies * dIn, dOut, denseStd, denseStd, options);
    }
    layers.push(spread);
    if (structure !== 'ours-linear') layers.push({ kind: 'relu' });
    layers.push(dense);
  }
  return { inputFeatures: widths[0]!, classes: widths[L]!, layers };
}

/**
 * The dense baseline: the ordinary architecture without biases (as the paper's code), PyTorch's default
 * initialisation (src/nn/train.ts initializeNetwork), inputs `standard`-normalised. Trained by trainNetwork.
 */
export function denseBaselineNetwork(arch: PopupArch, seed: number): Network {
  return initializeNetwork(createNetwork(arch, { bias: false, preprocess: 'standard' }), seed, 'pytorch-default');
}
