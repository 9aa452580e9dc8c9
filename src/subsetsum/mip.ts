/**
 * The paper's MIP baseline (Pensia et al. 2020, experiment 1, solved there with Gurobi): binary x_i,
 * continuous t, minimise t subject to w − Σ a_i x_i ≤ t, Σ a_i x_i − w ≤ t, 0 ≤ t ≤ ε, with a 1 %
 * relative MIP gap — solved here by HiGHS compiled to WebAssembly (`highs` npm package).
 */
import * as highsModule from 'highs';
import type { Highs, InitOptions } from 'highs';
import { RunError } from '../core/errors.js';
import { resultFromFlags } from './result.js';
import type { SubsetSumInstance, SubsetSumResult } from './types.js';
import { validateInstance } from './validate.js';

export interface MipOptions {
  /** HiGHS mip_rel_gap: stop when (incumbent − bound)/incumbent ≤ this. Default 0.01, as in the paper. */
  relativeGap?: number;
  /** HiGHS time_limit in seconds (default: none). */
  timeLimitSeconds?: number;
}

export interface MipResult extends SubsetSumResult {
  /**
   * HiGHS model status: 'Optimal' (optimal within the gaps: relative `relativeGap`, absolute 1e-6),
   * 'Infeasible' (proved: no subset within ε; indices are then empty and withinTolerance false), or
   * a limit status ('Time limit reached', …) with the incumbent if there is one.
   */
  status: string;
}

// `highs` ships CommonJS typings for an ES module build: its default export is the loader at run time,
// but TypeScript (NodeNext) types a default import as the whole module, so reach for `.default`.
const highsLoader = (highsModule as unknown as { default: (options?: InitOptions) => Promise<Highs> }).default;
let highsPromise: Promise<Highs> | null = null;

/** The HiGHS runtime, loaded once per thread and reused. */
export function loadHighs(): Promise<Highs> {
  highsPromise ??= highsLoader();
  return highsPromise;
}

/** The model in CPLEX LP format as HiGHS reads it (numbers in shortest round-trip form; signs explicit). */
export function mipModelText(values: ArrayLike<number>, target: number, tolerance: number): string {
  const terms: string[] = [];
  for (let i = 0; i < values.length; i++) {
    const a = values[i]!;
    terms.push(`${a < 0 ? '-' : '+'} ${String(Math.abs(a))} x${i}`);
  }
  const sum = terms.join(' ');
  const names = Array.from({ length: values.length }, (_, i) => `x${i}`).join(' ');
  return [
    'Minimize',
    ' obj: t',
    'Subject To',
    ` under: ${sum} + t >= ${String(target)}`,
    ` over: ${sum} - t <= ${String(target)}`,
    'Bounds',
    ` 0 <= t <= ${String(tolerance)}`,
    'Binary',
    ` ${names}`,
    'End',
    '',
  ].join('\n');
}

/**
 * Solves the instance with HiGHS. The returned sum and error are recomputed canonically from the
 * chosen x (rounded at ½), not taken from HiGHS's t, so they are comparable with the other solvers.
 */
export async function mip(instance: SubsetSumInstance, options: MipOptions = {}): Promise<MipResult> {
  validateInstance(instance);
  const highs = await loadHighs();
  const { values, target, tolerance } = instance;
  const n = values.length;
  const solverOptions: Record<string, number | boolean> = { output_flag: false, mip_rel_gap: options.relativeGap ?? 0.01 };
  if (options.timeLimitSeconds !== undefined) solverOptions['time_limit'] = options.timeLimitSeconds;
  let solution: ReturnType<Highs['solve']>;
  try {
    solution = highs.solve(mipModelText(values, target, tolerance), solverOptions);
  } catch (error) {
    throw new RunError(`HiGHS failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const status: string = solution.Status;
  const flags = new Uint8Array(n);
  let hasPoint = false;
  for (let i = 0; i < n; i++) {
    const column = solution.Columns[`x${i}`] as { Primal?: number } | undefined;
    if (column && typeof column.Primal === 'number') {
      hasPoint = true;
      flags[i] = column.Primal > 0.5 ? 1 : 0;
    }
  }
  const result = resultFromFlags(values, n, flags, target, tolerance);
  if (!hasPoint || status === 'Infeasible') return { ...result, withinTolerance: false, status };
  return { ...result, status };
}
