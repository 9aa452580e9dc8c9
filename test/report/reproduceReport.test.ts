// The reproduce report on small synthetic records: every shown number is its record's value formatted and links
// to the right file, line and key; text is escaped; no scripts or external URLs; every figure has data; the page
// is a pure function of its input and timings change nothing outside <section id="timings">.
import type { Verb, VerbOutput } from '../../src/experiments/verbOutputs.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  constructionsRecords,
  encodeRecords,
  experiment1Records,
  groupRecords,
  parseRecords,
  popupRecords,
  publishedRecords,
  recordsPath,
  rssRecords,
  targetRecord,
  theorem1Records,
  type Located,
  type ReproduceRecord,
  type ReproduceRecordSet,
  type StepHeaderRecord,
} from '../../src/experiments/reproduceRecords.js';
import { EXPERIMENT1_VARIANTS } from '../../src/approximate/variants.js';
import { runRss } from '../../src/experiments/rss.js';
import type { PopupRunRecord } from '../../src/experiments/popup.js';
import {
  escapeHtml,
  formatFactor,
  formatInteger,
  formatPercent,
  formatReal,
  formatTolerance,
  valueAt,
} from '../../src/report/html.js';
import { reproduceReport, type ReportTimings, type ReproduceReportInput } from '../../src/report/reproduceReport.js';

const EVIL = '<script>alert("x & y")</script>';

function approximateSummary(variant: { coefficients: string; objective: string }, n: number, salt: number): Record<string, unknown> {
  return {
    targetParams: 1000, randomParams: 1000 * n, paperRandomParams: 1000 * n, keptParams: 450 * n + salt, distinctKeptParams: 450 * n + salt,
    relativeKeptSize: (450 * n + salt) / 1000, relativeDistinctKeptSize: (450 * n + salt) / 1000, maxWeightError: 0.004 + salt * 1e-5, meanWeightError: 0.001,
    weightsOutsideTolerance: Math.max(0, 30 - n), zeroApproximations: 3, targetAccuracy: 0.9, ticketAccuracy: 0.88 + n / 1000, seconds: 1.5, evaluationSeconds: 0.1,
    chunkCount: 1, chunksResumed: 0, n, formula: 'n = 3·round(log2(1/0.01))', seed: 1, targetFile: '/tmp/x', targetSha256: 'ab', preprocess: 'pixels',
    options: { tolerance: 0.01, sampleFactor: 3, sampleCount: n, coefficients: variant.coefficients, distribution: 'target-range', resolvedDistribution: 'uniform[-0.4642123456,0.5407]', objective: variant.objective, stream: 's', chunkSize: 20000 },
  };
}

function pruneOutput(tolerance: number): Record<string, unknown> {
  return {
    tolerance, ticket: `$OUT/work/theorem1/ticket-eps${tolerance}.safetensors`, seed: 1, distribution: 'uniform[-1,1]', objective: 'sparsest', depth: 4,
    inputDomain: 'nonnegative', inputRadius: 28, scales: { inputScale: 0.03, outputScale: 900, layerScales: [3, 2] }, targetParams: 1000,
    randomParams: 2_000_000, randomBlockParams: 80_000, keptParams: Math.round(5000 / tolerance), instances: 1200, instancesSavedNonnegative: 800, outsideTolerance: 12,
    certifiedBound: 150 * tolerance, certifiedBoundNormalised: 0.16 * tolerance, guaranteedBound: 900 * tolerance,
    stages: [{ sampleCount: 15 }, { sampleCount: 12 }],
  };
}

function boundOutput(tolerance: number): Record<string, unknown> {
  return {
    tolerance, targetParams: 1000,
    theorem1: { sampleCounts: [15, 12], randomDense: 2_000_000 / tolerance ** 0.1, randomBlock: 80_000 },
    theorem1Formula: { sampleCount: 60, randomDense: 9_000_000, randomBlock: 300_000, failureProbability: 0.01 },
    malach: { stages: [{ unresolved: tolerance < 0.2 ? 2 : 0 }, { unresolved: 0 }], widths: [1000 / tolerance, 200], randomDense: 1e8 / tolerance, randomBlock: 1e6 / tolerance, analyticRandomDense: tolerance === 1 ? null : 3e8 / tolerance },
    lowerBound: Math.max(0, Math.round(1000 * Math.log2(1 / tolerance))),
  };
}

function popupRun(structure: PopupRunRecord['structure'], pruneFraction: number, accuracy: number): PopupRunRecord {
  return {
    arch: 'fc2', structure, keepFraction: 1 - pruneFraction, pruneFraction, seed: 1, epochs: 1, widths: [784, 500, 10], redundancy: null, sampleCount: null,
    parameters: 397_000, keptParameters: Math.round(397_000 * (1 - pruneFraction)), convParameters: 0, convs: null, convNote: null, trainCount: 1000, testCount: 1000,
    learningRate: 0.1, finalAccuracy: accuracy, bestAccuracy: accuracy + 0.001, seconds: 3.25, secondsPerEpoch: 2.5,
    history: [{ epoch: 1, learningRate: 0.1, trainLoss: 1, trainAccuracy: 0.5, testAccuracy: accuracy, seconds: 2.5 }],
  };
}

/** A synthetic verb output (only the fields the records read). */
const tag = (verb: Verb, output: unknown): VerbOutput => ({ verb, output }) as VerbOutput;

/** The records of a tiny run, as files (name → JSONL text), grouped like loadRecords does. */
function synthetic(): { files: Map<string, string>; set: ReproduceRecordSet } {
  const rss = runRss({ distributions: ['uniform', 'product'], sampleCounts: [4, 8, 12, 16, 20], tolerances: [0.1, 0.01], trials: 12, seed: 3 });
  const outputs1: Record<string, VerbOutput> = {};
  EXPERIMENT1_VARIANTS.forEach((v, i) => (outputs1[v.id] = tag('approximate', approximateSummary(v, 21, i))));
  outputs1['sweep'] = tag('approximate', [12, 4, 8].map((n) => ({ outDir: '$OUT/x', ...approximateSummary({ coefficients: 'per-weight', objective: 'closest' }, n, 0) })));
  const t1: Record<string, VerbOutput> = {
    'prune-eps1': tag('prune', pruneOutput(1)), 'prune-eps0.5': tag('prune', pruneOutput(0.5)),
    'verify-eps1': tag('verify', {
      tolerance: 1, ticket: '$OUT/t', keptParams: 5000, randomParams: 2_000_000, inputRadius: 28, inputDomain: 'nonnegative', certifiedBound: 150, certifiedBoundNormalised: 0.16,
      maxOutputError: 3.5, dataError: { count: 100, max: 1.25, mean: 0.5 }, ballError: { count: 50, max: 3.1, mean: 2 }, adversarialError: { max: 3.5, evaluations: 77 },
      withinCertificate: true, targetAccuracy: 0.9, ticketAccuracy: 0.89, argmaxAgreement: 0.995,
    }),
    'bound-eps1': tag('bound', boundOutput(1)), 'bound-eps0.5': tag('bound', boundOutput(0.5)), 'bound-eps0.1': tag('bound', boundOutput(0.1)),
  };
  const constructionPrune = (construction: '2l' | 'l+1'): Record<string, unknown> => ({
    ...pruneOutput(0.5), construction, target: `$OUT/work/constructions/${EVIL}.safetensors`, depth: construction === '2l' ? 4 : 3,
    edgeNormBounds: construction === '2l' ? null : [null, 5.07], keptParams: construction === '2l' ? 79_167 : 1_505_363,
  });
  const constructionVerify = (construction: '2l' | 'l+1'): Record<string, unknown> => ({
    maxOutputError: construction === '2l' ? 3.25 : 7.16, withinCertificate: true, targetAccuracy: 0.9503, ticketAccuracy: 0.9506, argmaxAgreement: 0.9911,
  });
  const density = (k: number, smallest: number | null): Record<string, unknown> => ({
    ...boundOutput(0.5), subsetSize: k, entryTolerances: [1.4e-3, 1.2e-2], smallestWorkingSampleCount: smallest,
    search: [10, 17, 20].map((n) => ({ sampleCount: n, certifiedBoundNormalised: n === 10 ? null : 1 / n, works: smallest !== null && n >= smallest, keptParams: 60_000 + n, randomBlockParams: 50_000 * n, randomParams: 1e6 * n })),
  });
  const c1: Record<string, VerbOutput> = {
    'prune-2l': tag('prune', constructionPrune('2l')), 'verify-2l': tag('verify', constructionVerify('2l')),
    'prune-l1': tag('prune', constructionPrune('l+1')), 'verify-l1': tag('verify', constructionVerify('l+1')),
    'density-k2': tag('bound', density(2, 20)), 'density-k3': tag('bound', density(3, 17)), 'density-k6': tag('bound', density(6, null)),
  };
  const step = (name: ReproduceRecord[]): ReproduceRecord[] => name;
  const byStep: [string, ReproduceRecord[]][] = [
    ['rss', step(rssRecords(rss.records, 0.5))],
    ['target', [targetRecord(tag('train', { arch: EVIL, params: 1000, epochs: 1, trainImages: 500, testAccuracy: 0.9, testLoss: 0.3, history: [{ epoch: 1, trainLoss: 1, trainAccuracy: 0.8, testAccuracy: 0.9 }] }), { file: '$OUT/work/target/target.safetensors', sha256: 'f'.repeat(64), arch: null, trained: true })]],
    ['experiment1', experiment1Records(outputs1)],
    ['theorem1', theorem1Records(t1, Object.keys(t1))],
    ['constructions', constructionsRecords(c1, Object.keys(c1))],
    ['experiment2', popupRecords([popupRun('dense', 0, 0.95), popupRun('ours-linear', 0.5, 0.93), popupRun('wide', 0.5, 0.94), popupRun('ours-linear', 0.9, 0.8)])],
  ];
  const files = new Map<string, string>();
  const all: Located<ReproduceRecord>[] = [];
  const headers: Located<StepHeaderRecord>[] = [];
  for (const [name, records] of byStep) {
    // The rss records come from an older commit: the versions section must say so.
    const madeBy = { lottery: '0.1.0', gitCommit: name === 'rss' ? `old${EVIL}` : 'abc', node: 'v20' };
    const text = encodeRecords({ type: 'step', step: name as never, format: 'f', configHash: 'h', config: {}, madeBy }, records);
    files.set(recordsPath(name), text);
    const parsed = parseRecords(text, recordsPath(name));
    all.push(...parsed.records);
    headers.push({ file: recordsPath(name), line: 1, data: parsed.header! });
  }
  const published = encodeRecords(null, publishedRecords());
  files.set(recordsPath('published'), published);
  all.push(...parseRecords(published, recordsPath('published')).records);
  return { files, set: groupRecords(all, headers) };
}

function input(set: ReproduceRecordSet, timings: ReportTimings | null): ReproduceReportInput {
  return {
    records: set,
    scale: 'smoke',
    seed: 1,
    invocation: 'lottery reproduce --scale smoke --seed 1 --out $OUT',
    steps: [{ id: 'rss', title: `coverage ${EVIL}`, commands: [`lottery rss --seed 1 ${EVIL}`] }],
    versions: { lottery: '0.1.0', gitCommit: 'abc', node: 'v20', packages: [{ name: EVIL, version: '1.0' }] },
    timings,
  };
}

function timings(seconds: number): ReportTimings {
  return {
    file: 'reproduce.json',
    data: { startedAt: '2026-01-01T00:00:00Z', totalSeconds: seconds * 5, expectedSeconds: 20, machine: `2 × CPU ${EVIL}`, loadAverage: [1.5, 1, 0.5], steps: [{ id: 'rss', title: 'rss', status: 'ran', configHash: 'h', seconds, computeSeconds: seconds, expectedSeconds: 2 }, { id: 'target', title: 'target', status: 'reused', configHash: 'h', seconds: 0.01, computeSeconds: null, expectedSeconds: 3 }] },
  };
}

const { files, set } = synthetic();
const page = reproduceReport(input(set, timings(1.25)));
const html = page.html;

test('nothing unescaped, no scripts, no external resources', () => {
  assert.ok(!html.includes('<script'), 'a <script> tag');
  assert.ok(html.includes(escapeHtml(EVIL)), 'the hostile string appears escaped');
  assert.ok(!/\s(src|srcset)=/.test(html), 'an element that loads a resource');
  assert.ok(!/<link[^>]+stylesheet/.test(html), 'an external stylesheet');
  // The only absolute URL is the SVG namespace, which is a name, never fetched.
  const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
  assert.deepEqual([...new Set(urls)], ['http://www.w3.org/2000/svg']);
  // Every href is a fragment, a records/figures file or reproduce.json.
  for (const m of html.matchAll(/href="([^"]*)"/g)) assert.match(m[1]!, /^(#[\w-]+|records\/[\w-]+\.jsonl|figures\/[\w-]+\.(svg|png)|reproduce\.json|data:,)$/, m[1]);
});

test('sections come in the issue order', () => {
  const ids = [...html.matchAll(/<section id="([\w-]+)"/g)].map((m) => m[1]);
  assert.deepEqual(ids, ['rss', 'target', 'experiment1', 'theorem1', 'constructions', 'experiment2', 'commands', 'timings']);
});

/** The ways the page formats a record value; a link's text must be one of them. */
function formats(value: unknown): string[] {
  if (typeof value !== 'number') return [String(value)];
  return [formatInteger(value), formatPercent(value), formatFactor(value), formatReal(value), formatTolerance(value), String(value), `${value.toFixed(1)} s`, value.toFixed(2)].map(escapeHtml);
}

test('every linked number is its record value, formatted, at the file, line and key it names', () => {
  const links = [...html.matchAll(/<a class="v" href="([^"]+)" data-record="([^"]+)" data-key="([^"]+)" title="[^"]*">([^<]*)<\/a>/g)];
  assert.ok(links.length > 150, `only ${links.length} links`);
  assert.equal(links.length, (html.match(/class="v"/g) ?? []).length, 'a number link not in the expected shape');
  const reproduceJson = { timings: timings(1.25).data };
  for (const [, href, where, key, text] of links) {
    const [file, line] = where!.split(':');
    assert.equal(file, href);
    let record: unknown;
    if (file === 'reproduce.json') record = reproduceJson;
    else {
      const lines = files.get(file!)?.split('\n');
      assert.ok(lines, `link to an unknown file ${file}`);
      record = JSON.parse(lines![Number(line) - 1]!);
    }
    const value = valueAt(record, key!);
    assert.ok(typeof value === 'number', `${where} ${key}: ${JSON.stringify(value)} is not a number`);
    assert.ok(formats(value).includes(text!), `${where} ${key} = ${value} shown as '${text}'`);
  }
});

test('every number in a numeric table cell is a link to its record', () => {
  for (const m of html.matchAll(/<td class="num">(.*?)<\/td>/g)) {
    const rest = m[1]!.replace(/<a class="v"[^>]*>[^<]*<\/a>/g, '');
    assert.ok(!/\d/.test(rest), `unlinked number in <td>${m[1]}</td>`);
  }
});

test('every figure has data: series and points as declared, no empty series', () => {
  const figures = [...html.matchAll(/<figure id="fig-([\w-]+)" data-figure="[\w-]+" data-series="(\d+)" data-points="(\d+)">([\s\S]*?)<\/figure>/g)];
  assert.deepEqual(figures.map((f) => f[1]), ['rss-coverage', 'rss-fit', 'experiment1-accuracy', 'experiment1-size', 'theorem1-sizes', 'constructions-density', 'experiment2-popup']);
  assert.deepEqual(page.figures.map((f) => f.name), figures.map((f) => f[1]));
  for (const [, name, series, points, body] of figures) {
    assert.ok(Number(series) > 0 && Number(points) > 0, name);
    assert.equal((body!.match(/class="series-item"/g) ?? []).length, Number(series), `${name}: series`);
    assert.equal((body!.match(/<circle /g) ?? []).length, Number(points), `${name}: points`);
    for (const item of body!.split('class="series-item"').slice(1)) assert.ok(item.split('</g>')[0]!.includes('<circle '), `${name}: an empty series`);
  }
  // The published popup point and the sweep reach the figures: one marker per sweep n in figure 3's line.
  const accuracy = figures.find((f) => f[1] === 'experiment1-accuracy')![4]!;
  const line = accuracy.split('data-name="approximated network (ours, closest)"')[1]!.split('</g>')[0]!;
  assert.equal((line.match(/<circle /g) ?? []).length, 3);
});

test('a pure function: equal input, equal bytes; timings change only <section id="timings">', () => {
  const again = reproduceReport(input(synthetic().set, timings(1.25))).html;
  assert.equal(again, html);
  const other = reproduceReport(input(set, timings(99))).html;
  const none = reproduceReport(input(set, null)).html;
  const outside = (text: string) => text.replace(/<section id="timings">[\s\S]*?<\/section>/, '');
  assert.notEqual(other, html);
  assert.equal(outside(other), outside(html));
  assert.equal(outside(none), outside(html));
  assert.match(none, /Left out of this report/);
});

test('ours beside the published numbers', () => {
  const published = set.publishedExperiment1;
  assert.match(html, new RegExp(`data-record="${published.file}:${published.line}" data-key="keptParams"[^>]*>3,725,871<`));
  assert.match(html, /data-key="relativeKeptSize"[^>]*>9\.39×</);
  // The popup table sets the published accuracy beside ours at pruned 0.5 (ours-linear 97.97 %, wide 98.17 %).
  assert.match(html, /93\.00 %<\/a><\/td>\s*<td class="num">.*?<\/td>\s*<td class="num"><a [^>]*>97\.97 %</);
});

test('records reused from another version are named in the versions section', () => {
  assert.match(html, /Records computed by another version \(reused\): <a href="records\/rss\.jsonl">rss<\/a> by lottery 0\.1\.0, commit <code>old&lt;script&gt;/);
  assert.ok(!/experiment1<\/a> by lottery/.test(html), 'a step made by this version listed');
});

test('html helpers: escaping, integers as en-US, tolerances', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  fc.assert(fc.property(fc.integer({ min: -1e12, max: 1e12 }), (n) => formatInteger(n) === n.toLocaleString('en-US')), { seed: 7 });
  assert.equal(formatTolerance(0.0001), '10⁻⁴');
  assert.equal(formatTolerance(0.5), '0.5');
  assert.equal(formatPercent(0.97186), '97.19 %');
  assert.equal(formatReal(1.234567e-5), '1.235e-5');
  assert.equal(valueAt({ a: [{ b: 2 }] }, 'a.0.b'), 2);
  assert.equal(valueAt({ a: 1 }, 'a.b'), undefined);
});
