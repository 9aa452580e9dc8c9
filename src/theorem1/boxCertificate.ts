/**
 * A certificate over an input box [low, high]^d (issue 14, item 2; dense tickets): a rigorous elementwise bound on
 * |g(x) − f(x)| for every x in the box, by interval bound propagation through the target f and the ticket g at once,
 * from the ticket's actual kept weights. In real coordinates (positive homogeneity) stage i of the target is
 * t = Â ẑ and of the ticket t′ = s (M⁺ σ(ẑ′) + M⁻ σ(−ẑ′)), with Â = s·Ã the augmented target layer and M± the
 * kept products u·v gathered by input and branch, so
 *     t′ − t = Â (ẑ′ − ẑ) + E⁺ σ(ẑ′) + E⁻ σ(−ẑ′),   E⁺ = s M⁺ − Â,  E⁻ = s M⁻ + Â,
 * and |t′ − t| ≤ |Â| D + |E⁺| σ(u′) + |E⁻| σ(−l′) given |ẑ′ − ẑ| ≤ D and ẑ′ ∈ [l′, u′]; it is also ≤ the distance of
 * the two intervals. Convolution stages are the same with every product a (stride-1, zero-padded) convolution of the
 * non-negative kernels |Â|, |E±| with non-negative maps. ReLU and max-pool are monotone and 1-Lipschitz in the
 * max-norm, so intervals and D pass through them. The bound is ‖D_out‖₂, widened by 1e-9 relative (and every
 * interval outward by 1e-12 of its terms' magnitude) for float64 rounding.
 */
import { InputError } from '../core/errors.js';
import { PREPROCESS_STANDARD_MEAN, PREPROCESS_STANDARD_STD, type Network } from '../nn/network.js';
import { planTheorem1, type CopiedLayer, type PlannedStage } from './theorem1.js';
import type { MaterializedTicket } from './ticket.js';

export interface InputBox {
  low: number;
  high: number;
}

export interface BoxCertificate {
  /** Bound on sup ‖f(x) − g(x)‖₂ over the box, in the network's output units (logits). */
  bound: number;
  /** Per output, the bound on |f(x) − g(x)|. */
  perOutput: number[];
}

function planTargets(target: Network, ticket: MaterializedTicket): PlannedTargets {
  const meta = ticket.meta;
  return planTheorem1(target, { sampleCounts: meta.stages.map((s) => s.sampleCount), inputDomain: meta.inputDomain, inputRadius: meta.inputRadius });
}

interface Interval {
  low: Float64Array;
  high: Float64Array;
}

/** A stage as a linear operator on [channels, height, width] maps (dense: 1 × 1 maps and a 1 × 1 kernel). */
interface StageOperator {
  out: number;
  inn: number;
  k: number;
  padding: number;
  h: number;
  w: number;
  oh: number;
  ow: number;
}

function operatorOf(g: MaterializedTicket['stages'][number]['geometry']): StageOperator {
  if (g.kind === 'dense') return { out: g.outUnits, inn: g.inUnits, k: 1, padding: 0, h: 1, w: 1, oh: 1, ow: 1 };
  return { out: g.outUnits, inn: g.inUnits, k: g.kernelSize, padding: g.padding, h: g.inputHeight, w: g.inputWidth, oh: g.outputHeight, ow: g.outputWidth };
}

/**
 * y[o, Y, X] = Σ_{j, a, b} K[o, j, a, b] · x[j, Y + a − padding, X + b − padding] (zero outside the map): the
 * stage's convolution (stride 1), or its matrix product for dense stages. With `magnitude`, also Σ |K·x| per output
 * into it (for the outward rounding allowance).
 */
function applyOperator(K: Float64Array, op: StageOperator, x: Float64Array, magnitude?: Float64Array): Float64Array {
  const { out, inn, k, padding, h, w, oh, ow } = op;
  const y = new Float64Array(out * oh * ow);
  for (let o = 0; o < out; o++) {
    for (let j = 0; j < inn; j++) {
      for (let a = 0; a < k; a++) {
        for (let b = 0; b < k; b++) {
          const weight = K[((o * inn + j) * k + a) * k + b]!;
          if (weight === 0) continue;
          for (let Y = 0; Y < oh; Y++) {
            const row = Y + a - padding;
            if (row < 0 || row >= h) continue;
            const src = (j * h + row) * w;
            const dst = (o * oh + Y) * ow;
            for (let X = 0; X < ow; X++) {
              const col = X + b - padding;
              if (col < 0 || col >= w) continue;
              const term = weight * x[src + col]!;
              y[dst + X] += term;
              if (magnitude) magnitude[dst + X] += Math.abs(term);
            }
          }
        }
      }
    }
  }
  return y;
}

const positivePart = (K: Float64Array): Float64Array => K.map((v) => (v > 0 ? v : 0));
const negativePart = (K: Float64Array): Float64Array => K.map((v) => (v < 0 ? v : 0));
const absolute = (K: Float64Array): Float64Array => K.map((v) => Math.abs(v));

/** Adds out += part, elementwise. */
function addInto(out: Float64Array, part: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] += part[i]!;
}

/**
 * y = P·σ(z) + N·σ(−z) for z in `v` (P, N: [out, in, k, k]); interval bound propagation, widened outward by 1e-12
 * of the magnitude of the terms (far above float64 rounding of the sums).
 */
function splitAffine(P: Float64Array, N: Float64Array, op: StageOperator, v: Interval): Interval {
  const pLow = v.low.map((x) => Math.max(0, x));
  const pHigh = v.high.map((x) => Math.max(0, x));
  const nLow = v.high.map((x) => Math.max(0, -x));
  const nHigh = v.low.map((x) => Math.max(0, -x));
  const size = op.out * op.oh * op.ow;
  const magnitude = new Float64Array(size);
  const low = new Float64Array(size);
  const high = new Float64Array(size);
  const Pp = positivePart(P);
  const Pn = negativePart(P);
  const Np = positivePart(N);
  const Nn = negativePart(N);
  addInto(low, applyOperator(Pp, op, pLow, magnitude));
  addInto(low, applyOperator(Pn, op, pHigh, magnitude));
  addInto(low, applyOperator(Np, op, nLow, magnitude));
  addInto(low, applyOperator(Nn, op, nHigh, magnitude));
  addInto(high, applyOperator(Pp, op, pHigh, magnitude));
  addInto(high, applyOperator(Pn, op, pLow, magnitude));
  addInto(high, applyOperator(Np, op, nHigh, magnitude));
  addInto(high, applyOperator(Nn, op, nLow, magnitude));
  for (let i = 0; i < size; i++) {
    const slack = 1e-12 * magnitude[i]! + 1e-300;
    low[i] -= slack;
    high[i] += slack;
  }
  return { low, high };
}

/** Max-pool of a [c, h, w] map with window and stride `size` (floor), as the ticket's forward pass does. */
function maxPool(x: Float64Array, shape: readonly number[], size: number): Float64Array {
  const [c, h, w] = shape as [number, number, number];
  const oh = Math.floor(h / size);
  const ow = Math.floor(w / size);
  const out = new Float64Array(c * oh * ow);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < oh; y++) {
      for (let xx = 0; xx < ow; xx++) {
        let m = -Infinity;
        for (let a = 0; a < size; a++) for (let b = 0; b < size; b++) m = Math.max(m, x[(ch * h + y * size + a) * w + xx * size + b]!);
        out[(ch * oh + y) * ow + xx] = m;
      }
    }
  }
  return out;
}

/** State carried between stages: both networks' intervals, the bound D on |g − f|, and the map shape. */
interface BoxState {
  target: Interval;
  ticket: Interval;
  D: Float64Array;
  shape: number[];
}

/**
 * A copied layer applied to the state: ReLU is monotone and 1-Lipschitz (and zeroes D where both networks are
 * surely ≤ 0); max-pool is monotone and |max a − max b| ≤ max |a − b|; flatten changes nothing in this layout.
 */
function copiedLayer(layer: CopiedLayer, state: BoxState): BoxState {
  switch (layer.kind) {
    case 'relu':
      return {
        target: relu(state.target),
        ticket: relu(state.ticket),
        D: state.D.map((d, i) => (state.target.high[i]! <= 0 && state.ticket.high[i]! <= 0 ? 0 : d)),
        shape: state.shape,
      };
    case 'flatten':
      return { ...state, shape: [state.shape.reduce((a, b) => a * b, 1)] };
    case 'maxpool2d': {
      const pool = (x: Float64Array): Float64Array => maxPool(x, state.shape, layer.size);
      const [c, h, w] = state.shape as [number, number, number];
      return {
        target: { low: pool(state.target.low), high: pool(state.target.high) },
        ticket: { low: pool(state.ticket.low), high: pool(state.ticket.high) },
        D: pool(state.D),
        shape: [c, Math.floor(h / layer.size), Math.floor(w / layer.size)],
      };
    }
  }
}

function relu(v: Interval): Interval {
  return { low: v.low.map((x) => Math.max(0, x)), high: v.high.map((x) => Math.max(0, x)) };
}

/** What the certificate reads of the target's plan: Ã and s_i per stage. */
export type PlannedTargets = { stages: ReadonlyArray<Pick<PlannedStage, 'target' | 'scale'>> };

/**
 * The box certificate of a ticket for its target (the network it was pruned from): dense and convolution stages,
 * ReLU, max-pool and flatten between them. Ã and the scales s_i come from `plan` (prune has it) or from planning
 * the target again (deterministic). `onProgress` is told after each stage.
 */
export function boxCertificate(target: Network, ticket: MaterializedTicket, box: InputBox, given?: PlannedTargets, onProgress?: (done: number, total: number) => void): BoxCertificate {
  const plan = given ?? planTargets(target, ticket);
  const meta = ticket.meta;
  const inputSize = meta.inputShape.reduce((a, b) => a * b, 1);
  const input: Interval = { low: new Float64Array(inputSize).fill(box.low), high: new Float64Array(inputSize).fill(box.high) };
  let state: BoxState = { target: input, ticket: { low: input.low.slice(), high: input.high.slice() }, D: new Float64Array(inputSize), shape: [...meta.inputShape] };
  for (const layer of meta.before) state = copiedLayer(layer, state);
  // Stage 1 reads [x; 1] (the constant: one entry, or one channel of ones for an image), exact in both networks.
  if (meta.constant) {
    const extra = state.shape.length === 3 ? state.shape[1]! * state.shape[2]! : 1;
    const widen = (v: Float64Array, fill: number): Float64Array => {
      const out = new Float64Array(v.length + extra).fill(fill);
      out.set(v);
      return out;
    };
    state = {
      target: { low: widen(state.target.low, 1), high: widen(state.target.high, 1) },
      ticket: { low: widen(state.ticket.low, 1), high: widen(state.ticket.high, 1) },
      D: widen(state.D, 0),
      shape: state.shape.length === 3 ? [state.shape[0]! + 1, state.shape[1]!, state.shape[2]!] : [state.shape[0]! + 1],
    };
  }
  onProgress?.(0, ticket.stages.length);
  ticket.stages.forEach((stage, s) => {
    const g = stage.geometry;
    const op = operatorOf(g);
    const planned = plan.stages[s]!;
    const kk = op.k * op.k;
    const scale = planned.scale;
    // Â = s·Ã and the kept products gathered by (output, input, tap, branch): M⁺ for u > 0 (σ(z)), M⁻ for u < 0 (σ(−z)).
    const A = new Float64Array(op.out * op.inn * kk);
    for (let i = 0; i < A.length; i++) A[i] = scale * planned.target[i]!;
    const Sp = new Float64Array(A.length);
    const Sn = new Float64Array(A.length);
    for (let o = 0; o < op.out; o++) {
      for (let e = stage.edgeOffsets[o]!; e < stage.edgeOffsets[o + 1]!; e++) {
        const q = stage.edgeUnit[e]!;
        const u = stage.unitWeight[q]!;
        const slot = (o * op.inn + stage.unitInput[q]!) * kk + stage.edgeTap[e]!;
        const product = scale * stage.edgeWeight[e]! * Math.abs(u);
        if (u > 0) Sp[slot] += product;
        else if (u < 0) Sn[slot] += product;
      }
    }
    // Intervals of each network's pre-activations.
    const targetOut = splitAffine(A, A.map((a) => -a), op, state.target);
    const ticketOut = splitAffine(Sp, Sn, op, state.ticket);
    // |t′ − t| ≤ |Â| D + |E⁺| σ(u′) + |E⁻| σ(−l′), every term non-negative.
    const ePlus = A.map((a, i) => Sp[i]! - a);
    const eMinus = A.map((a, i) => Sn[i]! + a);
    const bound = applyOperator(absolute(A), op, state.D);
    addInto(bound, applyOperator(absolute(ePlus), op, state.ticket.high.map((x) => Math.max(0, x))));
    addInto(bound, applyOperator(absolute(eMinus), op, state.ticket.low.map((x) => Math.max(0, -x))));
    const next = new Float64Array(bound.length);
    for (let i = 0; i < next.length; i++) {
      const apart = Math.max(ticketOut.high[i]! - targetOut.low[i]!, targetOut.high[i]! - ticketOut.low[i]!);
      next[i] = Math.min(bound[i]!, apart) * (1 + 1e-9) + 1e-12;
    }
    state = { target: targetOut, ticket: ticketOut, D: next, shape: g.kind === 'dense' ? [op.out] : [op.out, op.oh, op.ow] };
    for (const layer of g.after) state = copiedLayer(layer, state);
    onProgress?.(s + 1, ticket.stages.length);
  });
  let sum = 0;
  for (const d of state.D) sum += d * d;
  return { bound: Math.sqrt(sum) * (1 + 1e-9), perOutput: [...state.D] };
}

/** The box of a target's inputs when it is known: MNIST images scaled as the target was trained (pixels or standard). */
export function defaultInputBox(network: Network): InputBox | null {
  const size = network.inputShape.reduce((a, b) => a * b, 1);
  if (size !== 784) return null;
  if ((network.preprocess ?? 'pixels') === 'pixels') return { low: 0, high: 1 };
  return { low: (0 - PREPROCESS_STANDARD_MEAN) / PREPROCESS_STANDARD_STD, high: (1 - PREPROCESS_STANDARD_MEAN) / PREPROCESS_STANDARD_STD };
}

export interface BoxCertifiedBound {
  /** Bound on sup ‖f(x) − g(x)‖₂ over the box (logits). */
  bound: number;
  /** `interval`: bound propagation through both networks; `ball`: the ball certificate, when the box lies inside its ball and is tighter. */
  method: 'interval' | 'ball';
}

/** The tighter of the interval certificate and the ball certificate (the latter when the box lies in the ball's domain). */
export function certifyBox(target: Network, ticket: MaterializedTicket, box: InputBox, plan?: PlannedTargets): BoxCertifiedBound {
  const meta = ticket.meta;
  const size = meta.inputShape.reduce((a, b) => a * b, 1);
  const inBall = Math.sqrt(size) * Math.max(Math.abs(box.low), Math.abs(box.high)) <= meta.inputRadius && (meta.inputDomain === 'any' || box.low >= 0);
  const interval = boxCertificate(target, ticket, box, plan);
  if (!inBall || interval.bound <= meta.certificate.realBound) return { bound: interval.bound, method: 'interval' };
  return { bound: meta.certificate.realBound, method: 'ball' };
}

/** Throws naming the field unless low < high are finite. */
export function checkInputBox(box: InputBox, field = 'inputBox'): InputBox {
  if (!Number.isFinite(box.low) || !Number.isFinite(box.high) || !(box.low < box.high)) throw new InputError(`${field}: expected finite low < high, got [${box.low}, ${box.high}]`);
  return box;
}
