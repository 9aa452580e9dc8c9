/**
 * Benchmark of the browser page (issue 17): the fc2 ticket at ε = 0.5 pruned in the page (Web Workers, headless
 * Chromium, opened from file://) against the same prune in Node (the CLI's path, worker threads), measured in one
 * run on the same number of workers. Goal: the page within 2× of Node. Also checks that both tickets are the same
 * bytes. Needs Debian's chromium.
 * Run: npm run bench:web [-- --workers 2 --tolerance 0.5 --seed 1]
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import '../src/node/platform.js';
import { chromium } from 'playwright-core';
import { encodeTicket } from '../src/io/ticketBytes.js';
import { loadModel } from '../src/io/modelFile.js';
import { fileSha256 } from '../src/io/ticketFile.js';
import { closeSolverPool, solveBatch } from '../src/subsetsum/batch.js';
import { pruneWithSolver } from '../src/theorem1/prune.js';
import { buildWeb } from '../scripts/webBuild.js';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : process.argv[at + 1]!;
}
const workers = Number(option('workers', '2'));
const tolerance = Number(option('tolerance', '0.5'));
const seed = Number(option('seed', '1'));
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const targetFile = join(root, 'web', 'fc2.safetensors');

// Node: the CLI's prune (pruneWithSolver with the worker-thread solver), timed like the page times itself.
const network = loadModel(targetFile);
const nodeStarted = performance.now();
const outcome = await pruneWithSolver(network, { tolerance, seed, targetSha256: fileSha256(readFileSync(targetFile)), objective: 'sparsest' }, (batch, onProgress) =>
  solveBatch(batch, { workers, ...(onProgress ? { onProgress } : {}) }),
);
const nodeSeconds = (performance.now() - nodeStarted) / 1000;
await closeSolverPool();
const nodeTicket = createHash('sha256');
for (const chunk of encodeTicket(outcome.ticket)) nodeTicket.update(chunk);
const nodeSha = nodeTicket.digest('hex');

// The page, built now, in headless Chromium.
const work = mkdtempSync(join(tmpdir(), 'lottery-web-bench-'));
const { appBytes } = await buildWeb(join(work, 'site'));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage();
const opened = performance.now();
await page.goto(`${pathToFileURL(join(work, 'site', 'index.html')).href}?demo&tolerance=${tolerance}&seed=${seed}&workers=${workers}`);
await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('result')!.dataset['state'] ?? ''), null, { timeout: 600_000 });
const pageWall = (performance.now() - opened) / 1000;
const data = await page.evaluate(() => ({ ...(document.getElementById('result')!.dataset as Record<string, string>) }));
await browser.close();
rmSync(work, { recursive: true, force: true });

const pageSeconds = Number(data['pruneSeconds']);
const figures = {
  target: 'web/fc2.safetensors',
  tolerance,
  seed,
  workers,
  nodePruneSeconds: nodeSeconds,
  pagePruneSeconds: pageSeconds,
  pageOverNode: pageSeconds / nodeSeconds,
  pageVerifySeconds: Number(data['verifySeconds']),
  pageWallSeconds: pageWall,
  sameTicket: data['ticketSha256'] === nodeSha,
  ticketSha256: nodeSha,
  pageTicketAccuracy: Number(data['ticketAccuracy']),
  appJsBytes: appBytes,
  goal: { pageOverNode: 2 },
};
console.log(JSON.stringify(figures, null, 2));
console.log(
  `\nfc2 at ε = ${tolerance}, ${workers} workers: page ${pageSeconds.toFixed(1)} s vs Node ${nodeSeconds.toFixed(1)} s (${figures.pageOverNode.toFixed(2)}×, goal ≤ 2); ` +
    `tickets ${figures.sameTicket ? 'byte-identical' : 'DIFFER'}; whole page (load, prune, verify on 2,000 images) ${pageWall.toFixed(1)} s`,
);
