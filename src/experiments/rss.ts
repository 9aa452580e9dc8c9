/**
 * The random-subset-sum coverage experiment (Lueker 1998; Pensia et al. 2020, Lemma 1 and digest §2):
 * for each distribution, sample count n and tolerance ε, how much of [lo, hi] the ε-neighbourhood of
 * the subset sums of n random samples covers, and how often it covers all of it. Pure: spec → records.
 *
 * Sample mapping (so any trial can be regenerated on its own): sample t (0-based) of trial r for
 * distribution D is RandomStream(seed, namedStream('rss/' + distributionName(D))).sample(D, r·40 + t),
 * 40 = MAX_SAMPLE_COUNT. The stride is the toolkit's largest n, not the largest n of the spec, so a trial's
 * draws do not depend on which other n are requested; every n and every ε of a trial use a prefix of the
 * same draws (common random numbers), which keeps the curves smooth.
 */
import { InputError } from '../core/errors.js';
import { describeJson, quoteText } from '../core/describe.js';
import { RandomStream, distributionByName, distributionName, namedStream, type Distribution } from '../core/random.js';
import { MAX_SAMPLE_COUNT } from '../subsetsum/types.js';
import { DEFAULT_COVERAGE_INTERVAL, type CoverageInterval } from '../subsetsum/coverage.js';
import { coverageGrowth, CoverageGrowthWorkspace } from '../subsetsum/coverageGrowth.js';
import { coverageGrowthOfSize, fixedSizeCoverageSums, MAX_FIXED_SIZE_SUMS } from '../subsetsum/coverageOfSize.js';

/** Distribution names the experiment accepts (as distributionByName spells them). */
export const RSS_DISTRIBUTIONS = ['uniform', 'product', 'log-uniform', 'normal'] as const;
export type RssDistributionName = (typeof RSS_DISTRIBUTIONS)[number];

/** Two-sided 95 % standard normal quantile. */
export const Z_95 = 1.959963984540054;

export interface RssSpec {
  distributions: readonly string[];
  /** Sample counts n, each in 1..40. */
  sampleCounts: readonly number[];
  /** Tolerances ε > 0. */
  tolerances: readonly number[];
  /** Trials per (distribution, n, ε), ≥ 2. */
  trials: number;
  /** Integer in [0, 2^32). */
  seed: number;
  /** Interval to cover; default [-1, 1]. */
  interval?: CoverageInterval;
  /** Whole-interval coverage probability the fit looks for; default 0.9. */
  targetProbability?: number;
  /** Sums of exactly this many samples instead of all subsets (random fixed-size subset sum); default: all. */
  subsetSize?: number;
}

/** A spec with defaults filled in, lists sorted and de-duplicated. */
export interface ResolvedRssSpec {
  distributions: RssDistributionName[];
  sampleCounts: number[];
  tolerances: number[];
  trials: number;
  seed: number;
  interval: CoverageInterval;
  targetProbability: number;
  /** null: all subsets. */
  subsetSize: number | null;
}

/** One row: a (distribution, n, ε) cell over `trials` trials. Intervals are 95 %. */
export interface RssRecord {
  distribution: RssDistributionName;
  sampleCount: number;
  tolerance: number;
  trials: number;
  seed: number;
  intervalLow: number;
  intervalHigh: number;
  /** Mean covered fraction over trials. */
  coveredFraction: number;
  /** Sample standard deviation of the covered fraction over trials. */
  coveredFractionStd: number;
  /** Normal-approximation interval mean ± z·std/√trials, clipped to [0, 1]. */
  coveredFractionLow: number;
  coveredFractionHigh: number;
  /** Trials in which the whole interval was covered. */
  allCoveredCount: number;
  allCoveredProbability: number;
  /** Wilson score interval. */
  allCoveredLow: number;
  allCoveredHigh: number;
  /** Present when the spec fixed the subset size: sums of exactly this many samples. */
  subsetSize?: number;
}

export interface RssFitPoint {
  tolerance: number;
  /** log2(1/ε), the fit's abscissa. */
  log2InverseTolerance: number;
  /** Smallest n of the spec whose allCoveredProbability ≥ target. */
  sampleCount: number;
  /** The target was already met at the spec's smallest n: the true threshold may be lower. */
  reachedAtSmallestSampleCount: boolean;
}

/** Least-squares fit n ≈ slope·log2(1/ε) + intercept over the tolerances that reached the target. */
export interface RssFit {
  distribution: RssDistributionName;
  targetProbability: number;
  points: RssFitPoint[];
  /** Tolerances at which no n of the spec reached the target. */
  unreachedTolerances: number[];
  slope: number | null;
  intercept: number | null;
  /** Why slope/intercept are null, or null when the fit exists. */
  note: string | null;
}

export interface RssResult {
  spec: ResolvedRssSpec;
  records: RssRecord[];
  fits: RssFit[];
}

export interface RssOptions {
  /** Called with (trials done, total trials) over all distributions. */
  onProgress?: (done: number, total: number) => void;
}

const SPEC_KEYS = ['distributions', 'sampleCounts', 'tolerances', 'trials', 'seed', 'interval', 'targetProbability', 'subsetSize'];

/** Validates a spec (from JSON or code): unknown keys and bad values are InputErrors naming `source` and the field. */
export function resolveRssSpec(input: unknown, source = 'rss spec'): ResolvedRssSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new InputError(`${source}: expected an object`);
  const spec = input as Record<string, unknown>;
  for (const key of Object.keys(spec)) {
    if (!SPEC_KEYS.includes(key)) throw new InputError(`${source}: unknown key '${quoteText(key)}' (allowed: ${SPEC_KEYS.join(', ')})`);
  }
  const list = (field: string): unknown[] => {
    const value = spec[field];
    if (!Array.isArray(value) || value.length === 0) throw new InputError(`${source}: ${field} must be a non-empty array, got ${describeJson(value)}`);
    return value;
  };
  const distributions = list('distributions').map((name) => {
    if (typeof name !== 'string' || !(RSS_DISTRIBUTIONS as readonly string[]).includes(name)) {
      throw new InputError(`${source}: distributions: unknown distribution ${describeJson(name)} (known: ${RSS_DISTRIBUTIONS.join(', ')})`);
    }
    return name as RssDistributionName;
  });
  const sampleCounts = list('sampleCounts').map((n) => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_SAMPLE_COUNT) {
      throw new InputError(`${source}: sampleCounts: each must be an integer in 1..${MAX_SAMPLE_COUNT}, got ${describeJson(n)}`);
    }
    return n;
  });
  const tolerances = list('tolerances').map((eps) => {
    if (typeof eps !== 'number' || !Number.isFinite(eps) || !(eps > 0)) throw new InputError(`${source}: tolerances: each must be a finite number > 0, got ${describeJson(eps)}`);
    return eps;
  });
  const trials = spec['trials'];
  if (typeof trials !== 'number' || !Number.isInteger(trials) || trials < 2 || trials > 100_000_000) {
    throw new InputError(`${source}: trials must be an integer in 2..1e8, got ${describeJson(trials)}`);
  }
  const seed = spec['seed'];
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InputError(`${source}: seed is required, an integer in [0, 2^32), got ${describeJson(seed)}`);
  }
  let interval = DEFAULT_COVERAGE_INTERVAL;
  if (spec['interval'] !== undefined) {
    const value = spec['interval'] as Partial<CoverageInterval> | null;
    const keys = typeof value === 'object' && value !== null ? Object.keys(value) : [];
    if (
      typeof value !== 'object' || value === null || keys.some((k) => k !== 'low' && k !== 'high') ||
      typeof value.low !== 'number' || typeof value.high !== 'number' ||
      !Number.isFinite(value.low) || !Number.isFinite(value.high) || !(value.low < value.high)
    ) {
      throw new InputError(`${source}: interval must be {low, high} with finite low < high, got ${describeJson(value)}`);
    }
    interval = { low: value.low, high: value.high };
  }
  const targetProbability = spec['targetProbability'] ?? 0.9;
  if (typeof targetProbability !== 'number' || !(targetProbability > 0) || !(targetProbability <= 1)) {
    throw new InputError(`${source}: targetProbability must be in (0, 1], got ${describeJson(targetProbability)}`);
  }
  const sortedCounts = [...new Set(sampleCounts)].sort((a, b) => a - b);
  const size = spec['subsetSize'];
  if (size !== undefined && size !== null) {
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > MAX_SAMPLE_COUNT) {
      throw new InputError(`${source}: subsetSize must be an integer in 1..${MAX_SAMPLE_COUNT}, got ${describeJson(size)}`);
    }
    const largest = sortedCounts[sortedCounts.length - 1]!;
    if (fixedSizeCoverageSums(largest, size) > MAX_FIXED_SIZE_SUMS) {
      throw new InputError(`${source}: subsetSize ${size} with n up to ${largest} needs ${fixedSizeCoverageSums(largest, size).toExponential(2)} sums per trial (the c-subset sums for every c ≤ k), above ${MAX_FIXED_SIZE_SUMS.toLocaleString('en-US')}: lower the largest n or the subset size`);
    }
  }
  return {
    distributions: [...new Set(distributions)],
    sampleCounts: sortedCounts,
    tolerances: [...new Set(tolerances)].sort((a, b) => b - a),
    trials,
    seed,
    interval,
    targetProbability,
    subsetSize: typeof size === 'number' ? size : null,
  };
}

/** The random stream of a distribution's trials (see the file header). */
export function rssStream(seed: number, distribution: Distribution): RandomStream {
  return new RandomStream(seed, namedStream(`rss/${distributionName(distribution)}`));
}

/** Writes the first out.length samples of trial `trial` into `out` (see the file header). */
export function rssTrialSamples(seed: number, distribution: Distribution, trial: number, out: Float64Array): void {
  if (out.length > MAX_SAMPLE_COUNT) throw new RangeError(`rssTrialSamples: at most ${MAX_SAMPLE_COUNT} samples per trial, got ${out.length}`);
  rssStream(seed, distribution).fill(distribution, trial * MAX_SAMPLE_COUNT, out);
}

/** Wilson score interval for a binomial proportion (successes of trials), z = 1.96 by default. */
export function wilsonInterval(successes: number, trials: number, z = Z_95): { low: number; high: number } {
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const center = (p + z2 / (2 * trials)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  // At 0 or all successes the bound is exactly 0 or 1; rounding would leave 1 − 1e-16.
  return { low: successes === 0 ? 0 : Math.max(0, center - half), high: successes === trials ? 1 : Math.min(1, center + half) };
}

/** Least squares y ≈ slope·x + intercept; null when fewer than two distinct x. */
export function leastSquaresLine(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number } | null {
  const count = xs.length;
  if (count < 2) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < count; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= count;
  my /= count;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < count; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  if (!(sxx > 0)) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/** Runs the experiment: one record per (distribution, n, ε), ordered by distribution, ε (descending), n. */
export function runRss(input: RssSpec | ResolvedRssSpec, options: RssOptions = {}): RssResult {
  const spec = resolveRssSpec(input);
  const { sampleCounts, tolerances, trials, seed, interval } = spec;
  const maxCount = sampleCounts[sampleCounts.length - 1]!;
  const cells = sampleCounts.length * tolerances.length;
  const totalTrials = spec.distributions.length * trials;
  const workspace = new CoverageGrowthWorkspace();
  const samples = new Float64Array(maxCount);
  const records: RssRecord[] = [];
  let done = 0;
  for (const name of spec.distributions) {
    const distribution = distributionByName(name)!;
    const stream = rssStream(seed, distribution);
    // Welford accumulators per cell (cell = e·|counts| + c), updated in trial order: deterministic.
    const mean = new Float64Array(cells);
    const m2 = new Float64Array(cells);
    const allCount = new Float64Array(cells);
    for (let r = 0; r < trials; r++) {
      stream.fill(distribution, r * MAX_SAMPLE_COUNT, samples);
      for (let e = 0; e < tolerances.length; e++) {
        const growth = spec.subsetSize === null ? coverageGrowth(samples, tolerances[e]!, interval, workspace) : coverageGrowthOfSize(samples, spec.subsetSize, tolerances[e]!, interval);
        for (let c = 0; c < sampleCounts.length; c++) {
          const cell = e * sampleCounts.length + c;
          const n = sampleCounts[c]!;
          const fraction = growth.coveredFraction[n]!;
          const delta = fraction - mean[cell]!;
          mean[cell]! += delta / (r + 1);
          m2[cell]! += delta * (fraction - mean[cell]!);
          allCount[cell]! += growth.allCovered[n]!;
        }
      }
      done++;
      options.onProgress?.(done, totalTrials);
    }
    for (let e = 0; e < tolerances.length; e++) {
      for (let c = 0; c < sampleCounts.length; c++) {
        const cell = e * sampleCounts.length + c;
        const std = Math.sqrt(Math.max(0, m2[cell]!) / (trials - 1));
        const half = (Z_95 * std) / Math.sqrt(trials);
        const wilson = wilsonInterval(allCount[cell]!, trials);
        records.push({
          distribution: name,
          sampleCount: sampleCounts[c]!,
          tolerance: tolerances[e]!,
          trials,
          seed,
          intervalLow: interval.low,
          intervalHigh: interval.high,
          coveredFraction: mean[cell]!,
          coveredFractionStd: std,
          coveredFractionLow: Math.max(0, mean[cell]! - half),
          coveredFractionHigh: Math.min(1, mean[cell]! + half),
          allCoveredCount: allCount[cell]!,
          allCoveredProbability: allCount[cell]! / trials,
          allCoveredLow: wilson.low,
          allCoveredHigh: wilson.high,
          ...(spec.subsetSize === null ? {} : { subsetSize: spec.subsetSize }),
        });
      }
    }
  }
  return { spec, records, fits: fitSampleCounts(records, spec) };
}

/**
 * Per distribution: the smallest n of the spec whose whole-interval coverage probability reaches the
 * target, per ε, then n ≈ slope·log2(1/ε) + intercept by least squares over those points (Lueker's
 * lemma predicts n = O(log(1/ε)); the digest measured slope ≈ 1, intercept ≈ 11 for U[-1,1]).
 */
export function fitSampleCounts(records: readonly RssRecord[], spec: ResolvedRssSpec): RssFit[] {
  const smallest = spec.sampleCounts[0]!;
  return spec.distributions.map((distribution) => {
    const points: RssFitPoint[] = [];
    const unreachedTolerances: number[] = [];
    for (const tolerance of spec.tolerances) {
      const reached = records
        .filter((r) => r.distribution === distribution && r.tolerance === tolerance && r.allCoveredProbability >= spec.targetProbability)
        .map((r) => r.sampleCount);
      if (reached.length === 0) {
        unreachedTolerances.push(tolerance);
        continue;
      }
      const sampleCount = Math.min(...reached);
      points.push({ tolerance, log2InverseTolerance: Math.log2(1 / tolerance), sampleCount, reachedAtSmallestSampleCount: sampleCount === smallest });
    }
    const line = leastSquaresLine(points.map((p) => p.log2InverseTolerance), points.map((p) => p.sampleCount));
    const within = `coverage probability ${spec.targetProbability} within n ≤ ${spec.sampleCounts[spec.sampleCounts.length - 1]}`;
    const note = line !== null ? null : points.length === 0 ? `no tolerance reached ${within}` : `only ${points.length} tolerance${points.length === 1 ? '' : 's'} reached ${within}: a line needs at least two`;
    return {
      distribution,
      targetProbability: spec.targetProbability,
      points,
      unreachedTolerances,
      slope: line?.slope ?? null,
      intercept: line?.intercept ?? null,
      note,
    };
  });
}
