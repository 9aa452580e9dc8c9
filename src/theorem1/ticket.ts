/**
 * A Theorem 1 ticket: masks over the random network of theorem1.ts (kept hidden units of every M_{2i-1}, kept
 * edges of every M_{2i}) plus the metadata needed to regenerate the network from (seed, layer, index). The
 * ticket stores no weights: `materializeTicket` regenerates exactly the kept ones, so memory grows with the kept
 * edges, not with the random network. `ticketForward` runs the pruned random network layer by layer through all
 * 2l layers (sparse, float64 activations, float32 weights; dense stages in sparseForward.ts's kernels).
 */
import type { Distribution } from '../core/random.js';
import { Sha256 } from '../core/sha256.js';
import type { Objective } from '../subsetsum/types.js';
import {
  blockWeightsFor,
  type CopiedLayer,
  type StageGeometry,
  type Theorem1Plan,
  edgeStream,
  randomWeight,
  secondLayerIndex,
} from './theorem1.js';
import type { Certificate } from './certificate.js';
import { denseStageForward, type MaterializedStage } from './sparseForward.js';
import { addConvTap } from './convTap.js';

export const TICKET_FORMAT = 'lottery-ticket';
export const TICKET_FORMAT_VERSION = 1;
export const TICKET_CONSTRUCTION = 'pensia2020-theorem1';
/** Depth l+1 (Burkholz, NeurIPS 2022): see lPlusOne.ts. */
export const TICKET_CONSTRUCTION_L_PLUS_1 = 'burkholz2022-depth-l+1';
export const TICKET_CONSTRUCTIONS = [TICKET_CONSTRUCTION, TICKET_CONSTRUCTION_L_PLUS_1] as const;
export type TicketConstruction = (typeof TICKET_CONSTRUCTIONS)[number];
export const TICKET_GENERATOR = 'threefry2x32-20';

export interface TicketStageMeta extends StageGeometry {
  /** s_i: the target layer (augmented) was divided by this before the subset sums were solved. */
  scale: number;
  /** ε′_i: per-entry tolerance of this stage's subset-sum instances (normalised units). */
  entryTolerance: number;
}

/** The plan's normalisation, as the ticket records it (field meanings: Theorem1Plan). */
type RecordedNormalisation = Pick<
  Theorem1Plan,
  'inputShape' | 'inputDomain' | 'inputRadius' | 'constant' | 'inputConstantCount' | 'augmentedRadius' | 'inputScale' | 'outputScale' | 'before'
>;

export interface TicketMeta extends RecordedNormalisation {
  format: typeof TICKET_FORMAT;
  formatVersion: number;
  construction: TicketConstruction;
  generator: typeof TICKET_GENERATOR;
  seed: number;
  distribution: Distribution;
  objective: Objective;
  /** Present when every non-zero target entry (each branch) was matched by exactly this many products. */
  subsetSize?: number;
  outputShape: number[];
  /** ε: requested tolerance in the normalised domain (‖z‖ ≤ 1, ‖W̃_i‖ ≤ 1). */
  tolerance: number;
  stages: TicketStageMeta[];
  certificate: Certificate;
  /** SHA-256 (hex) of the target file's bytes. */
  targetSha256: string;
  /** SHA-256 (hex) of the kept weights (float32 LE: per stage unit weights, then edge weights in CSR order). */
  keptWeightsSha256: string;
}

export interface TicketStageMasks {
  /** Kept hidden units r of M_{2i-1} (slot-major: r = t·inUnits + j), ascending. */
  units: Int32Array;
  /** CSR over the outputs o of M_{2i}: length outUnits + 1. */
  edgeOffsets: Int32Array;
  /** Kept edges of output o: key = r·k² + tap (tap = a·k + b), ascending within a row. */
  edgeKeys: Int32Array;
}

export interface Ticket {
  meta: TicketMeta;
  masks: TicketStageMasks[];
}

/** A ticket with its kept weights regenerated (stages: units renumbered 0..L-1 for the forward pass). */
export interface MaterializedTicket {
  meta: TicketMeta;
  stages: MaterializedStage[];
}

/** Regenerates the kept weights of a ticket from its seed and distribution (progress: kept edges regenerated). */
export function materializeTicket(ticket: Ticket, onProgress?: (done: number, total: number) => void): MaterializedTicket {
  const { meta } = ticket;
  let totalEdges = 0;
  for (const m of ticket.masks) totalEdges += m.edgeKeys.length;
  let edgesBefore = 0;
  onProgress?.(0, totalEdges);
  const stages = meta.stages.map((geometry, s) => {
    const masks = ticket.masks[s]!;
    const kk = geometry.kernelSize * geometry.kernelSize;
    const units = masks.units;
    const u = blockWeightsFor(meta.seed, s + 1, geometry, meta.distribution, units);
    const unitInput = new Int32Array(units.length);
    for (let q = 0; q < units.length; q++) unitInput[q] = units[q]! % geometry.inUnits;
    const local = new Map<number, number>();
    for (let q = 0; q < units.length; q++) local.set(units[q]!, q);
    const edgeCount = masks.edgeKeys.length;
    const edgeUnit = new Int32Array(edgeCount);
    const edgeTap = new Int32Array(edgeCount);
    const edgeWeight = new Float32Array(edgeCount);
    const stream = edgeStream(meta.seed, s + 1, geometry);
    for (let o = 0; o < geometry.outUnits; o++) {
      for (let e = masks.edgeOffsets[o]!; e < masks.edgeOffsets[o + 1]!; e++) {
        const key = masks.edgeKeys[e]!;
        const r = Math.floor(key / kk);
        const tap = key - r * kk;
        const q = local.get(r);
        if (q === undefined) throw new RangeError(`stage ${s + 1}: edge of output ${o} reads hidden unit ${r}, which is not kept`);
        edgeUnit[e] = q;
        edgeTap[e] = tap;
        edgeWeight[e] = randomWeight(stream, meta.distribution, secondLayerIndex(geometry, o, r, tap));
      }
      if (onProgress && (o % 16 === 15 || o === geometry.outUnits - 1)) onProgress(edgesBefore + masks.edgeOffsets[o + 1]!, totalEdges);
    }
    edgesBefore += edgeCount;
    return { geometry, units, unitInput, unitWeight: u, edgeOffsets: masks.edgeOffsets, edgeUnit, edgeTap, edgeWeight };
  });
  return { meta, stages };
}

/** SHA-256 of the kept weights in canonical order (see TicketMeta.keptWeightsSha256). */
export function keptWeightsSha256(stages: readonly MaterializedStage[]): string {
  const hash = new Sha256();
  for (const stage of stages) {
    hash.update(littleEndianFloat32(stage.unitWeight));
    hash.update(littleEndianFloat32(stage.edgeWeight));
  }
  return hash.digestHex();
}

function littleEndianFloat32(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  return out;
}

/** Kept parameters: M_{2i-1} units + M_{2i} edges over all stages. */
export function keptParameterCount(ticket: Ticket): number {
  let count = 0;
  for (const m of ticket.masks) count += m.units.length + m.edgeKeys.length;
  return count;
}

// ---------------------------------------------------------------------------------------------
// Sparse forward pass. Activations are feature-major: value of feature f (channel c, position p → f = c·P + p)
// for sample b sits at f·B + b, so every weight multiplies a contiguous run of the batch.

interface Activation {
  data: Float64Array;
  /** [features] or [channels, height, width]. */
  shape: number[];
}

/** Row-major [batch, features] → feature-major. */
export function toFeatureMajor(input: ArrayLike<number>, batch: number, features: number): Float64Array {
  const out = new Float64Array(batch * features);
  for (let b = 0; b < batch; b++) {
    const base = b * features;
    for (let f = 0; f < features; f++) out[f * batch + b] = input[base + f]!;
  }
  return out;
}

export function fromFeatureMajor(data: Float64Array, batch: number, features: number, scale = 1): Float64Array {
  const out = new Float64Array(batch * features);
  for (let f = 0; f < features; f++) {
    const base = f * batch;
    for (let b = 0; b < batch; b++) out[b * features + f] = data[base + b]! * scale;
  }
  return out;
}

export function applyCopiedLayer(layer: CopiedLayer, x: Activation, batch: number): Activation {
  switch (layer.kind) {
    case 'relu': {
      const d = x.data;
      for (let i = 0; i < d.length; i++) if (d[i]! < 0) d[i] = 0;
      return x;
    }
    case 'flatten':
      return { data: x.data, shape: [x.shape.reduce((a, b) => a * b, 1)] };
    case 'maxpool2d': {
      const [c, h, w] = x.shape as [number, number, number];
      const s = layer.size;
      const oh = Math.floor(h / s);
      const ow = Math.floor(w / s);
      const out = new Float64Array(c * oh * ow * batch);
      for (let ch = 0; ch < c; ch++) {
        for (let y = 0; y < oh; y++) {
          for (let xx = 0; xx < ow; xx++) {
            const o = ((ch * oh + y) * ow + xx) * batch;
            for (let b = 0; b < batch; b++) {
              let m = -Infinity;
              for (let a = 0; a < s; a++) {
                const row = (ch * h + y * s + a) * w + xx * s;
                for (let e = 0; e < s; e++) {
                  const v = x.data[(row + e) * batch + b]!;
                  if (v > m) m = v;
                }
              }
              out[o + b] = m;
            }
          }
        }
      }
      return { data: out, shape: [c, oh, ow] };
    }
  }
}

/** One layer pair: hidden σ(u_q·x_{j(q)}) for the kept units (x itself for a depth-(l+1) stage), then the kept edges of M_{2i}. */
export function stageForward(stage: MaterializedStage, x: Activation, batch: number): Activation {
  const g = stage.geometry;
  // Dense stages run in the WebAssembly kernels of sparseForward.ts (same sums, same order).
  if (g.kind === 'dense') return { data: denseStageForward(stage, x.data, batch), shape: [g.outUnits] };
  const positions = g.kind === 'conv2d' ? g.inputHeight * g.inputWidth : 1;
  const units = stage.unitInput.length;
  const hidden = new Float64Array(units * positions * batch);
  const run = positions * batch;
  // live[q] = 0 when hidden unit q is 0 for the whole batch (e.g. a blank border pixel): its edges add only zeros.
  const live = new Uint8Array(units);
  // Depth l+1 (inputCopies): no first layer, the kept inputs are read as they are (any sign); otherwise σ(u·x).
  const relu = !g.inputCopies;
  for (let q = 0; q < units; q++) {
    const u = stage.unitWeight[q]!;
    const src = stage.unitInput[q]! * run;
    const dst = q * run;
    let any = 0;
    for (let i = 0; i < run; i++) {
      const v = u * x.data[src + i]!;
      if (v > 0 || (!relu && v !== 0)) {
        hidden[dst + i] = v;
        any = 1;
      }
    }
    live[q] = any;
  }
  const { kernelSize: k, padding: p, inputHeight: h, inputWidth: w, outputHeight: oh, outputWidth: ow } = g;
  const out = new Float64Array(g.outUnits * oh * ow * batch);
  const plane = { padding: p, inputHeight: h, inputWidth: w, outputHeight: oh, outputWidth: ow, batch };
  for (let o = 0; o < g.outUnits; o++) {
    for (let e = stage.edgeOffsets[o]!; e < stage.edgeOffsets[o + 1]!; e++) {
      const wt = stage.edgeWeight[e]!;
      const q = stage.edgeUnit[e]!;
      if (live[q] === 0) continue;
      const tap = stage.edgeTap[e]!;
      const a = Math.floor(tap / k);
      addConvTap(out, hidden, wt, o, q, a, tap - a * k, plane);
    }
  }
  return { data: out, shape: [g.outUnits, oh, ow] };
}

/**
 * The ticket's function on real inputs: g_real(x) = outputScale · g(α·[x; 1]), g the pruned random network.
 * `input` is row-major [batch, inputSize]; returns row-major [batch, outputSize] in float64.
 */
export function ticketForward(ticket: MaterializedTicket, input: ArrayLike<number>, batch: number): Float64Array {
  const { meta } = ticket;
  const inputSize = meta.inputShape.reduce((a, b) => a * b, 1);
  let x: Activation = { data: toFeatureMajor(input, batch, inputSize), shape: [...meta.inputShape] };
  for (const layer of meta.before) x = applyCopiedLayer(layer, x, batch);
  x = augmentInput(x, meta, batch);
  ticket.stages.forEach((stage) => {
    x = stageForward(stage, x, batch);
    for (const layer of stage.geometry.after) x = applyCopiedLayer(layer, x, batch);
  });
  const outSize = x.shape.reduce((a, b) => a * b, 1);
  return fromFeatureMajor(x.data, batch, outSize, meta.outputScale);
}

/** z = α·[x; 1]: scales the real input and appends the constant (one entry, or one channel of an image). */
export function augmentInput(x: Activation, meta: Pick<TicketMeta, 'inputScale' | 'constant'>, batch: number): Activation {
  const alpha = meta.inputScale;
  const size = x.data.length;
  if (!meta.constant) {
    const data = new Float64Array(size);
    for (let i = 0; i < size; i++) data[i] = alpha * x.data[i]!;
    return { data, shape: x.shape };
  }
  const extra = x.shape.length === 3 ? x.shape[1]! * x.shape[2]! : 1;
  const data = new Float64Array(size + extra * batch);
  for (let i = 0; i < size; i++) data[i] = alpha * x.data[i]!;
  data.fill(alpha, size);
  const shape = x.shape.length === 3 ? [x.shape[0]! + 1, x.shape[1]!, x.shape[2]!] : [x.shape[0]! + 1];
  return { data, shape };
}
