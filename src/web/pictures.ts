/**
 * Pictures of the page as SVG text (pure: no DOM): a weight matched by a subset of random values, and the kept
 * structure of a ticket (which inputs keep hidden units in the first layer, how much of each layer is kept).
 */
import type { Ticket } from '../theorem1/ticket.js';

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The n values as bars around 0, the chosen ones filled, with the target w and the chosen subset's sum as
 * horizontal marks on a second panel (cumulative sum of the chosen values, in index order).
 */
export function subsetPicture(values: ArrayLike<number>, chosen: ReadonlySet<number>, target: number, width = 640, height = 220): string {
  const n = values.length;
  const left = 40;
  const plotWidth = width - left - 10;
  const top = 10;
  const plotHeight = height - 40;
  let scale = Math.abs(target);
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(values[i]!));
  let running = 0;
  for (const i of chosen) running += values[i]!;
  scale = Math.max(scale, Math.abs(running), 1e-9);
  const y = (v: number): number => top + plotHeight / 2 - (v / scale) * (plotHeight / 2);
  const step = plotWidth / Math.max(1, n);
  const parts: string[] = [];
  parts.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${y(0)}" y2="${y(0)}" stroke="#999"/>`);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    const x = left + i * step + step * 0.15;
    const y0 = Math.min(y(0), y(v));
    const h = Math.max(1, Math.abs(y(v) - y(0)));
    const on = chosen.has(i);
    parts.push(`<rect x="${x.toFixed(1)}" y="${y0.toFixed(1)}" width="${(step * 0.7).toFixed(1)}" height="${h.toFixed(1)}" fill="${on ? '#e15759' : '#cfd8e3'}"><title>value ${i}: ${v.toPrecision(4)}${on ? ' (chosen)' : ''}</title></rect>`);
  }
  parts.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${y(target).toFixed(1)}" y2="${y(target).toFixed(1)}" stroke="#4e79a7" stroke-width="2" stroke-dasharray="6 3"/>`);
  parts.push(`<text x="${left + plotWidth}" y="${(y(target) - 4).toFixed(1)}" text-anchor="end" font-size="12" fill="#4e79a7">target w = ${escape(target.toPrecision(4))}</text>`);
  parts.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${y(running).toFixed(1)}" y2="${y(running).toFixed(1)}" stroke="#e15759" stroke-width="1"/>`);
  parts.push(`<text x="${left + 4}" y="${(y(running) + 14).toFixed(1)}" font-size="12" fill="#e15759">sum of the ${chosen.size} chosen = ${escape(running.toPrecision(6))}</text>`);
  parts.push(`<text x="${left}" y="${height - 8}" font-size="12" fill="#555">the ${n} random values (index order); filled: the subset whose sum is nearest w with the fewest values</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="subset of random values matching a weight">${parts.join('')}</svg>`;
}

/** Kept hidden units of stage 1 per input (an image's pixels when the input is one), as a heat map. */
export function firstLayerPicture(ticket: Ticket, size = 224): string | null {
  const stage = ticket.meta.stages[0]!;
  const shape = ticket.meta.inputShape;
  const masks = ticket.masks[0]!;
  const pixels = shape.length === 3 ? shape[1]! * shape[2]! : shape[0]!;
  const side = shape.length === 3 ? shape[1]! : Math.round(Math.sqrt(pixels));
  if (side * side !== pixels || stage.kind !== 'dense') return null;
  const counts = new Float64Array(pixels);
  for (const r of masks.units) {
    const j = r % stage.inUnits;
    if (j < pixels) counts[j]!++;
  }
  let max = 0;
  for (const c of counts) max = Math.max(max, c);
  const cell = size / side;
  const rects: string[] = [];
  for (let p = 0; p < pixels; p++) {
    if (counts[p] === 0) continue;
    const t = counts[p]! / Math.max(1, max);
    const shade = Math.round(255 * (1 - t));
    rects.push(`<rect x="${((p % side) * cell).toFixed(2)}" y="${(Math.floor(p / side) * cell).toFixed(2)}" width="${cell.toFixed(2)}" height="${cell.toFixed(2)}" fill="rgb(${shade},${shade},255)"/>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="kept first-layer units per input pixel"><rect width="${size}" height="${size}" fill="#fff" stroke="#ccc"/>${rects.join('')}</svg>`;
}

/** Per stage, the kept fraction of the random layer pair's hidden units and of its second-layer weights. */
export function keptPicture(ticket: Ticket, width = 420): string {
  const rows = ticket.meta.stages.map((stage, s) => {
    const masks = ticket.masks[s]!;
    const hidden = 2 * stage.sampleCount * stage.inUnits;
    const second = stage.outUnits * hidden * stage.kernelSize * stage.kernelSize;
    return { name: stage.name, units: masks.units.length / hidden, edges: masks.edgeKeys.length / second };
  });
  const bar = 22;
  const height = rows.length * (2 * bar + 14) + 10;
  const scale = (width - 170) / 1;
  const parts: string[] = [];
  rows.forEach((row, i) => {
    const y = 10 + i * (2 * bar + 14);
    for (const [k, label, value, color] of [[0, 'units', row.units, '#4e79a7'], [1, 'weights', row.edges, '#f28e2b']] as const) {
      const yy = y + k * bar;
      parts.push(`<text x="0" y="${yy + 15}" font-size="12">${escape(row.name)} ${label}</text>`);
      parts.push(`<rect x="110" y="${yy + 3}" width="${Math.max(1, value * scale).toFixed(1)}" height="${bar - 6}" fill="${color}"/>`);
      parts.push(`<text x="${(116 + value * scale).toFixed(1)}" y="${yy + 15}" font-size="12">${(100 * value).toPrecision(3)} %</text>`);
    }
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="kept fraction per layer">${parts.join('')}</svg>`;
}
