/**
 * Small HTML helpers for reports: escaping, number formats (records hold plain fractions and counts; only the
 * page formats them), and numbers linked to the record they come from. The link scheme (docs/reproduce.md):
 * `<a class="v" href="records/FILE.jsonl" data-record="records/FILE.jsonl:LINE" data-key="KEY" title="…">`,
 * LINE 1-based in the JSONL file, KEY a dotted path into that line's JSON object (e.g. `points.0.sampleCount`).
 */

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** 1234567 → "1,234,567" (no locale dependence). */
export function formatInteger(value: number): string {
  const rounded = Math.round(value);
  const sign = rounded < 0 ? '-' : '';
  return sign + String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A fraction as a percentage: 0.97186 → "97.19 %". */
export function formatPercent(fraction: number, digits = 2): string {
  return `${(100 * fraction).toFixed(digits)} %`;
}

/** A ratio: 9.4213 → "9.42×". */
export function formatFactor(value: number, digits = 2): string {
  return `${value.toFixed(digits)}×`;
}

/** Four significant digits between 0.01 and 1e5, exponent form outside ("1.234e-5"). */
export function formatReal(value: number, digits = 4): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  return magnitude >= 0.01 && magnitude < 1e5 ? String(Number(value.toPrecision(digits))) : value.toExponential(digits - 1);
}

/** A tolerance: 0.0001 → "10⁻⁴", 0.5 → "0.5". */
export function formatTolerance(value: number): string {
  const exponent = Math.log10(value);
  if (Number.isInteger(exponent) && exponent < -1) {
    const digits: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };
    return `10${String(exponent).split('').map((c) => digits[c] ?? c).join('')}`;
  }
  return String(value);
}

/** Where a number comes from: a file relative to the report folder, a line (1-based; null for a JSON file) and the record. */
export interface NumberSource {
  file: string;
  line: number | null;
  data: unknown;
}

/** The value at a dotted path ("a.b.0.c") of a JSON value; undefined when absent. */
export function valueAt(data: unknown, key: string): unknown {
  let value: unknown = data;
  for (const part of key.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A formatted number linked to its record; `text` is what the page shows (escaped here). */
export function linkedNumber(source: NumberSource, key: string, text: string): string {
  const raw = JSON.stringify(valueAt(source.data, key)) ?? 'undefined';
  const where = source.line === null ? source.file : `${source.file}:${source.line}`;
  const place = source.line === null ? source.file : `${source.file}, line ${source.line}`;
  return (
    `<a class="v" href="${escapeHtml(source.file)}" data-record="${escapeHtml(where)}" data-key="${escapeHtml(key)}" ` +
    `title="${escapeHtml(`${place}: ${key} = ${raw}`)}">${escapeHtml(text)}</a>`
  );
}

/** A table: header cells (escaped) and rows of ready HTML cells. `numeric` columns are right-aligned. */
export function htmlTable(header: readonly string[], rows: readonly (readonly string[])[], options: { numeric?: readonly number[]; className?: string } = {}): string {
  const numeric = new Set(options.numeric ?? []);
  const cell = (tag: 'th' | 'td', html: string, i: number) => `<${tag}${numeric.has(i) ? ' class="num"' : ''}>${html}</${tag}>`;
  return [
    `<table${options.className ? ` class="${escapeHtml(options.className)}"` : ''}>`,
    `<thead><tr>${header.map((h, i) => cell('th', escapeHtml(h), i)).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((row) => `<tr>${row.map((html, i) => cell('td', html, i)).join('')}</tr>`),
    '</tbody>',
    '</table>',
  ].join('\n');
}
