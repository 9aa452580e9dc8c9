// Makes the fixtures of python/test_lottery_ticket.py with the real toolkit: five tickets pruned by the library
// (a trained MLP, a conv net with biases, a normal-distribution MLP; an MLP and the conv net with the l+1 construction) and the float64 logits the toolkit's own ticket
// forward pass (the one `lottery verify` runs) computes on the first 100 MNIST test images.
//   node dist/scripts/pythonFixtures.js python/fixtures      (npm run fixtures:python)
// test/python/loader.test.ts re-makes them in a temporary folder and checks they equal the committed ones.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadNetwork, pruneTheorem1, writeTicket } from '../src/index.js';
import { RandomStream } from '../src/core/random.js';
import { writeChunksAtomic } from '../src/io/atomicFile.js';
import { loadMnist } from '../src/io/mnist.js';
import { encodeSafetensors } from '../src/io/safetensors.js';
import { conv2dLayer, denseLayer } from '../src/nn/architectures.js';
import { preprocessImages } from '../src/nn/images.js';
import type { Network } from '../src/nn/network.js';
import { biasedMlp, fillUniform } from '../test/helpers/tinyTarget.js';
import { materializeTicket, ticketForward } from '../src/theorem1/ticket.js';

export const FIXTURE_IMAGES = 100;

/** A small conv net with biases (a constant channel is carried), random weights from stream 1 of seed 9. */
function convNetwork(): Network {
  const conv = conv2dLayer('conv', 1, 3, 5, 2, true);
  const fc = denseLayer('fc', 3 * 14 * 14, 10, true);
  fillUniform(new RandomStream(9, 1), [conv.weight, conv.bias!, fc.weight, fc.bias!], 0.2);
  return { inputShape: [1, 28, 28], preprocess: 'pixels', layers: [conv, { kind: 'relu' }, { kind: 'maxpool2d', size: 2 }, { kind: 'flatten' }, fc] };
}

export async function writePythonFixtures(dir: string, examplesDir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const test = loadMnist('test');
  const inputs = preprocessImages(test.images, 'pixels', 0, FIXTURE_IMAGES);
  const written: string[] = [];
  const write = (name: string, chunks: Uint8Array[]): void => {
    writeChunksAtomic(join(dir, name), chunks);
    written.push(name);
  };
  write('mnist100.safetensors', encodeSafetensors([
    { name: 'inputs', dtype: 'F32', shape: [FIXTURE_IMAGES, 784], data: inputs },
    { name: 'labels', dtype: 'U8', shape: [FIXTURE_IMAGES], data: test.labels.slice(0, FIXTURE_IMAGES) },
  ], { made_by: 'scripts/pythonFixtures.ts', preprocess: 'pixels' }));
  const cases: Array<{ name: string; network: Network; options: Parameters<typeof pruneTheorem1>[1] }> = [
    { name: 'mlp', network: await loadNetwork(join(examplesDir, 'target.safetensors')), options: { tolerance: 0.5, seed: 1, samples: 6, malachSample: 0, workers: 1 } },
    { name: 'conv', network: convNetwork(), options: { tolerance: 0.5, seed: 2, samples: 5, malachSample: 0, workers: 1 } },
    { name: 'normal', network: biasedMlp(16, 9), options: { tolerance: 0.5, seed: 3, samples: 6, distribution: 'normal', malachSample: 0, workers: 1 } },
    // The depth-(l+1) construction: an MLP and the conv net.
    { name: 'lplus1', network: biasedMlp(12, 4), options: { tolerance: 0.5, seed: 4, samples: 5, construction: 'l+1', malachSample: 0, workers: 1 } },
    { name: 'lplus1conv', network: convNetwork(), options: { tolerance: 0.5, seed: 5, samples: 4, construction: 'l+1', malachSample: 0, workers: 1 } },
  ];
  for (const { name, network, options } of cases) {
    const result = await pruneTheorem1(network, options);
    await writeTicket(join(dir, `${name}.ticket.safetensors`), result.ticket);
    written.push(`${name}.ticket.safetensors`);
    const materialized = materializeTicket(result.ticket);
    const logits = ticketForward(materialized, inputs, FIXTURE_IMAGES);
    write(`${name}.logits.safetensors`, encodeSafetensors([{ name: 'logits', dtype: 'F64', shape: [FIXTURE_IMAGES, logits.length / FIXTURE_IMAGES], data: logits }], { made_by: 'scripts/pythonFixtures.ts' }));
  }
  return written;
}

if (process.argv[1] !== undefined && /pythonFixtures\.js$/.test(process.argv[1]) && process.argv[2] !== undefined) {
  const root = join(import.meta.dirname ?? '.', '..', '..');
  const written = await writePythonFixtures(process.argv[2], join(root, 'examples'));
  process.stdout.write(`wrote ${written.join(', ')} to ${process.argv[2]}\n`);
}
