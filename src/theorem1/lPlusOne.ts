/**
 * The depth-(l+1) construction (Burkholz, "Most Activation Functions Can Win the Lottery Without Excessive Depth",
 * NeurIPS 2022), for the same targets as Theorem 1's depth-2l one, with one random network fixed by the seed and
 * every layer pruned (the last one too: nothing is copied from the target).
 *
 * Random network: layer 1 is the univariate copying layer of Theorem 1 (2n units per input unit, weights u);
 * layer 2 maps those units to ρ₁ copies of every (augmented) output of target layer 1; layer i + 1 (i ≥ 2) maps the
 * ρ_{i−1} copies of target layer i−1's outputs to ρ_i copies of target layer i's outputs (ρ_l = 1: the outputs).
 * Copies are copy-major: copy c of unit j of a layer with d units is unit c·d + j. The target's ReLU, max-pool and
 * flatten act on every copy as on the unit (flatten keeps copy-major order). Biases use the constant unit of
 * theorem1.ts, which is copied like every other unit.
 *
 * Subset sums: a copy (o, c) of stage 1 matches Ã₁[o, j] by products v·u over the block of j, as in the 2l
 * construction; a copy (o, c) of stage i ≥ 2 matches Ã_i[o, j] by a subset of the random weights v from the ρ_{i−1}
 * copies of j to it (n_i = ρ_{i−1} values per instance). The kept copies enter the sums as they are, of any sign (in
 * the ticket, hidden unit r of such a stage is input r with weight 1 and no ReLU, so the masks, the file format
 * and the export of 2l tickets carry over).
 *
 * Certificate (normalised domain, ‖z‖ ≤ 1, ‖Ã_i‖ ≤ 1, so every target activation x_i has ‖x_i‖ ≤ 1). Let Y_i be
 * the ticket's copies after stage i and X̄_i = x_i ⊗ 1 the target's activation repeated ρ_i times. Stage 1 errs
 * by E₁z (E₁: every copy's entry errors, [ρ₁d₁, d₀·branches]), so δ₁ = ‖Y₁ − X̄₁‖ ≤ e₁ = ‖E₁‖₂. For i ≥ 2 the
 * pre-activation is M_i Y_{i−1} = M_i X̄_{i−1} + M_i (Y_{i−1} − X̄_{i−1}) and M_i X̄_{i−1} = (Ã_i x_{i−1}) ⊗ 1 +
 * E_i x_{i−1}, so with 1-Lipschitz ReLU / max-pool / flatten acting copy by copy,
 *   δ_i ≤ m_i δ_{i−1} + e_i,   m_i ≥ ‖M_i‖₂ (the kept random matrix),  e_i ≥ ‖E_i‖₂,
 * and sup ‖f(x) − g(x)‖ ≤ outputScale · δ_l. Unlike the 2l construction, disagreements between copies are carried
 * by the whole kept matrix M_i, whose norm grows like √(ρ·d): earlier stages need smaller per-entry errors. The
 * stages are therefore pruned last to first, each against the share (ε/l)/Π_{k>i} m_k of ε, which makes δ_l ≤ ε.
 */
import { InputError } from '../core/errors.js';
import { UNIT_UNIFORM } from '../core/random.js';
import type { Network } from '../nn/network.js';
import { MAX_SAMPLE_COUNT } from '../subsetsum/types.js';
import { practicalSampleCount } from './bounds.js';
import { frobeniusFactor, stageErrorBound, type Certificate, type StageCertificate } from './certificate.js';
import { assembleTicket, checkPruneOptions, countInstances, pruneStage, stageCertificate, type BatchSolver, type PruneOptions, type PruneOutcome, type SampleCountSearch, type StageResult } from './prune.js';
import { convNormUpperBound, spectralNormUpperBound } from './spectral.js';
import { edgeStream, planTheorem1, randomWeight, secondLayerIndex, type PlannedStage, type Theorem1Plan } from './theorem1.js';
import { TICKET_CONSTRUCTION_L_PLUS_1, type TicketStageMasks } from './ticket.js';

/** Largest dense M_i (rows·cols·min(rows, cols)) whose norm is bounded through its Gram matrix; beyond, √(‖M‖₁‖M‖_∞). */
const GRAM_WORK_LIMIT = 2e9;

/**
 * The stage of the depth-(l+1) network for target stage i (0-based) of a 2l plan: ρ_out copies of every output,
 * and for i ≥ 1 the input as ρ_in copies (n = ρ_in values per instance). Target rows are repeated per copy.
 */
export function copyStage(base: PlannedStage, stageIndex: number, outputCopies: number, inputCopies: number | null): PlannedStage {
  const kk = base.kernelSize * base.kernelSize;
  const rowLength = base.inUnits * kk;
  const target = new Float64Array(base.outUnits * outputCopies * rowLength);
  for (let c = 0; c < outputCopies; c++) target.set(base.target, c * base.outUnits * rowLength);
  return {
    ...base,
    after: base.after.map((l) => ({ ...l })),
    target,
    outUnits: base.outUnits * outputCopies,
    outputCopies,
    // A stage reading copies sums them as they are, whatever their sign: one branch.
    ...(inputCopies !== null ? { inUnits: base.inUnits * inputCopies, inputCopies, sampleCount: inputCopies, edgeLayer: stageIndex + 2, twoBranch: false } : { edgeLayer: 2 }),
  };
}

/**
 * m_i: a rigorous upper bound of ‖M_i‖₂ for a stage's kept random matrix (dense: through the Gram matrix when
 * affordable, else √(‖M‖₁‖M‖_∞); convolution: the torus bound when affordable, else Σ over taps of each tap's
 * channel matrix, since a zero-padded shift has norm ≤ 1).
 */
export function keptMatrixNormBound(stage: PlannedStage, stageNumber: number, masks: TicketStageMasks, seed: number, distribution: PruneOptions['distribution']): number {
  const dist = distribution ?? UNIT_UNIFORM;
  const stream = edgeStream(seed, stageNumber, stage);
  const kk = stage.kernelSize * stage.kernelSize;
  const rows = stage.outUnits;
  const cols = stage.inUnits;
  // [rows, cols, k, k], the hidden unit r of an edge being input r of the stage.
  const m = new Float64Array(rows * cols * kk);
  for (let o = 0; o < rows; o++) {
    for (let e = masks.edgeOffsets[o]!; e < masks.edgeOffsets[o + 1]!; e++) {
      const key = masks.edgeKeys[e]!;
      const r = Math.floor(key / kk);
      const tap = key - r * kk;
      m[(o * cols + r) * kk + tap] = randomWeight(stream, dist, secondLayerIndex(stage, o, r, tap));
    }
  }
  const small = Math.min(rows, cols);
  if (stage.kind === 'dense') {
    if (rows * cols * small <= GRAM_WORK_LIMIT) return spectralNormUpperBound(m, rows, cols).upper;
    return holderBound(m, rows, cols);
  }
  const positions = (stage.inputHeight + stage.padding) * (stage.inputWidth + stage.padding);
  if (positions * 8 * small * small * small <= GRAM_WORK_LIMIT) {
    return convNormUpperBound(m, { outChannels: rows, inChannels: cols, kernelSize: stage.kernelSize, padding: stage.padding, inputHeight: stage.inputHeight, inputWidth: stage.inputWidth }).upper;
  }
  let sum = 0;
  const tapMatrix = new Float64Array(rows * cols);
  for (let t = 0; t < kk; t++) {
    for (let o = 0; o < rows; o++) for (let r = 0; r < cols; r++) tapMatrix[o * cols + r] = m[(o * cols + r) * kk + t]!;
    sum += rows * cols * small <= GRAM_WORK_LIMIT ? spectralNormUpperBound(tapMatrix, rows, cols).upper : holderBound(tapMatrix, rows, cols);
  }
  return sum * (1 + 1e-12);
}

/** ‖M‖₂ ≤ √(‖M‖₁·‖M‖_∞) (largest column and row absolute sums), widened for rounding. */
function holderBound(m: Float64Array, rows: number, cols: number): number {
  const colSums = new Float64Array(cols);
  let rowMax = 0;
  for (let o = 0; o < rows; o++) {
    let row = 0;
    for (let r = 0; r < cols; r++) {
      const a = Math.abs(m[o * cols + r]!);
      row += a;
      colSums[r] += a;
    }
    if (row > rowMax) rowMax = row;
  }
  let colMax = 0;
  for (const c of colSums) if (c > colMax) colMax = c;
  return Math.sqrt(rowMax * colMax) * (1 + 1e-12);
}

/** δ_l from the stages' e_i and m_i (m of stage 1 unused): δ₁ = e₁, δ_i = m_i δ_{i−1} + e_i. */
export function composeCopyErrorBounds(errorBounds: readonly number[], edgeNormBounds: readonly number[]): number {
  let delta = 0;
  errorBounds.forEach((e, i) => (delta = i === 0 ? e : edgeNormBounds[i]! * delta + e));
  return delta;
}

/** Prunes the depth-(l+1) network for a target; same options and outcome as pruneWithSolver (the 2l construction). */
export async function pruneLPlusOne(network: Network, options: PruneOptions, solve: BatchSolver): Promise<PruneOutcome> {
  checkPruneOptions(options);
  if (options.failureProbability !== undefined) {
    throw new InputError('failureProbability: Theorem 1\'s formula for n is stated for the 2l construction; with the l+1 construction give samples (--samples) or let the search for ε choose n');
  }
  const base = planTheorem1(network, { sampleCounts: 1, ...(options.inputDomain ? { inputDomain: options.inputDomain } : {}), ...(options.inputRadius !== undefined ? { inputRadius: options.inputRadius } : {}) });
  const layers = base.stages.length;
  const given = options.sampleCounts === undefined ? null : Array.isArray(options.sampleCounts) ? options.sampleCounts : [options.sampleCounts];
  if (given !== null && given.length !== 1 && given.length !== layers) throw new InputError(`samples: expected 1 or ${layers} values (one per parameterised layer), got ${given.length}`);
  for (const n of given ?? []) if (!Number.isInteger(n) || n < 1 || n > MAX_SAMPLE_COUNT) throw new InputError(`samples: n must be an integer in [1, ${MAX_SAMPLE_COUNT}], got ${n}`);
  const searching = given === null;
  const distribution = options.distribution ?? UNIT_UNIFORM;
  const objective = options.objective ?? (options.subsetSize !== undefined ? 'closest' : 'sparsest');
  const valuesPerBatch = options.valuesPerBatch ?? 4_000_000;
  const maxSamples = options.maxSamples ?? MAX_SAMPLE_COUNT;
  // (1 − 1e-6) leaves room for the rounding allowances, as in the 2l split.
  const baseShare = (options.tolerance / layers) * (1 - 1e-6);

  const stages: PlannedStage[] = new Array(layers);
  const results: StageResult[] = new Array(layers);
  const errorBounds: Array<{ upper: number; frobenius: number }> = new Array(layers);
  const edgeNorms: number[] = new Array(layers).fill(0);
  const tolerances: number[] = new Array(layers);
  const sampleCountSearch: SampleCountSearch[] = [];
  let amplification = 1; // Π_{k>i} m_k
  let outputCopies = 1;
  for (let i = layers - 1; i >= 0; i--) {
    const share = baseShare / amplification;
    const stageAt = (n: number): PlannedStage => {
      const stage = copyStage(base.stages[i]!, i, outputCopies, i > 0 ? n : null);
      if (i === 0) stage.sampleCount = n;
      return stage;
    };
    // ε′_i: the share spread over every entry of every copy (‖E‖₂ ≤ frobeniusFactor·max|e|); it does not depend on n,
    // so the factor comes from the geometry alone (no copy of the target rows).
    const baseStage = base.stages[i]!;
    const entryTolerance = share / frobeniusFactor({ ...baseStage, outUnits: baseStage.outUnits * outputCopies, twoBranch: i > 0 ? false : baseStage.twoBranch });
    tolerances[i] = entryTolerance;
    let n = given !== null ? (given.length === 1 ? given[0]! : given[i]!) : Math.min(MAX_SAMPLE_COUNT / 2 + 4, practicalSampleCount(entryTolerance));
    const search: SampleCountSearch = { stage: base.stages[i]!.name, errorBoundTarget: share, tried: [] };
    for (;;) {
      const stage = stageAt(n);
      const phase = search.tried.length === 0 ? `subset sums, ${stage.name}` : `subset sums, ${stage.name} at n = ${n}`;
      const total = countInstances(stage, i).instances;
      const result = await pruneStage(stage, i, options.seed, distribution, objective, options.subsetSize, entryTolerance, valuesPerBatch, solve, (done) => options.onProgress?.(done, total, phase));
      const bound = stageErrorBound(stage, result.ePlus, result.eMinus);
      search.tried.push({ sampleCount: n, errorNormBound: bound.upper, outsideTolerance: result.report.outsideTolerance, solved: result.report.instances });
      stages[i] = stage;
      results[i] = result;
      errorBounds[i] = bound;
      if (!searching || bound.upper <= share) break;
      if (n >= maxSamples) {
        throw new InputError(
          `samples: layer ${stage.name} needs n > ${maxSamples} to meet ε = ${options.tolerance} with the l+1 construction: its error bound is ${bound.upper.toPrecision(4)} at n = ${n}, its share of ε is ${share.toPrecision(4)} ` +
            `(the later layers' kept random matrices amplify it ${amplification.toPrecision(3)}×); raise the tolerance, use the 2l construction, or give samples (--samples) to accept a larger certificate`,
        );
      }
      n++;
    }
    if (search.tried.length > 1) sampleCountSearch.unshift(search);
    if (i > 0) {
      edgeNorms[i] = keptMatrixNormBound(stages[i]!, i + 1, results[i]!.masks, options.seed, distribution);
      amplification *= edgeNorms[i]!;
      outputCopies = n; // stage i reads n copies of each output of stage i − 1
    }
  }

  const stageCertificates: StageCertificate[] = results.map((result, s) => ({
    ...stageCertificate(stages[s]!, result, errorBounds[s]!, tolerances[s]!),
    ...(s > 0 ? { edgeNormBound: edgeNorms[s]! } : {}),
  }));
  const normalisedBound = composeCopyErrorBounds(errorBounds.map((b) => b.upper), edgeNorms);
  const aPriori = composeCopyErrorBounds(stages.map((st, s) => tolerances[s]! * frobeniusFactor(st)), edgeNorms);
  const certificate: Certificate = { method: 'composed-copies-bound', normalisedBound, realBound: normalisedBound * base.outputScale, aPrioriNormalisedBound: aPriori, stages: stageCertificates };
  const plan: Theorem1Plan = { ...base, stages };
  const { ticket, materialized } = assembleTicket(plan, options, { distribution, objective, tolerances, certificate, masks: results.map((r) => r.masks), construction: TICKET_CONSTRUCTION_L_PLUS_1 });
  return { ticket, materialized, plan, stages: results.map((r) => r.report), sampleCountFormula: null, sampleCountSearch: searching ? sampleCountSearch : null };
}
