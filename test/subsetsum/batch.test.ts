// The batch API: same bytes with 1 and 3 worker threads, equal to solving each instance on its own,
// progress up to the total, shared or plain input arrays, ranges, empty batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/node/platform.js'; // the Node platform: worker threads, clock, tfjs wasm files
import { closeSolverPool, solveBatch, solveBatchSync } from '../../src/subsetsum/batch.js';
import { closest } from '../../src/subsetsum/closest.js';
import { sparsest } from '../../src/subsetsum/sparsest.js';
import type { Objective, SubsetSumBatch, SubsetSumBatchResult } from '../../src/subsetsum/types.js';
import { RandomStream } from '../../src/core/random.js';

test.after(async () => {
  await closeSolverPool();
});

/** `count` instances with 0..21 values each (mostly the paper's n = 21), U[−0.4642, 0.5407]. */
function makeBatch(count: number, objective: Objective, seed = 1): SubsetSumBatch {
  const stream = new RandomStream(seed, 77);
  const offsets = new Uint32Array(count + 1);
  for (let i = 0; i < count; i++) offsets[i + 1] = offsets[i]! + (i % 5 === 0 ? i % 22 : 21);
  const values = new Float64Array(offsets[count]!);
  stream.fill({ kind: 'uniform', low: -0.4642, high: 0.5407 }, 0, values);
  const targets = new Float64Array(count);
  for (let i = 0; i < count; i++) targets[i] = stream.uniform(1e6 + i, -0.6, 0.7) * (i % 7 === 0 ? 4 : 1);
  return { values, offsets, targets, tolerance: 0.01, objective };
}

function bytes(result: SubsetSumBatchResult): Buffer[] {
  return [result.selected, result.sums, result.errors].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));
}

for (const objective of ['closest', 'sparsest'] as const) {
  test(`${objective}: identical bytes with 1 and 3 workers, equal to per-instance solves, progress reaches the total`, async () => {
    const batch = makeBatch(3000, objective);
    const count = batch.targets.length;
    const progress3: number[] = [];
    const one = await solveBatch(batch, { workers: 1 });
    const three = await solveBatch(batch, { workers: 3, onProgress: (done, total) => {
      assert.equal(total, count);
      progress3.push(done);
    } });
    assert.deepEqual(bytes(three), bytes(one));
    assert.equal(three.outsideToleranceCount, one.outsideToleranceCount);
    assert.equal(progress3.at(-1), count);
    for (let k = 1; k < progress3.length; k++) assert.ok(progress3[k]! > progress3[k - 1]!, 'progress increases');
    assert.ok(progress3.length > 3, 'progress is reported per chunk');
    assert.equal(one.outsideToleranceCount, Array.from(one.errors).filter((e) => e > batch.tolerance).length);
    assert.ok(one.outsideToleranceCount > 0, 'the far targets leave some instances outside ε');
    // Each instance as solved alone (sparsest uses the same kernel: the same subset, bit for bit).
    const solveOne = objective === 'closest' ? closest : sparsest;
    for (let i = 0; i < count; i += 7) {
      const from = batch.offsets[i]!;
      const to = batch.offsets[i + 1]!;
      if (to === from) {
        assert.equal(one.sums[i], 0);
        assert.equal(one.errors[i], Math.abs(batch.targets[i]!));
        continue;
      }
      const single = solveOne({ values: batch.values.subarray(from, to), target: batch.targets[i]!, tolerance: batch.tolerance });
      const flags = Array.from(one.selected.subarray(from, to));
      assert.deepEqual(flags.flatMap((f, t) => (f ? [t] : [])), single.indices, `instance ${i}`);
      assert.equal(one.sums[i], single.sum);
      assert.equal(one.errors[i], single.error);
    }
  });
}

test('shared input arrays are used as they are; a second call reuses the pool', async () => {
  const plain = makeBatch(1500, 'closest', 9);
  const shared: SubsetSumBatch = {
    ...plain,
    values: new Float64Array(new SharedArrayBuffer(plain.values.byteLength)),
    offsets: new Uint32Array(new SharedArrayBuffer(plain.offsets.byteLength)),
    targets: new Float64Array(new SharedArrayBuffer(plain.targets.byteLength)),
  };
  shared.values.set(plain.values);
  shared.offsets.set(plain.offsets);
  shared.targets.set(plain.targets);
  const a = await solveBatch(plain, { workers: 2 });
  const b = await solveBatch(shared, { workers: 2 });
  assert.deepEqual(bytes(a), bytes(b));
  assert.equal(a.selected.buffer instanceof SharedArrayBuffer, false, 'results are plain arrays');
});

test('solveBatchSync over a range fills only that range and counts only it', () => {
  const batch = makeBatch(200, 'closest', 4);
  const all = solveBatchSync(batch);
  const part = solveBatchSync(batch, { start: 50, end: 120 });
  for (let i = 50; i < 120; i++) assert.equal(part.errors[i], all.errors[i]);
  assert.equal(part.errors[10], 0);
  assert.equal(part.outsideToleranceCount, Array.from(all.errors.subarray(50, 120)).filter((e) => e > batch.tolerance).length);
});

test('an empty batch resolves with empty results', async () => {
  const batch: SubsetSumBatch = { values: new Float64Array(0), offsets: new Uint32Array(1), targets: new Float64Array(0), tolerance: 0.01, objective: 'closest' };
  const result = await solveBatch(batch, { workers: 3 });
  assert.equal(result.sums.length, 0);
  assert.equal(result.outsideToleranceCount, 0);
});

test('without shared memory (a browser page from file://), chunks travel in messages: identical bytes, progress to the total', async () => {
  const batch = makeBatch(2500, 'sparsest', 3);
  const shared = await solveBatch(batch, { workers: 3 });
  // What a page that is not cross-origin isolated has: no SharedArrayBuffer at all (so the shared path would throw).
  const global = globalThis as { SharedArrayBuffer?: unknown };
  const saved = global.SharedArrayBuffer;
  const progress: number[] = [];
  let messages: SubsetSumBatchResult;
  try {
    delete global.SharedArrayBuffer;
    messages = await solveBatch(batch, { workers: 3, onProgress: (done) => progress.push(done) });
  } finally {
    global.SharedArrayBuffer = saved;
  }
  assert.deepEqual(bytes(messages), bytes(shared));
  assert.equal(messages.outsideToleranceCount, shared.outsideToleranceCount);
  // Fixed-size subsets travel with the chunks too: the same bytes as in one thread.
  const sized: SubsetSumBatch = { ...makeBatch(1200, 'closest', 5), subsetSize: 3 };
  sized.offsets = Uint32Array.from({ length: 1201 }, (_, i) => 21 * i);
  sized.values = new Float64Array(21 * 1200).map((_, j) => Math.sin(j) * 0.7);
  const oneThread = await solveBatch(sized, { workers: 1 });
  try {
    delete global.SharedArrayBuffer;
    assert.deepEqual(bytes(await solveBatch(sized, { workers: 3 })), bytes(oneThread));
  } finally {
    global.SharedArrayBuffer = saved;
  }
  assert.deepEqual(bytes(await solveBatch(sized, { workers: 3 })), bytes(oneThread), 'and with shared memory');
  for (let i = 0; i < 1200; i += 97) assert.equal(oneThread.selected.subarray(21 * i, 21 * i + 21).reduce((a, b) => a + b, 0), 3);
  assert.equal(progress.at(-1), batch.targets.length);
  assert.ok(progress.length > 3 && progress.every((d, k) => k === 0 || d > progress[k - 1]!));
});
