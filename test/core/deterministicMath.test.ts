// The engine-independent maths (src/core/deterministicMath.ts) against the engine's own Math functions as the
// oracle: within a few ulps everywhere (the engine's functions are themselves within an ulp or so), and exact where
// exactness is claimed (⌈log2(1/x)⌉). Property tests over wide ranges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ceilLog2Reciprocal, cosSinOfTurn, integerPower, nthRoot } from '../../src/core/deterministicMath.js';

const ulpsApart = (a: number, b: number): number => Math.abs(a - b) / (Number.EPSILON * Math.max(Math.abs(a), Math.abs(b)));

test('nthRoot(x, n) is x^(1/n) within 4 ulps', () => {
  fc.assert(
    fc.property(fc.double({ min: 1e-12, max: 1e12, noNaN: true }), fc.integer({ min: 1, max: 1000 }), (x, n) => {
      const y = nthRoot(x, n);
      assert.ok(ulpsApart(y, Math.pow(x, 1 / n)) <= 4, `nthRoot(${x}, ${n}) = ${y}, Math.pow gives ${Math.pow(x, 1 / n)}`);
    }),
    { numRuns: 3000, seed: 11 },
  );
  // The tolerances' case: (1 + ε)^(1/l) for ε in (0, 1), l up to 20.
  for (const e of [1e-6, 0.002, 0.01, 0.25, 0.5, 0.999]) for (let l = 1; l <= 20; l++) assert.ok(ulpsApart(nthRoot(1 + e, l), Math.pow(1 + e, 1 / l)) <= 2);
  assert.equal(integerPower(3, 5), 243);
  assert.throws(() => nthRoot(0, 3), RangeError);
  assert.throws(() => nthRoot(2, 1.5), RangeError);
});

test('ceilLog2Reciprocal(x) is ⌈log2(1/x)⌉ exactly, powers of two included', () => {
  for (let k = -60; k <= 60; k++) {
    assert.equal(ceilLog2Reciprocal(2 ** -k), k, `x = 2^${-k}`);
    assert.equal(ceilLog2Reciprocal(2 ** -k * 1.0000001), k, `just above 2^${-k}`);
    assert.equal(ceilLog2Reciprocal(2 ** -k * 0.9999999), k + 1, `just below 2^${-k}`);
  }
  fc.assert(
    fc.property(fc.double({ min: 1e-300, max: 1e300, noNaN: true }), (x) => {
      const k = ceilLog2Reciprocal(x);
      assert.ok(x * 2 ** k >= 1 && x * 2 ** (k - 1) < 1, `x = ${x}, k = ${k}`);
    }),
    { numRuns: 3000, seed: 12 },
  );
});

test('cosSinOfTurn(m, N) is cos and sin of 2π·m/N within 3e-16, with exact symmetries at the octant points', () => {
  fc.assert(
    fc.property(fc.integer({ min: -10_000, max: 10_000 }), fc.integer({ min: 1, max: 997 }), (m, N) => {
      const [c, s] = cosSinOfTurn(m, N);
      const angle = (2 * Math.PI * (((m % N) + N) % N)) / N;
      assert.ok(Math.abs(c - Math.cos(angle)) <= 3e-16 * 4 && Math.abs(s - Math.sin(angle)) <= 3e-16 * 4, `m ${m}, N ${N}: ${c}, ${s} vs ${Math.cos(angle)}, ${Math.sin(angle)}`);
      assert.ok(Math.abs(c * c + s * s - 1) <= 4e-16);
    }),
    { numRuns: 5000, seed: 13 },
  );
  assert.deepEqual(cosSinOfTurn(0, 7), [1, 0]);
  assert.deepEqual(cosSinOfTurn(1, 4), [0, 1]);
  assert.deepEqual(cosSinOfTurn(2, 4), [-1, 0]);
  assert.deepEqual(cosSinOfTurn(-1, 4), [0, -1]);
});
