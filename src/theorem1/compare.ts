/**
 * Constructions side by side for one target and ε (`lottery bound --compare`): the 2l network of Theorem 1, the
 * depth-(l+1) network, and the 2l network with fixed-size subsets for several k, each pruned with the search for ε
 * (n raised per layer until the certificate meets ε), so that every row is a real ticket meeting the same guarantee.
 * Rows report depth, the random network (dense as the theorems count it, and the part the structure can use), the
 * kept weights, n per layer, the certificate and the time. A construction that cannot meet ε within the solver's
 * limits (n ≤ 40) is a row with its reason, not a failure of the comparison.
 */
import { InputError } from '../core/errors.js';
import { platform } from '../core/platform.js';
import type { Network } from '../nn/network.js';
import { networkSizes } from './bounds.js';
import { pruneLPlusOne } from './lPlusOne.js';
import { pruneWithSolver, type BatchSolver, type PruneOptions } from './prune.js';
import { randomDepth } from './theorem1.js';
import { keptParameterCount } from './ticket.js';

export interface ConstructionRow {
  /** '2l', 'l+1', or '2l' with subsetSize set. */
  construction: '2l' | 'l+1';
  /** Products per non-zero entry (fixed-size subsets), or null: any subset. */
  subsetSize: number | null;
  /** Layers of the random network. */
  depth: number | null;
  /** n per layer after the search for ε (l+1: layer 1's block, then the copies each later layer reads). */
  sampleCounts: number[] | null;
  /** Random parameters as the theorems count them (every layer dense), and those the structure can use. */
  randomParams: number | null;
  randomBlockParams: number | null;
  keptParams: number | null;
  /** keptParams / randomBlockParams: the ticket's density within the usable random network. */
  keptFraction: number | null;
  certifiedBoundNormalised: number | null;
  toleranceMet: boolean;
  seconds: number;
  /** Why there is no ticket (n beyond the solver's limit, …), or null. */
  refused: string | null;
}

export interface CompareOptions {
  tolerance: number;
  seed: number;
  targetSha256: string;
  targetParams: number;
  subsetSizes: number[];
  base?: Pick<PruneOptions, 'distribution' | 'objective' | 'inputDomain' | 'inputRadius' | 'maxSamples'>;
  /** Called before each construction is pruned (its label), for progress. */
  onConstruction?: (label: string, index: number, total: number) => void;
}

/** A row's label as tables print it: `2l`, `l+1`, `2l, k = 3`. */
export function constructionLabel(row: Pick<ConstructionRow, 'construction' | 'subsetSize'>): string {
  return row.subsetSize === null ? row.construction : `${row.construction}, k = ${row.subsetSize}`;
}

export async function compareConstructions(network: Network, options: CompareOptions, solve: BatchSolver): Promise<ConstructionRow[]> {
  const plans: Array<Pick<ConstructionRow, 'construction' | 'subsetSize'>> = [
    { construction: '2l', subsetSize: null },
    { construction: 'l+1', subsetSize: null },
    ...options.subsetSizes.map((k) => ({ construction: '2l' as const, subsetSize: k })),
  ];
  const rows: ConstructionRow[] = [];
  for (const [index, plan] of plans.entries()) {
    options.onConstruction?.(constructionLabel(plan), index, plans.length);
    const started = platform().now();
    const { objective, ...base } = options.base ?? {};
    const pruneOptions: PruneOptions = {
      ...base,
      ...(plan.subsetSize !== null ? { subsetSize: plan.subsetSize, objective: 'closest' as const } : objective !== undefined ? { objective } : {}),
      tolerance: options.tolerance,
      seed: options.seed,
      targetSha256: options.targetSha256,
    };
    try {
      const outcome = await (plan.construction === 'l+1' ? pruneLPlusOne : pruneWithSolver)(network, pruneOptions, solve);
      const meta = outcome.ticket.meta;
      const sizes = networkSizes(meta.stages, options.targetParams);
      const kept = keptParameterCount(outcome.ticket);
      rows.push({
        ...plan,
        depth: randomDepth(meta.stages),
        sampleCounts: meta.stages.map((s) => s.sampleCount),
        randomParams: sizes.randomDense,
        randomBlockParams: sizes.randomBlock,
        keptParams: kept,
        keptFraction: kept / sizes.randomBlock,
        certifiedBoundNormalised: meta.certificate.normalisedBound,
        toleranceMet: meta.certificate.normalisedBound <= options.tolerance,
        seconds: (platform().now() - started) / 1000,
        refused: null,
      });
    } catch (error) {
      // Only a construction that cannot be built for this target at this ε becomes a row; anything else is a failure.
      if (!(error instanceof InputError)) throw error;
      rows.push({
        ...plan, depth: null, sampleCounts: null, randomParams: null, randomBlockParams: null, keptParams: null, keptFraction: null,
        certifiedBoundNormalised: null, toleranceMet: false, seconds: (platform().now() - started) / 1000, refused: error.message,
      });
    }
  }
  return rows;
}
