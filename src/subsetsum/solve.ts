/**
 * One entry point per instance: the exact solver of each objective, plus the two reference methods
 * (brute force, the oracle; the paper's MIP through HiGHS) behind one closed table.
 */
import { InputError } from '../core/errors.js';
import { bruteForce } from './bruteForce.js';
import { closest } from './closest.js';
import { mip } from './mip.js';
import { sparsest } from './sparsest.js';
import type { Objective, SubsetSumInstance, SubsetSumResult } from './types.js';

/** `exact`: closest/sparsest (fast, exact). `brute-force`: all 2^n subsets, n ≤ 20. `mip`: HiGHS, closest only, 1 % gap. */
export type SolveMethod = 'exact' | 'brute-force' | 'mip';
export const SOLVE_METHODS: readonly SolveMethod[] = ['exact', 'brute-force', 'mip'];

export const EXACT_SOLVERS: Record<Objective, (instance: SubsetSumInstance) => SubsetSumResult> = {
  closest,
  sparsest,
};

/** Solves one instance with the exact solver of `objective`. */
export function solve(instance: SubsetSumInstance, objective: Objective = 'closest'): SubsetSumResult {
  return EXACT_SOLVERS[objective](instance);
}

/** Solves one instance with a named method; `status` is set by `mip` (HiGHS's model status). */
export async function solveWithMethod(
  instance: SubsetSumInstance,
  objective: Objective,
  method: SolveMethod,
): Promise<SubsetSumResult & { status?: string }> {
  switch (method) {
    case 'exact':
      return solve(instance, objective);
    case 'brute-force':
      return bruteForce(instance, objective);
    case 'mip':
      if (objective !== 'closest') throw new InputError(`method mip: solves the paper's closest objective only, got objective '${objective}'`);
      return mip(instance);
  }
}
