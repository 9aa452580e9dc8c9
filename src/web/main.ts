/**
 * The page (web/index.html): random subset sum explored live, a target loaded (bundled or dropped), a Theorem 1
 * ticket pruned in Web Workers with progress, verified as a network on shipped MNIST test images, pictured and
 * downloadable. `?demo` loads the bundled target and prunes and verifies it with no click (`&target=small`, or
 * `&target=train` to train the small MLP in the page first, `&epochs=e`, `&tolerance=ε`, `&seed=s`, `&workers=w`
 * change what it runs). The result element carries data-* attributes for
 * tests. Everything it needs is in the bundle: it loads nothing.
 */
import { LotteryError } from '../core/errors.js';
import { setPlatform } from '../core/platform.js';
import { sha256Hex } from '../core/sha256.js';
import { svgLinePlot } from '../report/svgLinePlot.js';
import fc2Target from 'virtual:fc2-target';
import smallTarget from 'virtual:small-target';
import mnistTest from 'virtual:mnist-test';
import mnistTrain from 'virtual:mnist-train';
import workerSource from 'virtual:worker-source';
import { firstLayerPicture, keptPicture, subsetPicture } from './pictures.js';
import { webPlatform } from './platform.js';
import { PAGE_TRAINING_DEFAULTS, trainPageMlp } from './train.js';
import { coverageCurves, loadTarget, matchWeight, pruneInPage, shippedImages, verifyInPage, type LoadedTarget, type PagePrune } from './session.js';
import { networkShapes } from '../nn/forward.js';
import { parameterCount } from '../nn/network.js';

setPlatform(webPlatform(workerSource));

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`page: no element #${id}`);
  return element as T;
};
const images = shippedImages(mnistTest);
const trainingImages = shippedImages(mnistTrain);
const params = new URLSearchParams(location.search);
const percent = (v: number | null): string => (v === null ? '—' : `${(100 * v).toFixed(2)} %`);
const number = (v: number): string => v.toLocaleString('en-US');
const short = (v: number): string => (v === 0 ? '0' : Math.abs(v) >= 0.01 && Math.abs(v) < 1e5 ? v.toPrecision(4) : v.toExponential(3));

/** Text for innerHTML: a model file's layer names are the file's own strings. */
const escapeHtml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** While a run is going, the target cannot change under it (and nothing else starts). */
function lockControls(locked: boolean): void {
  for (const element of document.querySelectorAll<HTMLInputElement | HTMLButtonElement>('input[name="target"], #target-file, #train-run, #prune-run')) element.disabled = locked;
  $('target-drop').classList.toggle('locked', locked);
  if (!locked) $<HTMLButtonElement>('prune-run').disabled = target === null;
}

function showError(where: HTMLElement, error: unknown): void {
  const message = error instanceof LotteryError || error instanceof Error ? error.message : String(error);
  where.textContent = message;
  where.hidden = false;
}

// ---------------------------------------------------------------------------------------------------------------
// (a) Random subset sum

function drawCoverage(): void {
  const n = Number($<HTMLInputElement>('rss-n').value);
  const tolerance = Number($<HTMLSelectElement>('rss-epsilon').value);
  const distribution = $<HTMLSelectElement>('rss-distribution').value;
  $('rss-n-value').textContent = String(n);
  const maxN = Math.max(24, n);
  const curves = coverageCurves(distribution, tolerance, maxN, 40, 1);
  const points = (ys: number[]): { x: number; y: number }[] => ys.map((y, x) => ({ x, y }));
  $('rss-plot').innerHTML = svgLinePlot(
    [
      { name: 'mean covered fraction of [−1, 1]', points: points(curves.meanCovered) },
      { name: 'P(all of [−1, 1] covered)', points: points(curves.fullCoverage) },
    ],
    { xLabel: 'n (random values)', yLabel: 'fraction', width: 640, height: 300, yRange: [0, 1], legend: 'bottom-right', idPrefix: 'rss', title: `ε = ${tolerance}, ${distribution}, 40 draws` },
  );
  const covered = curves.meanCovered[n]!;
  const full = curves.fullCoverage[n]!;
  $('rss-summary').textContent = `n = ${n}: on average ${percent(covered)} of [−1, 1] lies within ε = ${tolerance} of a subset sum; all of it in ${percent(full)} of the draws.`;
  $('rss-result').dataset['coveredFraction'] = String(covered);
  const w = Number($<HTMLInputElement>('rss-w').value);
  $('rss-w-value').textContent = w.toFixed(3);
  const match = matchWeight(n, w, tolerance, 7);
  $('rss-match').innerHTML = subsetPicture(match.values, match.chosen, w);
  $('rss-match-text').textContent = `w = ${w.toFixed(3)} is matched by ${match.chosen.size} of the ${n} products v·|u| (sum ${match.sum.toPrecision(6)}, error ${short(match.error)}${match.error <= tolerance ? ', within ε' : ', outside ε: more values needed'}).`;
}

// ---------------------------------------------------------------------------------------------------------------
// (b) Target

let target: LoadedTarget | null = null;

function describeTarget(loaded: LoadedTarget): string {
  const shapes = networkShapes(loaded.network).map((s) => s.join('×'));
  const layers = loaded.network.layers.map((layer, i) => (layer.kind === 'dense' || layer.kind === 'conv2d' ? `${layer.name} (${layer.kind === 'dense' ? 'dense' : 'conv'} → ${shapes[i + 1]})` : layer.kind));
  return `${loaded.name}: input ${shapes[0]} → ${layers.join(' → ')}; ${number(parameterCount(loaded.network))} parameters, ${loaded.network.preprocess ?? 'pixels'} inputs, SHA-256 ${loaded.sha256.slice(0, 12)}…`;
}

function useTarget(bytes: Uint8Array, name: string): void {
  const error = $('target-error');
  error.hidden = true;
  try {
    target = loadTarget(bytes, name);
    $('target-info').textContent = describeTarget(target);
    $<HTMLButtonElement>('prune-run').disabled = false;
  } catch (e) {
    showError(error, e); // the previous target, if any, stays loaded
  }
}

let targetUrl: string | null = null;

/** Offers the current target's file for download (a trained one exists only in the page). */
function offerTarget(bytes: Uint8Array | null, name: string): void {
  const link = $<HTMLAnchorElement>('target-download');
  if (targetUrl) URL.revokeObjectURL(targetUrl);
  targetUrl = null;
  link.hidden = bytes === null;
  if (bytes === null) return;
  targetUrl = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  link.href = targetUrl;
  link.download = name;
}

/** Trains the small MLP and makes it the target; false (the error shown) when it could not. */
async function trainHere(): Promise<boolean> {
  lockControls(true);
  try {
    const epochs = Number($<HTMLInputElement>('train-epochs').value);
    const seed = Number($<HTMLInputElement>('train-seed').value);
    if (!Number.isInteger(epochs) || epochs < 1 || epochs > 50) throw new Error(`epochs: expected an integer in 1..50, got ${$<HTMLInputElement>('train-epochs').value}`);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`seed: expected an integer in [0, 2^32), got ${$<HTMLInputElement>('train-seed').value}`);
    const started = performance.now();
    let loss = NaN;
    const trained = await trainPageMlp(trainingImages.images, trainingImages.labels, trainingImages.count, {
      ...PAGE_TRAINING_DEFAULTS,
      epochs,
      seed,
      onLoss: (l) => (loss = l),
      onProgress: (done, total, phase) => {
        const bar = $<HTMLProgressElement>('train-progress');
        bar.max = total;
        bar.value = done;
        $('train-status').textContent = `${phase ?? ''}: batch ${done} of ${total}, loss ${loss.toFixed(3)}`;
      },
      yieldToPage: () => new Promise((resolve) => setTimeout(resolve, 0)),
    });
    const name = `mlp-784-32-10-seed${seed}.safetensors`;
    useTarget(trained.bytes, name);
    offerTarget(trained.bytes, name);
    $('train-status').textContent = `trained ${epochs} epochs on ${number(trainingImages.count)} images in ${((performance.now() - started) / 1000).toFixed(1)} s (last batch loss ${trained.finalLoss.toFixed(3)})`;
    $('result').dataset['trainedTarget'] = name;
    return true;
  } catch (e) {
    showError($('target-error'), e);
    return false;
  } finally {
    lockControls(false);
  }
}

function chooseBundled(which: string): void {
  if (which === 'small') useTarget(smallTarget, 'small.safetensors');
  else useTarget(fc2Target, 'fc2.safetensors');
}

async function useFile(file: File): Promise<void> {
  useTarget(new Uint8Array(await file.arrayBuffer()), file.name);
  $<HTMLInputElement>('target-file-choice').checked = true;
  $('train-box').hidden = true;
  offerTarget(null, '');
}

// ---------------------------------------------------------------------------------------------------------------
// (c) Prune, (d) verify, (e) download

let last: PagePrune | null = null;
let downloadUrl: string | null = null;

function progress(label: string, done: number, total: number, startedAt: number): void {
  const bar = $<HTMLProgressElement>('prune-progress');
  bar.max = Math.max(1, total);
  bar.value = done;
  const elapsed = (performance.now() - startedAt) / 1000;
  const eta = done > 0 && done < total ? `, about ${((elapsed * (total - done)) / done).toFixed(0)} s left` : '';
  $('prune-status').textContent = `${label}: ${number(done)} / ${number(total)}${eta}`;
}

async function pruneAndVerify(): Promise<void> {
  const current = target;
  if (!current) return;
  const error = $('prune-error');
  error.hidden = true;
  const result = $('result');
  result.dataset['state'] = 'running';
  lockControls(true);
  try {
    const tolerance = Number($<HTMLInputElement>('prune-epsilon').value);
    const seed = Number($<HTMLInputElement>('prune-seed').value);
    const workers = Number($<HTMLInputElement>('prune-workers').value);
    let phaseStarted = performance.now();
    let currentPhase: string | undefined;
    const pruned = await pruneInPage(current, {
      tolerance,
      seed,
      workers,
      onProgress: (done, total, phase) => {
        if (phase !== currentPhase) {
          currentPhase = phase;
          phaseStarted = performance.now();
        }
        progress(phase ?? 'subset sums', done, total, phaseStarted);
      },
    });
    last = pruned;
    const verifyStarted = performance.now();
    if (pruned.ticket.meta.targetSha256 !== current.sha256) throw new Error('the ticket was pruned for another target');
    const report = await verifyInPage(current, pruned.ticket, images, { workers, onProgress: (done, total) => progress('verify', done, total, verifyStarted) });
    const verifySeconds = (performance.now() - verifyStarted) / 1000;
    $('prune-status').textContent = `done: pruned in ${pruned.seconds.toFixed(1)} s, verified in ${verifySeconds.toFixed(1)} s`;
    const r = pruned.report;
    const rows: Array<[string, string]> = [
      ['ε asked (normalised)', `${tolerance}${r.toleranceMet ? ' — certified' : ' — NOT met'}`],
      ['n per layer', pruned.ticket.meta.stages.map((s) => `${s.name} ${s.sampleCount}`).join(', ')],
      ['certified ‖f(x) − g(x)‖ over the input ball (logits)', short(r.certifiedBound)],
      ['certified over the pixel box', r.boxCertifiedBound === null ? '—' : `${short(r.boxCertifiedBound)} (${r.boxCertificateMethod})`],
      ['largest measured error', `${short(report.maxOutputError)} (${report.withinCertificate ? 'within' : 'ABOVE'} the certificate)`],
      [`accuracy on ${number(images.count)} test images`, `target ${percent(report.targetAccuracy)}, ticket ${percent(report.ticketAccuracy)}`],
      ['same class as the target', percent(report.argmaxAgreement)],
      ['kept weights', `${number(r.keptParams)} of ${number(r.randomBlockParams)} random weights (depth ${r.depth})`],
      ['subset sums outside ε′', number(r.outsideTolerance)],
      ['time', `prune ${pruned.seconds.toFixed(1)} s, verify ${verifySeconds.toFixed(1)} s`],
    ];
    $('result-table').innerHTML = rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('');
    const first = firstLayerPicture(pruned.ticket);
    $('result-first').innerHTML = first ?? '';
    $('result-first-caption').hidden = first === null;
    $('result-kept').innerHTML = keptPicture(pruned.ticket);
    if (downloadUrl) URL.revokeObjectURL(downloadUrl);
    downloadUrl = URL.createObjectURL(new Blob([pruned.ticketBytes as BlobPart], { type: 'application/octet-stream' }));
    const link = $<HTMLAnchorElement>('result-download');
    link.href = downloadUrl;
    link.download = current.name.replace(/\.(safetensors|onnx)$/i, '') + '.ticket.safetensors';
    link.hidden = false;
    Object.assign(result.dataset, {
      ticketAccuracy: String(report.ticketAccuracy),
      targetAccuracy: String(report.targetAccuracy),
      argmaxAgreement: String(report.argmaxAgreement),
      certifiedBound: String(r.certifiedBound),
      boxCertifiedBound: String(r.boxCertifiedBound),
      maxOutputError: String(report.maxOutputError),
      keptParams: String(r.keptParams),
      toleranceMet: String(r.toleranceMet),
      pruneSeconds: String(pruned.seconds),
      verifySeconds: String(verifySeconds),
      ticketBytes: String(pruned.ticketBytes.length),
      ticketSha256: sha256Hex(pruned.ticketBytes),
      state: 'done',
    });
    result.hidden = false;
  } catch (e) {
    result.dataset['state'] = 'error';
    showError(error, e);
  } finally {
    lockControls(false);
  }
}

/** For tests and the curious: the last ticket's bytes, base64. */
(globalThis as { lotteryTicketBase64?: () => string | null }).lotteryTicketBase64 = () => {
  if (!last) return null;
  let text = '';
  for (let i = 0; i < last.ticketBytes.length; i += 0x8000) text += String.fromCharCode(...last.ticketBytes.subarray(i, i + 0x8000));
  return btoa(text);
};

// ---------------------------------------------------------------------------------------------------------------

function wire(): void {
  for (const id of ['rss-n', 'rss-epsilon', 'rss-distribution', 'rss-w']) $(id).addEventListener('input', drawCoverage);
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="target"]')) {
    radio.addEventListener('change', () => {
      $('train-box').hidden = radio.value !== 'train';
      if (radio.value === 'file') $<HTMLInputElement>('target-file').click();
      else if (radio.value !== 'train') {
        chooseBundled(radio.value);
        offerTarget(null, '');
      }
    });
  }
  $('train-run').addEventListener('click', () => void trainHere());
  $<HTMLInputElement>('target-file').addEventListener('change', (event) => {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (file) void useFile(file);
  });
  const drop = $('target-drop');
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    const file = event.dataTransfer?.files?.[0];
    if (file && !drop.classList.contains('locked')) void useFile(file);
  });
  $('prune-run').addEventListener('click', () => void pruneAndVerify());
  $<HTMLInputElement>('prune-workers').value = String(Math.max(1, Math.min(8, navigator.hardwareConcurrency || 2)));
}

wire();
drawCoverage();
const which = params.get('target') === 'small' ? 'small' : 'fc2';
$<HTMLInputElement>(`target-${which}-choice`).checked = true;
chooseBundled(which);
if (params.has('demo')) {
  for (const [param, id] of [['tolerance', 'prune-epsilon'], ['seed', 'prune-seed'], ['workers', 'prune-workers'], ['epochs', 'train-epochs']] as const) {
    const value = params.get(param);
    if (value !== null) $<HTMLInputElement>(id).value = value;
  }
  const run = async (): Promise<void> => {
    if (params.get('target') === 'train') {
      $<HTMLInputElement>('target-train-choice').checked = true;
      $('train-box').hidden = false;
      if (!(await trainHere())) {
        $('result').dataset['state'] = 'error';
        return;
      }
    }
    await pruneAndVerify();
  };
  void run();
}
