/**
 * The figure of Experiment 2 (Pensia et al. 2020, Fig. 3): MNIST test accuracy against remaining parameters of
 * the fully connected part, one curve per masked structure, the published points overlaid (dashed, same colour)
 * and the dense baseline as a horizontal line; plus a markdown table beside the published accuracies. Made from
 * run records only (src/experiments/popup.ts, which also holds the published numbers).
 */
import { structureParameterCount, type PopupArch, type PopupStructure } from '../popup/structures.js';
import { PALETTE, svgLinePlot, type LinePlotSeries } from './svgLinePlot.js';
import type { PopupComparisonRow } from '../experiments/popup.js';

// The inputs are described structurally (src/experiments/popup.ts's PopupRunRecord, PUBLISHED_POPUP and
// comparisonRows fit them), so this file and the experiment do not import each other.

/** What the figure needs of a run record. */
export interface PopupFigureRecord {
  arch: PopupArch;
  structure: PopupStructure;
  epochs: number;
  /** Masked (or trained) weights of the fully connected part, and how many the masks keep. */
  parameters: number;
  keptParameters: number;
  finalAccuracy: number;
}

/** A published accuracy at a pruned fraction. */
export interface PopupPublishedPoint {
  arch: PopupArch;
  structure: PopupStructure;
  pruneFraction: number;
  accuracy: number;
}

/** One line of the comparison table: a run beside the published accuracy (experiments/popup.ts). */
export type PopupTableRow = PopupComparisonRow;

/** The paper's redundancy and theorem-free settings, for placing published points on the x axis. */
const PAPER_REDUNDANCY = 5;

const MASKED_ORDER: readonly PopupStructure[] = ['ours-linear', 'ours-relu', 'wide', 'theorem1'];
const COLOR: Record<PopupStructure, string> = {
  'ours-linear': PALETTE[0],
  'ours-relu': PALETTE[1],
  wide: PALETTE[2],
  theorem1: PALETTE[4],
  dense: '#555555',
};

const percent = (accuracy: number): number => 100 * accuracy;

/** The figure for one architecture as a standalone SVG (accuracy in %, x on a log axis). */
export function popupFigure(records: readonly PopupFigureRecord[], published: readonly PopupPublishedPoint[], arch: PopupArch): string {
  const mine = records.filter((r) => r.arch === arch);
  const series: LinePlotSeries[] = [];
  for (const structure of MASKED_ORDER) {
    const points = mine
      .filter((r) => r.structure === structure && r.keptParameters > 0)
      .map((r) => ({ x: r.keptParameters, y: percent(r.finalAccuracy) }))
      .sort((a, b) => a.x - b.x);
    if (points.length > 0) series.push({ name: `${structure} (ours)`, points, color: COLOR[structure] });
  }
  for (const structure of MASKED_ORDER) {
    const total = structureParameterCount(arch, structure, { redundancy: PAPER_REDUNDANCY, sampleCount: 1 });
    const points = published.filter((p) => p.arch === arch && p.structure === structure)
      .map((p) => ({ x: Math.round((1 - p.pruneFraction) * total), y: percent(p.accuracy) }))
      .sort((a, b) => a.x - b.x);
    if (points.length > 0) series.push({ name: `${structure} (published)`, points, color: COLOR[structure], dash: '6 3' });
  }
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const xLow = xs.length > 0 ? Math.min(...xs) : 1e4;
  const xHigh = xs.length > 0 ? Math.max(...xs) : 1e6;
  const dense = mine.find((r) => r.structure === 'dense');
  if (dense !== undefined) {
    series.push({ name: `dense baseline (ours, ${dense.parameters.toLocaleString('en-US')} weights)`, points: [{ x: xLow, y: percent(dense.finalAccuracy) }, { x: xHigh, y: percent(dense.finalAccuracy) }], color: COLOR.dense });
  }
  const publishedDense = published.find((p) => p.arch === arch && p.structure === 'dense');
  if (publishedDense !== undefined) {
    series.push({ name: 'dense baseline (published)', points: [{ x: xLow, y: percent(publishedDense.accuracy) }, { x: xHigh, y: percent(publishedDense.accuracy) }], color: COLOR.dense, dash: '6 3' });
  }
  const epochs = [...new Set(mine.map((r) => r.epochs))].join('/');
  const convs = arch === 'lenet5' ? '; conv layers frozen, not counted' : '';
  return svgLinePlot(series, {
    title: `Experiment 2, ${arch}: edge-popup accuracy vs remaining parameters (${epochs || '?'} epochs; published: best of 10–100)`,
    xLabel: `remaining parameters of the fully connected part (log scale${convs})`,
    yLabel: 'MNIST test accuracy (%)',
    logX: true,
    xRange: [xLow / 1.25, xHigh * 1.25],
    xTicks: [3, 4, 5, 6, 7].flatMap((p) => [1, 2, 5].map((m) => m * 10 ** p)),
    width: 960,
    height: 520,
    idPrefix: `popup-${arch}`,
  });
}

const pct = (v: number | null): string => (v === null || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(2)}`);

/** Markdown table: every run, with the published accuracy where the paper's table has the point. */
export function popupSummaryMarkdown(rows: readonly PopupTableRow[]): string {
  const lines = [
    '| arch | structure | pruned fraction | kept parameters | epochs | accuracy % (last epoch) | best epoch % | published % | s / epoch |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.arch} | ${row.structure} | ${row.structure === 'dense' ? '– (trained)' : row.pruneFraction} | ${row.keptParameters.toLocaleString('en-US')} | ${row.epochs} | ` +
        `${pct(row.accuracy)} | ${pct(row.bestAccuracy)} | ${pct(row.published)} | ${row.secondsPerEpoch.toFixed(1)} |`,
    );
  }
  return lines.join('\n') + '\n';
}
