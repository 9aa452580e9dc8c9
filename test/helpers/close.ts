// Elementwise closeness for float results in tests: |actual − expected| ≤ abs + rel·|expected|, failing with the
// first index that is not (NaN never passes).
import assert from 'node:assert/strict';

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, abs: number, rel: number, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= abs + rel * Math.abs(e))) assert.fail(`${label}[${i}]: got ${a}, expected ${e}`);
  }
}
