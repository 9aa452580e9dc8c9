/**
 * Roots, logarithms and angles from the IEEE operations only (+, −, ×, ÷, √ are correctly rounded everywhere), so
 * that every engine computes the same bits. Math.pow, Math.log, Math.exp, Math.sin and Math.cos are not specified to
 * the last bit: Node 20's V8 and Chromium's differ on about 3–10 % of arguments (measured), and a ticket's
 * per-entry tolerances and layer scales would then differ between the CLI and the browser page. Everything that
 * decides a ticket's bytes uses these instead — with two exceptions, documented: Theorem 1's n for a failure
 * probability δ (`--failure-probability`, bounds.ts) takes ⌈·⌉ of an expression in Math.log2, which can differ only
 * when it lies within an ulp of an integer; and the normal and log-uniform distributions draw through
 * Math.log/exp/cos (changing them would change every existing ticket of those distributions).
 */

/**
 * x^(1/n) for x > 0 and an integer n ≥ 1, within a few ulps: the largest y found by bisection between 1 and x with
 * y^n ≤ x (powers by a fixed sequence of products; about a hundred halvings for the ranges used).
 */
export function nthRoot(x: number, n: number): number {
  if (!(x > 0) || !Number.isFinite(x) || !Number.isInteger(n) || n < 1) throw new RangeError(`nthRoot: expected a finite x > 0 and an integer n ≥ 1, got x = ${x}, n = ${n}`);
  if (n === 1) return x;
  if (n === 2) return Math.sqrt(x);
  let low = x < 1 ? x : 1;
  let high = x < 1 ? 1 : x;
  for (;;) {
    const middle = low + (high - low) / 2;
    if (middle <= low || middle >= high) break;
    if (integerPower(middle, n) <= x) low = middle;
    else high = middle;
  }
  // low and high are adjacent doubles around the root: the nearer one by the power.
  return Math.abs(integerPower(high, n) - x) < Math.abs(x - integerPower(low, n)) ? high : low;
}

/** y^k for an integer k ≥ 0, by squaring (a fixed sequence of products). */
export function integerPower(y: number, k: number): number {
  let result = 1;
  let base = y;
  for (let e = k; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result *= base;
    base *= base;
  }
  return result;
}

/** ⌈log2(1/x)⌉ for x > 0, exactly: the smallest integer k with x·2^k ≥ 1 (scaling by powers of two is exact). */
export function ceilLog2Reciprocal(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`ceilLog2Reciprocal: expected a finite x > 0, got ${x}`);
  let k = 0;
  let scaled = x;
  while (scaled < 1) {
    scaled *= 2;
    k++;
  }
  while (scaled / 2 >= 1) {
    scaled /= 2;
    k--;
  }
  return k;
}

const QUARTER_PI = Math.PI / 4;

/** sin and cos of x ∈ [0, π/4] by their Taylor polynomials to degree 21/20 (truncation below 1e-25), Horner in x². */
function sinCosSmall(x: number): [number, number] {
  const z = x * x;
  let s = 1 / 51090942171709440000; // 1/21!
  let c = 1 / 2432902008176640000; // 1/20!
  for (let k = 19; k >= 1; k -= 2) {
    // s ← 1/k! − z·s (sine terms, odd k), c ← 1/(k−1)! − z·c (cosine terms)
    s = inverseFactorial(k) - z * s;
    c = inverseFactorial(k - 1) - z * c;
  }
  return [x * s, c];
}

const INVERSE_FACTORIALS: number[] = (() => {
  const out = [1];
  let f = 1;
  for (let k = 1; k <= 21; k++) {
    f *= k; // exact up to 18!, correctly rounded after: the same constant everywhere
    out.push(1 / f);
  }
  return out;
})();

function inverseFactorial(k: number): number {
  return INVERSE_FACTORIALS[k]!;
}

/**
 * cos and sin of the angle 2π·m/N (integers m, N > 0): reduced exactly to an octant in integers, then the Taylor
 * polynomial on [0, π/4]. Within ~2e-16 of the true values, the same bits on every engine (zeros are +0).
 */
export function cosSinOfTurn(m: number, N: number): [number, number] {
  if (!Number.isInteger(m) || !Number.isInteger(N) || N <= 0) throw new RangeError(`cosSinOfTurn: expected integers m and N > 0, got ${m}, ${N}`);
  const r = ((m % N) + N) % N;
  const octant = Math.floor((8 * r) / N);
  const y = 8 * r - octant * N; // the angle within the octant is (π/4)·y/N, y ∈ [0, N)
  if (octant % 2 === 0) {
    const [s, c] = sinCosSmall((QUARTER_PI * y) / N);
    switch (octant) {
      case 0:
        return [c + 0, s + 0];
      case 2:
        return [-s + 0, c + 0];
      case 4:
        return [-c + 0, -s + 0];
      default:
        return [s + 0, -c + 0];
    }
  }
  // Odd octants: the angle is (octant + 1)·π/4 − (π/4)·(N − y)/N.
  const [s, c] = sinCosSmall((QUARTER_PI * (N - y)) / N);
  switch (octant) {
    case 1:
      return [s + 0, c + 0];
    case 3:
      return [-c + 0, s + 0];
    case 5:
      return [-s + 0, -c + 0];
    default:
      return [c + 0, -s + 0];
  }
}
