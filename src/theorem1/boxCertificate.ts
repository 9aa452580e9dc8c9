/**
 * A certificate over an input box [low, high]^d (issue 14, item 2; dense tickets): a rigorous elementwise bound on
 * |g(x) − f(x)| for every x in the box, by interval bound propagation through the target f and the ticket g at once,
 * from the ticket's actual kept weights. In real coordinates (positive homogeneity) stage i of the target is
 * t = Â ẑ and of the ticket t′ = s (M⁺ σ(ẑ′) + M⁻ σ(−ẑ′)), with Â = s·Ã the augmented target layer and M± the
 * kept products u·v gathered by input and branch, so
 *     t′ − t = Â (ẑ′ − ẑ) + E⁺ σ(ẑ′) + E⁻ σ(−ẑ′),   E⁺ = s M⁺ − Â,  E⁻ = s M⁻ + Â,
 * and |t′ − t| ≤ |Â| D + |E⁺| σ(u′) + |E⁻| σ(−l′) given |ẑ′ − ẑ| ≤ D and ẑ′ ∈ [l′, u′]; it is also ≤ the distance of
 * the two intervals. ReLU is 1-Lipschitz and monotone, so intervals and D pass through it. The bound is
 * ‖D_out‖₂, widened by 1e-9 relative for float64 rounding. Convolution and max-pool stages are not handled yet
 * (null).
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

/** Why a ticket has no box certificate here (null: it has one). */
export function boxCertificateUnsupported(ticket: MaterializedTicket): string | null {
  const ok = (layers: readonly CopiedLayer[]): boolean => layers.every((l) => l.kind === 'relu' || l.kind === 'flatten');
  if (ticket.stages.some((s) => s.geometry.kind !== 'dense')) return 'convolution stages are not handled by the box certificate yet';
  if (!ok(ticket.meta.before) || ticket.stages.some((s) => !ok(s.geometry.after))) return 'max-pool layers are not handled by the box certificate yet';
  return null;
}

function relu(v: Interval): Interval {
  return { low: v.low.map((x) => Math.max(0, x)), high: v.high.map((x) => Math.max(0, x)) };
}

/** y = P·σ(z) + N·σ(−z) for z in `v` (P, N row-major [out, in]); plain IBP. */
function splitAffine(P: Float64Array, N: Float64Array, out: number, inn: number, v: Interval): Interval {
  const low = new Float64Array(out);
  const high = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let lo = 0;
    let hi = 0;
    for (let j = 0; j < inn; j++) {
      const pLow = Math.max(0, v.low[j]!);
      const pHigh = Math.max(0, v.high[j]!);
      const nLow = Math.max(0, -v.high[j]!);
      const nHigh = Math.max(0, -v.low[j]!);
      const p = P[o * inn + j]!;
      const n = N[o * inn + j]!;
      lo += p >= 0 ? p * pLow : p * pHigh;
      hi += p >= 0 ? p * pHigh : p * pLow;
      lo += n >= 0 ? n * nLow : n * nHigh;
      hi += n >= 0 ? n * nHigh : n * nLow;
    }
    low[o] = lo;
    high[o] = hi;
  }
  return { low, high };
}

/** What the certificate reads of the target's plan: Ã and s_i per stage. */
export type PlannedTargets = { stages: ReadonlyArray<Pick<PlannedStage, 'target' | 'scale'>> };

/**
 * The box certificate of a dense ticket for its target (the network it was pruned from), or null when a stage is
 * not dense. Ã and the scales s_i come from `plan` (prune has it) or from planning the target again (deterministic).
 */
export function boxCertificate(target: Network, ticket: MaterializedTicket, box: InputBox, given?: PlannedTargets): BoxCertificate | null {
  if (boxCertificateUnsupported(ticket) !== null) return null;
  const plan = given ?? planTargets(target, ticket);
  const meta = ticket.meta;
  const inputSize = meta.inputShape.reduce((a, b) => a * b, 1);
  // Stage 1 reads [x; 1] (the constant when the target has biases): exact in both networks.
  const d0 = meta.constant ? inputSize + 1 : inputSize;
  let target0: Interval = { low: new Float64Array(d0).fill(box.low), high: new Float64Array(d0).fill(box.high) };
  if (meta.constant) {
    target0.low[inputSize] = 1;
    target0.high[inputSize] = 1;
  }
  let ticketIn: Interval = { low: target0.low.slice(), high: target0.high.slice() };
  let targetIn: Interval = target0;
  let D: Float64Array = new Float64Array(d0);
  ticket.stages.forEach((stage, s) => {
    const g = stage.geometry;
    const planned = plan.stages[s]!;
    const out = g.outUnits;
    const inn = g.inUnits;
    const scale = planned.scale;
    // Â = s·Ã and the kept products gathered by (output, input, branch): M⁺ for u > 0 (σ(z)), M⁻ for u < 0 (σ(−z)).
    const A = new Float64Array(out * inn);
    for (let i = 0; i < A.length; i++) A[i] = scale * planned.target[i]!;
    const Mp = new Float64Array(out * inn);
    const Mn = new Float64Array(out * inn);
    for (let o = 0; o < out; o++) {
      for (let e = stage.edgeOffsets[o]!; e < stage.edgeOffsets[o + 1]!; e++) {
        const q = stage.edgeUnit[e]!;
        const u = stage.unitWeight[q]!;
        const j = stage.unitInput[q]!;
        const product = stage.edgeWeight[e]! * Math.abs(u);
        if (u > 0) Mp[o * inn + j] += product;
        else if (u < 0) Mn[o * inn + j] += product;
      }
    }
    const Sp = Mp.map((m) => scale * m);
    const Sn = Mn.map((m) => scale * m);
    // Intervals of each network's pre-activations.
    const targetOut = splitAffine(A, A.map((a) => -a), out, inn, targetIn);
    const ticketOut = splitAffine(Sp, Sn, out, inn, ticketIn);
    // Difference bound.
    const next = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let bound = 0;
      for (let j = 0; j < inn; j++) {
        const a = A[o * inn + j]!;
        const ePlus = Sp[o * inn + j]! - a;
        const eMinus = Sn[o * inn + j]! + a;
        bound += Math.abs(a) * D[j]! + Math.abs(ePlus) * Math.max(0, ticketIn.high[j]!) + Math.abs(eMinus) * Math.max(0, -ticketIn.low[j]!);
      }
      const apart = Math.max(ticketOut.high[o]! - targetOut.low[o]!, targetOut.high[o]! - ticketOut.low[o]!);
      next[o] = Math.min(bound, apart) * (1 + 1e-9) + 1e-12;
    }
    // The copied layers after the stage (relu, flatten) map both intervals; ReLU keeps |Δ| ≤ D and zeroes it where
    // both networks are surely ≤ 0.
    targetIn = targetOut;
    ticketIn = ticketOut;
    D = next;
    for (const layer of g.after) {
      if (layer.kind !== 'relu') continue;
      const both = D.map((d, i) => (targetIn.high[i]! <= 0 && ticketIn.high[i]! <= 0 ? 0 : d));
      targetIn = relu(targetIn);
      ticketIn = relu(ticketIn);
      D = both;
    }
  });
  let sum = 0;
  for (const d of D) sum += d * d;
  return { bound: Math.sqrt(sum) * (1 + 1e-9), perOutput: [...D] };
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

/**
 * The tighter of the interval certificate and the ball certificate (when the box lies in the ball's domain), or
 * null when neither applies (a conv ticket whose box is not inside its ball).
 */
export function certifyBox(target: Network, ticket: MaterializedTicket, box: InputBox, plan?: PlannedTargets): BoxCertifiedBound | null {
  const meta = ticket.meta;
  const size = meta.inputShape.reduce((a, b) => a * b, 1);
  const inBall = Math.sqrt(size) * Math.max(Math.abs(box.low), Math.abs(box.high)) <= meta.inputRadius && (meta.inputDomain === 'any' || box.low >= 0);
  const interval = boxCertificate(target, ticket, box, plan);
  if (interval === null && !inBall) return null;
  if (interval !== null && (!inBall || interval.bound <= meta.certificate.realBound)) return { bound: interval.bound, method: 'interval' };
  return { bound: meta.certificate.realBound, method: 'ball' };
}

/** Throws naming the field unless low < high are finite. */
export function checkInputBox(box: InputBox, field = 'inputBox'): InputBox {
  if (!Number.isFinite(box.low) || !Number.isFinite(box.high) || !(box.low < box.high)) throw new InputError(`${field}: expected finite low < high, got [${box.low}, ${box.high}]`);
  return box;
}
