/**
 * Benchmark of target training (`lottery train` defaults, TensorFlow.js wasm backend): seconds per epoch and
 * MNIST test accuracy for fc2, fc4 and lenet5; then the time to evaluate the trained network on the 10,000
 * test images with our forward pass (src/nn/forward.ts), with tfjs, and with onnxruntime-node (1 and 2
 * threads) on the ONNX file our exporter writes. Timings are wall-clock on a possibly shared machine; the
 * process CPU seconds are printed beside them, since single-threaded wasm training's CPU time is close to
 * what the wall clock would show on an idle core.
 *
 *   node dist/bench/targets.bench.js [--arch fc2,fc4,lenet5] [--epochs N] [--seed 1] [--save DIR] [--repeats 3]
 */
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import '../src/node/platform.js'; // the Node platform: worker threads, clock, tfjs wasm files
import { loadMnist } from '../src/io/mnist.js';
import { preprocessImages } from '../src/nn/images.js';
import { saveModel } from '../src/io/modelFile.js';
import { onnxBytesFromNetwork } from '../src/io/onnx.js';
import { createNetwork } from '../src/nn/architectures.js';
import { evaluateLogits } from '../src/nn/evaluate.js';
import { forward } from '../src/nn/forward.js';
import { parameterCount, type Network } from '../src/nn/network.js';
import { initTf } from '../src/nn/tf/backend.js';
import { TfModel, evaluateTf } from '../src/nn/tf/model.js';
import { defaultTraining, initializeNetwork, trainNetwork } from '../src/nn/train.js';

const { values } = parseArgs({
  options: {
    arch: { type: 'string', default: 'fc2,fc4,lenet5' },
    epochs: { type: 'string' },
    seed: { type: 'string', default: '1' },
    save: { type: 'string' },
    repeats: { type: 'string', default: '3' },
  },
});
const archs = values.arch!.split(',');
const seed = Number(values.seed);
const repeats = Number(values.repeats);

const train = loadMnist('train');
const test = loadMnist('test');
const tf = await initTf();

/** Best wall-clock milliseconds of `repeats` runs (the least disturbed by other load). */
async function best<T>(run: () => T | Promise<T>): Promise<{ ms: number; value: T }> {
  let ms = Infinity;
  let value: T | undefined;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    value = await run();
    ms = Math.min(ms, performance.now() - start);
  }
  return { ms, value: value! };
}

async function onnxRuntime(network: Network, input: Float32Array, threads: number): Promise<{ ms: number; accuracy: number }> {
  const session = await ort.InferenceSession.create(onnxBytesFromNetwork(network), { intraOpNumThreads: threads, interOpNumThreads: 1 });
  try {
    const tensor = new ort.Tensor('float32', input, [test.count, ...network.inputShape]);
    await session.run({ input: tensor }); // warm-up
    const { ms, value } = await best(async () => (await session.run({ input: tensor }))['logits']!.data as Float32Array);
    return { ms, accuracy: evaluateLogits(value, test.labels).accuracy };
  } finally {
    await session.release();
  }
}

const rows: string[] = [];
console.log(`targets bench: seed ${seed}, tfjs backend ${tf.getBackend()}, ${repeats} repeats per eval timing (best shown); load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${availableParallelism()} cores`);
for (const arch of archs) {
  const d = defaultTraining(arch);
  const epochs = values.epochs === undefined ? d.epochs : Number(values.epochs);
  const network = initializeNetwork(createNetwork(arch, { bias: false, preprocess: d.preprocess }), seed, d.init);
  console.log(`\n${arch}: ${parameterCount(network).toLocaleString('en-US')} parameters, ${d.optimizer} lr ${d.learningRate} ${d.schedule}, batch ${d.batchSize}, ${epochs} epochs, ${d.preprocess}`);
  const epochSeconds: number[] = [];
  const epochCpuSeconds: number[] = [];
  let epochStart = performance.now();
  let epochCpu = process.cpuUsage();
  const start = epochStart;
  const startCpu = epochCpu;
  const result = await trainNetwork(network, train, {
    epochs,
    batchSize: d.batchSize,
    optimizer: d.optimizer,
    learningRate: d.learningRate,
    schedule: d.schedule,
    preprocess: d.preprocess,
    seed,
    testSet: test,
    onEpoch: (r) => {
      const now = performance.now();
      const cpu = process.cpuUsage(epochCpu);
      epochSeconds.push((now - epochStart) / 1000);
      epochCpuSeconds.push((cpu.user + cpu.system) / 1e6);
      epochStart = now;
      epochCpu = process.cpuUsage();
      console.log(`  epoch ${r.epoch}: ${epochSeconds.at(-1)!.toFixed(1)} s wall, ${epochCpuSeconds.at(-1)!.toFixed(1)} s CPU (incl. tf test eval), train loss ${r.trainLoss.toFixed(4)}, test ${(100 * r.testAccuracy!).toFixed(2)} %`);
    },
  });
  const trainSeconds = (performance.now() - start) / 1000;
  const trainCpu = process.cpuUsage(startCpu);
  const trainCpuSeconds = (trainCpu.user + trainCpu.system) / 1e6;
  if (values.save !== undefined) saveModel(join(values.save, `${arch}.safetensors`), result.network, { seed: String(seed), epochs: String(epochs) });

  const input = preprocessImages(test.images, d.preprocess);
  const ours = await best(() => forward(result.network, input, test.count));
  const ourAccuracy = evaluateLogits(ours.value, test.labels).accuracy;
  const model = new TfModel(result.network, false);
  const tfjs = await best(() => evaluateTf(model, input, test.labels, test.count, 2000));
  model.dispose();
  const ort1 = await onnxRuntime(result.network, input, 1);
  const ort2 = await onnxRuntime(result.network, input, 2);
  console.log(
    `  eval 10k: ours ${ours.ms.toFixed(0)} ms (${(100 * ourAccuracy).toFixed(2)} %), tfjs-wasm ${tfjs.ms.toFixed(0)} ms (${((100 * tfjs.value.correct) / tfjs.value.count).toFixed(2)} %), ` +
      `onnxruntime ${ort1.ms.toFixed(0)} ms 1 thread / ${ort2.ms.toFixed(0)} ms 2 threads (${(100 * ort1.accuracy).toFixed(2)} %)`,
  );
  const meanEpoch = epochSeconds.reduce((a, b) => a + b, 0) / epochSeconds.length;
  const meanEpochCpu = epochCpuSeconds.reduce((a, b) => a + b, 0) / epochCpuSeconds.length;
  rows.push(
    `| ${arch} | ${epochs} | ${meanEpoch.toFixed(1)} (min ${Math.min(...epochSeconds).toFixed(1)}) / ${meanEpochCpu.toFixed(1)} | ${trainSeconds.toFixed(0)} / ${trainCpuSeconds.toFixed(0)} | ${(100 * ourAccuracy).toFixed(2)} % | ${ours.ms.toFixed(0)} | ${tfjs.ms.toFixed(0)} | ${ort1.ms.toFixed(0)} / ${ort2.ms.toFixed(0)} |`,
  );
}
console.log(`\nload average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('\n| arch | epochs | s/epoch wall (min) / CPU | train s wall / CPU | test accuracy | eval ours ms | eval tfjs ms | eval ORT ms (1/2 threads) |');
console.log('|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
