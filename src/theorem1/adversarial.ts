/**
 * Derivative-free search for the input of the certified domain {‖x‖ ≤ R, x ≥ 0 if the domain is non-negative}
 * where ‖f(x) − g(x)‖ is largest: a (1+λ) evolution strategy per start point (λ random Gaussian directions,
 * step adapted ×1.5 on success, ×0.7 otherwise, every candidate projected onto the domain), plus the radial
 * candidate x·R/‖x‖ (errors grow with ‖x‖). Random directions come from a counter-based stream.
 */
import { RandomStream, namedStream } from '../core/random.js';
import type { Evaluator } from './evaluator.js';

export interface AdversarialOptions {
  radius: number;
  nonnegative: boolean;
  /** Total evaluations of f and g. */
  evaluations: number;
  /** Candidates per step. */
  population?: number;
  seed: number;
}

export interface AdversarialResult {
  maxError: number;
  /** The worst input found (row-major, real domain). */
  input: Float64Array;
  evaluations: number;
}

/** Projects onto {‖x‖ ≤ R} ∩ {x ≥ 0 if nonnegative}, in place. */
export function projectToDomain(x: Float64Array, radius: number, nonnegative: boolean): void {
  if (nonnegative) for (let i = 0; i < x.length; i++) if (x[i]! < 0) x[i] = 0;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  const norm = Math.sqrt(s);
  if (norm > radius) {
    const f = radius / norm;
    for (let i = 0; i < x.length; i++) x[i]! *= f;
  }
}

export function outputErrors(target: Float64Array, ticket: Float64Array, count: number, outputSize: number): Float64Array {
  const errors = new Float64Array(count);
  for (let b = 0; b < count; b++) {
    let s = 0;
    for (let k = 0; k < outputSize; k++) {
      const d = target[b * outputSize + k]! - ticket[b * outputSize + k]!;
      s += d * d;
    }
    errors[b] = Math.sqrt(s);
  }
  return errors;
}

/** Searches from the given start points (row-major, each of `inputSize` values); budget split evenly. */
export async function adversarialSearch(evaluator: Evaluator, starts: Float64Array[], options: AdversarialOptions): Promise<AdversarialResult> {
  const population = options.population ?? 32;
  const stream = new RandomStream(options.seed, namedStream('verify/adversarial'));
  const inputSize = starts[0]?.length ?? 0;
  let counter = 0;
  let used = 0;
  let bestError = 0;
  let bestInput: Float64Array = new Float64Array(inputSize);
  const perStart = Math.floor(options.evaluations / Math.max(1, starts.length));
  const drawDirections = (): { d: Float64Array; norm: number }[] => {
    const out: { d: Float64Array; norm: number }[] = [];
    for (let c = 0; c < population; c++) {
      const d = new Float64Array(inputSize);
      let dn = 0;
      for (let i = 0; i < inputSize; i++) {
        const g = stream.sample({ kind: 'normal', mean: 0, std: 1 }, counter++);
        d[i] = g;
        dn += g * g;
      }
      out.push({ d, norm: Math.sqrt(dn) });
    }
    return out;
  };
  for (const start of starts) {
    let x: Float64Array = Float64Array.from(start);
    projectToDomain(x, options.radius, options.nonnegative);
    // Radial candidate first.
    const radial = Float64Array.from(x);
    let rn = 0;
    for (let i = 0; i < inputSize; i++) rn += radial[i]! * radial[i]!;
    rn = Math.sqrt(rn);
    if (rn > 0) for (let i = 0; i < inputSize; i++) radial[i]! *= options.radius / rn;
    const first = await evaluator.evaluate(concat([x, radial], inputSize), 2);
    const e0 = outputErrors(first.target, first.ticket, 2, evaluator.outputSize);
    used += 2;
    let current = e0[0]!;
    if (e0[1]! > current) {
      x = radial;
      current = e0[1]!;
    }
    let step = 0.1;
    let spent = 2;
    // The next step's random directions are drawn while the evaluator works on this step's candidates (same
    // counters in the same order as drawing them at the top of each step).
    let directions = spent + population <= perStart ? drawDirections() : [];
    while (spent + population <= perStart) {
      const candidates = directions.map(({ d, norm }) => {
        const scale = (step * options.radius) / norm;
        const y = new Float64Array(inputSize);
        for (let i = 0; i < inputSize; i++) y[i] = x[i]! + scale * d[i]!;
        projectToDomain(y, options.radius, options.nonnegative);
        return y;
      });
      const pending = evaluator.evaluate(concat(candidates, inputSize), population);
      directions = spent + 2 * population <= perStart ? drawDirections() : [];
      const r = await pending;
      const errors = outputErrors(r.target, r.ticket, population, evaluator.outputSize);
      spent += population;
      used += population;
      let best = -1;
      for (let c = 0; c < population; c++) if (errors[c]! > current) { current = errors[c]!; best = c; }
      if (best >= 0) {
        x = candidates[best]!;
        step = Math.min(1, step * 1.5);
      } else {
        step = Math.max(1e-4, step * 0.7);
      }
    }
    if (current > bestError) {
      bestError = current;
      bestInput = x;
    }
  }
  return { maxError: bestError, input: bestInput, evaluations: used };
}

function concat(parts: Float64Array[], inputSize: number): Float64Array {
  const out = new Float64Array(parts.length * inputSize);
  parts.forEach((p, i) => out.set(p, i * inputSize));
  return out;
}
