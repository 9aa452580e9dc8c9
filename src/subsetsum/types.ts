/**
 * Shared types of the subset-sum engine. An instance: values a_1..a_n (n ≤ 40, finite), target z,
 * tolerance ε > 0. A solution: a subset S with sum Σ_{i∈S} a_i and error |z − sum|.
 */

export const MAX_SAMPLE_COUNT = 40;

/** `closest`: least error (Pensia et al.'s objective). `sparsest`: fewest values with error ≤ ε, then least error. */
export type Objective = 'closest' | 'sparsest';
export const OBJECTIVES: readonly Objective[] = ['closest', 'sparsest'];

export interface SubsetSumInstance {
  values: ArrayLike<number>;
  target: number;
  tolerance: number;
}

export interface SubsetSumResult {
  /** Indices into `values`, ascending. */
  indices: number[];
  sum: number;
  /** |target − sum| */
  error: number;
  /** error ≤ tolerance. For `sparsest` with no subset within ε, this is false and the subset is the closest one. */
  withinTolerance: boolean;
}

/**
 * Many independent instances in flat typed arrays (CSR layout), so they can be shared with worker
 * threads without copying. Instance i has values values[offsets[i] .. offsets[i+1]) and target targets[i].
 */
export interface SubsetSumBatch {
  values: Float64Array;
  /** length instanceCount + 1, offsets[0] = 0, non-decreasing, each instance ≤ 40 values */
  offsets: Uint32Array;
  targets: Float64Array;
  tolerance: number;
  objective: Objective;
  /**
   * When set, every instance takes the closest subset of exactly this many values (objective must be `closest`;
   * every instance must have at least this many values).
   */
  subsetSize?: number;
}

export interface SubsetSumBatchResult {
  /** selected[j] = 1 when values[j] is in its instance's subset (aligned with batch.values). */
  selected: Uint8Array;
  sums: Float64Array;
  errors: Float64Array;
  /** Number of instances with error > tolerance. */
  outsideToleranceCount: number;
}

export interface BatchOptions {
  /** Worker threads to use; 1 solves in the calling thread. Default: available parallelism. */
  workers?: number;
  /** Called with (instancesDone, instanceCount) as chunks finish. */
  onProgress?: (done: number, total: number) => void;
}
