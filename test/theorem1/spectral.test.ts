// Tests of the rigorous norm bounds (src/theorem1/spectral.ts): upper bound ≥ the true norm (many power
// iterations, and the exact value for diagonal matrices), tight within rank^{1/256}, and the convolution bound
// against the explicit unrolled matrix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomStream } from '../../src/core/random.js';
import { convNormUpperBound, spectralNormLowerBound, spectralNormUpperBound, unrollConv } from '../../src/theorem1/spectral.js';

function randomMatrix(seed: number, rows: number, cols: number, kind: 'signed' | 'nonnegative' | 'lowrank'): Float64Array {
  const s = new RandomStream(seed, 11);
  const a = new Float64Array(rows * cols);
  if (kind === 'lowrank') {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) a[r * cols + c] = s.uniform(r, -1, 1) * s.uniform(10_000 + c, -1, 1) + 1e-3 * s.uniform(20_000 + r * cols + c, -1, 1);
    return a;
  }
  for (let i = 0; i < a.length; i++) a[i] = kind === 'signed' ? s.uniform(i, -1, 1) : s.uniform01(i);
  return a;
}

test('dense upper bound ≥ power-iteration norm and within 4 % of it', () => {
  for (const [seed, rows, cols, kind] of [
    [1, 30, 20, 'signed'], [2, 7, 50, 'signed'], [3, 40, 40, 'nonnegative'], [4, 25, 60, 'lowrank'], [5, 1, 9, 'signed'], [6, 64, 3, 'signed'],
  ] as const) {
    const a = randomMatrix(seed, rows, cols, kind);
    const lower = spectralNormLowerBound(a, rows, cols, 2000);
    const { upper, frobenius } = spectralNormUpperBound(a, rows, cols);
    assert.ok(upper >= lower, `seed ${seed}: upper ${upper} < lower ${lower}`);
    assert.ok(upper <= frobenius, `seed ${seed}: upper above Frobenius`);
    assert.ok(upper <= lower * 1.04, `seed ${seed}: upper ${upper} not within 4 % of ${lower}`);
  }
});

test('dense upper bound is ≥ the exact norm of diagonal matrices with many equal singular values', () => {
  // Worst case for the Gram-power bound: all singular values equal (overestimate rank^{1/256}), still ≥ exact.
  const n = 50;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + i] = i % 2 === 0 ? 0.3 : -0.3;
  const { upper } = spectralNormUpperBound(a, n, n);
  assert.ok(upper >= 0.3 && upper <= 0.3 * Math.pow(n, 1 / 256) * (1 + 1e-6), `got ${upper}`);
  assert.equal(spectralNormUpperBound(new Float64Array(6), 2, 3).upper, 0);
});

test('convolution bound ≥ the norm of the explicit unrolled matrix', () => {
  for (const [seed, co, ci, k, p, h, w] of [
    [1, 3, 2, 3, 1, 6, 5], [2, 2, 3, 5, 2, 7, 7], [3, 4, 1, 3, 0, 8, 6], [4, 1, 1, 2, 0, 5, 5], [5, 2, 2, 1, 0, 4, 4],
  ] as const) {
    const kernel = randomMatrix(seed, co * ci, k * k, 'signed');
    const geometry = { outChannels: co, inChannels: ci, kernelSize: k, padding: p, inputHeight: h, inputWidth: w };
    const { matrix, rows, cols } = unrollConv(kernel, geometry);
    const exact = spectralNormLowerBound(matrix, rows, cols, 3000);
    const bound = convNormUpperBound(kernel, geometry);
    assert.ok(bound.upper >= exact * (1 - 1e-12), `case ${seed}: conv bound ${bound.upper} < unrolled norm ${exact}`);
    assert.ok(bound.upper <= bound.frobenius, `case ${seed}`);
    // The torus bound is close for these sizes (it is exact for circular convolutions).
    assert.ok(bound.upper <= exact * 1.6, `case ${seed}: conv bound ${bound.upper} far above ${exact}`);
  }
});
