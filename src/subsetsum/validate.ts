/**
 * Input checks for the subset-sum engine: every solver entry point validates first, so the kernels can
 * assume finite numbers, 0 < ε < ∞ and n ≤ 40. Failures are InputErrors naming the field and the value.
 */
import { InputError } from '../core/errors.js';
import { MAX_SAMPLE_COUNT, OBJECTIVES, type SubsetSumBatch, type SubsetSumInstance } from './types.js';

/** Throws an InputError unless 0 < tolerance < ∞. */
export function checkTolerance(tolerance: number, field = 'tolerance'): void {
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || !(tolerance > 0)) {
    throw new InputError(`${field}: expected a finite number > 0, got ${String(tolerance)}`);
  }
}

/** Throws an InputError naming the first problem of a single instance (1 ≤ n ≤ 40 finite values, finite target, 0 < ε < ∞). */
export function validateInstance(instance: SubsetSumInstance, where = 'instance'): void {
  const { values, target, tolerance } = instance;
  const field = (name: string): string => (where === '' ? name : `${where}.${name}`);
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new InputError(`${field('values')}: expected an array of numbers, got ${String(values)}`);
  }
  if (values.length === 0) throw new InputError(`${field('values')}: expected 1 to ${MAX_SAMPLE_COUNT} numbers, got none`);
  if (values.length > MAX_SAMPLE_COUNT) {
    throw new InputError(`${field('values')}: at most ${MAX_SAMPLE_COUNT} numbers (2^n subsets), got ${values.length}`);
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`${field('values')}[${i}]: expected a finite number, got ${String(v)}`);
  }
  if (typeof target !== 'number' || !Number.isFinite(target)) throw new InputError(`${field('target')}: expected a finite number, got ${String(target)}`);
  checkTolerance(tolerance, `${field('tolerance')}`);
}

/**
 * Throws an InputError naming the first problem of a CSR batch: array types and lengths, offsets[0] = 0,
 * non-decreasing offsets ending at values.length, at most 40 values per instance (0 is allowed: the
 * empty subset), finite values and targets, 0 < ε < ∞, a known objective.
 */
export function validateBatch(batch: SubsetSumBatch): void {
  const { values, offsets, targets, tolerance, objective } = batch;
  if (!(values instanceof Float64Array)) throw new InputError('batch.values: expected a Float64Array');
  if (!(offsets instanceof Uint32Array)) throw new InputError('batch.offsets: expected a Uint32Array');
  if (!(targets instanceof Float64Array)) throw new InputError('batch.targets: expected a Float64Array');
  if (offsets.length !== targets.length + 1) {
    throw new InputError(`batch.offsets: expected length targets.length + 1 = ${targets.length + 1}, got ${offsets.length}`);
  }
  if (offsets[0] !== 0) throw new InputError(`batch.offsets[0]: expected 0, got ${offsets[0]}`);
  const count = targets.length;
  for (let i = 0; i < count; i++) {
    const from = offsets[i]!;
    const to = offsets[i + 1]!;
    if (to < from) throw new InputError(`batch.offsets[${i + 1}]: offsets must be non-decreasing, got ${to} after ${from}`);
    if (to - from > MAX_SAMPLE_COUNT) {
      throw new InputError(`batch.offsets: instance ${i} has ${to - from} values, at most ${MAX_SAMPLE_COUNT} allowed`);
    }
    if (!Number.isFinite(targets[i]!)) throw new InputError(`batch.targets[${i}]: expected a finite number, got ${targets[i]}`);
  }
  if (offsets[count] !== values.length) {
    throw new InputError(`batch.offsets[${count}]: expected values.length = ${values.length}, got ${offsets[count]}`);
  }
  for (let j = 0; j < values.length; j++) {
    if (!Number.isFinite(values[j]!)) throw new InputError(`batch.values[${j}]: expected a finite number, got ${values[j]}`);
  }
  checkTolerance(tolerance, 'batch.tolerance');
  if (!(OBJECTIVES as readonly string[]).includes(objective)) {
    throw new InputError(`batch.objective: expected one of ${OBJECTIVES.join(', ')}, got '${String(objective)}'`);
  }
  const size = batch.subsetSize;
  if (size !== undefined) {
    if (!Number.isInteger(size) || size < 0 || size > MAX_SAMPLE_COUNT) throw new InputError(`batch.subsetSize: expected an integer in [0, ${MAX_SAMPLE_COUNT}], got ${size}`);
    if (objective !== 'closest') throw new InputError(`batch.subsetSize: goes with the closest objective only, got '${objective}'`);
    for (let i = 0; i < count; i++) {
      if (offsets[i + 1]! - offsets[i]! < size) throw new InputError(`batch.subsetSize: instance ${i} has ${offsets[i + 1]! - offsets[i]!} values, fewer than ${size}`);
    }
  }
}
