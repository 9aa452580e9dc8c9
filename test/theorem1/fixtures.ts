// Tiny targets built in code for the Theorem 1 tests (no files, no training): a 4-6-3 MLP with biases and a
// small conv net with biases (conv → relu → maxpool → conv → relu → flatten → dense), weights from a stream.
import '../../src/node/platform.js'; // the Node platform: worker threads, clock, tfjs wasm files
import { RandomStream } from '../../src/core/random.js';
import { conv2dLayer, denseLayer } from '../../src/nn/architectures.js';
import type { Network } from '../../src/nn/network.js';
import { solveBatch, solveBatchSync } from '../../src/subsetsum/batch.js';
import type { BatchSolver } from '../../src/theorem1/prune.js';

export function fillWeights(network: Network, seed: number, scale = 0.6): Network {
  const s = new RandomStream(seed, 5);
  let i = 0;
  for (const layer of network.layers) {
    if (layer.kind !== 'dense' && layer.kind !== 'conv2d') continue;
    for (let k = 0; k < layer.weight.length; k++) layer.weight[k] = s.uniform(i++, -scale, scale);
    if (layer.bias) for (let k = 0; k < layer.bias.length; k++) layer.bias[k] = s.uniform(i++, -0.3, 0.3);
  }
  return network;
}

export function tinyMlp(seed = 1, bias = true): Network {
  return fillWeights({ inputShape: [4], layers: [denseLayer('fc1', 4, 6, bias), { kind: 'relu' }, denseLayer('fc2', 6, 3, bias)] }, seed);
}

export function tinyConvNet(seed = 2, bias = true): Network {
  return fillWeights(
    {
      inputShape: [1, 6, 6],
      layers: [
        conv2dLayer('conv1', 1, 2, 3, 1, bias),
        { kind: 'relu' },
        { kind: 'maxpool2d', size: 2 },
        conv2dLayer('conv2', 2, 2, 2, 0, bias),
        { kind: 'relu' },
        { kind: 'flatten' },
        denseLayer('fc', 8, 3, bias),
      ],
    },
    seed,
  );
}

export const syncSolver: BatchSolver = async (batch) => solveBatchSync(batch);
export const workerSolver = (workers: number): BatchSolver => (batch) => solveBatch(batch, { workers });

/** Points of the ball ‖x‖ ≤ radius (∩ x ≥ 0 when nonnegative), row-major. */
export function ballInputs(seed: number, count: number, size: number, radius: number, nonnegative: boolean): Float64Array {
  const s = new RandomStream(seed, 9);
  const out = new Float64Array(count * size);
  for (let p = 0; p < count; p++) {
    let n = 0;
    for (let i = 0; i < size; i++) {
      const g = s.sample({ kind: 'normal', mean: 0, std: 1 }, p * size + i);
      out[p * size + i] = nonnegative ? Math.abs(g) : g;
      n += g * g;
    }
    // Half the points on the sphere (where errors are largest), half inside.
    const r = p % 2 === 0 ? radius : radius * s.uniform01(1e9 + p);
    for (let i = 0; i < size; i++) out[p * size + i]! *= r / Math.sqrt(n);
  }
  return out;
}

export function maxRowDistance(a: Float64Array, b: Float64Array, count: number): number {
  const size = a.length / count;
  let worst = 0;
  for (let p = 0; p < count; p++) {
    let s = 0;
    for (let k = 0; k < size; k++) s += (a[p * size + k]! - b[p * size + k]!) ** 2;
    worst = Math.max(worst, Math.sqrt(s));
  }
  return worst;
}
