// The SVG line-plot writer: tick rules, well-formed output, escaping, and that points land where the
// axes say (monotone mapping, log spacing, clipping to the plot area, broken lines at gaps).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { svgLinePlot, niceTicks, logTicks, formatTick, type LinePlotSeries } from '../../src/report/svgLinePlot.js';
import { InputError } from '../../src/core/errors.js';

/** Checks tags nest and close properly (enough XML for our writer's output) and returns the tag names seen. */
function checkWellFormed(svg: string): string[] {
  const stack: string[] = [];
  const names: string[] = [];
  for (const match of svg.matchAll(/<(\/?)([A-Za-z][\w-]*)([^>]*?)(\/?)>/g)) {
    const [, closing, name, attributes, selfClosing] = match;
    assert.ok(!/[<&](?!amp;|lt;|gt;|quot;|apos;)/.test(attributes!), `unescaped text in <${name}${attributes}>`);
    if (closing) assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    else {
      names.push(name!);
      if (!selfClosing) stack.push(name!);
    }
  }
  assert.deepEqual(stack, [], 'unclosed elements');
  // Text between tags never holds a raw '<' or a bare '&'.
  for (const text of svg.split(/<[^>]*>/)) assert.ok(!/&(?!amp;|lt;|gt;|quot;|apos;)/.test(text), `bare & in ${text}`);
  return names;
}

function pathPoints(d: string): Array<{ command: string; x: number; y: number }> {
  return [...d.matchAll(/([ML])(-?[\d.]+) (-?[\d.]+)/g)].map((m) => ({ command: m[1]!, x: Number(m[2]), y: Number(m[3]) }));
}

function linePaths(svg: string): string[] {
  return [...svg.matchAll(/<path class="line" d="([^"]+)"/g)].map((m) => m[1]!);
}

function plotArea(svg: string): { x: number; y: number; width: number; height: number } {
  const m = /<rect class="frame" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(svg)!;
  return { x: Number(m[1]), y: Number(m[2]), width: Number(m[3]), height: Number(m[4]) };
}

test('nice ticks are evenly spaced multiples of 1, 2 or 5 × 10^k inside the range (property)', () => {
  fc.assert(
    // Spans down to 1e-6 of the values' magnitude: narrower ranges hit float64 rounding, not the tick rule.
    fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 1e-6, max: 1e3, noNaN: true }), (min, relativeSpan) => {
      const span = relativeSpan * Math.max(1, Math.abs(min));
      const max = min + span;
      const ticks = niceTicks(min, max);
      assert.ok(ticks.length >= 2 && ticks.length <= 12, `${ticks.length} ticks on [${min}, ${max}]`);
      const step = ticks[1]! - ticks[0]!;
      const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
      assert.ok([1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-6), `step ${step}`);
      // Ticks are rounded to the step's digits, so they may sit a rounding error outside [min, max].
      const slack = 1e-9 * span + 1e-12 * Math.max(Math.abs(min), Math.abs(max));
      for (let i = 0; i < ticks.length; i++) {
        assert.ok(ticks[i]! >= min - slack && ticks[i]! <= max + slack, `tick ${ticks[i]} outside [${min}, ${max}]`);
        if (i > 0) assert.ok(Math.abs(ticks[i]! - ticks[i - 1]! - step) <= 1e-6 * step);
      }
    }),
    { seed: 20240603, numRuns: 500 },
  );
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(8, 24), [8, 10, 12, 14, 16, 18, 20, 22, 24]);
});

test('log ticks are powers of ten, with 2× and 5× on short ranges', () => {
  assert.deepEqual(logTicks(1e-4, 1), [1e-4, 1e-3, 0.01, 0.1, 1]);
  assert.deepEqual(logTicks(1, 100), [1, 2, 5, 10, 20, 50, 100]);
  assert.throws(() => logTicks(0, 1), InputError);
});

test('tick labels are short and plain', () => {
  assert.equal(formatTick(0), '0');
  assert.equal(formatTick(0.30000000000000004), '0.3');
  assert.equal(formatTick(12), '12');
  assert.equal(formatTick(1e-4), '1e-4');
  assert.equal(formatTick(2.5e7), '2.5e+7');
});

test('output is well formed, escapes text, and has one line, marker and error bar per point', () => {
  const series: LinePlotSeries[] = [
    { name: 'uniform <&> "quoted"', points: [{ x: 1, y: 0.1, yLow: 0.05, yHigh: 0.2 }, { x: 2, y: 0.5 }, { x: 3, y: 0.9, yLow: 0.8, yHigh: 0.95 }] },
    { name: "product's", points: [{ x: 1, y: 0.0 }, { x: 3, y: 0.6, yLow: 0.5, yHigh: 0.7 }] },
  ];
  const svg = svgLinePlot(series, { title: 'P(a < b & c)', xLabel: 'n', yLabel: 'p', yRange: [0, 1] });
  const names = checkWellFormed(svg);
  assert.equal(names[0], 'svg');
  assert.ok(svg.includes('uniform &lt;&amp;&gt; &quot;quoted&quot;'));
  assert.ok(svg.includes('product&apos;s'));
  assert.ok(svg.includes('P(a &lt; b &amp; c)'));
  assert.equal(linePaths(svg).length, 2);
  assert.equal((svg.match(/<circle /g) ?? []).length, 5);
  assert.equal((svg.match(/class="error-bar"/g) ?? []).length, 3);
  assert.equal(svgLinePlot(series, { title: 'P(a < b & c)', xLabel: 'n', yLabel: 'p', yRange: [0, 1] }), svg, 'deterministic');
});

test('points map monotonically into the plot area: x right, y up; log x spaces ratios evenly', () => {
  const points = [1, 2, 4, 8, 16, 32].map((x, i) => ({ x, y: i * i }));
  for (const logX of [false, true]) {
    const svg = svgLinePlot([{ name: 's', points }], { logX });
    const area = plotArea(svg);
    const drawn = pathPoints(linePaths(svg)[0]!);
    assert.equal(drawn.length, points.length);
    for (let i = 0; i < drawn.length; i++) {
      const p = drawn[i]!;
      assert.ok(p.x >= area.x - 0.01 && p.x <= area.x + area.width + 0.01 && p.y >= area.y - 0.01 && p.y <= area.y + area.height + 0.01);
      if (i > 0) {
        assert.ok(p.x > drawn[i - 1]!.x, 'x increases to the right');
        assert.ok(p.y < drawn[i - 1]!.y, 'larger y is drawn higher');
      }
    }
    const gaps = drawn.slice(1).map((p, i) => p.x - drawn[i]!.x);
    const even = gaps.every((g) => Math.abs(g - gaps[0]!) < 0.02);
    assert.equal(even, logX, logX ? 'doubling x is a constant step on a log axis' : 'but not on a linear one');
  }
});

test('a point at the range ends sits on the frame; a non-finite y breaks the line', () => {
  const svg = svgLinePlot([{ name: 's', points: [{ x: 0, y: 0 }, { x: 1, y: Number.NaN }, { x: 2, y: 1 }, { x: 3, y: 0.5 }] }], { xRange: [0, 3], yRange: [0, 1] });
  const area = plotArea(svg);
  const drawn = pathPoints(linePaths(svg)[0]!);
  assert.deepEqual(drawn.map((p) => p.command), ['M', 'M', 'L']);
  assert.ok(Math.abs(drawn[0]!.x - area.x) < 0.01 && Math.abs(drawn[0]!.y - (area.y + area.height)) < 0.01);
  assert.ok(Math.abs(drawn[2]!.x - (area.x + area.width)) < 0.01);
  assert.ok(Math.abs(drawn[1]!.y - area.y) < 0.01);
});

test('the series are clipped to the plot area and the legend grows the image to fit', () => {
  const many = Array.from({ length: 40 }, (_, i) => ({ name: `series ${i}`, points: [{ x: 0, y: i }, { x: 1, y: -i }] }));
  const svg = svgLinePlot(many, { height: 300 });
  checkWellFormed(svg);
  assert.match(svg, /<g class="series" clip-path="url\(#plot-area\)">/);
  const height = Number(/<svg[^>]* height="(\d+)"/.exec(svg)![1]);
  assert.ok(height >= 40 * 18, `height ${height}`);
  assert.equal((svg.match(/<text x="32"/g) ?? []).length, 40);
  const none = svgLinePlot(many, { height: 300, legend: 'none' });
  assert.equal(Number(/<svg[^>]* height="(\d+)"/.exec(none)![1]), 300);
  assert.ok(!none.includes('class="legend"'));
});

test('empty plots still render; bad ranges and non-positive x on a log axis are InputErrors', () => {
  checkWellFormed(svgLinePlot([]));
  checkWellFormed(svgLinePlot([{ name: 'flat', points: [{ x: 5, y: 2 }] }]));
  assert.throws(() => svgLinePlot([{ name: 's', points: [{ x: 0, y: 1 }] }], { logX: true }), InputError);
  assert.throws(() => svgLinePlot([], { yRange: [1, 1] }), InputError);
  assert.throws(() => svgLinePlot([], { xRange: [-1, 1], logX: true }), InputError);
  assert.throws(() => svgLinePlot([{ name: 's', points: [{ x: Number.NaN, y: 1 }] }]), InputError);
});
