/**
 * Benchmark of MNIST loading and evaluation: cold load of the four IDX files, then the fast forward pass
 * (evaluate, chunks of 1000) of random-weight fc2, fc4 and LeNet5 over the 10,000 test images under both
 * preprocessings, single-threaded; plus safetensors save/load of fc4. Prints the best of a few repeats
 * (other processes on the machine slow the wall times down: the load average and this process's CPU time are
 * printed alongside). Goal: fc2 well under 1 s on one core (onnxruntime: 70 ms single-thread). Measured on the
 * 2-core machine at load ~2, CPU s before → after the WebAssembly kernels: fc2 0.57 → 0.23, fc4 1.94 → 0.69,
 * LeNet5 4.0–5.0 → 1.0–1.4.
 *
 *   node dist/bench/eval.bench.js [--repeats 3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import '../src/node/platform.js'; // the Node platform: worker threads, clock, tfjs wasm files
import { RandomStream, namedStream } from '../src/core/random.js';
import { loadMnist } from '../src/io/mnist.js';
import { loadModel, saveModel } from '../src/io/modelFile.js';
import { createNetwork } from '../src/nn/architectures.js';
import { evaluate } from '../src/nn/evaluate.js';
import type { Network } from '../src/nn/network.js';

const { values } = parseArgs({ options: { repeats: { type: 'string', default: '3' } } });
const repeats = Math.max(1, Number(values.repeats));

/** Kaiming-uniform-like random weights (U[−1/√fan_in, 1/√fan_in]), biases zero. */
function randomNetwork(arch: string): Network {
  const network = createNetwork(arch, { bias: true });
  const stream = new RandomStream(1, namedStream(`bench/eval/${arch}`));
  let index = 0;
  for (const layer of network.layers) {
    if (layer.kind !== 'dense' && layer.kind !== 'conv2d') continue;
    const fanIn = layer.weight.length / (layer.kind === 'dense' ? layer.outFeatures : layer.outChannels);
    const bound = 1 / Math.sqrt(fanIn);
    stream.fill({ kind: 'uniform', low: -bound, high: bound }, index, layer.weight);
    index += layer.weight.length;
  }
  return network;
}

/** Best wall time and best CPU time (user + system of this process) over the repeats. */
function best<T>(run: () => T): { seconds: number; cpuSeconds: number; value: T } {
  let seconds = Infinity;
  let cpuSeconds = Infinity;
  let value!: T;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const cpu = process.cpuUsage();
    value = run();
    const used = process.cpuUsage(cpu);
    seconds = Math.min(seconds, (performance.now() - start) / 1000);
    cpuSeconds = Math.min(cpuSeconds, (used.user + used.system) / 1e6);
  }
  return { seconds, cpuSeconds, value };
}

const load = loadavg()[0]!.toFixed(2);
console.log(`node ${process.version}, single thread, load average ${load}, best of ${repeats}`);

let start = performance.now();
const train = loadMnist('train');
const test = loadMnist('test');
console.log(`MNIST load (cold, train ${train.count} + test ${test.count}): ${((performance.now() - start) / 1000).toFixed(3)} s`);

console.log('\n| network | params | preprocess | wall s (10k test images) | CPU s | images/s (wall) | accuracy (random weights) |');
console.log('|---|---|---|---|---|---|---|');
for (const arch of ['fc2', 'fc4', 'lenet5']) {
  const network = randomNetwork(arch);
  for (const preprocess of ['pixels', 'standard'] as const) {
    const { seconds, cpuSeconds, value } = best(() => evaluate(network, test, { preprocess }));
    console.log(`| ${arch} | ${value.params} | ${preprocess} | ${seconds.toFixed(3)} | ${cpuSeconds.toFixed(3)} | ${Math.round(test.count / seconds)} | ${value.accuracy.toFixed(4)} |`);
  }
}

const folder = mkdtempSync(join(tmpdir(), 'lottery-eval-bench-'));
try {
  const network = randomNetwork('fc4');
  const file = join(folder, 'fc4.safetensors');
  const saved = best(() => saveModel(file, network));
  const loaded = best(() => loadModel(file));
  console.log(`\nfc4 safetensors (${(4 * 897_000 / 1e6).toFixed(1)} MB of weights): save ${saved.seconds.toFixed(3)} s (with fsync), load ${loaded.seconds.toFixed(3)} s`);
} finally {
  rmSync(folder, { recursive: true, force: true });
}
console.log(`load average after: ${loadavg()[0]!.toFixed(2)}`);
