/**
 * The pruned random network of a ticket as an ordinary Network (dense/conv2d/relu/maxpool2d/flatten), for export
 * and as the slow oracle of the sparse forward pass. Two forms:
 * - `normalised`: input z = α·[x; 1] (constant unit included), output g(z), every kept weight exactly the random
 *   float32 value, pruned ones 0 — the theorem's g as a plain network (width 2n·d or kept units only);
 * - `real`: input x, output outputScale·g(α·[x; 1]). α is folded into the first layer's kept u's, the constant
 *   input into biases of the first hidden layer (σ(u·α·1)), outputScale into the last layer's kept v's; every
 *   other weight is the random value itself.
 */
import type { Conv2dLayer, DenseLayer, Layer, Network } from '../nn/network.js';
import { copiedShape, hiddenUnitCount } from './theorem1.js';
import type { MaterializedTicket } from './ticket.js';

export interface TicketNetworkOptions {
  form: 'normalised' | 'real';
  /** Keep every hidden unit of the random network (2n·d_in per stage, pruned ones all-zero) instead of the kept ones only. */
  fullWidth?: boolean;
}

export function ticketToNetwork(ticket: MaterializedTicket, options: TicketNetworkOptions): Network {
  const { meta } = ticket;
  const real = options.form === 'real';
  const layers: Layer[] = [];
  let shape = [...meta.inputShape];
  if (real) {
    meta.before.forEach((l, i) => {
      layers.push({ ...l });
      shape = copiedShape(l, shape, 'ticket', i);
    });
  }
  const inputShape = real ? [...meta.inputShape] : augmentedShape(shapeAfterBefore(meta.inputShape, meta.before), meta.constant);
  ticket.stages.forEach((stage, s) => {
    const g = stage.geometry;
    const firstStage = s === 0;
    const lastStage = s === ticket.stages.length - 1;
    const kk = g.kernelSize * g.kernelSize;
    const totalHidden = hiddenUnitCount(g);
    // Hidden rows: all units r (full width) or the kept ones in order.
    const hiddenCount = options.fullWidth ? totalHidden : stage.unitInput.length;
    const rowOf = (q: number, r: number): number => (options.fullWidth ? r : q);
    const units = ticketUnits(ticket, s);
    const outScale = real && lastStage ? meta.outputScale : 1;
    if (g.inputCopies) {
      // Depth l+1: no random first layer; the kept edges read the stage's input (copies) directly.
      const weight = new Float32Array(g.outUnits * g.inUnits * kk);
      for (let o = 0; o < g.outUnits; o++) {
        for (let e = stage.edgeOffsets[o]!; e < stage.edgeOffsets[o + 1]!; e++) {
          const w = stage.edgeWeight[e]!;
          weight[(o * g.inUnits + units[stage.edgeUnit[e]!]!) * kk + stage.edgeTap[e]!] = outScale === 1 ? w : w * outScale;
        }
      }
      if (g.kind === 'dense') layers.push({ kind: 'dense', name: `stage${s + 1}.out`, inFeatures: g.inUnits, outFeatures: g.outUnits, weight, bias: null });
      else layers.push({ kind: 'conv2d', name: `stage${s + 1}.out`, inChannels: g.inUnits, outChannels: g.outUnits, kernelSize: g.kernelSize, padding: g.padding, weight, bias: null });
      for (const l of g.after) layers.push({ ...l });
      return;
    }
    // In the real form the first stage reads the real input (no constant unit): constant columns become biases.
    const foldConstant = real && firstStage && meta.constant;
    const inCols = foldConstant ? g.realInUnits : g.inUnits;
    const alpha = real && firstStage ? meta.inputScale : 1;
    const aWeight = new Float32Array(hiddenCount * inCols);
    const aBias = foldConstant ? new Float32Array(hiddenCount) : null;
    for (let q = 0; q < stage.unitInput.length; q++) {
      const j = stage.unitInput[q]!;
      const row = rowOf(q, units[q]!);
      const u = stage.unitWeight[q]!;
      if (foldConstant && j >= g.realInUnits) aBias![row] = u * alpha;
      else aWeight[row * inCols + j] = alpha === 1 ? u : u * alpha;
    }
    const bWeight = new Float32Array(g.outUnits * hiddenCount * kk);
    for (let o = 0; o < g.outUnits; o++) {
      for (let e = stage.edgeOffsets[o]!; e < stage.edgeOffsets[o + 1]!; e++) {
        const q = stage.edgeUnit[e]!;
        const row = rowOf(q, units[q]!);
        const w = stage.edgeWeight[e]!;
        bWeight[(o * hiddenCount + row) * kk + stage.edgeTap[e]!] = outScale === 1 ? w : w * outScale;
      }
    }
    if (g.kind === 'dense') {
      const a: DenseLayer = { kind: 'dense', name: `pair${s + 1}.hidden`, inFeatures: inCols, outFeatures: hiddenCount, weight: aWeight, bias: aBias };
      const b: DenseLayer = { kind: 'dense', name: `pair${s + 1}.out`, inFeatures: hiddenCount, outFeatures: g.outUnits, weight: bWeight, bias: null };
      layers.push(a, { kind: 'relu' }, b);
    } else {
      const a: Conv2dLayer = { kind: 'conv2d', name: `pair${s + 1}.hidden`, inChannels: inCols, outChannels: hiddenCount, kernelSize: 1, padding: 0, weight: aWeight, bias: aBias };
      const b: Conv2dLayer = { kind: 'conv2d', name: `pair${s + 1}.out`, inChannels: hiddenCount, outChannels: g.outUnits, kernelSize: g.kernelSize, padding: g.padding, weight: bWeight, bias: null };
      layers.push(a, { kind: 'relu' }, b);
    }
    for (const l of g.after) layers.push({ ...l });
  });
  const network: Network = { inputShape, layers, arch: `ticket:${meta.construction}` };
  return network;
}

function shapeAfterBefore(shape: number[], before: MaterializedTicket['meta']['before']): number[] {
  let s = [...shape];
  before.forEach((l, i) => (s = copiedShape(l, s, 'ticket', i)));
  return s;
}

function augmentedShape(shape: number[], constant: boolean): number[] {
  if (!constant) return shape;
  return shape.length === 3 ? [shape[0]! + 1, shape[1]!, shape[2]!] : [shape[0]! + 1];
}

/** Global unit indices r of a materialized stage's kept units (recovered from unitInput is impossible: keep them). */
function ticketUnits(ticket: MaterializedTicket, s: number): Int32Array {
  return ticket.stages[s]!.units;
}
