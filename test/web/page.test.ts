// The browser page (issue 17): built by the real build (scripts/webBuild.ts, esbuild) into a temporary folder, opened
// from file:// in Debian's Chromium (playwright-core), it explores random subset sum, prunes and verifies a ticket in
// Web Workers with no click (?demo), requests nothing, logs no error, and the ticket it offers for download is byte
// for byte what `lottery prune` writes for the same target, seed and ε — for the bundled MLP and for a LeNet5 file
// given to the page's file input (convolutions: the layer scales use sines and cosines) — and `lottery verify` accepts it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { RandomStream } from '../../src/core/random.js';
import { saveModel } from '../../src/io/modelFile.js';
import { createNetwork } from '../../src/nn/architectures.js';
import { isParameterised } from '../../src/nn/network.js';
import { buildWeb } from '../../scripts/webBuild.js';
import { cli } from '../helpers/cli.js';
import { fillUniform } from '../helpers/tinyTarget.js';

const CHROMIUM = '/usr/bin/chromium';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const screenshots = join(root, 'dist', 'test-output', 'web');
const skip = !existsSync(CHROMIUM) && `${CHROMIUM} is not installed (Debian package chromium; .ci/run installs it)`;
const work = mkdtempSync(join(tmpdir(), 'lottery-web-'));
let context: BrowserContext | null = null;

before(async () => {
  await buildWeb(join(work, 'site'));
  if (skip) return;
  const { chromium } = await import('playwright-core');
  context = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 900 },
  });
});
after(async () => {
  await context?.close();
  rmSync(work, { recursive: true, force: true });
});

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Opens the page, recording every request that leaves it and every console error or page error. */
async function open(query: string): Promise<{ page: Page; problems: string[] }> {
  const page = await context!.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    if (!/^(file|blob|data):/.test(request.url())) problems.push(`network request: ${request.url()}`);
  });
  await page.goto(pathToFileURL(join(work, 'site', 'index.html')).href + query, { waitUntil: 'load' });
  return { page, problems };
}

async function resultOf(page: Page): Promise<Record<string, string>> {
  await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('result')!.dataset['state'] ?? ''), null, { timeout: 240_000 });
  const data: Record<string, string> = await page.evaluate(() => ({ ...(document.getElementById('result')!.dataset as Record<string, string>), error: document.getElementById('prune-error')!.textContent ?? '' }));
  assert.equal(data['state'], 'done', `the page failed: ${data['error']}`);
  return data;
}

async function pageTicket(page: Page): Promise<Uint8Array> {
  const base64 = await page.evaluate(() => (globalThis as unknown as { lotteryTicketBase64: () => string | null }).lotteryTicketBase64());
  assert.ok(base64, 'the page has a ticket');
  return Buffer.from(base64, 'base64');
}

test('?demo on the small target: coverage explored, ticket pruned in workers, verified and pictured; nothing requested, no error', { skip }, async (t) => {
  const { page, problems } = await open('?demo&target=small&tolerance=0.5&seed=1&workers=2');
  const data = await resultOf(page);
  const ticketAccuracy = Number(data['ticketAccuracy']);
  const targetAccuracy = Number(data['targetAccuracy']);
  const certified = Number(data['certifiedBound']);
  const measured = Number(data['maxOutputError']);
  assert.ok(targetAccuracy > 0.9 && ticketAccuracy > targetAccuracy - 0.02, `accuracy ${targetAccuracy} → ${ticketAccuracy}`);
  assert.ok(Number(data['argmaxAgreement']) > 0.95);
  assert.ok(measured > 0 && measured <= certified, `measured ${measured} vs certified ${certified}`);
  assert.equal(data['toleranceMet'], 'true');
  const shown = await page.evaluate(() => ({
    covered: Number(document.getElementById('rss-result')!.dataset['coveredFraction']),
    plotPoints: document.querySelectorAll('#rss-plot svg circle').length,
    matchBars: document.querySelectorAll('#rss-match svg rect').length,
    keptBars: document.querySelectorAll('#result-kept svg rect').length,
    firstLayerCells: document.querySelectorAll('#result-first svg rect').length,
    rows: document.querySelectorAll('#result-table tr').length,
    download: (document.getElementById('result-download') as HTMLAnchorElement).href,
  }));
  assert.ok(shown.covered > 0.5 && shown.covered <= 1, `covered ${shown.covered}`);
  assert.equal(shown.plotPoints, 2 * 25, 'two curves over n = 0..24');
  assert.equal(shown.matchBars, 12, 'the 12 values of the matched weight');
  assert.equal(shown.keptBars, 4, 'units and weights of two stages');
  assert.ok(shown.firstLayerCells > 100, 'the heat map of kept first-layer units');
  assert.ok(shown.rows >= 8);
  assert.match(shown.download, /^blob:/);
  // Moving a control redraws the explorer.
  await page.fill('#rss-n', '20');
  await page.dispatchEvent('#rss-n', 'input');
  assert.equal(await page.evaluate(() => document.querySelectorAll('#rss-match svg rect').length), 20);
  // Byte for byte the CLI's ticket; `lottery verify` accepts the downloaded file.
  const bytes = await pageTicket(page);
  assert.equal(sha256(bytes), data['ticketSha256']);
  const cliTicket = join(work, 'small.cli.ticket.safetensors');
  const pruned = await cli(['prune', '--target', join(root, 'examples', 'target.safetensors'), '--tolerance', '0.5', '--seed', '1', '--malach-sample', '0', '--no-progress', '--out', cliTicket]);
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.equal(sha256(readFileSync(cliTicket)), sha256(bytes), 'the page and the CLI write the same ticket');
  const downloaded = join(work, 'small.page.ticket.safetensors');
  writeFileSync(downloaded, bytes);
  const verified = await cli(['verify', '--ticket', downloaded, '--target', join(root, 'examples', 'target.safetensors'), '--limit', '500', '--random-points', '100', '--adversarial-evaluations', '32', '--no-progress', '--json']);
  assert.equal(verified.code, 0, verified.stderr);
  assert.equal(JSON.parse(verified.stdout).withinCertificate, true);
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, 'page-demo.png'), fullPage: true });
  t.diagnostic(`screenshot: ${join(screenshots, 'page-demo.png')}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a LeNet5 file given to the page is pruned to the ticket the CLI writes (convolution scales agree to the bit)', { skip }, async () => {
  const network = createNetwork('lenet5', { bias: true });
  const arrays = network.layers.filter(isParameterised).flatMap((layer) => (layer.bias ? [layer.weight, layer.bias] : [layer.weight]));
  fillUniform(new RandomStream(5, 2), arrays, 0.2);
  const file = join(work, 'lenet5.safetensors');
  saveModel(file, network);
  const { page, problems } = await open('');
  await page.setInputFiles('#target-file', file);
  await page.waitForFunction(() => (document.getElementById('target-info')!.textContent ?? '').startsWith('lenet5.safetensors'));
  await page.fill('#prune-epsilon', '0.5');
  await page.fill('#prune-seed', '3');
  await page.click('#prune-run');
  const data = await resultOf(page);
  const bytes = await pageTicket(page);
  const cliTicket = join(work, 'lenet5.cli.ticket.safetensors');
  const pruned = await cli(['prune', '--target', file, '--tolerance', '0.5', '--seed', '3', '--malach-sample', '0', '--no-progress', '--out', cliTicket]);
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.equal(sha256(readFileSync(cliTicket)), sha256(bytes));
  assert.ok(Number(data['maxOutputError']) <= Number(data['certifiedBound']));
  // A file that is not a model: one line, in the page, and the previous target stays usable.
  await page.setInputFiles('#target-file', { name: 'notes.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model at all') });
  await page.waitForFunction(() => !document.getElementById('target-error')!.hidden);
  assert.match(await page.evaluate(() => document.getElementById('target-error')!.textContent ?? ''), /^notes\.safetensors: /);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a small MLP trained in the page (?demo&target=train) is pruned and verified; its file and ticket match the CLI', { skip }, async () => {
  const { page, problems } = await open('?demo&target=train&epochs=1&tolerance=0.5&seed=2&workers=2');
  const data = await resultOf(page);
  assert.equal(data['trainedTarget'], 'mlp-784-32-10-seed1.safetensors');
  assert.ok(Number(data['targetAccuracy']) > 0.8, `one epoch on 5,000 images: ${data['targetAccuracy']}`);
  assert.ok(Number(data['maxOutputError']) <= Number(data['certifiedBound']));
  // The trained target, as the page offers it for download (a blob: URL), pruned by the CLI: the same ticket.
  const targetBase64 = await page.evaluate(async () => {
    const response = await fetch((document.getElementById('target-download') as HTMLAnchorElement).href);
    const bytes = new Uint8Array(await response.arrayBuffer());
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  });
  const targetFile = join(work, 'trained.safetensors');
  writeFileSync(targetFile, Buffer.from(targetBase64, 'base64'));
  const evaluated = await cli(['eval', '--model', targetFile, '--json']);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  const cliTicket = join(work, 'trained.cli.ticket.safetensors');
  const pruned = await cli(['prune', '--target', targetFile, '--tolerance', '0.5', '--seed', '2', '--malach-sample', '0', '--no-progress', '--out', cliTicket]);
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.equal(sha256(readFileSync(cliTicket)), sha256(await pageTicket(page)));
  assert.deepEqual(problems, []);
  await page.close();
});
