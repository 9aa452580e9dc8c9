/**
 * A small dependency-free SVG line plot: named series of (x, y) points with optional vertical error
 * bars, linear or log axes with "nice" ticks, grid, axis labels, title and legend. Output is a pure,
 * deterministic function of the input (coordinates rounded to 0.01 px), so plots can be compared and
 * regenerated from records alone.
 */
import { InputError } from '../core/errors.js';

export interface LinePlotPoint {
  x: number;
  /** Non-finite y breaks the line (the point is not drawn). */
  y: number;
  /** Error bar from yLow to yHigh, drawn when both are finite. */
  yLow?: number;
  yHigh?: number;
}

export interface LinePlotSeries {
  name: string;
  points: readonly LinePlotPoint[];
  /** CSS colour; default: the next colour of a 10-colour palette. */
  color?: string;
  /** Stroke dash pattern, e.g. "6 3"; default: solid for the first 10 series, then dashed. */
  dash?: string;
}

export type LegendPlacement = 'right' | 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right' | 'none';

export interface LinePlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Whole image in px; defaults 720 × 440. */
  width?: number;
  height?: number;
  logX?: boolean;
  logY?: boolean;
  /** Axis ranges; default: the data (with error bars), widened to nice tick values. */
  xRange?: readonly [number, number];
  yRange?: readonly [number, number];
  /** Explicit tick positions (inside the range); default: about 6 nice ticks. */
  xTicks?: readonly number[];
  yTicks?: readonly number[];
  /** Where the legend goes; 'right' (default) puts it outside the plot area. */
  legend?: LegendPlacement;
  /** Draw a dot at each point (default true). */
  markers?: boolean;
  /** Prefix of element ids, to keep several plots in one HTML page apart (default "plot"). */
  idPrefix?: string;
}

/** Default series colours (Tableau 10), in order. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'] as const;
/** Dash patterns (solid first), for telling series apart beyond colour. */
export const DASHES = ['', '6 3', '2 3', '8 3 2 3'] as const;

interface Scale {
  lower: number;
  upper: number;
  ticks: number[];
  log: boolean;
}

/** About `count` ticks at multiples of 1, 2 or 5 × 10^k covering [min, max] (min < max). */
export function niceTicks(min: number, max: number, count = 6): number[] {
  if (!(min < max) || !Number.isFinite(min) || !Number.isFinite(max)) throw new InputError(`niceTicks: need finite min < max, got [${min}, ${max}]`);
  const rough = (max - min) / Math.max(1, count - 1);
  const power = 10 ** Math.floor(Math.log10(rough));
  let best = power;
  let bestError = Infinity;
  for (const m of [1, 2, 5, 10]) {
    const step = m * power;
    const ticks = Math.floor(max / step + 1e-9) - Math.ceil(min / step - 1e-9) + 1;
    const error = Math.abs(ticks - count);
    if (error < bestError) {
      best = step;
      bestError = error;
    }
  }
  const first = Math.ceil(min / best - 1e-9);
  const last = Math.floor(max / best + 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(roundToStep(i * best, best));
  return ticks;
}

/** Ticks for a log axis on [min, max] (0 < min < max): powers of 10, plus 2× and 5× when under 3 decades. */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(min < max) || !Number.isFinite(max)) throw new InputError(`logTicks: need 0 < min < max, got [${min}, ${max}]`);
  const lowPower = Math.floor(Math.log10(min) + 1e-9);
  const highPower = Math.ceil(Math.log10(max) - 1e-9);
  const multiples = highPower - lowPower < 3 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let p = lowPower; p <= highPower; p++) {
    for (const m of multiples) {
      const v = Number((m * 10 ** p).toPrecision(12));
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) ticks.push(v);
    }
  }
  return ticks;
}

/** Tick label: plain decimals between 1e-3 and 1e6, otherwise exponent form (1e-4, 2.5e+7). */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e6) return String(Number(value.toPrecision(10)));
  return value.toExponential().replace(/\.?0+e/, 'e');
}

function roundToStep(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(Math.min(20, decimals)));
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function px(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function buildScale(axis: string, values: number[], log: boolean, range: readonly [number, number] | undefined, ticks: readonly number[] | undefined): Scale {
  let lower: number;
  let upper: number;
  if (range !== undefined) {
    [lower, upper] = range;
    if (!Number.isFinite(lower) || !Number.isFinite(upper) || !(lower < upper)) throw new InputError(`svgLinePlot: ${axis}Range needs finite low < high, got [${lower}, ${upper}]`);
    if (log && !(lower > 0)) throw new InputError(`svgLinePlot: ${axis}Range must be positive on a log axis, got [${lower}, ${upper}]`);
  } else {
    const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
    lower = finite.length > 0 ? Math.min(...finite) : log ? 1 : 0;
    upper = finite.length > 0 ? Math.max(...finite) : log ? 10 : 1;
    if (lower === upper) {
      if (log) {
        lower /= 2;
        upper *= 2;
      } else {
        const pad = lower === 0 ? 1 : Math.abs(lower) * 0.1;
        lower -= pad;
        upper += pad;
      }
    }
    if (log) {
      lower = 10 ** Math.floor(Math.log10(lower) + 1e-9);
      upper = 10 ** Math.ceil(Math.log10(upper) - 1e-9);
    } else {
      const step = niceStep(niceTicks(lower, upper));
      lower = roundToStep(Math.floor(lower / step + 1e-9) * step, step);
      upper = roundToStep(Math.ceil(upper / step - 1e-9) * step, step);
    }
  }
  const chosen = ticks !== undefined ? ticks.filter((t) => t >= lower && t <= upper) : log ? logTicks(lower, upper) : niceTicks(lower, upper);
  return { lower, upper, ticks: chosen, log };
}

function niceStep(ticks: number[]): number {
  return ticks.length >= 2 ? ticks[1]! - ticks[0]! : 1;
}

/** Maps a value to [0, 1] along the scale (log10 on log axes). */
function unit(scale: Scale, value: number): number {
  if (scale.log) return (Math.log10(value) - Math.log10(scale.lower)) / (Math.log10(scale.upper) - Math.log10(scale.lower));
  return (value - scale.lower) / (scale.upper - scale.lower);
}

/** Renders the plot as a standalone SVG document (UTF-8 text). */
export function svgLinePlot(series: readonly LinePlotSeries[], options: LinePlotOptions = {}): string {
  const width = options.width ?? 720;
  const requestedHeight = options.height ?? 440;
  if (!(width >= 100) || !(requestedHeight >= 100)) throw new InputError(`svgLinePlot: width and height must be ≥ 100 px, got ${width} × ${requestedHeight}`);
  const logX = options.logX ?? false;
  const logY = options.logY ?? false;
  for (const s of series) {
    for (const p of s.points) {
      if (!Number.isFinite(p.x)) throw new InputError(`svgLinePlot: series '${s.name}' has a non-finite x: ${p.x}`);
      if (logX && !(p.x > 0)) throw new InputError(`svgLinePlot: series '${s.name}' has x = ${p.x}, not positive, on a log x axis`);
    }
  }
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.flatMap((p) => (Number.isFinite(p.y) ? [p.y, p.yLow ?? p.y, p.yHigh ?? p.y] : [])));
  const xScale = buildScale('x', xs, logX, options.xRange, options.xTicks);
  const yScale = buildScale('y', ys, logY, options.yRange, options.yTicks);
  const id = (options.idPrefix ?? 'plot').replace(/[^A-Za-z0-9_-]/g, '_');

  const legendPlacement = options.legend ?? 'right';
  const longestName = Math.max(0, ...series.map((s) => s.name.length));
  const legendWidth = legendPlacement === 'none' || series.length === 0 ? 0 : 34 + 7 * longestName;
  const left = 64;
  const right = legendPlacement === 'right' && legendWidth > 0 ? Math.min(width / 2, legendWidth + 24) : 20;
  const top = options.title ? 40 : 16;
  const bottom = options.xLabel ? 56 : 36;
  const rowHeight = 18;
  const legendHeight = series.length * rowHeight + 8;
  // A legend outside the plot never gets cut: the image grows to hold it.
  const height = legendPlacement === 'right' && legendWidth > 0 ? Math.max(requestedHeight, top + legendHeight + bottom) : requestedHeight;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const toX = (v: number): number => left + unit(xScale, v) * plotWidth;
  const toY = (v: number): number => top + (1 - unit(yScale, v)) * plotHeight;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  // Clip a few px outside the frame, so markers and error-bar caps at the range ends show whole.
  const bleed = 4;
  out.push(`<defs><clipPath id="${id}-area"><rect x="${px(left - bleed)}" y="${px(top - bleed)}" width="${px(plotWidth + 2 * bleed)}" height="${px(plotHeight + 2 * bleed)}"/></clipPath></defs>`);
  // Left-aligned at the image's margin: centred over a plot narrowed by a legend, long titles fell off the left edge.
  if (options.title) out.push(`<text x="12" y="24" text-anchor="start" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>`);

  // Grid and ticks.
  out.push('<g class="x-axis">');
  for (const t of xScale.ticks) {
    const x = px(toX(t));
    out.push(`<line x1="${x}" y1="${px(top)}" x2="${x}" y2="${px(top + plotHeight)}" stroke="#e4e4e4"/>`);
    out.push(`<line x1="${x}" y1="${px(top + plotHeight)}" x2="${x}" y2="${px(top + plotHeight + 5)}" stroke="black"/>`);
    out.push(`<text x="${x}" y="${px(top + plotHeight + 18)}" text-anchor="middle">${escapeXml(formatTick(t))}</text>`);
  }
  out.push('</g>');
  out.push('<g class="y-axis">');
  for (const t of yScale.ticks) {
    const y = px(toY(t));
    out.push(`<line x1="${px(left)}" y1="${y}" x2="${px(left + plotWidth)}" y2="${y}" stroke="#e4e4e4"/>`);
    out.push(`<line x1="${px(left - 5)}" y1="${y}" x2="${px(left)}" y2="${y}" stroke="black"/>`);
    out.push(`<text x="${px(left - 8)}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(formatTick(t))}</text>`);
  }
  out.push('</g>');
  out.push(`<rect class="frame" x="${px(left)}" y="${px(top)}" width="${px(plotWidth)}" height="${px(plotHeight)}" fill="none" stroke="black"/>`);
  if (options.xLabel) out.push(`<text x="${px(left + plotWidth / 2)}" y="${px(height - 14)}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  if (options.yLabel) {
    const cy = px(top + plotHeight / 2);
    out.push(`<text x="16" y="${cy}" text-anchor="middle" transform="rotate(-90 16 ${cy})">${escapeXml(options.yLabel)}</text>`);
  }

  // Series: error bars, then the line (broken at non-finite y), then markers.
  const styles = series.map((s, i) => ({
    color: s.color ?? PALETTE[i % PALETTE.length]!,
    dash: s.dash ?? DASHES[Math.floor(i / PALETTE.length) % DASHES.length]!,
  }));
  out.push(`<g class="series" clip-path="url(#${id}-area)">`);
  series.forEach((s, i) => {
    const { color, dash } = styles[i]!;
    out.push(`<g class="series-item" data-name="${escapeXml(s.name)}">`);
    for (const p of s.points) {
      if (p.yLow === undefined || p.yHigh === undefined || !Number.isFinite(p.yLow) || !Number.isFinite(p.yHigh)) continue;
      if (logY && !(p.yLow > 0 && p.yHigh > 0)) continue;
      const x = toX(p.x);
      const y1 = px(toY(p.yLow));
      const y2 = px(toY(p.yHigh));
      out.push(`<path class="error-bar" d="M${px(x)} ${y1}V${y2}M${px(x - 3)} ${y1}H${px(x + 3)}M${px(x - 3)} ${y2}H${px(x + 3)}" stroke="${color}" fill="none"/>`);
    }
    const commands: string[] = [];
    let pen = false;
    for (const p of s.points) {
      if (!Number.isFinite(p.y) || (logY && !(p.y > 0))) {
        pen = false;
        continue;
      }
      commands.push(`${pen ? 'L' : 'M'}${px(toX(p.x))} ${px(toY(p.y))}`);
      pen = true;
    }
    if (commands.length > 0) {
      out.push(`<path class="line" d="${commands.join('')}" stroke="${color}" stroke-width="2" fill="none"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    }
    if (options.markers ?? true) {
      for (const p of s.points) {
        if (!Number.isFinite(p.y) || (logY && !(p.y > 0))) continue;
        out.push(`<circle cx="${px(toX(p.x))}" cy="${px(toY(p.y))}" r="3" fill="${color}"/>`);
      }
    }
    out.push('</g>');
  });
  out.push('</g>');

  // Legend.
  if (legendWidth > 0) {
    const boxHeight = legendHeight;
    let lx: number;
    let ly: number;
    switch (legendPlacement) {
      case 'right':
        lx = left + plotWidth + 12;
        ly = top;
        break;
      case 'top-left':
        lx = left + 8;
        ly = top + 8;
        break;
      case 'top-right':
        lx = left + plotWidth - legendWidth - 8;
        ly = top + 8;
        break;
      case 'bottom-left':
        lx = left + 8;
        ly = top + plotHeight - boxHeight - 8;
        break;
      default:
        lx = left + plotWidth - legendWidth - 8;
        ly = top + plotHeight - boxHeight - 8;
    }
    out.push(`<g class="legend" transform="translate(${px(lx)} ${px(ly)})">`);
    out.push(`<rect width="${px(legendWidth)}" height="${px(boxHeight)}" fill="white" fill-opacity="0.85" stroke="#999"/>`);
    series.forEach((s, i) => {
      const { color, dash } = styles[i]!;
      const y = 4 + rowHeight * i + rowHeight / 2;
      out.push(`<line x1="6" y1="${px(y)}" x2="26" y2="${px(y)}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
      out.push(`<text x="32" y="${px(y)}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
