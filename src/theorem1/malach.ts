/**
 * Baseline construction in the style of Malach et al. (ICML 2020): the same random layer pairs, but every target
 * entry is matched by the SINGLE closest product v·u of its block (one kept unit per branch) instead of a subset
 * sum. Measures the block width m (units per input) this needs for per-entry tolerance ε′: empirically (first
 * slot t whose product is within ε′, max over a sample of entries, nested widths thanks to the unit-major
 * stream mapping) and analytically for all entries with probability ≥ 1 − δ (product density ½·ln(1/|z|)).
 */
import type { Distribution } from '../core/random.js';
import { RandomStream, namedStream } from '../core/random.js';
import { columnIsTwoBranch, firstLayerIndex, layerStream, randomWeight, secondLayerIndex, type PlannedStage } from './theorem1.js';

export interface MalachStageResult {
  name: string;
  /** Entries examined (a deterministic sample when the stage has more than `sampleSize`). */
  sampledEntries: number;
  /** Units per block needed so that every sampled entry (both branches when two-branch) has a hit. */
  measuredWidth: number;
  /** Entries with no hit within `maxWidth` slots (then measuredWidth is a lower bound). */
  unresolved: number;
  /** Units per block so that all non-zero entries hit with probability ≥ 1 − δ (U[-1,1] only; null otherwise). */
  analyticWidth: number | null;
}

/** Entries sampled per stage when no sample size is given. */
export const DEFAULT_MALACH_SAMPLE = 2000;

export interface MalachOptions {
  seed: number;
  distribution: Distribution;
  sampleSize?: number;
  maxWidth?: number;
  failureProbability?: number;
  /** Called after each sampled entry with the entries done so far in this stage. */
  onEntry?: (done: number) => void;
}

/** ∫_0^z −ln|s| ds, odd: G(z) = sign(z)·(|z| − |z| ln|z|). */
function g(z: number): number {
  const a = Math.abs(z);
  if (a === 0) return 0;
  const v = a - a * Math.log(a);
  return z < 0 ? -v : v;
}

/** P(a unit is usable for the branch (u of the right sign) and |v·|u| − w| ≤ ε′), u, v ~ U[-1,1]. */
export function singleProductHitProbability(w: number, tolerance: number): number {
  const lo = Math.max(-1, w - tolerance);
  const hi = Math.min(1, w + tolerance);
  if (hi <= lo) return 0;
  // v·|u| for u of a given sign has density ½·(−ln|z|) on (−1, 1); the sign is right with probability ½.
  return 0.5 * 0.5 * (g(hi) - g(lo));
}

export function malachStage(stage: PlannedStage, stageIndex: number, tolerance: number, options: MalachOptions): MalachStageResult {
  const sampleSize = options.sampleSize ?? DEFAULT_MALACH_SAMPLE;
  const maxWidth = options.maxWidth ?? 1 << 18;
  const kk = stage.kernelSize * stage.kernelSize;
  const entries: number[] = [];
  for (let e = 0; e < stage.target.length; e++) if (stage.target[e] !== 0) entries.push(e);
  // Deterministic sample without replacement (partial Fisher–Yates on a counter-based stream).
  const pick = new RandomStream(options.seed, namedStream(`malach/sample/${stageIndex + 1}`));
  const sample = entries.slice();
  const count = Math.min(sampleSize, sample.length);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(pick.uniform01(i) * (sample.length - i));
    const t = sample[i]!;
    sample[i] = sample[j]!;
    sample[j] = t;
  }
  const uStream = layerStream(options.seed, 2 * stageIndex + 1);
  const vStream = layerStream(options.seed, 2 * stageIndex + 2);
  let measured = 0;
  let unresolved = 0;
  // Sampled entries column by column: the u's of a column (one per slot) are drawn once and shared by its entries.
  const order = sample.slice(0, count).sort((a, b) => (Math.floor(a / kk) % stage.inUnits) - (Math.floor(b / kk) % stage.inUnits) || a - b);
  const uColumn = new Float64Array(Math.min(maxWidth, 1 << 20));
  let column = -1;
  let drawn = 0;
  let done = 0;
  for (const e of order) {
    const o = Math.floor(e / (stage.inUnits * kk));
    const j = Math.floor(e / kk) % stage.inUnits;
    const tap = e % kk;
    const w = stage.target[e]!;
    if (j !== column) {
      column = j;
      drawn = 0;
    }
    const branches = columnIsTwoBranch(stage, stageIndex, j) ? [1, -1] : [1];
    let need = 0;
    for (const sign of branches) {
      let hit = -1;
      for (let t = 0; t < maxWidth; t++) {
        const r = t * stage.inUnits + j;
        let u: number;
        if (t < drawn) u = uColumn[t]!;
        else {
          u = randomWeight(uStream, options.distribution, firstLayerIndex(stage, r));
          if (t < uColumn.length) uColumn[drawn++] = u;
        }
        if (sign > 0 ? !(u > 0) : !(u < 0)) continue;
        const v = randomWeight(vStream, options.distribution, secondLayerIndex(stage, o, r, tap));
        if (Math.abs(v * Math.abs(u) - sign * w) <= tolerance) {
          hit = t;
          break;
        }
      }
      if (hit < 0) {
        unresolved++;
        need = maxWidth;
        break;
      }
      need = Math.max(need, hit + 1);
    }
    measured = Math.max(measured, need);
    options.onEntry?.(++done);
  }
  let analyticWidth: number | null = null;
  const d = options.distribution;
  if (d.kind === 'uniform' && d.low === -1 && d.high === 1) {
    const delta = options.failureProbability ?? 0.01;
    const probabilities: number[] = [];
    for (const e of entries) {
      const j = Math.floor(e / kk) % stage.inUnits;
      const p = singleProductHitProbability(stage.target[e]!, tolerance);
      probabilities.push(p);
      if (columnIsTwoBranch(stage, stageIndex, j)) probabilities.push(singleProductHitProbability(-stage.target[e]!, tolerance));
    }
    // Smallest m with Σ (1 − p)^m ≤ δ (union bound), by doubling then bisection.
    const failure = (m: number): number => probabilities.reduce((s, p) => s + Math.exp(m * Math.log1p(-Math.min(p, 1 - 1e-16))), 0);
    let hi = 1;
    while (failure(hi) > delta && hi < 2 ** 40) hi *= 2;
    let lo = Math.floor(hi / 2);
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (failure(mid) > delta) lo = mid;
      else hi = mid;
    }
    analyticWidth = entries.length === 0 ? 0 : hi;
  }
  return { name: stage.name, sampledEntries: count, measuredWidth: measured, unresolved, analyticWidth };
}
