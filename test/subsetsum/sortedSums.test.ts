// sortedSubsetSums against direct enumeration of every mask.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateSortedSums, sortedSubsetSums } from '../../src/subsetsum/sortedSums.js';
import { RandomStream } from '../../src/core/random.js';

test('sorted subset sums equal the sums of their masks and are ascending', () => {
  const stream = new RandomStream(1, 0);
  const buffers = allocateSortedSums(10);
  for (let trial = 0; trial < 50; trial++) {
    const count = trial % 11;
    const values = Array.from({ length: count + 3 }, (_, i) => stream.uniform(trial * 100 + i, -1, 1));
    const length = sortedSubsetSums(values, 3, count, buffers);
    assert.equal(length, 2 ** count);
    const seen = new Set<number>();
    for (let i = 0; i < length; i++) {
      const mask = buffers.masks[i]!;
      seen.add(mask);
      let sum = 0;
      for (let t = 0; t < count; t++) if (mask & (1 << t)) sum += values[3 + t]!;
      assert.ok(Math.abs(sum - buffers.sums[i]!) <= 1e-12, `sum of mask ${mask}`);
      if (i > 0) assert.ok(buffers.sums[i - 1]! <= buffers.sums[i]!);
    }
    assert.equal(seen.size, length);
  }
});
