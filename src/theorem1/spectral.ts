/**
 * Rigorous upper bounds on spectral norms ‖A‖₂ (power iteration alone only gives LOWER bounds).
 * Dense: with G the Gram matrix of A's smaller side and k = 2^J, λ_max(G) ≤ ‖G^k‖_F^{1/k} ≤ rank^{1/(2k)}·λ_max(G),
 * computed by J normalised repeated squarings in float64, so ‖A‖₂ ≤ ‖G^k‖_F^{1/(2k)}; the result is the minimum of
 * that and ‖A‖_F, widened by a rounding allowance. Convolutions: a zero-padded stride-1 convolution on an H×W
 * plane is a compression of the circular convolution on an N×N torus (N ≥ H + padding), whose norm is the largest
 * ‖K̂(ω)‖₂ over the N² discrete frequencies (Sedghi et al., ICLR 2019); each K̂(ω) is bounded as above.
 */

import { cosSinOfTurn } from '../core/deterministicMath.js';

/** Squarings: k = 2^J = 64, so the dense bound overestimates by at most rank^{1/256} (≤ 1.036 for rank 10,000). */
export const SQUARINGS = 6;
/** Relative widening for float64 rounding in the squarings and the final root (generous: actual ≲ 1e-12). */
const RELATIVE_SLACK = 1e-9;
const UNIT_ROUNDOFF = 2 ** -53;

export interface NormBound {
  /** Rigorous upper bound on ‖A‖₂ (exact-arithmetic A, rounding of this computation included). */
  upper: number;
  /** ‖A‖_F (an upper bound too, usually looser). */
  frobenius: number;
}

/** ‖A‖_F in float64 (scaled to avoid overflow is unnecessary at our magnitudes). */
export function frobeniusNorm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

/**
 * Upper bound on λ_max of a symmetric positive semi-definite m×m matrix `g` (row-major, float64). `g` is
 * overwritten. Returns an upper bound of the exact λ_max of the given (float64) matrix.
 */
export function psdMaxEigenvalueUpperBound(g: Float64Array, m: number): number {
  if (m === 0) return 0;
  let h: Float64Array = g;
  let next: Float64Array = new Float64Array(m * m);
  // λ_max(G) ≤ Π_i c_i^{2^{-i}}, where c_0 = ‖G‖_F, H_0 = G/c_0, c_{i+1} = ‖H_i²‖_F, H_{i+1} = H_i²/c_{i+1}.
  // Each factor c_i^{2^{-i}} is i square roots of c_i (correctly rounded on every engine, unlike Math.log/exp).
  let c = frobeniusNorm(h);
  if (c === 0) return 0;
  let bound = c;
  for (let i = 0; i < h.length; i++) h[i]! /= c;
  for (let step = 1; step <= SQUARINGS; step++) {
    squareSymmetric(h, next, m);
    const t = h;
    h = next;
    next = t;
    c = frobeniusNorm(h);
    if (c === 0) return 0; // nilpotent symmetric ⇒ zero
    let factor = c;
    for (let r = 0; r < step; r++) factor = Math.sqrt(factor);
    bound *= factor;
    for (let i = 0; i < h.length; i++) h[i]! /= c;
  }
  // Rounding: a computed square errs by ‖Δ‖_F ≤ γ_m‖H‖_F² = γ_m while λ_max(H)² ≥ ‖H‖_F²/m = 1/m, so each step
  // perturbs the eigenvalue relation by ≤ m·γ_m relatively; weighted by 2^{-i} the total is ≤ 2m·γ_m.
  const gamma = (m + 4) * UNIT_ROUNDOFF;
  return bound * (1 + 4 * (m + 4) * gamma + RELATIVE_SLACK);
}

/** out = h·h for a symmetric m×m h (row-major): out_ij = ⟨row i, row j⟩, upper triangle computed, mirrored. */
function squareSymmetric(h: Float64Array, out: Float64Array, m: number): void {
  for (let i = 0; i < m; i++) {
    const ri = i * m;
    for (let j = i; j < m; j++) {
      const rj = j * m;
      let s = 0;
      for (let k = 0; k < m; k++) s += h[ri + k]! * h[rj + k]!;
      out[ri + j] = s;
      out[rj + i] = s;
    }
  }
}

/**
 * Gram matrix of the smaller side of a rows×cols row-major matrix: AᵀA (cols ≤ rows) or AAᵀ, plus an
 * absolute allowance for its float64 rounding (≤ γ_len·‖A‖_F² in spectral norm).
 */
function gram(a: ArrayLike<number>, rows: number, cols: number): { g: Float64Array; m: number; allowance: number } {
  if (cols <= rows) {
    const m = cols;
    const g = new Float64Array(m * m);
    // AᵀA accumulated row by row of A: g += a_rᵀ a_r (upper triangle), then mirrored.
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let i = 0; i < m; i++) {
        const ai = a[base + i]!;
        if (ai === 0) continue;
        const gi = i * m;
        for (let j = i; j < m; j++) g[gi + j]! += ai * a[base + j]!;
      }
    }
    for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) g[i * m + j] = g[j * m + i]!;
    return { g, m, allowance: (rows + 2) * UNIT_ROUNDOFF };
  }
  const m = rows;
  const g = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      let s = 0;
      const bi = i * cols;
      const bj = j * cols;
      for (let k = 0; k < cols; k++) s += a[bi + k]! * a[bj + k]!;
      g[i * m + j] = s;
      g[j * m + i] = s;
    }
  }
  return { g, m, allowance: (cols + 2) * UNIT_ROUNDOFF };
}

/** Rigorous upper bound on ‖A‖₂ for a dense rows×cols row-major matrix. */
export function spectralNormUpperBound(a: ArrayLike<number>, rows: number, cols: number): NormBound {
  const frob = frobeniusNorm(a);
  const frobenius = frob * (1 + (a.length + 2) * UNIT_ROUNDOFF);
  if (frob === 0 || rows === 0 || cols === 0) return { upper: 0, frobenius: 0 };
  const { g, m, allowance } = gram(a, rows, cols);
  const lambda = psdMaxEigenvalueUpperBound(g, m) + allowance * frob * frob;
  const upper = Math.min(Math.sqrt(lambda) * (1 + RELATIVE_SLACK), frobenius);
  return { upper, frobenius };
}

/** Lower bound on ‖A‖₂ by power iteration on AᵀA (for reports and tests; NOT an upper bound). */
export function spectralNormLowerBound(a: ArrayLike<number>, rows: number, cols: number, iterations = 200): number {
  if (rows === 0 || cols === 0) return 0;
  let v = new Float64Array(cols);
  // Deterministic start: all ones plus a tilt, so it is not orthogonal to the top singular vector in practice.
  for (let j = 0; j < cols; j++) v[j] = 1 + j / cols;
  const w = new Float64Array(rows);
  let sigma = 0;
  for (let it = 0; it < iterations; it++) {
    let nv = 0;
    for (let j = 0; j < cols; j++) nv += v[j]! * v[j]!;
    nv = Math.sqrt(nv);
    if (nv === 0) return 0;
    for (let j = 0; j < cols; j++) v[j]! /= nv;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      const base = r * cols;
      for (let j = 0; j < cols; j++) s += a[base + j]! * v[j]!;
      w[r] = s;
    }
    let nw = 0;
    for (let r = 0; r < rows; r++) nw += w[r]! * w[r]!;
    sigma = Math.max(sigma, Math.sqrt(nw));
    const next = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const wr = w[r]!;
      if (wr === 0) continue;
      const base = r * cols;
      for (let j = 0; j < cols; j++) next[j]! += a[base + j]! * wr;
    }
    v = next;
  }
  return sigma;
}

/** Geometry of a stride-1, zero-padded 2-D convolution with a square kernel. */
export interface ConvGeometry {
  outChannels: number;
  inChannels: number;
  kernelSize: number;
  padding: number;
  inputHeight: number;
  inputWidth: number;
}

export function convOutputSize(size: number, kernelSize: number, padding: number): number {
  return size + 2 * padding - kernelSize + 1;
}

/**
 * Rigorous upper bound on the operator norm ‖x ↦ conv(K, x)‖₂ over [inChannels, H, W] inputs, for a kernel
 * [outChannels, inChannels, k, k] (row-major, float64). Uses the torus embedding described in the file header.
 */
export function convNormUpperBound(kernel: ArrayLike<number>, geometry: ConvGeometry): NormBound {
  const { outChannels: co, inChannels: ci, kernelSize: k, padding: p, inputHeight: h, inputWidth: w } = geometry;
  const frobKernel = frobeniusNorm(kernel);
  // ‖conv‖ ≤ k·‖K‖_F (Cauchy–Schwarz over the k² taps at every frequency): the a-priori "Frobenius" bound.
  const frobenius = k * frobKernel * (1 + (kernel.length + 4) * UNIT_ROUNDOFF);
  if (frobKernel === 0) return { upper: 0, frobenius: 0 };
  const nH = Math.max(h + p, convOutputSize(h, k, p), k);
  const nW = Math.max(w + p, convOutputSize(w, k, p), k);
  // Real embedding of the complex co×ci matrix K̂ = R + iI: [[R, −I], [I, R]] has the same singular values (each twice).
  const rows = 2 * co;
  const cols = 2 * ci;
  const embedded = new Float64Array(rows * cols);
  const cosH = new Float64Array(k);
  const sinH = new Float64Array(k);
  const cosW = new Float64Array(k);
  const sinW = new Float64Array(k);
  let worst = 0;
  let absSum = 0;
  for (let i = 0; i < kernel.length; i++) absSum += Math.abs(kernel[i]!);
  for (let f1 = 0; f1 < nH; f1++) {
    for (let a = 0; a < k; a++) [cosH[a], sinH[a]] = cosSinOfTurn(-f1 * a, nH); // the angle −2π·f1·a/nH
    for (let f2 = 0; f2 < nW; f2++) {
      for (let b = 0; b < k; b++) [cosW[b], sinW[b]] = cosSinOfTurn(-f2 * b, nW);
      for (let o = 0; o < co; o++) {
        for (let c = 0; c < ci; c++) {
          let re = 0;
          let im = 0;
          const base = (o * ci + c) * k * k;
          for (let a = 0; a < k; a++) {
            for (let b = 0; b < k; b++) {
              const v = kernel[base + a * k + b]!;
              if (v === 0) continue;
              // e^{i(α+β)} = (cosα cosβ − sinα sinβ) + i(sinα cosβ + cosα sinβ)
              re += v * (cosH[a]! * cosW[b]! - sinH[a]! * sinW[b]!);
              im += v * (sinH[a]! * cosW[b]! + cosH[a]! * sinW[b]!);
            }
          }
          embedded[o * cols + c] = re;
          embedded[o * cols + ci + c] = -im;
          embedded[(co + o) * cols + c] = im;
          embedded[(co + o) * cols + ci + c] = re;
        }
      }
      const bound = spectralNormUpperBound(embedded, rows, cols).upper;
      if (bound > worst) worst = bound;
    }
  }
  // cos/sin and the DFT sums err by a few ulps per term: allow 8·k²·u·Σ|K| absolute.
  const dftAllowance = 8 * (k * k + 4) * UNIT_ROUNDOFF * absSum;
  return { upper: Math.min(worst + dftAllowance, frobenius), frobenius };
}

/**
 * The explicit dense matrix of a conv2d (rows = outputs [co, oh, ow], cols = inputs [ci, h, w]); for tests and
 * small layers only (its size is co·oh·ow × ci·h·w).
 */
export function unrollConv(kernel: ArrayLike<number>, geometry: ConvGeometry): { matrix: Float64Array; rows: number; cols: number } {
  const { outChannels: co, inChannels: ci, kernelSize: k, padding: p, inputHeight: h, inputWidth: w } = geometry;
  const oh = convOutputSize(h, k, p);
  const ow = convOutputSize(w, k, p);
  const rows = co * oh * ow;
  const cols = ci * h * w;
  const matrix = new Float64Array(rows * cols);
  for (let o = 0; o < co; o++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const row = (o * oh + y) * ow + x;
        for (let c = 0; c < ci; c++) {
          for (let a = 0; a < k; a++) {
            const iy = y + a - p;
            if (iy < 0 || iy >= h) continue;
            for (let b = 0; b < k; b++) {
              const ix = x + b - p;
              if (ix < 0 || ix >= w) continue;
              matrix[row * cols + (c * h + iy) * w + ix]! += kernel[((o * ci + c) * k + a) * k + b]!;
            }
          }
        }
      }
    }
  }
  return { matrix, rows, cols };
}
