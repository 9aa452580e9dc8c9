// Tiny targets built in code for the Theorem 1 tests (no files, no training): a 4-6-3 MLP with biases and a
// small conv net with biases (conv → relu → maxpool → conv → relu → flatten → dense), weights from a stream.
import '../../src/node/platform.js'; // the Node platform: worker threads, clock, tfjs wasm files
import { RandomStream } from '../../src/core/random.js';
import { conv2dLayer, denseLayer } from '../../src/nn/architectures.js';
import type { Layer, Network } from '../../src/nn/network.js';
import { layerStream, randomWeight } from '../../src/theorem1/theorem1.js';
import type { Ticket } from '../../src/theorem1/ticket.js';
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

/**
 * The FULL depth-(l+1) random network, every weight drawn from its layer stream: layer 1 dense (2n·d₀ × d₀, index
 * r·d₀ + c, only the kept diagonal entries survive the mask), layer 2 from those units, layer i + 1 straight from the
 * copies of stage i − 1 (index (r·k² + tap)·rows + o); mask applied. Input z = α·[x; 1].
 */
export function fullMaskedNetwork(ticket: Ticket): Network {
  const meta = ticket.meta;
  const layers: Layer[] = [];
  meta.stages.forEach((g, s) => {
    const m = ticket.masks[s]!;
    const kk = g.kernelSize * g.kernelSize;
    const copies = g.inputCopies !== undefined;
    const hidden = copies ? g.inUnits : 2 * g.sampleCount * g.inUnits;
    if (!copies) {
      const s1 = layerStream(meta.seed, 2 * s + 1);
      const keptUnits = new Set(m.units);
      const a = new Float32Array(hidden * g.inUnits);
      for (let r = 0; r < hidden; r++) {
        for (let c = 0; c < g.inUnits; c++) {
          const w = randomWeight(s1, meta.distribution, r * g.inUnits + c);
          if (c === r % g.inUnits && keptUnits.has(r)) a[r * g.inUnits + c] = w;
        }
      }
      if (g.kind === 'dense') layers.push({ ...denseLayer(`h${s}`, g.inUnits, hidden, false), weight: a }, { kind: 'relu' });
      else layers.push({ ...conv2dLayer(`h${s}`, g.inUnits, hidden, 1, 0, false), weight: a }, { kind: 'relu' });
    }
    const construction = meta.construction === 'burkholz2022-depth-l+1' ? 'l+1' : '2l';
    const stream = layerStream(meta.seed, construction === '2l' ? 2 * s + 2 : s === 0 ? 2 : s + 2);
    const keptEdges = new Set<number>();
    for (let o = 0; o < g.outUnits; o++) for (let e = m.edgeOffsets[o]!; e < m.edgeOffsets[o + 1]!; e++) keptEdges.add(o * hidden * kk + m.edgeKeys[e]!);
    const b = new Float32Array(g.outUnits * hidden * kk);
    for (let o = 0; o < g.outUnits; o++) {
      for (let r = 0; r < hidden; r++) {
        for (let t = 0; t < kk; t++) {
          const w = randomWeight(stream, meta.distribution, (r * kk + t) * g.outUnits + o);
          if (keptEdges.has(o * hidden * kk + r * kk + t)) b[(o * hidden + r) * kk + t] = w;
        }
      }
    }
    if (g.kind === 'dense') layers.push({ ...denseLayer(`o${s}`, hidden, g.outUnits, false), weight: b });
    else layers.push({ ...conv2dLayer(`o${s}`, hidden, g.outUnits, g.kernelSize, g.padding, false), weight: b });
    layers.push(...g.after.map((l) => ({ ...l })));
  });
  const shape = [...meta.inputShape];
  const inputShape = !meta.constant ? shape : shape.length === 3 ? [shape[0]! + 1, shape[1]!, shape[2]!] : [shape[0]! + 1];
  return { inputShape, layers };
}

/** z = α·[x; 1] for row-major real inputs (vector: one constant entry; image: one constant channel). */
export function augment(ticket: Ticket, x: Float64Array, count: number): Float64Array {
  const meta = ticket.meta;
  const size = meta.inputShape.reduce((a, b) => a * b, 1);
  const extra = !meta.constant ? 0 : meta.inputShape.length === 3 ? meta.inputShape[1]! * meta.inputShape[2]! : 1;
  const out = new Float64Array(count * (size + extra));
  for (let p = 0; p < count; p++) {
    for (let i = 0; i < size; i++) out[p * (size + extra) + i] = meta.inputScale * x[p * size + i]!;
    for (let i = 0; i < extra; i++) out[p * (size + extra) + size + i] = meta.inputScale;
  }
  return out;
}
