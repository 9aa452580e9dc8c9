/**
 * The networks edge-popup trains: chains of spread (redundant copies), dense and relu layers with frozen random
 * weights; their checks and the paper's weight and score initialisations.
 */
import { InputError } from '../core/errors.js';
import { RandomStream } from '../core/random.js';
// ───────────────────────────── networks ─────────────────────────────

/**
 * A layer of a network trained by edge-popup. `spread` is the block-diagonal first half of the paper's
 * redundant layer: input j copied `copies` times, copy t multiplied by its own weight u[t·features + j]
 * (slot-major, as the Theorem-1 random network numbers its hidden units), giving copies·features outputs.
 * `dense` is an ordinary fully connected layer, weight [out, in]. Every spread/dense weight tensor is masked.
 */
export type PopupLayer = PopupSpreadLayer | PopupDenseLayer | { kind: 'relu' };

export interface PopupSpreadLayer {
  kind: 'spread';
  name: string;
  features: number;
  copies: number;
  /** [copies · features], u[t·features + j]; the frozen weights as the network uses them. */
  weight: Float32Array;
  /** Initial scores, same layout. */
  scores: Float32Array;
}

export interface PopupDenseLayer {
  kind: 'dense';
  name: string;
  inFeatures: number;
  outFeatures: number;
  /** [outFeatures, inFeatures] row-major. */
  weight: Float32Array;
  scores: Float32Array;
}

/** An edge-popup network on flat inputs (pixels, or the features of frozen conv layers). */
export interface PopupNetwork {
  inputFeatures: number;
  classes: number;
  layers: PopupLayer[];
}

export type MaskedLayer = PopupSpreadLayer | PopupDenseLayer;

export function maskedLayers(network: PopupNetwork): MaskedLayer[] {
  return network.layers.filter((l): l is MaskedLayer => l.kind !== 'relu');
}

/** Checks shapes and the chain of widths; throws InputError naming the layer. */
export function checkPopupNetwork(network: PopupNetwork): void {
  let width = network.inputFeatures;
  for (const layer of network.layers) {
    if (layer.kind === 'relu') continue;
    const inWidth = layer.kind === 'spread' ? layer.features : layer.inFeatures;
    const size = layer.kind === 'spread' ? layer.features * layer.copies : layer.inFeatures * layer.outFeatures;
    if (inWidth !== width) throw new InputError(`popup network: layer ${layer.name} expects ${inWidth} inputs, receives ${width}`);
    if (layer.weight.length !== size || layer.scores.length !== size) {
      throw new InputError(`popup network: layer ${layer.name} needs ${size} weights and scores, has ${layer.weight.length} and ${layer.scores.length}`);
    }
    width = layer.kind === 'spread' ? layer.features * layer.copies : layer.outFeatures;
  }
  if (width !== network.classes) throw new InputError(`popup network: ends with ${width} outputs, expected ${network.classes} classes`);
}

// ───────────────────────────── initialisation ─────────────────────────────

/**
 * Frozen-weight initialisation: `kaiming-normal` draws N(0, std²); `signed-kaiming-constant` (Ramanujan et al.'s
 * best variant) keeps only the sign of that draw: ±std. Either way the same draw decides the sign.
 */
export type PopupWeightInit = 'kaiming-normal' | 'signed-kaiming-constant';
export const POPUP_WEIGHT_INITS: readonly PopupWeightInit[] = ['kaiming-normal', 'signed-kaiming-constant'];

/** Fills `out` from stream indices 0… with the scheme at this standard deviation. */
export function initWeights(stream: RandomStream, init: PopupWeightInit, std: number, out: Float32Array): void {
  stream.fill({ kind: 'normal', mean: 0, std }, 0, out);
  if (init === 'signed-kaiming-constant') {
    const c = Math.fround(std);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! < 0 ? -c : c;
  }
}

/**
 * Scores U[−bound, bound) from stream indices 0…: the hidden-networks code uses kaiming_uniform_(a = √5), i.e.
 * bound = 1/√fanIn; the redundant layers of the subset-sum paper's code use bound = the weight std.
 */
export function initScores(stream: RandomStream, bound: number, out: Float32Array): void {
  stream.fill({ kind: 'uniform', low: -bound, high: bound }, 0, out);
}

// ───────────────────────────── training ─────────────────────────────

/** SGD with momentum and weight decay on the scores, PyTorch's rule: g += wd·s; buf = μ·buf + g; s −= lr·buf. */
export interface PopupOptimizerOptions {
  momentum: number;
  weightDecay: number;
}

