/**
 * `lottery rss`: the random-subset-sum coverage experiment (src/experiments/rss.ts) from the command
 * line: a table or a JSON array of records, and with --out a run folder with JSONL, CSV, the fit and
 * an SVG plot of whole-interval coverage probability against n.
 */
import { jsonOption, parseSeed, seedOption } from './options.js';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import { runRss, RSS_DISTRIBUTIONS, type RssRecord, type RssResult, type RssSpec } from '../experiments/rss.js';
import { MAX_SAMPLE_COUNT } from '../subsetsum/types.js';
import { fixedSizeCoverageSums, MAX_FIXED_SIZE_SUMS } from '../subsetsum/coverageOfSize.js';
import { svgLinePlot, PALETTE, DASHES, type LinePlotSeries } from '../report/svgLinePlot.js';
import { writeFileAtomic } from '../io/atomicFile.js';
import type { RegisterCommand } from './io.js';
import { printJson, type CliIo } from './io.js';
import { parseIntegerRange, parseNumber, parseNumberList } from './parse.js';
import { createProgress } from './progress.js';

interface RssFlags {
  distribution: string;
  samples: string;
  tolerance: string;
  trials: string;
  seed?: string;
  interval: string;
  targetProbability: string;
  subsetSize?: string;
  out?: string;
  json?: boolean;
  progress: boolean;
}

const EXAMPLE = 'lottery rss --distribution uniform,product --samples 8:24 --tolerance 0.01 --trials 200 --seed 1';

export const registerRss: RegisterCommand = (program: Command, io: CliIo) => {
  program
    .command('rss')
    .description('Random subset sum: how much of [lo, hi] lies within ε of a subset sum of n random samples (exact measure), and how often all of it does.')
    .option('--distribution <names>', `comma list of ${RSS_DISTRIBUTIONS.join(', ')}`, 'uniform,product')
    .option('--samples <counts>', `sample counts n: list and/or ranges A:B[:STEP], each 1..${MAX_SAMPLE_COUNT}`, '8:24')
    .option('--tolerance <list>', 'comma list of tolerances ε > 0', '0.01')
    .option('--trials <count>', 'trials per (distribution, n, ε), ≥ 2', '200')
    .addOption(seedOption())
    .option('--interval <lo,hi>', 'closed interval to cover', '-1,1')
    .option('--target-probability <p>', 'whole-interval coverage probability for the n ≈ a·log2(1/ε) + b fit', '0.9')
    .option('--subset-size <k>', 'sums of exactly k samples instead of all subsets (random fixed-size subset sum; Σ_{c≤k} C(n, c) ≤ 2^25)')
    .option('--out <dir>', 'write rss.jsonl, rss.csv, rss-fit.json and rss.svg into this folder')
    .addOption(jsonOption())
    .option('--no-progress', 'do not report progress on stderr')
    .addHelpText('after', `\nExample:\n  ${EXAMPLE} --json\n`)
    .action((flags: RssFlags) => runRssCommand(flags, io));
};

export function rssSpecFromFlags(flags: RssFlags): RssSpec {
  const distributions = flags.distribution.split(',').map((name) => name.trim());
  for (const name of distributions) {
    if (!(RSS_DISTRIBUTIONS as readonly string[]).includes(name)) {
      throw new InputError(`--distribution: unknown distribution '${name}' (known: ${RSS_DISTRIBUTIONS.join(', ')})`);
    }
  }
  if (flags.seed === undefined) throw new InputError(`--seed is required (an integer in [0, 2^32)), e.g. ${EXAMPLE}`);
  const interval = parseNumberList('--interval', flags.interval);
  if (interval.length !== 2 || !(interval[0]! < interval[1]!)) {
    throw new InputError(`--interval: expected two numbers lo,hi with lo < hi, got '${flags.interval}'`);
  }
  const sampleCounts = parseIntegerRange('--samples', flags.samples, { min: 1, max: MAX_SAMPLE_COUNT });
  const subsetSize = flags.subsetSize === undefined ? undefined : parseNumber('--subset-size', flags.subsetSize, { integer: true, min: 1, max: MAX_SAMPLE_COUNT });
  if (subsetSize !== undefined) {
    const largest = Math.max(...sampleCounts);
    if (fixedSizeCoverageSums(largest, subsetSize) > MAX_FIXED_SIZE_SUMS) {
      throw new InputError(`--subset-size: ${subsetSize} with --samples up to ${largest} needs ${fixedSizeCoverageSums(largest, subsetSize).toExponential(2)} sums per trial (the c-subset sums for every c ≤ k), above ${MAX_FIXED_SIZE_SUMS.toLocaleString('en-US')}: lower the largest n or k`);
    }
  }
  return {
    distributions,
    sampleCounts,
    tolerances: parseNumberList('--tolerance', flags.tolerance, { above: 0 }),
    trials: parseNumber('--trials', flags.trials, { integer: true, min: 2, max: 100_000_000 }),
    seed: parseSeed(flags.seed),
    interval: { low: interval[0]!, high: interval[1]! },
    targetProbability: parseNumber('--target-probability', flags.targetProbability, { above: 0, max: 1 }),
    ...(subsetSize !== undefined ? { subsetSize } : {}),
  };
}

function runRssCommand(flags: RssFlags, io: CliIo): void {
  const spec = rssSpecFromFlags(flags);
  const progress = createProgress(io, 'rss', flags.progress);
  let result: RssResult;
  try {
    result = runRss(spec, { onProgress: (done, total) => progress.update(done, total) });
  } finally {
    progress.stop();
  }
  if (flags.out !== undefined) writeRssRun(flags.out, result);
  if (flags.json) printJson(io, result.records);
  else io.stdout(rssTable(result));
}

const CSV_KEYS: (keyof RssRecord)[] = [
  'distribution', 'sampleCount', 'tolerance', 'trials', 'seed', 'intervalLow', 'intervalHigh',
  'coveredFraction', 'coveredFractionStd', 'coveredFractionLow', 'coveredFractionHigh',
  'allCoveredCount', 'allCoveredProbability', 'allCoveredLow', 'allCoveredHigh',
];

export function rssCsv(records: readonly RssRecord[]): string {
  const lines = [CSV_KEYS.join(',')];
  for (const record of records) lines.push(CSV_KEYS.map((key) => String(record[key])).join(','));
  return lines.join('\n') + '\n';
}

/** The plot: whole-interval coverage probability against n, one line per distribution (and ε), Wilson bars. */
export function rssSvg(result: RssResult): string {
  const { spec, records } = result;
  const series: LinePlotSeries[] = [];
  const manyTolerances = spec.tolerances.length > 1;
  spec.distributions.forEach((distribution, d) => {
    spec.tolerances.forEach((tolerance, e) => {
      const rows = records.filter((r) => r.distribution === distribution && r.tolerance === tolerance);
      series.push({
        name: manyTolerances ? `${distribution}, ε = ${tolerance}` : distribution,
        points: rows.map((r) => ({ x: r.sampleCount, y: r.allCoveredProbability, yLow: r.allCoveredLow, yHigh: r.allCoveredHigh })),
        // With several ε: colour tells ε, dash tells the distribution; otherwise colour tells the distribution.
        color: PALETTE[(manyTolerances ? e : d) % PALETTE.length]!,
        dash: manyTolerances ? DASHES[d % DASHES.length]! : '',
      });
    });
  });
  const { low, high } = spec.interval;
  const tolerances = spec.tolerances.length === 1 ? `, ε = ${spec.tolerances[0]}` : '';
  const sums = spec.subsetSize === null ? 'a subset sum' : `a sum of exactly ${spec.subsetSize} samples`;
  return svgLinePlot(series, {
    title: `Random subset sum: all of [${low}, ${high}] within ε of ${sums}${tolerances}`,
    xLabel: 'n (samples)',
    yLabel: `P(whole interval covered), ${spec.trials} trials, 95 % Wilson`,
    yRange: [0, 1],
    legend: 'right',
  });
}

export function writeRssRun(folder: string, result: RssResult): void {
  writeFileAtomic(join(folder, 'rss.jsonl'), result.records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileAtomic(join(folder, 'rss.csv'), rssCsv(result.records));
  writeFileAtomic(join(folder, 'rss-fit.json'), JSON.stringify({ spec: result.spec, fits: result.fits }, null, 2) + '\n');
  writeFileAtomic(join(folder, 'rss.svg'), rssSvg(result));
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

export function rssTable(result: RssResult): string {
  const header = ['distribution', 'n', 'ε', 'covered fraction [95 % CI]', 'all covered [95 % Wilson]'];
  const rows = result.records.map((r) => [
    r.distribution,
    String(r.sampleCount),
    String(r.tolerance),
    `${r.coveredFraction.toFixed(4)} [${r.coveredFractionLow.toFixed(4)}, ${r.coveredFractionHigh.toFixed(4)}]`,
    `${r.allCoveredProbability.toFixed(3)} [${r.allCoveredLow.toFixed(3)}, ${r.allCoveredHigh.toFixed(3)}]`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => pad(c, widths[i]!, i === 1 || i === 2)).join('  ').trimEnd();
  const out = [
    `rss: ${result.spec.trials} trials per row, seed ${result.spec.seed}, interval [${result.spec.interval.low}, ${result.spec.interval.high}]${result.spec.subsetSize === null ? '' : `, sums of exactly ${result.spec.subsetSize} samples`}`,
    line(header),
    ...rows.map(line),
    '',
  ];
  for (const fit of result.fits) {
    const points = fit.points.map((p) => `ε=${p.tolerance}: n=${p.sampleCount}${p.reachedAtSmallestSampleCount ? ' (or less)' : ''}`).join(', ');
    const unreached = fit.unreachedTolerances.length > 0 ? `; not reached for ε = ${fit.unreachedTolerances.join(', ')}` : '';
    const line =
      fit.slope !== null && fit.intercept !== null
        ? `n ≈ ${fit.slope.toFixed(2)}·log2(1/ε) + ${fit.intercept.toFixed(2)}`
        : `no fit (${fit.note})`;
    out.push(`fit ${fit.distribution}, P(all covered) ≥ ${fit.targetProbability}: ${line}${points ? ` [${points}]` : ''}${unreached}`);
  }
  return out.join('\n') + '\n';
}
