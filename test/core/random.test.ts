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

test('fill equals sample for every distribution', () => {
  const stream = new RandomStream(11, 2);
  const distributions = [
    UNIT_UNIFORM,
    { kind: 'uniform', low: -0.4642, high: 0.5407 } as const,
    { kind: 'product' } as const,
    { kind: 'normal', mean: 0, std: 2 } as const,
    { kind: 'log-uniform', minMagnitude: 1e-3, maxMagnitude: 1 } as const,
  ];
  for (const distribution of distributions) {
    const out = new Float64Array(64);
    stream.fill(distribution, 5, out);
    out.forEach((value, i) => assert.equal(value, stream.sample(distribution, 5 + i)));
  }
});

test('distribution moments match theory within 5 standard errors', () => {
  const stream = new RandomStream(3, 9);
  const count = 200_000;
  const moments = (distribution: Parameters<RandomStream['sample']>[0]) => {
    let sum = 0;
    let sumSquares = 0;
    let negatives = 0;
    for (let i = 0; i < count; i++) {
      const x = stream.sample(distribution, i);
      sum += x;
      sumSquares += x * x;
      if (x < 0) negatives++;
    }
    return { mean: sum / count, meanSquare: sumSquares / count, negativeFraction: negatives / count };
  };
  // U[-1,1]: mean 0, E x² = 1/3 (sd of x is 0.577, of x² is 0.298).
  const u = moments(UNIT_UNIFORM);
  assert.ok(Math.abs(u.mean) < 5 * 0.577 / Math.sqrt(count));
  assert.ok(Math.abs(u.meanSquare - 1 / 3) < 5 * 0.298 / Math.sqrt(count));
  // product of two U[-1,1]: mean 0, E x² = 1/9 (sd of x is 1/3, of x² ≈ 0.16).
  const p = moments({ kind: 'product' });
  assert.ok(Math.abs(p.mean) < 5 * (1 / 3) / Math.sqrt(count));
  assert.ok(Math.abs(p.meanSquare - 1 / 9) < 5 * 0.16 / Math.sqrt(count));
  // standard normal: mean 0, E x² = 1 (sd of x² is √2).
  const n = moments({ kind: 'normal', mean: 0, std: 1 });
  assert.ok(Math.abs(n.mean) < 5 / Math.sqrt(count));
  assert.ok(Math.abs(n.meanSquare - 1) < 5 * Math.SQRT2 / Math.sqrt(count));
  // log-uniform: signs balanced, magnitudes within range.
  const l = moments({ kind: 'log-uniform', minMagnitude: 1e-3, maxMagnitude: 1 });
  assert.ok(Math.abs(l.negativeFraction - 0.5) < 5 * 0.5 / Math.sqrt(count));
});

test('uniform stays inside [low, high) and rejects bad seeds', () => {
  const stream = new RandomStream(0, 0);
  for (let i = 0; i < 10_000; i++) {
    const x = stream.uniform(i, 0.1, 0.3);
    assert.ok(x >= 0.1 && x < 0.3);
  }
  assert.throws(() => new RandomStream(-1, 0), RangeError);
  assert.throws(() => new RandomStream(2 ** 32, 0), RangeError);
  assert.throws(() => new RandomStream(1.5, 0), RangeError);
});
