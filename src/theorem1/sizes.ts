/**
 * The size comparison printed by `lottery bound` and every prune report: random parameters of Theorem 1's network
 * (dense and block-structured) at the n used, kept parameters, Theorem 1's n for δ, the Malach-style single-
 * product baseline's measured width, and the counting lower bound — all for the same per-entry tolerances.
 */
import type { Distribution } from '../core/random.js';
import { lowerBoundParams, networkSizes, theorem1SampleCount, theorem1Widths, type NetworkSizes, type SampleCountFormula } from './bounds.js';
import { DEFAULT_MALACH_SAMPLE, malachStage, type MalachStageResult } from './malach.js';
import type { Theorem1Plan } from './theorem1.js';
import type { ConstructionRow } from './compare.js';

export interface SizeReport {
  targetParams: number;
  /** At the n used (or planned). */
  theorem1: NetworkSizes & { sampleCounts: number[]; widths: number[] };
  /** Theorem 1's n for failure probability δ (union bound over all instances), and the sizes it implies. */
  theorem1Formula: SampleCountFormula & { randomDense: number; randomBlock: number };
  keptParams: number | null;
  keptFactor: number | null;
  malach: {
    stages: MalachStageResult[];
    /** Block widths m (units per input) measured on the sample, and the random network they imply. */
    widths: number[];
    randomDense: number;
    randomBlock: number;
    /** With the analytic widths for all entries (probability ≥ 1 − δ); null for non-uniform distributions. */
    analyticRandomDense: number | null;
  };
  /** Ω(d² log(1/ε)) with constant 1: Σ_i entries_i · log2(1/ε). */
  lowerBound: number;
}

export interface SizeOptions {
  tolerance: number;
  entryTolerances: number[];
  failureProbability: number;
  seed: number;
  distribution: Distribution;
  keptParams: number | null;
  targetParams: number;
  malachSampleSize?: number;
  /** Progress of the Malach-style measurement: sampled entries done of all stages' samples. */
  onProgress?: (done: number, total: number) => void;
}

export function sizeReport(plan: Theorem1Plan, options: SizeOptions): SizeReport {
  const stages = plan.stages;
  const theorem1 = { ...networkSizes(stages, options.targetParams), sampleCounts: stages.map((s) => s.sampleCount), widths: theorem1Widths(stages) };
  let instances = 0;
  for (const s of stages) instances += s.outUnits * s.inUnits * s.kernelSize * s.kernelSize * (s.twoBranch ? 2 : 1);
  const formula = theorem1SampleCount({ instances, entryTolerance: Math.min(...options.entryTolerances), failureProbability: options.failureProbability });
  const atFormula = networkSizes(stages.map((s) => ({ ...s, sampleCount: formula.sampleCount })), options.targetParams);
  const sampleSize = options.malachSampleSize ?? DEFAULT_MALACH_SAMPLE;
  const sampled = stages.map((s) => Math.min(sampleSize, s.target.reduce((n, w) => n + (w !== 0 ? 1 : 0), 0)));
  const totalSampled = sampled.reduce((a, b) => a + b, 0);
  let before = 0;
  options.onProgress?.(0, totalSampled);
  const malachStages = stages.map((s, i) => {
    const result = malachStage(s, i, options.entryTolerances[i]!, {
      seed: options.seed,
      distribution: options.distribution,
      failureProbability: options.failureProbability,
      sampleSize,
      ...(options.onProgress ? { onEntry: (done: number) => options.onProgress!(before + done, totalSampled) } : {}),
    });
    before += sampled[i]!;
    return result;
  });
  // A block of width m has m units per input: the sizes of Theorem 1's network with 2n = m.
  const withWidths = (widths: number[]): NetworkSizes => networkSizes(stages.map((s, i) => ({ ...s, sampleCount: widths[i]! / 2 })), options.targetParams);
  const measured = malachStages.map((m) => m.measuredWidth);
  const analytic = malachStages.every((m) => m.analyticWidth !== null) ? malachStages.map((m) => m.analyticWidth!) : null;
  const measuredSizes = withWidths(measured);
  return {
    targetParams: options.targetParams,
    theorem1,
    theorem1Formula: { ...formula, randomDense: atFormula.randomDense, randomBlock: atFormula.randomBlock },
    keptParams: options.keptParams,
    keptFactor: options.keptParams === null ? null : options.keptParams / options.targetParams,
    malach: {
      stages: malachStages,
      widths: measured,
      randomDense: measuredSizes.randomDense,
      randomBlock: measuredSizes.randomBlock,
      analyticRandomDense: analytic ? withWidths(analytic).randomDense : null,
    },
    lowerBound: lowerBoundParams(stages, options.tolerance),
  };
}

/** One n tried by `lottery bound --search`. */
export interface SearchRow {
  sampleCount: number;
  outsideTolerance: number;
  /** null when no ticket exists at this n (refused says why: e.g. fewer random units than the subset size). */
  certifiedBoundNormalised: number | null;
  keptParams: number;
  /** The random network at this n: as the theorem counts it (dense), and the part the block structure can use. */
  randomParams: number;
  randomBlockParams: number;
  works: boolean;
  seconds: number;
  refused: string | null;
}

/** What `lottery bound --json` prints. */
export type BoundCommandReport = {
  target: string;
  tolerance: number;
  entryTolerances: number[];
  layerScales: number[];
  outputScale: number;
} & SizeReport & {
  search: SearchRow[] | null;
  smallestWorkingSampleCount: number | null;
  /** --subset-size k of --search (fixed-size subsets), or null. */
  subsetSize: number | null;
  /** --compare: 2l, l+1 and fixed-size subsets, each pruned to meet ε (null without --compare). */
  constructions: ConstructionRow[] | null;
};
