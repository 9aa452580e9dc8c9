/**
 * Benchmark of Experiment 2 (edge-popup, src/tickets/edgePopup.ts): seconds per epoch on full MNIST (60,000
 * images, batch 64) for FC2 `ours-linear` (r = 5, 1,991,420 frozen weights) and `wide` (hidden 2508, 1,991,352),
 * at pruned fraction 0.5 — wall time and this process's CPU time (the machine may be shared) — plus where the time
 * of one training step goes (tf kernel times, and the JS top-k selection).
 *
 *   npm run bench:popup -- [--structures ours-linear,wide] [--batches N] [--keep-fraction 0.5] [--profile-steps 5]
 *
 * --batches N times only the first N batches of the epoch and extrapolates to 938 (the full epoch by default).
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { loadMnist, preprocessImages } from '../src/io/mnist.js';
import { initTf } from '../src/nn/tf/backend.js';
import { PopupModel, ScoreSelector, tensorValues, trainPopup, type PopupExamples } from '../src/tickets/edgePopup.js';
import { buildPopupNetwork, type MaskedStructure } from '../src/tickets/popupStructures.js';

const { values } = parseArgs({
  options: {
    structures: { type: 'string', default: 'ours-linear,wide' },
    batches: { type: 'string' },
    'keep-fraction': { type: 'string', default: '0.5' },
    'profile-steps': { type: 'string', default: '5' },
  },
});
const structures = values.structures.split(',') as MaskedStructure[];
const keepFraction = Number(values['keep-fraction']);
const profileSteps = Number(values['profile-steps']);
const batchSize = 64;

await initTf();
const mnist = loadMnist('train');
const batchesPerEpoch = Math.ceil(mnist.count / batchSize);
const batches = values.batches === undefined ? batchesPerEpoch : Math.min(batchesPerEpoch, Number(values.batches));
const count = Math.min(mnist.count, batches * batchSize);
const train: PopupExamples = { inputs: preprocessImages(mnist.images, 'standard', 0, count), labels: mnist.labels.subarray(0, count), count };

console.log(`edge-popup bench: FC2, keep fraction ${keepFraction}, batch ${batchSize}, ${batches} of ${batchesPerEpoch} batches per epoch timed`);
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} — tfjs-wasm runs on one thread`);

for (const structure of structures) {
  const network = buildPopupNetwork('fc2', structure, { redundancy: 5, sampleCount: 3, weightInit: 'kaiming-normal', seed: 1 });
  // Warm-up (kernel setup, first allocations) on a few batches, untimed.
  trainPopup(network, { ...train, count: Math.min(count, 4 * batchSize) }, { keepFraction, epochs: 1, batchSize, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4, schedule: 'constant', seed: 1 });
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const result = trainPopup(network, train, { keepFraction, epochs: 1, batchSize, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4, schedule: 'constant', seed: 1 });
  const wall = (performance.now() - wallStart) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const scale = batchesPerEpoch / batches;
  console.log(
    `\n${structure}: ${result.total.toLocaleString('en-US')} frozen weights, ${result.kept.toLocaleString('en-US')} kept; ` +
      `${(wall * scale).toFixed(1)} s per epoch wall, ${(cpuSeconds * scale).toFixed(1)} s CPU (${((1000 * wall) / batches).toFixed(1)} ms per batch; ` +
      `train accuracy during the epoch ${(100 * result.history[0]!.trainAccuracy).toFixed(2)} %)`,
  );

  // Where a step goes: tf kernel times over a few steps, and the JS selection of the top-k threshold.
  const model = new PopupModel(network, keepFraction);
  const x = tf.tensor2d(train.inputs.subarray(0, batchSize * 784), [batchSize, 784]);
  const y = tf.tensor1d(Int32Array.from(train.labels.subarray(0, batchSize)), 'int32');
  const step = () => model.trainStep(x, y, 0.1, { momentum: 0.9, weightDecay: 5e-4 });
  step();
  const kernels = new Map<string, number>();
  let stepWall = 0;
  for (let s = 0; s < profileSteps; s++) {
    const t0 = performance.now();
    const info = await tf.profile(() => {
      step();
    });
    stepWall += performance.now() - t0;
    for (const k of info.kernels) {
      if (k.name === 'forward') continue; // customGrad wrappers: their inner kernels are listed on their own
      const key = `${k.name} ${k.inputShapes.map((s) => `[${(s ?? []).join(',')}]`).join(' ')}`;
      kernels.set(key, (kernels.get(key) ?? 0) + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0));
    }
  }
  const selector = new ScoreSelector();
  const scores = model.variables();
  const t0 = performance.now();
  for (let s = 0; s < profileSteps; s++) for (const v of scores) selector.select(tensorValues(v), Math.round(keepFraction * v.size));
  const selectMs = (performance.now() - t0) / profileSteps;
  const kernelTotal = [...kernels.values()].reduce((a, b) => a + b, 0) / profileSteps;
  console.log(`  one step (profiled, mean of ${profileSteps}): ${(stepWall / profileSteps).toFixed(1)} ms wall; tf kernels ${kernelTotal.toFixed(1)} ms; top-k selection in JS ${selectMs.toFixed(1)} ms`);
  for (const [key, ms] of [...kernels.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`    ${(ms / profileSteps).toFixed(2).padStart(7)} ms  ${key}`);
  x.dispose();
  y.dispose();
  model.dispose();
}
console.log('\ngoal: ≤ 30 s per epoch on 2 cores (issue 6); a matmul-bound estimate is ~15 s. Timings on a shared machine are upper bounds.');
