/**
 * The HTML report of `lottery reproduce`: a pure function from the records (src/experiments/reproduceRecords.ts),
 * the commands, versions and (optionally) timings to one self-contained page — inline CSS and SVG, no scripts, no
 * external URLs — with sections in the order of the paper's results, ours beside the published numbers, and every
 * number linked to its record (scheme in src/report/html.ts). Timings live only in <section id="timings">, so the
 * rest of the page is byte-identical for equal records.
 */
import type {
  Experiment1Record,
  Located,
  PopupRecord,
  PublishedPopupRecord,
  ReproduceRecordSet,
  RssFitRecord,
  SizesRecord,
  StepHeaderRecord,
  TicketRecord,
} from '../experiments/reproduceRecords.js';
import { EXPERIMENT1_VARIANTS } from '../approximate/variants.js';
import {
  escapeHtml as esc,
  formatFactor,
  formatInteger,
  formatPercent,
  formatReal,
  formatTolerance,
  htmlTable,
  linkedNumber,
  type NumberSource,
} from './html.js';
import { reproduceFigures, type ReportFigure } from './reproduceFigures.js';

export interface ReportStep {
  id: string;
  title: string;
  /** Shell lines, `lottery …` with $OUT for the report folder. */
  commands: string[];
}

export interface ReportVersions {
  lottery: string;
  gitCommit: string | null;
  node: string;
  packages: { name: string; version: string }[];
}

export interface ReportTimings {
  /** Where these numbers are stored (reproduce.json), and the object the keys below index. */
  file: string;
  data: {
    startedAt: string;
    totalSeconds: number;
    expectedSeconds: number;
    machine: string;
    loadAverage: number[];
    /** reproduce --workers (threads of the commands that take it; results do not depend on it), null: their defaults. */
    workers?: number | null;
    /**
     * seconds: this invocation; computeSeconds: when the step's records were computed (this run, or the earlier run
     * whose records were reused; null when unknown); configHash identifies the records.
     */
    steps: { id: string; title: string; status: 'ran' | 'reused'; configHash: string; seconds: number; computeSeconds: number | null; expectedSeconds: number }[];
  };
}

export interface ReproduceReportInput {
  records: ReproduceRecordSet;
  scale: string;
  seed: number;
  /** The reproduce command as a shell line ($OUT for the folder). */
  invocation: string;
  steps: ReportStep[];
  versions: ReportVersions;
  /** Null: the timings section says they were left out (--no-timings). */
  timings: ReportTimings | null;
}

export interface ReproduceReport {
  html: string;
  figures: ReportFigure[];
}

const CSS = `
:root { color-scheme: light; }
body { margin: 0; background: #f6f6f4; color: #1d1d1f; font: 15px/1.5 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 28px 60px; background: white; }
h1 { font-size: 26px; margin: 8px 0 4px; }
h2 { font-size: 21px; margin: 36px 0 8px; padding-top: 10px; border-top: 2px solid #e2e2e2; }
h3 { font-size: 16px; margin: 20px 0 6px; }
p { margin: 6px 0 10px; max-width: 1060px; }
.lede { color: #444; }
code, pre { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 13px; }
pre { background: #f3f3f0; padding: 8px 10px; white-space: pre-wrap; overflow-wrap: anywhere; border-radius: 4px; }
nav ol { margin: 4px 0; padding-left: 22px; columns: 2; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 13.5px; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 4px 9px; text-align: left; vertical-align: top; }
th { background: #f3f3f0; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
table.wide { font-size: 12.5px; }
table.wide th, table.wide td { padding: 4px 6px; }
tr.published td { background: #fff8e6; }
a.v { color: inherit; text-decoration: underline dotted #8a8a8a; text-underline-offset: 2px; }
a.v:hover { color: #0b57d0; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; margin: 14px 0; }
.card { border: 1px solid #e0e0e0; border-radius: 6px; padding: 8px 12px; background: #fbfbfa; font-size: 13.5px; }
.card h3 { margin: 0 0 4px; font-size: 14px; }
.card p { margin: 2px 0; }
figure { margin: 10px 0 18px; }
figure svg { max-width: 100%; height: auto; display: block; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.files { font-size: 12.5px; color: #555; margin: 2px 0 0; }
.note { font-size: 13px; color: #555; }
.ok { color: #17753a; font-weight: 600; }
.bad { color: #b3261e; font-weight: 600; }
`;

const pct = (source: NumberSource, key: string, value: number | null): string => (value === null ? '–' : linkedNumber(source, key, formatPercent(value)));
const int = (source: NumberSource, key: string, value: number): string => linkedNumber(source, key, formatInteger(value));
const real = (source: NumberSource, key: string, value: number): string => linkedNumber(source, key, formatReal(value));
const factor = (source: NumberSource, key: string, value: number): string => linkedNumber(source, key, formatFactor(value));
const tol = (source: NumberSource, key: string, value: number): string => linkedNumber(source, key, formatTolerance(value));

function figureBlock(figure: ReportFigure, caption: string): string {
  return [
    `<figure id="fig-${esc(figure.name)}" data-figure="${esc(figure.name)}" data-series="${figure.series}" data-points="${figure.points}">`,
    figure.svg.trim(),
    `<figcaption class="files">${esc(caption)} · <a href="figures/${esc(figure.name)}.svg">SVG</a> · <a href="figures/${esc(figure.name)}.png">PNG</a> · data: ${figure.sources.map((s) => `<a href="${esc(s)}">${esc(s)}</a>`).join(', ')}</figcaption>`,
    '</figure>',
  ].join('\n');
}

function fitText(fit: Located<RssFitRecord>): string {
  const f = fit.data;
  if (f.slope === null || f.intercept === null) return esc(`no fit (${f.note ?? ''})`);
  return `n ≈ ${real(fit, 'slope', f.slope)}·log2(1/ε) + ${real(fit, 'intercept', f.intercept)}`;
}

// ───────────────────────────── sections ─────────────────────────────

function headline(r: ReproduceRecordSet): string {
  const fits = r.rssFits.map((f) => `<p>${esc(f.data.distribution)}: ${fitText(f)}</p>`).join('');
  const closest = r.experiment1Variants.find((v) => v.data.variant === 'per-weight-closest');
  const sparsest = r.experiment1Variants.find((v) => v.data.variant === 'per-weight-sparsest');
  const p1 = r.publishedExperiment1;
  const exp1 = closest
    ? `<p>approximated network ${pct(closest, 'ticketAccuracy', closest.data.ticketAccuracy)} (target ${pct(r.target, 'testAccuracy', r.target.data.testAccuracy)}; published ${pct(p1, 'accuracy', p1.data.accuracy)}, the target's)</p>` +
      `<p>kept ${factor(closest, 'relativeKeptSize', closest.data.relativeKeptSize)} the target (published ${factor(p1, 'relativeKeptSize', p1.data.relativeKeptSize)})` +
      (sparsest ? `; sparsest objective ${factor(sparsest, 'relativeKeptSize', sparsest.data.relativeKeptSize)}` : '') + '</p>'
    : '';
  const v = r.verify;
  const ticket = r.tickets[0];
  const t1 =
    `<p>ticket for ε = ${tol(v, 'tolerance', v.data.tolerance)}: accuracy ${pct(v, 'ticketAccuracy', v.data.ticketAccuracy)} (target ${pct(v, 'targetAccuracy', v.data.targetAccuracy)}), argmax agreement ${pct(v, 'argmaxAgreement', v.data.argmaxAgreement)}</p>` +
    `<p>largest measured ‖f − g‖ ${real(v, 'maxOutputError', v.data.maxOutputError)} ${v.data.withinCertificate ? '≤' : '>'} certified ${real(v, 'certifiedBound', v.data.certifiedBound)}</p>` +
    (ticket ? `<p>kept ${int(ticket, 'keptParams', ticket.data.keptParams)} of ${int(ticket, 'randomParams', ticket.data.randomParams)} random weights</p>` : '');
  // One line per masked structure: accuracy at pruned 0.5 and 0.9 (the paper's headline fractions), published beside.
  const structures = [...new Set(r.popupRuns.map((p) => p.data.structure))].filter((x) => x !== 'dense');
  const exp2Lines = structures.flatMap((structure) => {
    const points = r.popupRuns.filter((p) => p.data.structure === structure && (p.data.pruneFraction === 0.5 || p.data.pruneFraction === 0.9));
    if (points.length === 0) return [];
    const cells = points.map((p) => {
      const published = findPublished(r.publishedPopup, p.data);
      return `${pct(p, 'finalAccuracy', p.data.finalAccuracy)}${published ? ` (${pct(published, 'accuracy', published.data.accuracy)})` : ''}`;
    });
    return [`<p>${esc(structure)}: ${cells.join(', ')}</p>`];
  });
  const fractions = [...new Set(r.popupRuns.filter((p) => p.data.structure !== 'dense' && (p.data.pruneFraction === 0.5 || p.data.pruneFraction === 0.9)).map((p) => p.data.pruneFraction))];
  const exp2 = exp2Lines.length > 0 ? `<p class="note">accuracy at pruned ${fractions.map((f) => esc(String(f))).join(', ')} (published)</p>${exp2Lines.join('')}` : '';
  const card = (title: string, body: string, href: string) => `<div class="card"><h3><a href="${href}">${esc(title)}</a></h3>${body}</div>`;
  return `<div class="cards">${card('Random subset sum', fits, '#rss')}${card('Experiment 1', exp1, '#experiment1')}${card('Theorem 1', t1, '#theorem1')}${card('Experiment 2', exp2 || '<p>–</p>', '#experiment2')}</div>`;
}

function findPublished(published: readonly Located<PublishedPopupRecord>[], run: PopupRecord): Located<PublishedPopupRecord> | undefined {
  return published.find((p) => p.data.arch === run.arch && p.data.structure === run.structure && Math.abs(p.data.pruneFraction - run.pruneFraction) < 1e-9);
}

function rssSection(r: ReproduceRecordSet, figures: Map<string, ReportFigure>): string {
  const cells = r.rssCells;
  const first = cells[0];
  const trials = first ? int(first, 'trials', first.data.trials) : '–';
  const tolerances = [...new Set(cells.map((c) => c.data.tolerance))].sort((a, b) => b - a);
  const rows = r.rssFits.map((f) => [
    esc(f.data.distribution),
    f.data.slope === null ? '–' : real(f, 'slope', f.data.slope),
    f.data.intercept === null ? '–' : real(f, 'intercept', f.data.intercept),
    ...tolerances.map((eps) => {
      const i = f.data.points.findIndex((p) => p.tolerance === eps);
      if (i < 0) return 'not reached';
      const p = f.data.points[i]!;
      return `${p.reachedAtSmallestSampleCount ? '≤ ' : ''}${int(f, `points.${i}.sampleCount`, p.sampleCount)}`;
    }),
  ]);
  const probability = r.rssFits[0]?.data.targetProbability ?? 0.9;
  return `<section id="rss">
<h2>1. Random subset sum: how many samples cover [-1, 1]</h2>
<p>Theorem 1 rests on Lueker's random-subset-sum result: with n independent samples, every target in [-1, 1] is within ε of some subset sum with high probability once n grows like log(1/ε). Each target weight of the construction is such a sum over products u·v of two uniform random weights, so we measure products beside plain uniforms and log-uniform magnitudes in [10⁻³, 1]. For every n the covered part of [-1, 1] is computed exactly (union of the ε-intervals around all subset sums, ${trials} trials per point); the figure shows how often all of it is covered.</p>
${figureBlock(figures.get('rss-coverage')!, 'Figure 1. Probability that every point of [-1, 1] is within ε of a subset sum, against n; colour: ε, dash: distribution')}
<p>The smallest n whose coverage probability reaches ${esc(String(probability))} grows linearly in log2(1/ε) for uniforms and products, as the lemma says; the least-squares line through those points gives the constants. Log-uniform samples are limited by reach rather than resolution: most of their magnitudes are small, so covering ±1 takes many samples whatever ε is.</p>
${figureBlock(figures.get('rss-fit')!, 'Figure 2. Smallest n with P(all covered) ≥ target probability against log2(1/ε), and the fitted lines')}
${htmlTable(['distribution', 'slope a', 'intercept b', ...tolerances.map((e) => `smallest n, ε = ${formatTolerance(e)}`)], rows, { numeric: [1, 2, 3, 4, 5] })}
</section>`;
}

function targetSection(r: ReproduceRecordSet): string {
  const t = r.target;
  const p = r.publishedExperiment1;
  const rows = [
    [
      t.data.trained ? 'ours, trained by this run' : `ours, given: <code>${esc(t.data.file)}</code>`,
      esc(t.data.arch ?? 'unknown'),
      int(t, 'params', t.data.params),
      t.data.epochs === null ? '–' : int(t, 'epochs', t.data.epochs),
      t.data.trainImages === null ? '–' : int(t, 'trainImages', t.data.trainImages),
      pct(t, 'testAccuracy', t.data.testAccuracy),
    ],
    ['Pensia et al. (published)', 'fc2 (784-500-10, no biases)', int(p, 'targetParams', p.data.targetParams), '–', '–', pct(p, 'accuracy', p.data.accuracy)],
  ];
  return `<section id="target">
<h2>2. The target network</h2>
<p>${t.data.trained ? "The paper's target is a fully connected 784-500-10 ReLU network without biases trained on MNIST with pixels in [0, 1]; this run trains its own with <code>lottery train</code> (TensorFlow.js on the wasm backend, Adam, cosine schedule) and judges it with the toolkit's own forward pass." : 'The target was given with --target; Experiment 1 and Theorem 1 use it, Experiment 2 trains its own networks as the paper does.'} Its SHA-256 (<code>${esc(t.data.sha256.slice(0, 16))}…</code>) is part of every later step's configuration, so a different target reruns them.</p>
${htmlTable(['target', 'architecture', 'parameters', 'epochs', 'training images', 'test accuracy (10,000 images)'], rows, { numeric: [2, 3, 4, 5] })}
</section>`;
}

function experiment1Row(v: Located<Experiment1Record>, label: string): string[] {
  const d = v.data;
  const distinct = d.distinctKeptParams !== d.keptParams ? ` (${int(v, 'distinctKeptParams', d.distinctKeptParams)} distinct)` : '';
  return [
    esc(label),
    int(v, 'n', d.n),
    int(v, 'randomParams', d.randomParams),
    int(v, 'keptParams', d.keptParams) + distinct,
    factor(v, 'relativeKeptSize', d.relativeKeptSize),
    int(v, 'weightsOutsideTolerance', d.weightsOutsideTolerance),
    real(v, 'maxWeightError', d.maxWeightError),
    pct(v, 'ticketAccuracy', d.ticketAccuracy),
    pct(v, 'targetAccuracy', d.targetAccuracy),
  ];
}

function experiment1Section(r: ReproduceRecordSet, figures: Map<string, ReportFigure>): string {
  const p = r.publishedExperiment1;
  const published = [
    'Pensia et al. (published)',
    int(p, 'sampleCount', p.data.sampleCount),
    `${int(p, 'randomParams', p.data.randomParams)} counted`,
    int(p, 'keptParams', p.data.keptParams),
    factor(p, 'relativeKeptSize', p.data.relativeKeptSize),
    '–',
    `&lt; ${real(p, 'tolerance', p.data.tolerance)}`,
    `${pct(p, 'accuracy', p.data.accuracy)}*`,
    pct(p, 'accuracy', p.data.accuracy),
  ];
  const rows = [published, ...r.experiment1Variants.map((v) => experiment1Row(v, EXPERIMENT1_VARIANTS.find((x) => x.id === v.data.variant)?.label ?? v.data.variant))];
  const table = htmlTable(
    ['', 'n', 'numbers drawn', 'numbers used', 'relative size', 'weights outside ε', 'max |w − ŵ|', 'accuracy, approximated net', 'accuracy, target'],
    rows,
    { numeric: [1, 2, 3, 4, 5, 6, 7, 8], className: 'experiment1' },
  ).replace('<tbody>\n<tr>', '<tbody>\n<tr class="published">');
  const sweepRows = r.experiment1Sweep.map((s) => [int(s, 'n', s.data.n), int(s, 'keptParams', s.data.keptParams), factor(s, 'relativeKeptSize', s.data.relativeKeptSize), int(s, 'weightsOutsideTolerance', s.data.weightsOutsideTolerance), real(s, 'maxWeightError', s.data.maxWeightError), pct(s, 'ticketAccuracy', s.data.ticketAccuracy)]);
  const first = r.experiment1Variants[0];
  return `<section id="experiment1">
<h2>3. Experiment 1: every weight as a subset sum of random numbers</h2>
<p>Every weight w of the target is replaced by the closest (or, second objective, the sparsest within ε) subset sum of n random numbers, n = c·round(log2(1/ε)) = 21 for ε = 0.01 and c = 3, drawn uniformly on [min w, max w] as in the paper's code${first ? ` (here ${esc(shortDistribution(first.data.resolvedDistribution))})` : ''}. The paper's code drew one set of numbers per output row (per-row) while its text and counts assume fresh numbers for every weight (per-weight); we run both, each with both objectives, solve exactly by meet in the middle, and evaluate the approximated network itself.</p>
${table}
<p class="note">* The published 97.19 % was measured on the target by mistake in the official code; the pruned network's accuracy was never measured. Our accuracies are the approximated networks' own, on the 10,000 MNIST test images.</p>
<p>Accuracy and kept size as n varies (per-weight numbers, closest objective): accuracy reaches the target's long before every weight is within ε, and each extra number adds about half a number used per weight; the sparsest objective keeps a fraction of that at the same accuracy.</p>
<div class="pair">
${figureBlock(figures.get('experiment1-accuracy')!, 'Figure 3. Accuracy of the approximated network against n')}
${figureBlock(figures.get('experiment1-size')!, 'Figure 4. Numbers used per target weight against n')}
</div>
${htmlTable(['n', 'numbers used', 'relative size', 'weights outside ε', 'max |w − ŵ|', 'accuracy'], sweepRows, { numeric: [0, 1, 2, 3, 4, 5] })}
</section>`;
}

/** "uniform[-0.2585759460926056,0.24516…]" → "uniform[-0.2586, 0.2452]". */
function shortDistribution(text: string): string {
  return text.replace(/-?\d+\.\d{5,}(e-?\d+)?/g, (m) => String(Number(Number(m).toPrecision(4)))).replace(/,(?=\S)/g, ', ');
}

function ticketRow(t: Located<TicketRecord>): string[] {
  const d = t.data;
  return [
    linkedNumber(t, 'tolerance', String(d.tolerance)),
    d.sampleCounts.map((n, i) => int(t, `sampleCounts.${i}`, n)).join(' / '),
    int(t, 'randomParams', d.randomParams),
    int(t, 'randomBlockParams', d.randomBlockParams),
    int(t, 'keptParams', d.keptParams),
    `${int(t, 'outsideTolerance', d.outsideTolerance)} of ${int(t, 'instances', d.instances)}`,
    real(t, 'certifiedBoundNormalised', d.certifiedBoundNormalised),
    real(t, 'certifiedBound', d.certifiedBound),
  ];
}

function sizesRow(s: Located<SizesRecord>, ticket: Located<TicketRecord> | undefined): string[] {
  const d = s.data;
  const capped = d.malachUnresolved > 0 ? '≥ ' : '';
  return [
    linkedNumber(s, 'tolerance', String(d.tolerance)),
    d.sampleCounts.map((n, i) => int(s, `sampleCounts.${i}`, n)).join(' / '),
    int(s, 'randomDense', d.randomDense),
    int(s, 'randomBlock', d.randomBlock),
    int(s, 'formulaSampleCount', d.formulaSampleCount),
    int(s, 'formulaRandomDense', d.formulaRandomDense),
    capped + d.malachWidths.map((m, i) => int(s, `malachWidths.${i}`, m)).join(' / '),
    capped + int(s, 'malachRandomDense', d.malachRandomDense),
    d.malachAnalyticRandomDense === null ? '–' : int(s, 'malachAnalyticRandomDense', d.malachAnalyticRandomDense),
    int(s, 'lowerBound', d.lowerBound),
    ticket ? int(ticket, 'keptParams', ticket.data.keptParams) : '–',
  ];
}

function theorem1Section(r: ReproduceRecordSet, figures: Map<string, ReportFigure>): string {
  const v = r.verify;
  const d = v.data;
  const verifyRows = [
    ...(d.dataCount !== null ? [['MNIST test images', int(v, 'dataCount', d.dataCount), real(v, 'dataMax', d.dataMax!), real(v, 'dataMean', d.dataMean!)]] : []),
    ['random points of the certified ball', int(v, 'ballCount', d.ballCount), real(v, 'ballMax', d.ballMax), real(v, 'ballMean', d.ballMean)],
    ['adversarial search (evaluations)', int(v, 'adversarialEvaluations', d.adversarialEvaluations), real(v, 'adversarialMax', d.adversarialMax), '–'],
  ];
  const ticketFor = (eps: number) => r.tickets.find((t) => t.data.tolerance === eps);
  return `<section id="theorem1">
<h2>4. Theorem 1: a strong lottery ticket for the target, verified</h2>
<p>The target is rescaled (ReLU networks are positively homogeneous) so that every layer has spectral norm ≤ 1 and inputs lie in the unit ball; each layer i then becomes a pair of random U[-1, 1] layers with 2n hidden units per input, and every target entry is a subset sum of products of their weights. Only masks are chosen: the random network is regenerated from its seed, never stored. The certificate bounds sup ‖f(x) − g(x)‖ over the whole input ball from the actual subset-sum errors; ε is the tolerance on the normalised network.</p>
${htmlTable(['ε', 'n per layer', 'random weights', 'block structure', 'kept edges', 'instances outside ε′', 'certificate, normalised', 'certificate, sup ‖f − g‖'], r.tickets.map(ticketRow), { numeric: [0, 1, 2, 3, 4, 5, 6, 7] })}
<h3>Verification of the ε = ${tol(v, 'tolerance', d.tolerance)} ticket</h3>
<p><code>lottery verify</code> rebuilds the kept random weights from the ticket file alone, runs the pruned network through all its layers, and measures the output error ‖f(x) − g(x)‖ on real images, on random points of the certified ball (‖x‖ ≤ ${real(v, 'inputRadius', d.inputRadius)}, ${esc(d.inputDomain)} inputs) and at the worst input a derivative-free search finds. Largest measured error ${real(v, 'maxOutputError', d.maxOutputError)} against the certificate ${real(v, 'certifiedBound', d.certifiedBound)}: <span class="${d.withinCertificate ? 'ok' : 'bad'}">${d.withinCertificate ? 'within the certificate' : 'CERTIFICATE VIOLATED'}</span>. Accuracy: target ${pct(v, 'targetAccuracy', d.targetAccuracy)}, ticket ${pct(v, 'ticketAccuracy', d.ticketAccuracy)}, same predicted class on ${pct(v, 'argmaxAgreement', d.argmaxAgreement)} of the images.</p>
${htmlTable(['inputs', 'count', 'max ‖f − g‖', 'mean ‖f − g‖'], verifyRows, { numeric: [1, 2, 3] })}
<h3>Sizes against ε</h3>
<p>Random parameters needed for the same target: Theorem 1's network at the n pruning uses (dense as the theorem counts it, and the block structure that is actually used), at the n its formula gives for failure probability δ = 0.01 (constants calibrated on measured coverage), the Malach-style construction that matches each weight with a single product (width measured on sampled entries; ≥ where the search cap was hit), and the counting lower bound Ω(d² log(1/ε)) with constant 1. The subset-sum constructions grow like log(1/ε); the single-product one like 1/ε.</p>
${figureBlock(figures.get('theorem1-sizes')!, 'Figure 5. Parameters against 1/ε, log–log')}
${htmlTable(['ε', 'n used', 'Theorem 1 (dense)', 'block structure', 'formula n (δ = 0.01)', 'formula (dense)', 'Malach widths', 'Malach (dense)', 'Malach analytic', 'lower bound', 'kept (pruned)'], r.sizes.map((s) => sizesRow(s, ticketFor(s.data.tolerance))), { numeric: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], className: 'wide' })}
</section>`;
}

function constructionsSection(r: ReproduceRecordSet, figures: Map<string, ReportFigure>): string {
  const tickets = r.constructionTickets;
  const points = [...r.densityPoints].sort((a, b) => a.data.subsetSize - b.data.subsetSize);
  const first = tickets[0]?.data;
  const ticketRows = tickets.map((t) => {
    const d = t.data;
    return [
      esc(d.construction),
      int(t, 'depth', d.depth),
      d.sampleCounts.map((n, i) => int(t, `sampleCounts.${i}`, n)).join(' / '),
      int(t, 'randomParams', d.randomParams),
      int(t, 'randomBlockParams', d.randomBlockParams),
      int(t, 'keptParams', d.keptParams),
      d.edgeNormBounds.length === 0 ? '–' : d.edgeNormBounds.map((m, i) => real(t, `edgeNormBounds.${i}`, m)).join(' / '),
      real(t, 'certifiedBoundNormalised', d.certifiedBoundNormalised),
      `${real(t, 'maxOutputError', d.maxOutputError)} ≤ ${real(t, 'certifiedBound', d.certifiedBound)}${d.withinCertificate ? '' : ' <span class="bad">VIOLATED</span>'}`,
      pct(t, 'ticketAccuracy', d.ticketAccuracy),
      pct(t, 'argmaxAgreement', d.argmaxAgreement),
    ];
  });
  const densityRows = points.map((p) => {
    const d = p.data;
    return [
      int(p, 'subsetSize', d.subsetSize),
      d.smallestSampleCount === null ? 'none found' : int(p, 'smallestSampleCount', d.smallestSampleCount),
      d.predictedSampleCount === null ? '–' : int(p, 'predictedSampleCount', d.predictedSampleCount),
      d.randomBlockParams === null ? '–' : int(p, 'randomBlockParams', d.randomBlockParams),
      d.keptParams === null ? '–' : int(p, 'keptParams', d.keptParams),
      d.keptFraction === null ? '–' : real(p, 'keptFraction', d.keptFraction),
      d.overParameterisation === null ? '–' : real(p, 'overParameterisation', d.overParameterisation),
      d.certifiedBoundNormalised === null ? '–' : real(p, 'certifiedBoundNormalised', d.certifiedBoundNormalised),
    ];
  });
  return `<section id="constructions">
<h2>5. Beyond twice as deep: depth l+1, and tickets of known density</h2>
<p>Burkholz (NeurIPS 2022) needs a random network of depth l+1, not 2l: a copying layer, then one random layer per target layer holding n copies of every unit, each target weight a subset sum over the random edges from the copies of its input (the last layer pruned too). Both constructions are pruned here to meet the same ε = ${first ? tol(tickets[0]!, 'tolerance', first.tolerance) : '–'} on ${first ? `<code>${esc(first.target)}</code> (${int(tickets[0]!, 'targetParams', first.targetParams)} parameters, test accuracy ${pct(tickets[0]!, 'targetAccuracy', first.targetAccuracy)})` : 'the target'} and verified as networks. The l+1 certificate carries the copies' disagreements through the kept random matrices (δ_i ≤ m_i·δ_{i−1} + e_i, m_i ≥ ‖M_i‖₂), so its first layer needs finer subset sums, and every layer but the last holds n copies: one layer less costs width.</p>
${htmlTable(['construction', 'depth', 'n per layer', 'random weights (dense)', 'usable random weights', 'kept', 'm_i', 'certificate, normalised', 'largest measured ≤ certified', 'ticket accuracy', 'argmax agreement'], ticketRows, { numeric: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], className: 'wide' })}
<h3>Density against over-parameterisation</h3>
<p>Natale et al. (NeurIPS 2024) fix the ticket's density in advance by matching every weight with exactly k products (random fixed-size subset sum): for each k, the smallest n (the same for every layer) whose k-subset ticket meets ε, found by a search over n. Sparser tickets (small k) need a larger random network; the dashed curve is the shape their analysis predicts, k-subsets of n numbers reaching resolution ε′ once log C(n, k) − ½ log k ≳ log(1/ε′), with one constant fitted to the measured n. The prediction asks every entry to be within ε′; the certificate only needs the error matrix's norm small, which tolerates some entries outside ε′, so where the measured points sit left of the curve, small k needed less over-parameterisation than the entry-wise criterion says.</p>
${figureBlock(figures.get('constructions-density')!, 'Figure 6. Kept fraction of the usable random network against its size ÷ the target’s, log–log')}
${htmlTable(['k', 'smallest n', 'predicted n', 'usable random weights', 'kept', 'kept fraction', 'random ÷ target', 'certificate, normalised'], densityRows, { numeric: [0, 1, 2, 3, 4, 5, 6, 7] })}
</section>`;
}

function experiment2Section(r: ReproduceRecordSet, figures: Map<string, ReportFigure>): string {
  const runs = r.popupRuns;
  const rows = runs.map((p) => {
    const d = p.data;
    const published = d.structure === 'dense' ? r.publishedPopup.find((x) => x.data.arch === d.arch && x.data.structure === 'dense') : findPublished(r.publishedPopup, d);
    return [
      esc(d.structure),
      d.structure === 'dense' ? '– (trained)' : linkedNumber(p, 'pruneFraction', String(d.pruneFraction)),
      int(p, 'keptParameters', d.keptParameters),
      int(p, 'epochs', d.epochs),
      int(p, 'trainCount', d.trainCount),
      pct(p, 'finalAccuracy', d.finalAccuracy),
      pct(p, 'bestAccuracy', d.bestAccuracy),
      published ? pct(published, 'accuracy', published.data.accuracy) : '–',
    ];
  });
  const first = runs[0]?.data;
  return `<section id="experiment2">
<h2>6. Experiment 2: masks found by training (edge-popup)</h2>
<p>Here the mask is learned rather than solved: every frozen random weight gets a score, the forward pass keeps the top fraction of scores per layer and the gradient passes straight through to the scores (edge-popup). The paper compares its structure (each input copied r = 5 times, each copy through its own random weight, with or without a ReLU) with a wide network of equal parameter count and with the Theorem-1 network${first ? `, here on ${esc(first.arch)} with ${esc(String(first.epochs))} epoch${first.epochs === 1 ? '' : 's'} on ${formatInteger(first.trainCount)} training images` : ''}. The published points (dashed) are the best of runs of 10–100 epochs, so shorter runs sit below them.</p>
${figureBlock(figures.get('experiment2-popup')!, 'Figure 7. Test accuracy against remaining parameters (log scale); dashed: published')}
${htmlTable(['structure', 'pruned fraction', 'kept parameters', 'epochs', 'training images', 'accuracy (last epoch)', 'best epoch', 'published'], rows, { numeric: [1, 2, 3, 4, 5, 6, 7] })}
</section>`;
}

function commandsSection(input: ReproduceReportInput): string {
  const steps = input.steps.map((s, i) => `<h3>${i + 1}. ${esc(s.title)}</h3>\n<pre>${s.commands.map(esc).join('\n')}</pre>`).join('\n');
  const v = input.versions;
  const versions = htmlTable(
    ['component', 'version'],
    [
      ['lottery', esc(v.lottery)],
      ['git commit', v.gitCommit === null ? 'not a git checkout' : `<code>${esc(v.gitCommit)}</code>`],
      ['Node.js', esc(v.node)],
      ...v.packages.map((p) => [esc(p.name), esc(p.version)]),
    ],
  );
  const producers = input.records.headers.filter((h) => h.data.madeBy === undefined || h.data.madeBy.gitCommit !== v.gitCommit || h.data.madeBy.lottery !== v.lottery || h.data.madeBy.node !== v.node);
  const producer = (m: NonNullable<StepHeaderRecord['madeBy']> | undefined) =>
    m === undefined ? 'an unrecorded version' : `lottery ${esc(m.lottery)}, commit <code>${esc((m.gitCommit ?? 'none').slice(0, 12))}</code>, Node ${esc(m.node)}`;
  const producerNote =
    producers.length === 0
      ? '<p class="note">Every step\'s records were computed by this version (each records file names its producer on its first line).</p>'
      : `<p class="note">Records computed by another version (reused): ${producers
          .map((h) => `<a href="${esc(h.file)}">${esc(h.data.step)}</a> by ${producer(h.data.madeBy)}`)
          .join('; ')}.</p>`;
  return `<section id="commands">
<h2>7. Exact commands and versions</h2>
<p>This report was made by <code>${esc(input.invocation)}</code>, which ran the commands below in order (OUT is the report folder; work files go to $OUT/work, records to $OUT/records, figures to $OUT/figures). Each step's records are written when it finishes and a step is skipped when its records match its configuration, so an interrupted run continues where it stopped.</p>
${steps}
${versions}
${producerNote}
</section>`;
}

/** The threads the commands used: `--workers N`, or each command's default. */
function threads(source: NumberSource, workers: number | null): string {
  return workers === null ? "each command's default number of threads" : `${linkedNumber(source, 'timings.workers', String(workers))} threads per command (--workers; edge-popup at most 4)`;
}

function timingsSection(timings: ReportTimings | null): string {
  if (timings === null) {
    return `<section id="timings">\n<h2>8. Timings</h2>\n<p>Left out of this report (--no-timings); see reproduce.json.</p>\n</section>`;
  }
  const source: NumberSource = { file: timings.file, line: null, data: { timings: timings.data } };
  const t = timings.data;
  const sec = (key: string, value: number) => linkedNumber(source, `timings.${key}`, `${value.toFixed(1)} s`);
  const rows = t.steps.map((s, i) => [
    esc(s.title),
    s.status === 'ran' ? 'ran' : 'records reused',
    s.computeSeconds === null ? 'unknown' : sec(`steps.${i}.computeSeconds`, s.computeSeconds),
    sec(`steps.${i}.expectedSeconds`, s.expectedSeconds),
  ]);
  rows.push(['all steps', '', '', sec('expectedSeconds', t.expectedSeconds)]);
  return `<section id="timings">
<h2>8. Timings</h2>
<p>Started ${esc(t.startedAt)} on ${esc(t.machine)}, load average at start ${t.loadAverage.map((l, i) => linkedNumber(source, `timings.loadAverage.${i}`, l.toFixed(2))).join(' / ')}, ${threads(source, t.workers ?? null)}. Times depend on the machine and its load; everything above this section depends only on the records. "reused" steps were skipped because their records were up to date.</p>
${htmlTable(['step', 'status', 'wall time to compute', 'expected'], rows, { numeric: [2, 3] })}
<p>This invocation took ${sec('totalSeconds', t.totalSeconds)} (reused steps only re-render).</p>
</section>`;
}

/** Builds the page and its figures from the records. */
export function reproduceReport(input: ReproduceReportInput): ReproduceReport {
  const r = input.records;
  const figures = reproduceFigures(r);
  const byName = new Map(figures.map((f) => [f.name, f]));
  const title = 'Optimal lottery tickets via subset sum: reproduction report';
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${esc(title)}</h1>
<p class="lede">Pensia, Rajput, Nagle, Vishwakarma and Papailiopoulos, “Optimal Lottery Tickets via Subset Sum: Logarithmic Over-Parameterization is Sufficient” (NeurIPS 2020), reproduced by the <code>lottery</code> toolkit: <code>${esc(input.invocation)}</code> (scale ${esc(input.scale)}, seed ${esc(String(input.seed))}). Every number links to the record it comes from (hover for the file, line and key).</p>
${headline(r)}
<nav><ol>
<li><a href="#rss">Random subset sum</a></li>
<li><a href="#target">The target network</a></li>
<li><a href="#experiment1">Experiment 1: weights as subset sums</a></li>
<li><a href="#theorem1">Theorem 1: a verified ticket, sizes against ε</a></li>
<li><a href="#constructions">Beyond twice as deep: depth l+1, fixed-size subsets</a></li>
<li><a href="#experiment2">Experiment 2: edge-popup</a></li>
<li><a href="#commands">Exact commands and versions</a></li>
<li><a href="#timings">Timings</a></li>
</ol></nav>
</header>
${rssSection(r, byName)}
${targetSection(r)}
${experiment1Section(r, byName)}
${theorem1Section(r, byName)}
${constructionsSection(r, byName)}
${experiment2Section(r, byName)}
${commandsSection(input)}
${timingsSection(input.timings)}
</main>
</body>
</html>
`;
  return { html, figures };
}
