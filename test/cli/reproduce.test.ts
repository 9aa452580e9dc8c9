// `lottery reproduce` end to end at the hidden smoke scale (tiny sizes, same steps and figures as --quick):
// records, figures and report written; a second run only re-renders; an interrupted run continues; the same seed
// in another folder gives byte-identical records and report; and the report rendered in headless Chromium
// (Debian's chromium driven by playwright-core) has no console or page errors, no broken image, no network
// request, and data in every figure. The screenshot goes to dist/test-output/reproduce/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cli } from '../helpers/cli.js';
import { STEP_IDS } from '../../src/experiments/reproducePlan.js';
import { closeSolverPool } from '../../src/subsetsum/batch.js';

const CHROMIUM = '/usr/bin/chromium';
const root = join(import.meta.dirname, '..', '..', '..');
const screenshots = join(root, 'dist', 'test-output', 'reproduce');
const work = mkdtempSync(join(tmpdir(), 'lottery-reproduce-test-'));
test.after(async () => {
  rmSync(work, { recursive: true, force: true });
  await closeSolverPool();
});

/** What the test reads of reproduce.json after a resumed run. */
interface ResumedSummary {
  timings: { workers: number | null; steps: { id: string; status: string; computeSeconds: number | null }[] };
}

const smoke = (out: string) => ['reproduce', '--scale', 'smoke', '--no-timings', '--out', out];
const first = join(work, 'first');
let firstRun: Promise<void> | null = null;

/** Files of a report folder that must not change between equal runs (work/ holds timings; reproduce.json too). */
function results(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(join(dir, 'records')).sort()) files.set(`records/${name}`, readFileSync(join(dir, 'records', name), 'utf8'));
  for (const name of readdirSync(join(dir, 'figures')).filter((f) => f.endsWith('.svg')).sort()) files.set(`figures/${name}`, readFileSync(join(dir, 'figures', name), 'utf8'));
  files.set('report.html', readFileSync(join(dir, 'report.html'), 'utf8'));
  return files;
}

function runFirst(): Promise<void> {
  firstRun ??= (async () => {
    const run = await cli(smoke(first));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^plan \(smoke, seed 1\): expected ≈ \d+ s on a 2-core machine; /m);
    assert.equal((run.stdout.match(/ done in /g) ?? []).length, STEP_IDS.length, run.stdout);
  })();
  return firstRun;
}

test('smoke run: records per step, seven figures as SVG and PNG, one report; reruns and other folders change nothing', async () => {
  await runFirst();
  for (const step of [...STEP_IDS, 'published']) assert.ok(existsSync(join(first, 'records', `${step}.jsonl`)), step);
  const figures = readdirSync(join(first, 'figures')).sort();
  assert.equal(figures.length, 14, figures.join(' '));
  for (const png of figures.filter((f) => f.endsWith('.png'))) assert.deepEqual([...readFileSync(join(first, 'figures', png)).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], png);
  const summary = JSON.parse(readFileSync(join(first, 'reproduce.json'), 'utf8')) as { plan: { commands: string[] }[]; timings: { steps: { status: string }[] } };
  assert.equal(summary.plan.length, STEP_IDS.length);
  assert.ok(summary.timings.steps.every((s) => s.status === 'ran'));
  const before = results(first);
  // Records never name the folder they live in.
  for (const [name, text] of before) if (name.startsWith('records/')) assert.ok(!text.includes(first), `${name} names ${first}`);

  // A second run re-renders only.
  const again = await cli(smoke(first));
  assert.equal(again.code, 0, again.stderr);
  assert.equal((again.stdout.match(/records up to date .*: skipped/g) ?? []).length, STEP_IDS.length, again.stdout);
  assert.deepEqual(results(first), before);

  // Interrupted during Theorem 1 (its records and one ticket missing): the step runs again, reusing the saved outputs
  // of the commands that finished, and later steps continue; the results are the same. Resumed with another
  // --workers: the threads are passed to the commands that run, and saved outputs are reused all the same.
  rmSync(join(first, 'records', 'theorem1.jsonl'));
  rmSync(join(first, 'records', 'experiment2.jsonl'));
  rmSync(join(first, 'work', 'theorem1', 'ticket-eps0.25.safetensors'));
  // Regression (compute times lost after a kill): killed before reproduce.json was written, the steps computed
  // before the kill showed "unknown" in the timings; their times now come from the saved command outputs.
  rmSync(join(first, 'reproduce.json'));
  const resumed = await cli([...smoke(first), '--workers', '1']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /\$ lottery prune .*--tolerance 0\.25 .* --workers 1\n/);
  assert.match(resumed.stdout, /lottery prune .*--tolerance 0\.5 .*\[output saved earlier, reused\]/);
  assert.match(resumed.stdout, /lottery run .*\[output saved earlier, reused\]/);
  assert.deepEqual(results(first), before);
  const timings = (JSON.parse(readFileSync(join(first, 'reproduce.json'), 'utf8')) as ResumedSummary).timings;
  assert.deepEqual(timings.steps.map((s) => s.status), ['reused', 'reused', 'reused', 'ran', 'reused', 'ran']);
  assert.equal(timings.workers, 1);
  const pruneSeconds = (JSON.parse(readFileSync(join(first, 'work', 'theorem1', 'outputs', 'prune-eps0.5.json'), 'utf8')) as { seconds: number }).seconds;
  assert.ok(pruneSeconds > 0);
  for (const step of timings.steps) assert.ok(typeof step.computeSeconds === 'number' && step.computeSeconds > 0, `${step.id}: compute time ${step.computeSeconds}`);
  // Theorem 1 ran again but reused the first prune: its compute time counts that prune's saved time.
  assert.ok(timings.steps[3]!.computeSeconds! >= pruneSeconds, `${timings.steps[3]!.computeSeconds} < ${pruneSeconds}`);

  // The same seed in another folder: byte-identical records, figures and report.
  const second = join(work, 'second');
  const other = await cli(smoke(second));
  assert.equal(other.code, 0, other.stderr);
  assert.deepEqual(results(second), before);
});

test('--dry-run --workers: the commands run carry --workers (run at most 4), the plan shown does not', async () => {
  const plain = await cli(['reproduce', '--scale', 'smoke', '--dry-run', '--out', join(work, 'dry')]);
  const threaded = await cli(['reproduce', '--scale', 'smoke', '--dry-run', '--workers', '8', '--out', join(work, 'dry')]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(threaded.code, 0, threaded.stderr);
  assert.ok(!existsSync(join(work, 'dry')), 'a dry run wrote files');
  const commands = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('    lottery '));
  const expected = commands(plain.stdout).map((l) => (/^    lottery (approximate|prune|verify|bound) /.test(l) ? `${l} --workers 8` : l.startsWith('    lottery run ') ? `${l} --workers 4` : l));
  assert.ok(expected.length > 10);
  assert.deepEqual(commands(threaded.stdout), expected);
  // The plan and its invocation (what the page shows) do not change.
  const head = (stdout: string) => stdout.split('\n').filter((l) => !l.startsWith('    lottery ')).join('\n');
  assert.equal(head(threaded.stdout), head(plain.stdout));
});

test('bad input: exit code 2 with the flag named', async () => {
  const missing = await cli(['reproduce', '--scale', 'smoke']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--out is required/);
  const scale = await cli(['reproduce', '--scale', 'huge', '--out', join(work, 'x')]);
  assert.equal(scale.code, 2);
  assert.match(scale.stderr, /--scale: expected one of smoke, quick, full/);
  const workers = await cli(['reproduce', '--scale', 'smoke', '--workers', '0', '--out', join(work, 'x')]);
  assert.equal(workers.code, 2);
  assert.match(workers.stderr, /--workers/);
  const target = await cli(['reproduce', '--target', join(work, 'nope.safetensors'), '--out', join(work, 'x')]);
  assert.equal(target.code, 2);
  assert.match(target.stderr, /--target: .*nope\.safetensors does not exist/);
  const help = await cli(['reproduce', '--help']);
  assert.match(help.stdout, /lottery reproduce --quick --out report/);
  assert.ok(!help.stdout.includes('--scale'), '--scale is hidden');
});

test('the report in headless Chromium: no errors, no network, no broken image, every figure has data', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} is not installed (Debian package chromium; .ci/run installs it)` }, async (t) => {
  await runFirst();
  const { chromium } = await import('playwright-core');
  const userData = mkdtempSync(join(tmpdir(), 'lottery-chromium-'));
  const context = await chromium.launchPersistentContext(userData, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
    page.on('request', (request) => {
      if (!/^(file|data):/.test(request.url())) problems.push(`network request: ${request.url()}`);
    });
    await page.goto(pathToFileURL(join(first, 'report.html')).href, { waitUntil: 'load' });
    const seen = await page.evaluate(() => ({
      sections: [...document.querySelectorAll('section[id]')].map((s) => s.id),
      images: [...document.images].map((img) => ({ src: img.src, ok: img.complete && img.naturalWidth > 0 })),
      figures: [...document.querySelectorAll('figure[data-figure]')].map((f) => {
        const items = [...f.querySelectorAll('g.series-item')];
        const svg = f.querySelector('svg')?.getBoundingClientRect();
        return {
          name: (f as HTMLElement).dataset['figure'],
          series: Number((f as HTMLElement).dataset['series']),
          points: Number((f as HTMLElement).dataset['points']),
          items: items.length,
          empty: items.filter((g) => g.querySelector('circle') === null).length,
          circles: f.querySelectorAll('svg circle').length,
          width: svg?.width ?? 0,
          height: svg?.height ?? 0,
        };
      }),
      links: [...document.querySelectorAll('a.v')].map((a) => (a as HTMLElement).dataset['record'] ?? ''),
      horizontalScroll: document.documentElement.scrollWidth > window.innerWidth,
    }));
    assert.deepEqual(problems, []);
    assert.deepEqual(seen.sections, ['rss', 'target', 'experiment1', 'theorem1', 'constructions', 'experiment2', 'commands', 'timings']);
    assert.deepEqual(seen.images.filter((i) => !i.ok), []);
    assert.equal(seen.figures.length, 7);
    for (const f of seen.figures) {
      assert.ok(f.series > 0 && f.points > 0, `${f.name}: no data`);
      assert.equal(f.items, f.series, `${f.name}: series drawn`);
      assert.equal(f.circles, f.points, `${f.name}: points drawn`);
      assert.equal(f.empty, 0, `${f.name}: an empty series`);
      assert.ok(f.width > 300 && f.height > 150, `${f.name}: rendered ${f.width} × ${f.height}`);
    }
    assert.equal(seen.horizontalScroll, false, 'the page scrolls sideways at 1280 px');
    assert.ok(seen.links.length > 100);
    for (const link of new Set(seen.links)) {
      const [file, line] = link.split(':');
      const lines = readFileSync(join(first, file!), 'utf8').split('\n');
      assert.ok(line === undefined || (Number(line) >= 1 && lines[Number(line) - 1]!.startsWith('{')), link);
    }
    mkdirSync(screenshots, { recursive: true });
    const shot = join(screenshots, 'report-smoke.png');
    await page.screenshot({ path: shot });
    await page.screenshot({ path: join(screenshots, 'report-smoke-full.png'), fullPage: true });
    t.diagnostic(`screenshot: ${shot}`);
  } finally {
    await context.close();
    rmSync(userData, { recursive: true, force: true });
  }
});
