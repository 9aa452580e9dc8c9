/**
 * Verification of a ticket against its target: regenerates the random network from the ticket alone (seed,
 * distribution, n, widths), runs the pruned network's own sparse forward pass through all 2l layers, and
 * measures ‖f(x) − g(x)‖ on a data set, on random points of the certified input ball, and at the worst input a
 * derivative-free search finds; compares with the stored certificate; reports accuracies and argmax agreement.
 */
import { InputError } from '../core/errors.js';
import { RandomStream, namedStream } from '../core/random.js';
import { parameterCount, type Network } from '../nn/network.js';
import { adversarialSearch, outputErrors } from './adversarial.js';
import { certifyBox, defaultInputBox, type BoxCertifiedBound, type InputBox } from './boxCertificate.js';
import { networkSizes } from './bounds.js';
import type { Evaluator } from './evaluator.js';
import { randomDepth } from './theorem1.js';
import { TICKET_CONSTRUCTION, keptParameterCount, keptWeightsSha256, materializeTicket, type MaterializedTicket, type Ticket } from './ticket.js';

export interface VerifyData {
  /** Preprocessed inputs, row-major [count, inputSize]. */
  inputs: Float32Array | Float64Array;
  labels: Uint8Array;
  count: number;
}

export interface VerifyOptions {
  /** Random points of the input ball (default 10,000). */
  randomPoints?: number;
  /** Evaluations of the adversarial search (default 4,096). */
  adversarialEvaluations?: number;
  /** Clock for the phase timings (the CLI passes performance.now); absent → timings 0. */
  now?: () => number;
  /** Inputs evaluated so far (data, ball points, adversarial candidates) out of the planned total. */
  onProgress?: (done: number, total: number) => void;
  /** The box of the box certificate (default: the target's MNIST input box; null: none). */
  inputBox?: InputBox | null;
}

export interface ErrorStats {
  count: number;
  max: number;
  mean: number;
}

export interface VerifyReport {
  targetParams: number;
  /** Random network as Theorem 1 counts it (dense M_{2i-1}, M_{2i}). */
  randomParams: number;
  /** Random weights the block structure can use. */
  randomBlockParams: number;
  keptParams: number;
  /** Layers of the random network: 2l, or l + 1 for the l+1 construction. */
  depth: number;
  construction: '2l' | 'l+1';
  /** Certified bound on sup ‖f(x) − g(x)‖ over ‖x‖ ≤ inputRadius (x ≥ 0 for a non-negative domain). */
  certifiedBound: number;
  certifiedBoundNormalised: number;
  tolerance: number;
  inputRadius: number;
  inputDomain: string;
  /** Max over every evaluated input (data, ball, adversarial). */
  maxOutputError: number;
  /** Mean over the data set (or the ball points when there is no data). */
  meanOutputError: number;
  dataError: ErrorStats | null;
  ballError: ErrorStats;
  adversarialError: { max: number; evaluations: number };
  /** maxOutputError ≤ certifiedBound. */
  withinCertificate: boolean;
  /** The box [low, high]^d of the box certificate (null: unknown for this target and not given). */
  inputBox: InputBox | null;
  /** Certified sup ‖f(x) − g(x)‖ over the box (logits); null when no box or no method applies. */
  boxCertifiedBound: number | null;
  boxCertificateMethod: BoxCertifiedBound['method'] | null;
  targetAccuracy: number | null;
  ticketAccuracy: number | null;
  argmaxAgreement: number | null;
  instancesOutsideTolerance: number;
  seconds: number;
  phaseSeconds: { regenerate: number; data: number; ball: number; adversarial: number };
}

/** What `lottery verify --json` prints. */
export type VerifyCommandReport = { ticket: string; target: string } & VerifyReport;

function stats(errors: Float64Array): ErrorStats {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < errors.length; i++) {
    max = Math.max(max, errors[i]!);
    sum += errors[i]!;
  }
  return { count: errors.length, max, mean: errors.length > 0 ? sum / errors.length : 0 };
}

function argmax(a: Float64Array, offset: number, size: number): number {
  let best = 0;
  for (let k = 1; k < size; k++) if (a[offset + k]! > a[offset + best]!) best = k;
  return best;
}

/**
 * Regenerates the kept weights (or takes them already regenerated) and checks them against the ticket's checksum
 * (different generator → error).
 */
export function checkRegeneration(ticket: Ticket, file = 'ticket', materialized: MaterializedTicket = materializeTicket(ticket)): void {
  const digest = keptWeightsSha256(materialized.stages);
  if (digest !== ticket.meta.keptWeightsSha256) {
    throw new InputError(`${file}: the regenerated kept weights do not match the ticket's keptWeightsSha256 (stored ${ticket.meta.keptWeightsSha256.slice(0, 12)}…, got ${digest.slice(0, 12)}…): different random generator or distribution`);
  }
}

/**
 * Uniform points of {‖x‖ ≤ R} (∩ {x ≥ 0} for a non-negative domain), from stream 'verify/ball': points
 * first … first + count − 1 of one fixed sequence (point p uses counters p·(inputSize + 1) onwards), so the
 * points can be made in chunks.
 */
export function ballPoints(count: number, inputSize: number, radius: number, nonnegative: boolean, seed: number, first = 0): Float64Array {
  const stream = new RandomStream(seed, namedStream('verify/ball'));
  const out = new Float64Array(count * inputSize);
  const normal = { kind: 'normal', mean: 0, std: 1 } as const;
  let counter = first * (inputSize + 1);
  for (let p = 0; p < count; p++) {
    let s = 0;
    const base = p * inputSize;
    for (let i = 0; i < inputSize; i++) {
      const g = stream.sample(normal, counter++);
      out[base + i] = nonnegative ? Math.abs(g) : g;
      s += g * g;
    }
    const r = radius * Math.pow(stream.uniform01(counter++), 1 / inputSize);
    const f = r / Math.sqrt(s);
    for (let i = 0; i < inputSize; i++) out[base + i]! *= f;
  }
  return out;
}

/** Ball points per evaluator call: the next chunk is drawn while the workers evaluate this one. */
const BALL_CHUNK = 2000;
/** Data inputs per evaluator call (for progress; every input is computed on its own, so results do not change). */
const DATA_CHUNK = 2000;

export async function verifyTicket(target: Network, ticket: Ticket, data: VerifyData | null, base: Evaluator, options: VerifyOptions = {}): Promise<VerifyReport> {
  const now = options.now ?? (() => 0);
  const total = (data?.count ?? 0) + (options.randomPoints ?? 10_000) + (options.adversarialEvaluations ?? 4096);
  let evaluated = 0;
  options.onProgress?.(0, total);
  const evaluator: Evaluator = {
    ...base,
    evaluate: async (inputs, count) => {
      const result = await base.evaluate(inputs, count);
      evaluated += count;
      options.onProgress?.(Math.min(evaluated, total), total);
      return result;
    },
  };
  const t0 = now();
  const meta = ticket.meta;
  const inputSize = meta.inputShape.reduce((a, b) => a * b, 1);
  const outputSize = evaluator.outputSize;
  checkRegeneration(ticket, 'ticket', evaluator.materialized.meta === meta ? evaluator.materialized : materializeTicket(ticket));
  const t1 = now();

  let dataError: ErrorStats | null = null;
  let targetAccuracy: number | null = null;
  let ticketAccuracy: number | null = null;
  let argmaxAgreement: number | null = null;
  const starts: { error: number; input: Float64Array }[] = [];
  const keep = (errors: Float64Array, inputs: Float64Array): void => {
    // Remember the 4 worst inputs as start points of the adversarial search.
    for (let i = 0; i < errors.length; i++) {
      if (starts.length < 4 || errors[i]! > starts[starts.length - 1]!.error) {
        starts.push({ error: errors[i]!, input: inputs.slice(i * inputSize, (i + 1) * inputSize) });
        starts.sort((a, b) => b.error - a.error);
        if (starts.length > 4) starts.pop();
      }
    }
  };
  if (data) {
    const inputs = data.inputs instanceof Float64Array ? data.inputs : Float64Array.from(data.inputs);
    const r = { target: new Float64Array(data.count * outputSize), ticket: new Float64Array(data.count * outputSize) };
    for (let start = 0; start < data.count; start += DATA_CHUNK) {
      const n = Math.min(DATA_CHUNK, data.count - start);
      const part = await evaluator.evaluate(inputs.slice(start * inputSize, (start + n) * inputSize), n);
      r.target.set(part.target, start * outputSize);
      r.ticket.set(part.ticket, start * outputSize);
    }
    const errors = outputErrors(r.target, r.ticket, data.count, outputSize);
    dataError = stats(errors);
    keep(errors, inputs);
    let targetCorrect = 0;
    let ticketCorrect = 0;
    let agree = 0;
    for (let b = 0; b < data.count; b++) {
      const ft = argmax(r.target, b * outputSize, outputSize);
      const gt = argmax(r.ticket, b * outputSize, outputSize);
      if (ft === data.labels[b]) targetCorrect++;
      if (gt === data.labels[b]) ticketCorrect++;
      if (ft === gt) agree++;
    }
    targetAccuracy = targetCorrect / data.count;
    ticketAccuracy = ticketCorrect / data.count;
    argmaxAgreement = agree / data.count;
  }
  const t2 = now();

  const pointCount = options.randomPoints ?? 10_000;
  const nonnegative = meta.inputDomain === 'nonnegative';
  const ballErrors = new Float64Array(pointCount);
  const chunkPoints = (start: number): Float64Array => ballPoints(Math.min(BALL_CHUNK, pointCount - start), inputSize, meta.inputRadius, nonnegative, meta.seed, start);
  let next = pointCount > 0 ? chunkPoints(0) : null;
  for (let start = 0; next !== null; start += BALL_CHUNK) {
    const points = next;
    const n = points.length / inputSize;
    const pending = evaluator.evaluate(points, n);
    next = start + n < pointCount ? chunkPoints(start + n) : null;
    const rb = await pending;
    const errors = outputErrors(rb.target, rb.ticket, n, outputSize);
    ballErrors.set(errors, start);
    keep(errors, points);
  }
  const ballError = stats(ballErrors);
  const t3 = now();

  const adversarial = await adversarialSearch(evaluator, starts.map((s) => s.input), {
    radius: meta.inputRadius,
    nonnegative,
    evaluations: options.adversarialEvaluations ?? 4096,
    seed: meta.seed,
  });
  const t4 = now();
  options.onProgress?.(total, total);

  const maxOutputError = Math.max(dataError?.max ?? 0, ballError.max, adversarial.maxError);
  const box = options.inputBox === undefined ? defaultInputBox(target) : options.inputBox;
  // The box certificate follows the 2l construction's stage pairs: none for l+1 tickets.
  const boxBound = box === null || meta.construction !== TICKET_CONSTRUCTION ? null : certifyBox(target, evaluator.materialized, box);
  const sizes = networkSizes(meta.stages, parameterCount(target));
  let outside = 0;
  for (const s of meta.certificate.stages) outside += s.outsideTolerance;
  return {
    targetParams: sizes.targetParams,
    randomParams: sizes.randomDense,
    randomBlockParams: sizes.randomBlock,
    keptParams: keptParameterCount(ticket),
    depth: randomDepth(meta.stages),
    construction: meta.construction === TICKET_CONSTRUCTION ? '2l' : 'l+1',
    certifiedBound: meta.certificate.realBound,
    certifiedBoundNormalised: meta.certificate.normalisedBound,
    tolerance: meta.tolerance,
    inputRadius: meta.inputRadius,
    inputDomain: meta.inputDomain,
    maxOutputError,
    meanOutputError: dataError ? dataError.mean : ballError.mean,
    dataError,
    ballError,
    adversarialError: { max: adversarial.maxError, evaluations: adversarial.evaluations },
    withinCertificate: maxOutputError <= meta.certificate.realBound,
    inputBox: box,
    boxCertifiedBound: boxBound?.bound ?? null,
    boxCertificateMethod: boxBound?.method ?? null,
    targetAccuracy,
    ticketAccuracy,
    argmaxAgreement,
    instancesOutsideTolerance: outside,
    seconds: (t4 - t0) / 1000,
    phaseSeconds: { regenerate: (t1 - t0) / 1000, data: (t2 - t1) / 1000, ball: (t3 - t2) / 1000, adversarial: (t4 - t3) / 1000 },
  };
}
