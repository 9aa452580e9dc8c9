// End-to-end tests of `lottery approximate` on small targets built in the test: the written network matches
// the records, resuming is byte-identical, bad targets fail clearly, and ticketAccuracy comes from running
// the approximated network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { runApproximation, sha256File, TIMING_KEYS, type ApproximateRunSummary } from '../../src/experiments/approximateRun.js';
import { loadMnist } from '../../src/io/mnist.js';
import { loadModel, saveModel } from '../../src/io/modelFile.js';
import { decodeChunkFile, encodeChunkFile } from '../../src/io/runDirectory.js';
import { decodeSafetensors, encodeSafetensorsBytes } from '../../src/io/safetensors.js';
import { RandomStream, namedStream } from '../../src/core/random.js';
import { conv2dLayer, createNetwork, denseLayer } from '../../src/nn/architectures.js';
import { evaluate } from '../../src/nn/evaluate.js';
import type { DenseLayer, Network } from '../../src/nn/network.js';
import { closeSolverPool } from '../../src/subsetsum/batch.js';
import { planApproximation, recomputeSum, type ApproximateOptions } from '../../src/approximate/approximate.js';

const work = mkdtempSync(join(tmpdir(), 'lottery-approximate-test-'));
test.after(async () => {
  rmSync(work, { recursive: true, force: true });
  await closeSolverPool();
});


/**
 * A 784→10 softmax regression (with biases) trained for one pass over 6,000 MNIST training images by plain
 * SGD: about 89 % test accuracy in half a second, weights within ±0.5, so a good approximation keeps it.
 */
function trainedLinearTarget(): Network {
  const train = loadMnist('train');
  const network = createNetwork('mlp:784-10', { bias: true, preprocess: 'pixels' });
  const layer = network.layers[0] as DenseLayer;
  const D = 784;
  const K = 10;
  const W = new Float64Array(K * D);
  const b = new Float64Array(K);
  const gW = new Float64Array(K * D);
  const gb = new Float64Array(K);
  const logits = new Float64Array(K);
  const index = new Int32Array(D);
  const value = new Float64Array(D);
  const batch = 20;
  for (let start = 0; start < 6000; start += batch) {
    gW.fill(0);
    gb.fill(0);
    for (let i = start; i < start + batch; i++) {
      let nonzero = 0;
      for (let j = 0; j < D; j++) {
        const pixel = train.images[i * D + j]!;
        if (pixel !== 0) {
          index[nonzero] = j;
          value[nonzero++] = pixel / 255;
        }
      }
      let max = -Infinity;
      for (let k = 0; k < K; k++) {
        let z = b[k]!;
        for (let q = 0; q < nonzero; q++) z += W[k * D + index[q]!]! * value[q]!;
        logits[k] = z;
        max = Math.max(max, z);
      }
      let sum = 0;
      for (let k = 0; k < K; k++) sum += logits[k] = Math.exp(logits[k]! - max);
      for (let k = 0; k < K; k++) {
        const g = logits[k]! / sum - (train.labels[i] === k ? 1 : 0);
        gb[k]! += g;
        for (let q = 0; q < nonzero; q++) gW[k * D + index[q]!]! += g * value[q]!;
      }
    }
    for (let q = 0; q < K * D; q++) W[q]! -= (0.3 * gW[q]!) / batch;
    for (let k = 0; k < K; k++) b[k]! -= (0.3 * gb[k]!) / batch;
  }
  layer.weight.set(W);
  layer.bias!.set(b);
  return network;
}

const linearTarget = trainedLinearTarget();
const linearFile = join(work, 'linear.safetensors');
saveModel(linearFile, linearTarget);

/** Options of the CLI runs below: n = 12 numbers U[-1,1] keeps this target's accuracy; chunks of 1,000 make 8 chunks; one thread (no worker start-up) except where the thread count is the point. */
const baseArgs = ['--tolerance', '0.01', '--samples', '12', '--distribution', 'uniform', '--seed', '3', '--chunk-size', '1000', '--workers', '1', '--no-progress'];

async function runJson(out: string, extra: string[] = [], target = linearFile): Promise<ApproximateRunSummary> {
  const result = await cli(['approximate', '--target', target, '--out', out, ...baseArgs, ...extra, '--json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as ApproximateRunSummary;
}

const resultFiles = ['approximated.safetensors', 'records.safetensors', 'outside-tolerance.json'];

test('a run writes a network whose every weight is the recomputed subset sum of its recorded numbers', async () => {
  const out = join(work, 'full');
  const summary = await runJson(out);
  for (const key of ['targetParams', 'randomParams', 'keptParams', 'relativeKeptSize', 'maxWeightError', 'weightsOutsideTolerance', 'targetAccuracy', 'ticketAccuracy', 'seconds']) {
    assert.ok(key in summary, key);
  }
  assert.equal(summary.targetParams, 7850);
  assert.equal(summary.randomParams, 7850 * 12);
  assert.equal(summary.n, 12);
  assert.ok(summary.targetAccuracy! > 0.85, `target accuracy ${summary.targetAccuracy}`);
  assert.ok(Math.abs(summary.ticketAccuracy! - summary.targetAccuracy!) < 0.01, `ticket ${summary.ticketAccuracy} vs target ${summary.targetAccuracy}`);

  const written = loadModel(join(out, 'approximated.safetensors'));
  const records = decodeSafetensors(readFileSync(join(out, 'records.safetensors')), 'records');
  const masks = records.tensors.get('masks')!.data as Uint8Array;
  const sums = records.tensors.get('sums')!.data as Float64Array;
  assert.equal(records.metadata['format'], 'lottery-approximate-records/1');
  const options = JSON.parse(records.metadata['options']!) as ApproximateOptions;
  const plan = planApproximation(linearTarget, options);
  const layer = written.layers[0] as DenseLayer;
  const all = [...layer.weight, ...layer.bias!];
  let maxError = 0;
  for (let p = 0; p < plan.parameterCount; p++) {
    const sum = recomputeSum(plan, masks, p);
    assert.equal(sums[p], sum);
    assert.equal(all[p], Math.fround(sum), `parameter ${p}`);
    maxError = Math.max(maxError, Math.abs(all[p]! - plan.targets[p]!));
  }
  assert.equal(summary.maxWeightError, maxError);
  // ticketAccuracy is the accuracy of exactly this file
  assert.equal(evaluate(written, loadMnist('test'), { preprocess: 'pixels' }).accuracy, summary.ticketAccuracy);
  const onDisk = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as ApproximateRunSummary;
  assert.deepEqual(onDisk.keptParams, summary.keptParams);
});

test('the human output ends with the paper-style table, published line beside ours', async () => {
  const out = join(work, 'human');
  const result = await cli(['approximate', '--target', linearFile, '--out', out, ...baseArgs]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /n = 12 \(given by --samples; the formula c·round\(log2\(1\/ε\)\) would give 21\)/);
  const lines = result.stdout.trimEnd().split('\n');
  assert.equal(lines.at(-4), '| | initial params | remaining params | relative size | accuracy |');
  assert.match(lines.at(-2)!, /^\| Pensia et al\. \(published\) \| 397,000 → 8,337,000 drawn \| 3,725,871 \| 9\.39× \| 97\.19 %/);
  assert.match(lines.at(-1)!, /^\| ours \(per-weight, closest, n = 12\) \| 7,850 → 94,200 drawn \|/);
});

test('an interrupted run resumes in a fresh call and gives byte-identical files (whatever the chunk size and threads)', async () => {
  const whole = join(work, 'whole');
  const wholeSummary = await runJson(whole, ['--no-eval', '--chunk-size', '5000']); // 2 chunks; the resumed run below has 8
  const pieces = join(work, 'pieces');
  const options: ApproximateOptions = { tolerance: 0.01, sampleFactor: 3, sampleCount: 12, coefficients: 'per-weight', distribution: 'uniform', objective: 'closest', seed: 3, chunkSize: 1000 };
  const spec = { target: loadModel(linearFile), targetFile: linearFile, targetSha256: sha256File(linearFile), options, outDir: pieces, version: 'test', argv: [] };
  const first = await runApproximation(spec, { chunkLimit: 3, evaluate: false, workers: 1 });
  assert.equal(first.complete, false);
  assert.equal(readdirSync(join(pieces, 'chunks')).length, 3);
  // a chunk damaged by the interruption is recomputed, not trusted
  writeFileSync(join(pieces, 'chunks', '000001.bin'), 'half-written');
  const resumedSummary = await runJson(pieces, ['--no-eval', '--workers', '2']);
  assert.equal(resumedSummary.chunksResumed, 2);
  for (const file of resultFiles) assert.ok(readFileSync(join(whole, file)).equals(readFileSync(join(pieces, file))), file);
  const strip = (s: ApproximateRunSummary): Record<string, unknown> => {
    const copy: Record<string, unknown> = { ...s };
    for (const key of TIMING_KEYS) delete copy[key];
    delete copy['chunkCount'];
    copy['options'] = { ...s.options, chunkSize: 0 };
    return copy;
  };
  assert.deepEqual(strip(resumedSummary), strip(wholeSummary));
  const meta = JSON.parse(readFileSync(join(pieces, 'meta.json'), 'utf8')) as { invocations: { chunksFound: number }[]; endedAt: string | null };
  assert.equal(meta.invocations.length, 2);
  assert.notEqual(meta.endedAt, null);
  // resuming with other options is refused, naming the field
  const other = await cli(['approximate', '--target', linearFile, '--out', pieces, ...baseArgs, '--seed', '4', '--no-eval']);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /different settings \(options\.seed: 3 there, 4 now\)/);
});

test('ticketAccuracy comes from the approximated network: corrupting its weights drops it, targetAccuracy stays', async () => {
  const out = join(work, 'corrupt');
  const clean = await runJson(out);
  // Zero every selection in the stored chunks (re-sealed with a valid checksum) and rerun: the network is rebuilt from them.
  for (const name of readdirSync(join(out, 'chunks'))) {
    const path = join(out, 'chunks', name);
    const index = Number(name.slice(0, 6));
    const payload = decodeChunkFile(index, readFileSync(path))!;
    const chunk = decodeSafetensors(payload, name);
    const count = Number(chunk.metadata['count']);
    const corrupted = encodeSafetensorsBytes(
      [
        { name: 'sums', dtype: 'F64', shape: [count], data: new Float64Array(count) },
        { name: 'errors', dtype: 'F64', shape: [count], data: chunk.tensors.get('errors')!.data as Float64Array },
        { name: 'masks', dtype: 'U8', shape: [count, 2], data: new Uint8Array(count * 2) },
      ],
      chunk.metadata,
    );
    writeFileSync(path, encodeChunkFile(index, corrupted));
  }
  const broken = await runJson(out);
  assert.equal(broken.targetAccuracy, clean.targetAccuracy);
  assert.ok(broken.ticketAccuracy! < 0.2, `ticket accuracy ${broken.ticketAccuracy} after zeroing every weight`);
  // the same with a legitimately poor approximation: n = 1
  const poor = await runJson(join(work, 'poor'), ['--samples', '1']);
  assert.equal(poor.targetAccuracy, clean.targetAccuracy);
  assert.ok(poor.ticketAccuracy! < clean.ticketAccuracy! - 0.2, `n = 1: ${poor.ticketAccuracy} vs ${clean.ticketAccuracy}`);
});

test('conv layers and biases, per-row and sparsest, and weights out of reach are handled', async () => {
  // LeNet-like: conv 1→4 5×5 pad 2 (bias), relu, maxpool 2, flatten, dense 4·14·14 → 10 (bias); random weights.
  const network: Network = {
    inputShape: [1, 28, 28],
    preprocess: 'pixels',
    layers: [conv2dLayer('conv1', 1, 4, 5, 2, true), { kind: 'relu' }, { kind: 'maxpool2d', size: 2 }, { kind: 'flatten' }, denseLayer('fc1', 784, 10, true)],
  };
  const stream = new RandomStream(5, namedStream('test/cli/approximate/conv'));
  let index = 0;
  for (const layer of network.layers) {
    if (layer.kind !== 'dense' && layer.kind !== 'conv2d') continue;
    for (const data of [layer.weight, layer.bias!]) for (let j = 0; j < data.length; j++) data[j] = stream.uniform(index++, -0.3, 0.3);
  }
  (network.layers[4] as DenseLayer).bias![3] = 9; // no subset of 6 numbers in [-1, 1) reaches 9
  const file = join(work, 'conv.safetensors');
  saveModel(file, network, {});
  const out = join(work, 'conv-run');
  const summary = await runJson(out, ['--coefficients', 'per-row', '--objective', 'sparsest', '--samples', '6', '--no-eval'], file);
  assert.equal(summary.targetParams, 100 + 4 + 7840 + 10);
  assert.equal(summary.randomParams, (4 + 1 + 10 + 1) * 6);
  assert.ok(summary.weightsOutsideTolerance >= 1);
  const outside = JSON.parse(readFileSync(join(out, 'outside-tolerance.json'), 'utf8')) as { layer: string; tensor: string; index: number; target: number }[];
  assert.ok(outside.some((r) => r.layer === 'fc1' && r.tensor === 'bias' && r.index === 3 && r.target === 9));
  assert.equal(outside.length, summary.weightsOutsideTolerance);
  const written = loadModel(join(out, 'approximated.safetensors'));
  assert.deepEqual(written.layers.map((l) => l.kind), network.layers.map((l) => l.kind));
});

test('a target with NaN weights or an unsupported layer fails with a clear message (exit 2)', async () => {
  const nan = createNetwork('mlp:784-10', { bias: false });
  (nan.layers[0] as DenseLayer).weight.fill(0.1);
  (nan.layers[0] as DenseLayer).weight[42] = NaN;
  const nanFile = join(work, 'nan.safetensors');
  saveModel(nanFile, nan);
  const a = await cli(['approximate', '--target', nanFile, '--out', join(work, 'nan-run'), ...baseArgs]);
  assert.equal(a.code, 2);
  assert.match(a.stderr, /fc1\.weight/);
  assert.match(a.stderr, /NaN/i);

  const odd = join(work, 'batchnorm.safetensors');
  const weight = new Float32Array(10 * 784).fill(0.1);
  writeFileSync(
    odd,
    encodeSafetensorsBytes([
      { name: 'fc1.weight', dtype: 'F32', shape: [10, 784], data: weight },
      { name: 'bn1.running_mean', dtype: 'F32', shape: [10], data: new Float32Array(10) },
    ]),
  );
  const b = await cli(['approximate', '--target', odd, '--out', join(work, 'odd-run'), ...baseArgs]);
  assert.equal(b.code, 2);
  assert.match(b.stderr, /bn1/);

  const missing = await cli(['approximate', '--target', linearFile, ...baseArgs]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--out is required/);
});

test('--samples-sweep runs one approximation per n and tabulates them', async () => {
  const out = join(work, 'sweep');
  const result = await cli(['approximate', '--target', linearFile, '--out', out, '--seed', '1', '--distribution', 'uniform', '--samples-sweep', '2:4', '--no-eval', '--workers', '1', '--no-progress']);
  assert.equal(result.code, 0, result.stderr);
  const rows = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as ApproximateRunSummary[];
  assert.deepEqual(rows.map((r) => r.n), [2, 3, 4]);
  assert.match(result.stdout, /\| 4 \| 31,400 \|/);
  // more numbers never make the worst error worse on average here
  assert.ok(rows[2]!.meanWeightError < rows[0]!.meanWeightError);
});

test('the run directory refuses a foreign directory and a chunk whose bytes changed', async () => {
  const foreign = join(work, 'foreign');
  mkdirSync(foreign);
  writeFileSync(join(foreign, 'notes.txt'), 'mine');
  const refused = await cli(['approximate', '--target', linearFile, '--out', foreign, ...baseArgs]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /is not empty and is not a lottery run directory/);
  const payload = new Uint8Array([1, 2, 3, 4, 5]);
  const sealed = encodeChunkFile(7, payload);
  assert.deepEqual(decodeChunkFile(7, sealed), payload);
  assert.equal(decodeChunkFile(8, sealed), null); // another chunk's file
  const flipped = sealed.slice();
  flipped[flipped.length - 1]! ^= 1;
  assert.equal(decodeChunkFile(7, flipped), null);
  assert.equal(decodeChunkFile(7, sealed.subarray(0, sealed.length - 1)), null);
});
