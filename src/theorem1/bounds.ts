/**
 * Sizes side by side: random parameters of Theorem 1's network (dense, as the theorem counts them, and as the
 * block structure needs), kept parameters, Theorem 1's n for a failure probability δ (the Lueker-type bound with
 * constants calibrated on measured product coverage), and the counting lower bound Ω(d² log(1/ε)) of §4.
 */
import { ceilLog2Reciprocal } from '../core/deterministicMath.js';
import { hiddenUnitCount, stageSizes, type StageGeometry } from './theorem1.js';

/**
 * Calibration of n_branch ≥ log2(1/ε′) + A + B·log2(1/p) (p: per-instance failure probability), fitted to the
 * measured probability that n products of two U[-1,1] cover ALL of [-1,1] within ε = 0.01 (digest §2: 0.78 at
 * n = 16, 0.89 at n = 18): failure halves every B = 2 extra samples, and p = 0.22 at n = 16 gives A = 5.0.
 */
export const COVERAGE_A = 5;
export const COVERAGE_B = 2;

export interface SampleCountFormula {
  sampleCount: number;
  formula: string;
  instances: number;
  entryTolerance: number;
  failureProbability: number;
}

/**
 * Theorem 1's n for δ: a union bound over I instances needs per-instance failure p = δ/I, so
 * n = ⌈log2(1/ε′) + A + B·log2(I/δ)⌉ (the paper's n = C·log(I/min(ε′, δ)) with the constants made explicit).
 */
export function theorem1SampleCount(args: { instances: number; entryTolerance: number; failureProbability: number }): SampleCountFormula {
  const { instances, entryTolerance, failureProbability } = args;
  const raw = Math.log2(1 / entryTolerance) + COVERAGE_A + COVERAGE_B * Math.log2(instances / failureProbability);
  const sampleCount = Math.max(1, Math.ceil(raw));
  return {
    sampleCount,
    formula: `n = ⌈log2(1/ε′) + ${COVERAGE_A} + ${COVERAGE_B}·log2(I/δ)⌉ = ⌈${Math.log2(1 / entryTolerance).toFixed(2)} + ${COVERAGE_A} + ${COVERAGE_B}·${Math.log2(instances / failureProbability).toFixed(2)}⌉ = ${sampleCount} (I = ${instances} instances, ε′ = ${entryTolerance.toExponential(3)}, δ = ${failureProbability})`,
    instances,
    entryTolerance,
    failureProbability,
  };
}

/** Practical default n per stage when neither n nor δ is given: ⌈log2(1/ε′)⌉ + 6 (see docs/theorem1.md). */
export function practicalSampleCount(entryTolerance: number): number {
  return ceilLog2Reciprocal(entryTolerance) + 6; // ⌈log2(1/ε′)⌉, computed exactly
}

export interface NetworkSizes {
  /** Parameters of the target (weights + biases). */
  targetParams: number;
  /** Entries of the augmented target layers (biases and the carried constant included). */
  augmentedEntries: number;
  /** Random network as Theorem 1 counts it: every M_{2i-1}, M_{2i} dense. */
  randomDense: number;
  /** What the block structure uses: block-diagonal M_{2i-1} + dense M_{2i}. */
  randomBlock: number;
  hiddenUnits: number;
  /** randomDense / targetParams and randomBlock / targetParams. */
  denseFactor: number;
  blockFactor: number;
}

export function networkSizes(stages: readonly StageGeometry[], targetParams: number): NetworkSizes {
  let augmentedEntries = 0;
  let randomDense = 0;
  let randomBlock = 0;
  let hiddenUnits = 0;
  for (const s of stages) {
    const z = stageSizes(s);
    augmentedEntries += z.entries;
    randomDense += z.randomDense;
    randomBlock += z.randomBlock;
    hiddenUnits += z.hiddenUnits;
  }
  return { targetParams, augmentedEntries, randomDense, randomBlock, hiddenUnits, denseFactor: randomDense / targetParams, blockFactor: randomBlock / targetParams };
}

/**
 * The counting lower bound (Pensia et al. §4, Theorem 2): a network from which every d_out×d_in map with ‖W‖ ≤ 1
 * can be pruned to accuracy ε has ≥ c·d_in·d_out·log2(1/ε) parameters; reported with c = 1 per layer (entries of
 * the augmented layer, kernel entries for a convolution), i.e. up to the theorem's constant.
 */
export function lowerBoundParams(stages: readonly StageGeometry[], tolerance: number): number {
  let total = 0;
  for (const s of stages) total += s.outUnits * s.inUnits * s.kernelSize * s.kernelSize * Math.log2(1 / tolerance);
  return Math.ceil(total);
}

/** Theorem 1's hidden width per layer for n: 2n·d_{i-1} (the paper's m_i). */
export function theorem1Widths(stages: readonly StageGeometry[]): number[] {
  return stages.map(hiddenUnitCount);
}
