// Bad input is refused by every entry point with an InputError naming the field and the value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/node/platform.js'; // the Node platform: worker threads, clock, tfjs wasm files
import { InputError } from '../../src/core/errors.js';
import { closest } from '../../src/subsetsum/closest.js';
import { sparsest } from '../../src/subsetsum/sparsest.js';
import { validateBatch } from '../../src/subsetsum/validate.js';
import { solveBatch, solveBatchSync } from '../../src/subsetsum/batch.js';
import type { SubsetSumBatch } from '../../src/subsetsum/types.js';

function throwsInput(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (e: unknown) => e instanceof InputError && pattern.test(e.message), `expected InputError matching ${pattern}`);
}

test('instances: NaN / Infinity values and target, ε ≤ 0 or not finite, n > 40, no values', () => {
  for (const solve of [closest, sparsest]) {
    throwsInput(() => solve({ values: [0.1, NaN], target: 0, tolerance: 0.01 }), /values\[1\].*NaN/);
    throwsInput(() => solve({ values: [Infinity], target: 0, tolerance: 0.01 }), /values\[0\].*Infinity/);
    throwsInput(() => solve({ values: [0.1], target: NaN, tolerance: 0.01 }), /target.*NaN/);
    throwsInput(() => solve({ values: [0.1], target: -Infinity, tolerance: 0.01 }), /target.*-Infinity/);
    throwsInput(() => solve({ values: [0.1], target: 0, tolerance: 0 }), /tolerance.*0/);
    throwsInput(() => solve({ values: [0.1], target: 0, tolerance: -0.5 }), /tolerance.*-0\.5/);
    throwsInput(() => solve({ values: [0.1], target: 0, tolerance: Infinity }), /tolerance.*Infinity/);
    throwsInput(() => solve({ values: [0.1], target: 0, tolerance: NaN }), /tolerance.*NaN/);
    throwsInput(() => solve({ values: new Array(41).fill(0.1), target: 0, tolerance: 0.01 }), /at most 40.*41/);
    throwsInput(() => solve({ values: [], target: 0, tolerance: 0.01 }), /values.*none/);
  }
});

function batchOf(values: number[], offsets: number[], targets: number[]): SubsetSumBatch {
  return { values: Float64Array.from(values), offsets: Uint32Array.from(offsets), targets: Float64Array.from(targets), tolerance: 0.01, objective: 'closest' };
}

test('batches: offsets, lengths, instance sizes, finite numbers, tolerance, objective', async () => {
  validateBatch(batchOf([0.1, 0.2, 0.3], [0, 2, 2, 3], [0, 0, 0])); // an empty instance is allowed
  throwsInput(() => validateBatch(batchOf([0.1, 0.2], [0, 2, 1], [0, 0])), /offsets\[2\].*non-decreasing/);
  throwsInput(() => validateBatch(batchOf([0.1, 0.2], [1, 2], [0])), /offsets\[0\]/);
  throwsInput(() => validateBatch(batchOf([0.1, 0.2], [0, 1], [0])), /offsets\[1\].*values.length = 2/);
  throwsInput(() => validateBatch(batchOf([0.1, 0.2], [0, 2], [0, 0])), /offsets.*length/);
  throwsInput(() => validateBatch(batchOf(new Array(41).fill(0.1), [0, 41], [0])), /instance 0 has 41 values/);
  throwsInput(() => validateBatch(batchOf([0.1, NaN], [0, 2], [0])), /values\[1\].*NaN/);
  throwsInput(() => validateBatch(batchOf([0.1, 0.2], [0, 2], [Infinity])), /targets\[0\].*Infinity/);
  throwsInput(() => validateBatch({ ...batchOf([0.1], [0, 1], [0]), tolerance: 0 }), /tolerance.*0/);
  throwsInput(() => validateBatch({ ...batchOf([0.1], [0, 1], [0]), objective: 'fastest' as never }), /objective.*fastest/);
  throwsInput(() => solveBatchSync(batchOf([0.1, NaN], [0, 2], [0])), /values\[1\]/);
  throwsInput(() => solveBatch(batchOf([0.1, NaN], [0, 2], [0])), /values\[1\]/);
  throwsInput(() => solveBatch(batchOf([0.1], [0, 1], [0]), { workers: 0 }), /workers.*0/);
});
