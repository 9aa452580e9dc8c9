/**
 * A rigorous bound on sup ‖f(x) − g(x)‖ over the input domain, from the actual per-entry errors of a ticket.
 * In the normalised domain (‖z‖ ≤ 1, ‖Ã_i‖ ≤ 1) the pair for layer i computes Ã_i x + E_i x⁺-style errors:
 * one branch (input ≥ 0): error E_i x with E_i = Ŵ⁺ − Ã_i; two branches: E⁺x⁺ + E⁻x⁻ (x⁺ = σ(x), x⁻ = σ(−x),
 * ‖[x⁺; x⁻]‖ = ‖x‖), bounded by e_i = ‖[E⁺ E⁻]‖₂. With ReLU, max-pooling and flattening 1-Lipschitz and 0 ↦ 0:
 *   δ_i = a_i δ_{i−1} + e_i (B_{i−1} + δ_{i−1}),  B_i = a_i B_{i−1},  a_i = 1, B_0 = 1,  so 1 + δ_l = Π (1 + e_i),
 * and sup_{‖x‖≤R} ‖f(x) − g(x)‖ ≤ outputScale · δ_l (positive homogeneity). Holds for exact arithmetic of the
 * pruned network (float64 evaluation adds ~1e-15 relative; the float32 export ~1e-6 relative).
 */
import { nthRoot } from '../core/deterministicMath.js';
import { convNormUpperBound, spectralNormUpperBound, frobeniusNorm } from './spectral.js';
import { targetInUnits, type StageGeometry } from './theorem1.js';

export interface StageCertificate {
  name: string;
  twoBranch: boolean;
  /** e_i: rigorous upper bound of the error operator norm (normalised units). */
  errorNormBound: number;
  /** The a-priori Frobenius-type bound of the same operator (for comparison). */
  errorFrobeniusBound: number;
  /** max |e| over all solved entries and branches. */
  maxEntryError: number;
  entryTolerance: number;
  /** Subset-sum instances of this stage, and those whose error exceeded ε′_i. */
  instances: number;
  outsideTolerance: number;
  /**
   * Depth l+1 only: m_i, a rigorous upper bound of the stage's kept random matrix ‖M_i‖₂ (it carries the earlier
   * stages' copy errors forward: δ_i = m_i·δ_{i−1} + e_i, see lPlusOne.ts).
   */
  edgeNormBound?: number;
}

export interface Certificate {
  /** 2l: δ_i = δ_{i−1} + e_i(1 + δ_{i−1}); depth l+1 ('composed-copies-bound'): δ_i = m_i·δ_{i−1} + e_i. */
  method: 'composed-spectral-bound' | 'composed-copies-bound';
  /** δ_l: bound on sup ‖f_norm(z) − g_norm(z)‖ over ‖z‖ ≤ 1 (z ≥ 0 for a non-negative domain). */
  normalisedBound: number;
  /** outputScale · δ_l: bound on sup ‖f(x) − g(x)‖ over real inputs with ‖x‖ ≤ inputRadius (x ≥ 0 if non-negative). */
  realBound: number;
  /** The same bound if every entry error were exactly at its tolerance, composed with Frobenius norms (a priori). */
  aPrioriNormalisedBound: number;
  stages: StageCertificate[];
}

/** 1 + δ_l = Π (1 + e_i) for a_i = 1, B_0 = 1 (see file header). */
export function composeErrorBounds(errorBounds: readonly number[]): number {
  let delta = 0;
  for (const e of errorBounds) delta = delta + e * (1 + delta);
  return delta;
}

/** Largest ε′_i making the a-priori bound ≤ ε: e_i = (1+ε)^{1/L} − 1 split per stage, ε′ = e_i / (k·√(entries·branches)). */
export function entryTolerances(stages: readonly StageGeometry[], tolerance: number): number[] {
  // (1 − 1e-6) leaves room for the rounding allowances of stageErrorBound, so certificate ≤ ε holds exactly.
  const perStage = (nthRoot(1 + tolerance, stages.length) - 1) * (1 - 1e-6);
  return stages.map((s) => perStage / frobeniusFactor(s));
}

/** ‖E‖₂ ≤ factor · max|e| for any error pattern: √(entries·branches), times k for a convolution (k·‖K‖_F bound). */
export function frobeniusFactor(stage: StageGeometry): number {
  const kk = stage.kernelSize * stage.kernelSize;
  const entries = stage.outUnits * targetInUnits(stage) * kk;
  return stage.kernelSize * Math.sqrt(entries * (stage.twoBranch ? 2 : 1));
}

/** e_i for one stage from its error tensors ([out, in, k, k]; eMinus null for one-branch stages). */
export function stageErrorBound(stage: StageGeometry, ePlus: Float64Array, eMinus: Float64Array | null): { upper: number; frobenius: number } {
  const kk = stage.kernelSize * stage.kernelSize;
  const columns = targetInUnits(stage);
  let matrix = ePlus;
  let inUnits = columns;
  if (eMinus) {
    inUnits = 2 * columns;
    matrix = new Float64Array(stage.outUnits * inUnits * kk);
    for (let o = 0; o < stage.outUnits; o++) {
      matrix.set(ePlus.subarray(o * columns * kk, (o + 1) * columns * kk), o * inUnits * kk);
      matrix.set(eMinus.subarray(o * columns * kk, (o + 1) * columns * kk), (o * inUnits + columns) * kk);
    }
  }
  // Allowance for float64 rounding in the recomputed sums (≤ 40 exact products, |sum| ≤ 40) and in Ã = A/s.
  const allowance = stage.kernelSize * Math.sqrt(matrix.length) * 1e-12;
  if (stage.kind === 'dense') {
    const b = spectralNormUpperBound(matrix, stage.outUnits, inUnits);
    return { upper: b.upper + allowance, frobenius: b.frobenius + allowance };
  }
  const b = convNormUpperBound(matrix, {
    outChannels: stage.outUnits, inChannels: inUnits, kernelSize: stage.kernelSize, padding: stage.padding,
    inputHeight: stage.inputHeight, inputWidth: stage.inputWidth,
  });
  return { upper: b.upper + allowance, frobenius: b.frobenius + allowance };
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]!);
    if (v > m) m = v;
  }
  return m;
}

export { frobeniusNorm };
