// Known-answer tests for Threefry-2x32-20 (Random123's kat_vectors) and properties of the streams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { threefry2x32, RandomStream, namedStream, UNIT_UNIFORM } from '../../src/core/random.js';

test('threefry2x32-20 matches the Random123 known-answer vectors', () => {
  const out = new Uint32Array(2);
  const vectors: Array<[number[], number[], number[]]> = [
    [[0, 0], [0, 0], [0x6b200159, 0x99ba4efe]],
    [[0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x1cb996fc, 0xbb002be7]],
    [[0x243f6a88, 0x85a308d3], [0x13198a2e, 0x03707344], [0xc4923a9c, 0x483df7a0]],
  ];
  for (const [counter, key, expected] of vectors) {
    threefry2x32(key[0]!, key[1]!, counter[0]!, counter[1]!, out);
    assert.deepEqual([...out], expected);
  }
});

test('a stream value depends only on (seed, stream, index)', () => {
  const a = new RandomStream(7, 3);
  const b = new RandomStream(7, 3);
  const bulk = new Float64Array(100);
  a.fill(UNIT_UNIFORM, 1000, bulk);
  for (let i = 99; i >= 0; i--) assert.equal(b.uniform(1000 + i, -1, 1), bulk[i]);
  assert.notEqual(new RandomStream(8, 3).uniform01(5), a.uniform01(5));
  assert.notEqual(new RandomStream(7, 4).uniform01(5), a.uniform01(5));
  // indices past 2^32 use the high counter word
  assert.notEqual(a.uniform01(2 ** 32), a.uniform01(0));
});

test('namedStream is FNV-1a', () => {
  assert.equal(namedStream(''), 0x811c9dc5);
  assert.equal(namedStream('a'), 0xe40c292c);
});
