/**
 * The figures of the `lottery reproduce` report, made from its records only (src/experiments/reproduceRecords.ts):
 * random-subset-sum coverage against n and the fit of n against log2(1/ε); Experiment 1's accuracy and kept size
 * against n; Theorem 1's sizes against 1/ε; Experiment 2's accuracy against remaining parameters (popupFigure).
 * Every figure is a standalone SVG with its series and point counts (what the browser test checks).
 */
import type {
  ConstructionTicketRecord,
  DensityRecord,
  Experiment1Record,
  PopupRecord,
  PublishedExperiment1Record,
  PublishedPopupRecord,
  ReproduceRecordSet,
  RssCellRecord,
  RssFitRecord,
  SizesRecord,
  TargetRecord,
  TicketRecord,
} from '../experiments/reproduceRecords.js';
import { popupFigure } from './popupFigure.js';
import { DASHES, PALETTE, svgLinePlot, type LinePlotSeries } from './svgLinePlot.js';

export interface ReportFigure {
  /** File stem under figures/ and the id of the <figure> in the page. */
  name: string;
  /** The records file(s) the figure is drawn from (relative to the report folder). */
  sources: string[];
  svg: string;
  /** Series drawn (legend entries) and data points (markers). */
  series: number;
  points: number;
}

/** Counts the series and points an svgLinePlot output draws. */
export function figureStats(svg: string): { series: number; points: number } {
  return { series: (svg.match(/class="series-item"/g) ?? []).length, points: (svg.match(/<circle /g) ?? []).length };
}

function figure(name: string, sources: string[], svg: string): ReportFigure {
  return { name, sources, svg, ...figureStats(svg) };
}

/** Drops series with no drawable point (e.g. a lower bound that is 0 on a log axis). */
function drawable(series: LinePlotSeries[], logY = false): LinePlotSeries[] {
  return series
    .map((s) => ({ ...s, points: s.points.filter((p) => Number.isFinite(p.y) && (!logY || p.y > 0)) }))
    .filter((s) => s.points.length > 0);
}

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];
const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };
/** 0.001 → "10⁻³"; other values as written. */
export const superscript = (tolerance: number): string => {
  const exponent = Math.log10(tolerance);
  return Number.isInteger(exponent) && exponent < -1 ? `10${String(exponent).split('').map((c) => SUPERSCRIPT[c] ?? c).join('')}` : String(tolerance);
};

/** Figure 1: P(the whole interval is covered) against n, per distribution (dash) and ε (colour), 95 % Wilson bars. */
export function rssCoverageFigure(cells: readonly RssCellRecord[]): string {
  const distributions = unique(cells.map((c) => c.distribution));
  const tolerances = unique(cells.map((c) => c.tolerance)).sort((a, b) => b - a);
  const series: LinePlotSeries[] = [];
  distributions.forEach((distribution, d) => {
    tolerances.forEach((tolerance, e) => {
      const rows = cells.filter((c) => c.distribution === distribution && c.tolerance === tolerance).sort((a, b) => a.sampleCount - b.sampleCount);
      series.push({
        name: `${distribution}, ε = ${superscript(tolerance)}`,
        points: rows.map((r) => ({ x: r.sampleCount, y: r.allCoveredProbability, yLow: r.allCoveredLow, yHigh: r.allCoveredHigh })),
        color: PALETTE[e % PALETTE.length]!,
        dash: DASHES[d % DASHES.length]!,
      });
    });
  });
  const trials = cells[0]?.trials ?? 0;
  return svgLinePlot(drawable(series), {
    title: 'Random subset sum: probability that all of [-1, 1] is within ε of a subset sum',
    xLabel: 'n (random samples)',
    yLabel: `P(all covered), ${trials} trials, 95 % Wilson`,
    yRange: [0, 1],
    width: 1120,
    height: 440,
    idPrefix: 'rss-coverage',
  });
}

/** Figure 2: the smallest n reaching the target probability against log2(1/ε), with the least-squares lines. */
export function rssFitFigure(fits: readonly RssFitRecord[]): string {
  const series: LinePlotSeries[] = [];
  const xs = fits.flatMap((f) => f.points.map((p) => p.log2InverseTolerance));
  const xLow = Math.min(...xs, 6);
  const xHigh = Math.max(...xs, 14);
  fits.forEach((fit, d) => {
    const color = PALETTE[d % PALETTE.length]!;
    series.push({ name: `${fit.distribution}: smallest n`, points: fit.points.map((p) => ({ x: p.log2InverseTolerance, y: p.sampleCount })), color });
    if (fit.slope !== null && fit.intercept !== null) {
      const line = (x: number) => ({ x, y: fit.slope! * x + fit.intercept! });
      series.push({ name: `${fit.distribution}: n ≈ ${fit.slope.toFixed(2)}·log2(1/ε) + ${fit.intercept.toFixed(1)}`, points: [line(xLow), line(xHigh)], color, dash: '6 3' });
    }
  });
  const probability = fits[0]?.targetProbability ?? 0.9;
  return svgLinePlot(drawable(series), {
    title: `Samples needed for P(all covered) ≥ ${probability}, against log2(1/ε)`,
    xLabel: 'log2(1/ε)',
    yLabel: 'smallest n',
    xRange: [xLow, xHigh],
    width: 1120,
    height: 380,
    idPrefix: 'rss-fit',
  });
}

/** Figure 3: accuracy of the approximated network against n (the sweep), the target, the published point. */
export function experiment1AccuracyFigure(sweep: readonly Experiment1Record[], target: TargetRecord, published: PublishedExperiment1Record): string {
  const points = sweep.filter((r) => r.ticketAccuracy !== null).map((r) => ({ x: r.n, y: 100 * r.ticketAccuracy! }));
  const xs = sweep.map((r) => r.n).concat(published.sampleCount);
  const xLow = Math.min(...xs);
  const xHigh = Math.max(...xs);
  const series: LinePlotSeries[] = [
    { name: 'approximated network (ours, closest)', points, color: PALETTE[0] },
    { name: 'our target', points: [{ x: xLow, y: 100 * target.testAccuracy }, { x: xHigh, y: 100 * target.testAccuracy }], color: '#555555', dash: '2 3' },
    { name: "published (n = 21; the target's accuracy)", points: [{ x: published.sampleCount, y: 100 * published.accuracy }], color: PALETTE[2] },
  ];
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter(Number.isFinite);
  const yLow = Math.max(0, Math.floor(Math.min(...ys) - 1));
  return svgLinePlot(drawable(series), {
    title: 'Experiment 1: accuracy against n',
    xLabel: 'n (random numbers per weight)',
    yLabel: 'MNIST test accuracy (%)',
    yRange: [yLow, 100],
    xRange: [xLow - 1, xHigh + 1],
    legend: 'bottom-right',
    width: 560,
    height: 380,
    idPrefix: 'experiment1-accuracy',
  });
}

/** Figure 4: numbers used per target weight against n (the sweep), the sparsest objective at the formula's n, the published point. */
export function experiment1SizeFigure(sweep: readonly Experiment1Record[], variants: readonly Experiment1Record[], published: PublishedExperiment1Record): string {
  const sparsest = variants.find((v) => v.variant === 'per-weight-sparsest');
  const series: LinePlotSeries[] = [
    { name: 'closest subset (ours)', points: sweep.map((r) => ({ x: r.n, y: r.relativeKeptSize })), color: PALETTE[0] },
    { name: `sparsest subset (ours, n = ${sparsest?.n ?? '?'})`, points: sparsest ? [{ x: sparsest.n, y: sparsest.relativeKeptSize }] : [], color: PALETTE[1] },
    { name: 'published (closest, n = 21)', points: [{ x: published.sampleCount, y: published.relativeKeptSize }], color: PALETTE[2] },
  ];
  const xs = sweep.map((r) => r.n).concat(published.sampleCount);
  return svgLinePlot(drawable(series), {
    title: 'Experiment 1: kept size against n',
    xLabel: 'n (random numbers per weight)',
    yLabel: 'numbers used ÷ target weights (×)',
    xRange: [Math.min(...xs) - 1, Math.max(...xs) + 1],
    legend: 'top-left',
    width: 560,
    height: 380,
    idPrefix: 'experiment1-size',
  });
}

/** Figure 5: parameters against 1/ε (log–log): Theorem 1 at the n used and by its formula, Malach-style, lower bound, kept. */
export function theorem1SizesFigure(sizes: readonly SizesRecord[], tickets: readonly TicketRecord[]): string {
  const sorted = [...sizes].sort((a, b) => b.tolerance - a.tolerance);
  const at = (pick: (s: SizesRecord) => number | null) => sorted.map((s) => ({ x: 1 / s.tolerance, y: pick(s) ?? NaN }));
  const targetParams = sorted[0]?.targetParams ?? tickets[0]?.targetParams ?? NaN;
  const series: LinePlotSeries[] = [
    { name: 'Theorem 1 formula, δ = 0.01 (dense count)', points: at((s) => s.formulaRandomDense), color: PALETTE[2], dash: '6 3' },
    { name: 'Theorem 1 network at the n used (dense count)', points: at((s) => s.randomDense), color: PALETTE[2] },
    { name: 'Theorem 1 block structure at the n used', points: at((s) => s.randomBlock), color: PALETTE[1] },
    { name: 'Malach-style single product, measured (dense)', points: at((s) => s.malachRandomDense), color: PALETTE[6] },
    { name: 'Malach-style, analytic for all entries (dense)', points: at((s) => s.malachAnalyticRandomDense), color: PALETTE[6], dash: '6 3' },
    { name: 'kept edges of the ticket (pruned)', points: [...tickets].sort((a, b) => b.tolerance - a.tolerance).map((t) => ({ x: 1 / t.tolerance, y: t.keptParams })), color: PALETTE[0] },
    { name: 'target parameters', points: at(() => targetParams), color: '#555555', dash: '2 3' },
    { name: 'lower bound Σ d_in·d_out·log2(1/ε)', points: at((s) => s.lowerBound), color: PALETTE[4], dash: '8 3 2 3' },
  ];
  return svgLinePlot(drawable(series, true), {
    title: 'Theorem 1: parameters against the tolerance',
    xLabel: '1/ε (ε: tolerance on the normalised network, ‖x‖ ≤ 1, ‖W_i‖ ≤ 1)',
    yLabel: 'parameters (log scale)',
    logX: true,
    logY: true,
    width: 1120,
    height: 460,
    idPrefix: 'theorem1-sizes',
  });
}

/** Figure 6: density of the ticket against over-parameterisation (log–log): k-subsets measured and predicted, 2l and l+1. */
export function constructionsDensityFigure(points: readonly DensityRecord[], tickets: readonly ConstructionTicketRecord[]): string {
  const sorted = [...points].sort((a, b) => a.subsetSize - b.subsetSize);
  const series: LinePlotSeries[] = [
    { name: `k products per weight (k = ${sorted.map((p) => p.subsetSize).join(', ')}), smallest n`, points: sorted.map((p) => ({ x: p.overParameterisation ?? NaN, y: p.keptFraction ?? NaN })), color: PALETTE[0] },
    {
      name: 'predicted: log C(n, k) ≳ log(1/ε′)',
      points: sorted.map((p) => {
        const n = p.smallestSampleCount;
        const m = p.predictedSampleCount;
        // Both sizes scale with n: the random network linearly, the density inversely (k·entries kept of ∝ n).
        return n === null || m === null ? { x: NaN, y: NaN } : { x: p.overParameterisation! * (m / n), y: p.keptFraction! * (n / m) };
      }).filter((q) => Number.isFinite(q.x)),
      color: PALETTE[0],
      dash: '6 3',
    },
    ...tickets.map((t, i): LinePlotSeries => ({ name: `${t.construction}, any subsets (depth ${t.depth})`, points: [{ x: t.randomBlockParams / t.targetParams, y: t.keptParams / t.randomBlockParams }], color: PALETTE[2 + 2 * i] })),
  ];
  return svgLinePlot(drawable(series, true).filter((s) => s.points.every((q) => q.x > 0)), {
    title: 'Ticket density against over-parameterisation at the same ε',
    xLabel: 'usable random parameters ÷ target parameters (log scale)',
    yLabel: 'kept fraction of the usable random network (log scale)',
    logX: true,
    logY: true,
    markers: true,
    legend: 'top-right',
    width: 820,
    height: 420,
    idPrefix: 'constructions-density',
  });
}

/** Figure 7: Experiment 2 (Fig. 3 of the paper) for the sweep's architecture. */
export function experiment2Figure(runs: readonly PopupRecord[], published: readonly PublishedPopupRecord[]): string {
  const arch = runs[0]?.arch ?? 'fc2';
  return popupFigure(runs, published, arch);
}

/** All figures of the report, in page order. */
export function reproduceFigures(records: ReproduceRecordSet): ReportFigure[] {
  const data = <T>(located: readonly { data: T }[]): T[] => located.map((r) => r.data);
  const published = records.publishedExperiment1.data;
  return [
    figure('rss-coverage', ['records/rss.jsonl'], rssCoverageFigure(data(records.rssCells))),
    figure('rss-fit', ['records/rss.jsonl'], rssFitFigure(data(records.rssFits))),
    figure('experiment1-accuracy', ['records/experiment1.jsonl', 'records/target.jsonl', 'records/published.jsonl'], experiment1AccuracyFigure(data(records.experiment1Sweep), records.target.data, published)),
    figure('experiment1-size', ['records/experiment1.jsonl', 'records/published.jsonl'], experiment1SizeFigure(data(records.experiment1Sweep), data(records.experiment1Variants), published)),
    figure('theorem1-sizes', ['records/theorem1.jsonl'], theorem1SizesFigure(data(records.sizes), data(records.tickets))),
    figure('constructions-density', ['records/constructions.jsonl'], constructionsDensityFigure(data(records.densityPoints), data(records.constructionTickets))),
    figure('experiment2-popup', ['records/experiment2.jsonl', 'records/published.jsonl'], experiment2Figure(data(records.popupRuns), data(records.publishedPopup))),
  ];
}
