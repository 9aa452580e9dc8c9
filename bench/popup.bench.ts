/**
 * Benchmark of Experiment 2 (edge-popup): seconds per training epoch on full MNIST (60,000 images, batch 64) for
 * FC2 `ours-linear` (r = 5, 1,991,420 frozen weights) and `wide` (hidden 2508, 1,991,352), at pruned fraction
 * 0.5, with the fast engine (src/popup/engine.ts) on 1 and 2 threads, against the baseline of the tf
 * reference engine (PopupModel: autodiff through the layered network, one thread) — wall time and this process's
 * CPU time (worker threads included; the machine may be shared: see the load average printed).
 *
 *   npm run bench:popup -- [--structures ours-linear,wide] [--batches N] [--reference-batches M] [--keep-fraction 0.5]
 *
 * --batches N times the first N batches of the epoch and extrapolates to 938 (default: the full epoch);
 * --reference-batches M does the same for the slow baseline (default 150).
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import '../src/node/platform.js'; // the Node platform: worker threads, clock, tfjs wasm files
import { loadMnist } from '../src/io/mnist.js';
import { preprocessImages } from '../src/nn/images.js';
import { initTf } from '../src/nn/tf/backend.js';
import { trainPopup, type PopupExamples, type PopupTrainOptions } from '../src/popup/edgePopup.js';
import { buildPopupNetwork, type MaskedStructure } from '../src/popup/structures.js';

const { values } = parseArgs({
  options: {
    structures: { type: 'string', default: 'ours-linear,wide' },
    batches: { type: 'string' },
    'reference-batches': { type: 'string', default: '150' },
    'keep-fraction': { type: 'string', default: '0.5' },
  },
});
const structures = values.structures.split(',') as MaskedStructure[];
const keepFraction = Number(values['keep-fraction']);
const batchSize = 64;

await initTf();
const mnist = loadMnist('train');
const batchesPerEpoch = Math.ceil(mnist.count / batchSize);
const inputs = preprocessImages(mnist.images, 'standard', 0, mnist.count);
const examples = (batches: number): PopupExamples => {
  const count = Math.min(mnist.count, batches * batchSize);
  return { inputs: inputs.subarray(0, count * 784), labels: mnist.labels.subarray(0, count), count };
};
const fastBatches = values.batches === undefined ? batchesPerEpoch : Math.min(batchesPerEpoch, Number(values.batches));
const referenceBatches = Math.min(batchesPerEpoch, Number(values['reference-batches']));

console.log(`edge-popup bench: FC2, keep fraction ${keepFraction}, batch ${batchSize}; fast engine on ${fastBatches} of ${batchesPerEpoch} batches, reference on ${referenceBatches}`);
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

interface Timing {
  wall: number;
  cpu: number;
  trainAccuracy: number;
}

function timeEpoch(structure: MaskedStructure, batches: number, extra: Partial<PopupTrainOptions>): Timing {
  const network = buildPopupNetwork('fc2', structure, { redundancy: 5, sampleCount: 3, weightInit: 'kaiming-normal', seed: 1 });
  const options: PopupTrainOptions = { keepFraction, epochs: 1, batchSize, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4, schedule: 'constant', seed: 1, ...extra };
  trainPopup(network, examples(4), options); // warm-up: kernel set-up, JIT, first allocations
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const result = trainPopup(network, examples(batches), options);
  const wall = (performance.now() - wallStart) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const scale = batchesPerEpoch / batches;
  return { wall: wall * scale, cpu: ((cpu.user + cpu.system) / 1e6) * scale, trainAccuracy: result.history[0]!.trainAccuracy };
}

const show = (t: Timing) => `${t.wall.toFixed(1)} s per epoch wall, ${t.cpu.toFixed(1)} s CPU (train accuracy during the timed part ${(100 * t.trainAccuracy).toFixed(2)} %)`;
for (const structure of structures) {
  console.log(`\n${structure}:`);
  const reference = timeEpoch(structure, referenceBatches, { engine: 'reference' });
  console.log(`  baseline, tf reference engine, 1 thread: ${show(reference)}`);
  for (const threads of [1, 2]) {
    const fast = timeEpoch(structure, fastBatches, { engine: 'fast', threads });
    console.log(`  fast engine, ${threads} thread${threads > 1 ? 's' : ''}: ${show(fast)} — ${(reference.wall / fast.wall).toFixed(2)}× the baseline`);
  }
}
console.log('\ngoal: ≤ 30 s per epoch on 2 cores (issue 6). Timings on a shared machine are upper bounds.');
