/**
 * Theorem 1 pruning (Pensia et al., NeurIPS 2020, §3): for every entry w of every (normalised, augmented) target
 * layer, solve the subset-sum instance Σ_{t∈S⁺} v_t·u_t ≈ w over the block's units with u > 0 (σ(x) branch) and,
 * when the layer input may be negative, Σ_{t∈S⁻} v_t·|u_t| ≈ −w over the units with u < 0 (σ(−x) branch); keep
 * the edges of the chosen subsets. Pure core: the subset-sum solver is passed in (solveBatch in the CLI).
 */
import { nthRoot } from '../core/deterministicMath.js';
import { InputError } from '../core/errors.js';
import type { ProgressListener } from '../core/progress.js';
import { UNIT_UNIFORM, distributionProblem, type Distribution } from '../core/random.js';
import type { Network } from '../nn/network.js';
import { MAX_SAMPLE_COUNT, type Objective, type SubsetSumBatch, type SubsetSumBatchResult } from '../subsetsum/types.js';
import {
  composeErrorBounds,
  entryTolerances,
  frobeniusFactor,
  maxAbs,
  stageErrorBound,
  type Certificate,
  type StageCertificate,
} from './certificate.js';
import { practicalSampleCount, theorem1SampleCount, type SampleCountFormula } from './bounds.js';
import {
  blockWeights,
  hiddenUnitCount,
  branchUnits,
  columnIsTwoBranch,
  edgeStream,
  planTheorem1,
  randomWeight,
  secondLayerIndex,
  targetInUnits,
  truncatedBranchUnits,
  type InputDomain,
  type PlannedStage,
  type Theorem1Plan,
} from './theorem1.js';
import { TICKET_CONSTRUCTION, TICKET_FORMAT, TICKET_FORMAT_VERSION, TICKET_GENERATOR, keptWeightsSha256, materializeTicket, type MaterializedTicket, type Ticket, type TicketConstruction, type TicketStageMasks } from './ticket.js';

export type BatchSolver = (batch: SubsetSumBatch, onProgress?: (done: number, total: number) => void) => Promise<SubsetSumBatchResult>;

export interface PruneOptions {
  /** ε: tolerance in the normalised domain (Theorem 1's sup over ‖x‖ ≤ 1 after rescaling). */
  tolerance: number;
  seed: number;
  /** n (one for all layers, or one per parameterised layer); default from the failure probability. */
  sampleCounts?: number | number[];
  /** δ for Theorem 1's n formula (ignored when sampleCounts is given). Neither given: practicalSampleCount per stage. */
  failureProbability?: number;
  distribution?: Distribution;
  objective?: Objective;
  /**
   * Every non-zero target entry (each branch) is matched by exactly this many products (the closest such subset),
   * so the ticket keeps a known number of edges; objective must be closest (the default then).
   */
  subsetSize?: number;
  inputDomain?: InputDomain;
  inputRadius?: number;
  /** SHA-256 of the target file, recorded in the ticket. */
  targetSha256: string;
  /** Values per solver batch (memory bound); does not change any result. Default 4,000,000. */
  valuesPerBatch?: number;
  /**
   * Largest n the search for ε may reach (default 40, the exact solver's limit). The search runs when n is not
   * given (neither sampleCounts nor failureProbability): see pruneWithSolver.
   */
  maxSamples?: number;
  /** Subset sums done of total (phase "subset sums"; each raise of n reports its own phase, from 0). */
  onProgress?: ProgressListener;
}

/** One layer's search for ε: every n tried (from the default upward) with its error bound e_i. */
export interface SampleCountSearch {
  stage: string;
  /** e_i must be ≤ this share of ε: (1 + ε)^{1/l} − 1, so that Π(1 + e_i) − 1 ≤ ε. */
  errorBoundTarget: number;
  /**
   * solved: the subset sums solved at this n — all of them at the first (default) n; after that only those that
   * were outside ε′ at the previous n (the others keep their subsets: the first 2n units of a block are the same
   * at n + 1).
   */
  tried: Array<{ sampleCount: number; errorNormBound: number; outsideTolerance: number; solved: number }>;
}

export interface StagePruneReport {
  name: string;
  kind: 'dense' | 'conv2d';
  sampleCount: number;
  twoBranch: boolean;
  entryTolerance: number;
  /** Entries with a non-zero target (zero entries are exact with the empty subset and need no instance). */
  nonzeroEntries: number;
  instances: number;
  /** σ(−x) instances not built because the input is provably ≥ 0. */
  instancesSavedNonnegative: number;
  outsideTolerance: number;
  maxEntryError: number;
  keptUnits: number;
  keptEdges: number;
  hiddenUnits: number;
  /** Branch units beyond the solver's 40-value limit, left out. */
  truncatedUnits: number;
}

export interface PruneOutcome {
  ticket: Ticket;
  /** The ticket with its kept weights regenerated (computed for keptWeightsSha256; reused by the report). */
  materialized: MaterializedTicket;
  plan: Theorem1Plan;
  stages: StagePruneReport[];
  sampleCountFormula: SampleCountFormula | null;
  /** The layers whose n was raised to meet ε (empty when the defaults met it; null when n was given). */
  sampleCountSearch: SampleCountSearch[] | null;
}

export function checkPruneOptions(options: PruneOptions): void {
  const k = options.subsetSize;
  if (k !== undefined) {
    if (!Number.isInteger(k) || k < 1 || k > MAX_SAMPLE_COUNT) throw new InputError(`subsetSize: expected an integer in [1, ${MAX_SAMPLE_COUNT}], got ${k}`);
    if (options.objective !== undefined && options.objective !== 'closest') throw new InputError(`subsetSize: fixes how many products each entry uses, so it goes with the closest objective, got '${options.objective}'`);
  }
  // ε is in the normalised domain, where ‖f(x)‖ ≤ 1 on the ball: ε ≥ 1 is met by the empty ticket.
  if (!(options.tolerance > 0 && options.tolerance < 1)) throw new InputError(`tolerance: must be a number in (0, 1) (ε in the normalised domain), got ${options.tolerance}`);
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff) throw new InputError(`seed: expected an integer in [0, 2^32), got ${options.seed}`);
  const d = options.failureProbability;
  if (d !== undefined && !(d > 0 && d < 1)) throw new InputError(`failureProbability: must be in (0, 1), got ${d}`);
  const m = options.maxSamples;
  if (m !== undefined && !(Number.isInteger(m) && m >= 1 && m <= MAX_SAMPLE_COUNT)) throw new InputError(`maxSamples: expected an integer in [1, ${MAX_SAMPLE_COUNT}], got ${m}`);
  if (options.distribution) {
    const problem = distributionProblem(options.distribution);
    if (problem) throw new InputError(`distribution: ${problem}`);
  }
}

/** Plans the construction: normalisation, per-entry tolerances and n. */
export function planPrune(network: Network, options: PruneOptions, source = 'target'): { plan: Theorem1Plan; tolerances: number[]; formula: SampleCountFormula | null } {
  checkPruneOptions(options);
  const planOptions = { sampleCounts: options.sampleCounts ?? 1, ...(options.inputDomain ? { inputDomain: options.inputDomain } : {}), ...(options.inputRadius !== undefined ? { inputRadius: options.inputRadius } : {}) };
  const plan = planTheorem1(network, planOptions, source);
  const tolerances = entryTolerances(plan.stages, options.tolerance);
  let formula: SampleCountFormula | null = null;
  if (options.sampleCounts === undefined && options.failureProbability !== undefined) {
    let instances = 0;
    for (const s of plan.stages) instances += s.outUnits * s.inUnits * s.kernelSize * s.kernelSize * (s.twoBranch ? 2 : 1);
    formula = theorem1SampleCount({ instances, entryTolerance: Math.min(...tolerances), failureProbability: options.failureProbability });
    if (formula.sampleCount > MAX_SAMPLE_COUNT) {
      throw new InputError(`failureProbability: Theorem 1's ${formula.formula} exceeds the exact solver's ${MAX_SAMPLE_COUNT} values per instance; pass samples (--samples; lottery bound --search for the smallest n that works)`);
    }
    for (const s of plan.stages) s.sampleCount = formula.sampleCount;
  } else if (options.sampleCounts === undefined) {
    plan.stages.forEach((s, i) => (s.sampleCount = Math.min(MAX_SAMPLE_COUNT / 2 + 4, practicalSampleCount(tolerances[i]!))));
  }
  return { plan, tolerances, formula };
}

/** Runs the whole construction; deterministic for given (target, options) whatever the solver's worker count. */
export async function pruneWithSolver(network: Network, options: PruneOptions, solve: BatchSolver): Promise<PruneOutcome> {
  const { plan, tolerances, formula } = planPrune(network, options);
  const distribution = options.distribution ?? UNIT_UNIFORM;
  const objective = options.objective ?? (options.subsetSize !== undefined ? 'closest' : 'sparsest');
  const valuesPerBatch = options.valuesPerBatch ?? 4_000_000;

  let totalInstances = 0;
  for (let s = 0; s < plan.stages.length; s++) totalInstances += countInstances(plan.stages[s]!, s).instances;
  let doneBefore = 0;

  const runStage = (s: number, onProgress: (done: number) => void, previous?: StageResult): Promise<StageResult> =>
    pruneStage(plan.stages[s]!, s, options.seed, distribution, objective, options.subsetSize, tolerances[s]!, valuesPerBatch, solve, onProgress, previous);
  const results: StageResult[] = [];
  const bounds: Array<{ upper: number; frobenius: number }> = [];
  for (let s = 0; s < plan.stages.length; s++) {
    const result = await runStage(s, (done) => options.onProgress?.(doneBefore + done, totalInstances, 'subset sums'));
    doneBefore += result.report.instances;
    results.push(result);
    bounds.push(stageErrorBound(plan.stages[s]!, result.ePlus, result.eMinus));
  }
  // ε on request: when n was not given and the defaults miss ε, each layer whose bound exceeds its share of ε gets
  // the smallest larger n that meets the share (searching upward by one), or the run is refused.
  const searching = options.sampleCounts === undefined && options.failureProbability === undefined;
  let sampleCountSearch: SampleCountSearch[] | null = searching ? [] : null;
  if (searching && composeErrorBounds(bounds.map((b) => b.upper)) > options.tolerance) {
    const share = nthRoot(1 + options.tolerance, plan.stages.length) - 1;
    const maxSamples = options.maxSamples ?? MAX_SAMPLE_COUNT;
    sampleCountSearch = [];
    for (let s = 0; s < plan.stages.length; s++) {
      const stage = plan.stages[s]!;
      if (bounds[s]!.upper <= share) continue;
      const search: SampleCountSearch = { stage: stage.name, errorBoundTarget: share, tried: [{ sampleCount: stage.sampleCount, errorNormBound: bounds[s]!.upper, outsideTolerance: results[s]!.report.outsideTolerance, solved: results[s]!.report.instances }] };
      sampleCountSearch.push(search);
      while (bounds[s]!.upper > share) {
        if (stage.sampleCount >= maxSamples) {
          const last = search.tried[search.tried.length - 1]!;
          throw new InputError(
            `samples: layer ${stage.name} needs n > ${maxSamples} to meet ε = ${options.tolerance}: its error bound is ${last.errorNormBound.toPrecision(4)} at n = ${last.sampleCount} ` +
              `(${last.outsideTolerance} of ${results[s]!.report.instances} subset sums outside ε′ = ${tolerances[s]!.toPrecision(3)}), its share of ε is ${share.toPrecision(4)}; ` +
              `${maxSamples < MAX_SAMPLE_COUNT ? `raise the limit on n (maxSamples, --max-samples; at most ${MAX_SAMPLE_COUNT}, the exact solver's limit), ` : ''}raise the tolerance, or give samples (--samples) to accept a larger certificate`,
          );
        }
        stage.sampleCount += 1;
        // Only the subset sums outside ε′ are solved again: the others keep their subsets, still there at n + 1.
        const previous = results[s]!;
        const phase = `subset sums, ${stage.name} at n = ${stage.sampleCount}`;
        const attempt = await runStage(s, (done) => options.onProgress?.(done, previous.report.outsideTolerance, phase), previous);
        results[s] = attempt;
        bounds[s] = stageErrorBound(stage, attempt.ePlus, attempt.eMinus);
        search.tried.push({ sampleCount: stage.sampleCount, errorNormBound: bounds[s]!.upper, outsideTolerance: attempt.report.outsideTolerance, solved: previous.report.outsideTolerance });
      }
    }
  }
  const masks: TicketStageMasks[] = results.map((r) => r.masks);
  const reports: StagePruneReport[] = results.map((r) => r.report);
  const stageCertificates = results.map((result, s) => stageCertificate(plan.stages[s]!, result, bounds[s]!, tolerances[s]!));
  const normalisedBound = composeErrorBounds(stageCertificates.map((c) => c.errorNormBound));
  const aPriori = composeErrorBounds(plan.stages.map((st, s) => tolerances[s]! * frobeniusFactor(st)));
  const certificate: Certificate = {
    method: 'composed-spectral-bound',
    normalisedBound,
    realBound: normalisedBound * plan.outputScale,
    aPrioriNormalisedBound: aPriori,
    stages: stageCertificates,
  };
  const { ticket, materialized } = assembleTicket(plan, options, { distribution, objective, tolerances, certificate, masks, construction: TICKET_CONSTRUCTION });
  return { ticket, materialized, plan, stages: reports, sampleCountFormula: formula, sampleCountSearch };
}

/** A stage's part of the certificate: its error bound e_i with the counts it comes from. */
export function stageCertificate(stage: PlannedStage, result: StageResult, bound: { upper: number; frobenius: number }, entryTolerance: number): StageCertificate {
  return {
    name: stage.name,
    twoBranch: stage.twoBranch,
    errorNormBound: bound.upper,
    errorFrobeniusBound: bound.frobenius,
    maxEntryError: result.report.maxEntryError,
    entryTolerance,
    instances: result.report.instances,
    outsideTolerance: result.report.outsideTolerance,
  };
}

/** The ticket of a pruning (masks, geometry and certificate), with its kept weights regenerated and checksummed. */
export function assembleTicket(
  plan: Theorem1Plan,
  options: PruneOptions,
  parts: { distribution: Distribution; objective: Objective; tolerances: number[]; certificate: Certificate; masks: TicketStageMasks[]; construction: TicketConstruction },
): { ticket: Ticket; materialized: MaterializedTicket } {
  const { distribution, objective, tolerances, certificate, masks } = parts;
  const ticket: Ticket = {
    meta: {
      format: TICKET_FORMAT,
      formatVersion: TICKET_FORMAT_VERSION,
      construction: parts.construction,
      generator: TICKET_GENERATOR,
      seed: options.seed,
      distribution,
      objective,
      ...(options.subsetSize !== undefined ? { subsetSize: options.subsetSize } : {}),
      inputShape: plan.inputShape,
      outputShape: plan.outputShape,
      inputDomain: plan.inputDomain,
      inputRadius: plan.inputRadius,
      constant: plan.constant,
      inputConstantCount: plan.inputConstantCount,
      augmentedRadius: plan.augmentedRadius,
      inputScale: plan.inputScale,
      outputScale: plan.outputScale,
      tolerance: options.tolerance,
      before: plan.before,
      stages: plan.stages.map((st, s) => {
        const { target: _target, ...geometry } = st;
        void _target;
        return { ...geometry, entryTolerance: tolerances[s]! };
      }),
      certificate,
      targetSha256: options.targetSha256,
      keptWeightsSha256: '',
    },
    masks,
  };
  const materialized = materializeTicket(ticket); // shares ticket.meta, so it carries the checksum set next
  ticket.meta.keptWeightsSha256 = keptWeightsSha256(materialized.stages);
  return { ticket, materialized };
}

/** Instances of a stage: one per non-zero entry, two for two-branch columns. */
export function countInstances(stage: PlannedStage, stageIndex: number): { instances: number; saved: number; nonzero: number } {
  const kk = stage.kernelSize * stage.kernelSize;
  const inUnits = targetInUnits(stage);
  let instances = 0;
  let saved = 0;
  let nonzero = 0;
  for (let o = 0; o < stage.outUnits; o++) {
    for (let j = 0; j < inUnits; j++) {
      const two = columnIsTwoBranch(stage, stageIndex, j);
      for (let t = 0; t < kk; t++) {
        if (stage.target[(o * inUnits + j) * kk + t] === 0) continue;
        nonzero++;
        instances += two ? 2 : 1;
        if (!two) saved++;
      }
    }
  }
  return { instances, saved, nonzero };
}

/** Whether input j has a non-zero target entry (only those need subsets). */
function columnHasEntries(stage: PlannedStage, j: number): boolean {
  const kk = stage.kernelSize * stage.kernelSize;
  const inUnits = targetInUnits(stage);
  for (let o = 0; o < stage.outUnits; o++) for (let t = 0; t < kk; t++) if (stage.target[(o * inUnits + j) * kk + t] !== 0) return true;
  return false;
}

export interface StageResult {
  masks: TicketStageMasks;
  report: StagePruneReport;
  ePlus: Float64Array;
  eMinus: Float64Array | null;
}

export async function pruneStage(
  stage: PlannedStage,
  stageIndex: number,
  seed: number,
  distribution: Distribution,
  objective: Objective,
  subsetSize: number | undefined,
  tolerance: number,
  valuesPerBatch: number,
  solve: BatchSolver,
  onProgress: (done: number) => void,
  /**
   * The stage's result at a smaller n: instances within `tolerance` there keep their subset (its units are among the
   * first 2n of their block, the same at any larger n) and only the others are solved.
   */
  previous?: StageResult,
): Promise<StageResult> {
  // inUnits: the target layer's input units (the instances' columns); a depth-(l+1) stage's input holds copies of them.
  const { outUnits, kernelSize } = stage;
  const inUnits = targetInUnits(stage);
  const kk = kernelSize * kernelSize;
  const u = blockWeights(seed, stageIndex + 1, stage, distribution);
  /** Whether the instance of `entry` (branch 0: σ(x), 1: σ(−x)) is solved here, not kept from `previous`. */
  const solved = (entry: number, branch: number): boolean => {
    if (!previous) return true;
    const error = branch === 0 ? previous.ePlus[entry]! : previous.eMinus![entry]!;
    return !(Math.abs(error) <= tolerance);
  };
  const positive: Int32Array[] = [];
  const negative: Int32Array[] = [];
  for (let j = 0; j < inUnits; j++) {
    positive.push(branchUnits(stage, u, j, true));
    negative.push(columnIsTwoBranch(stage, stageIndex, j) ? branchUnits(stage, u, j, false) : new Int32Array(0));
    if (subsetSize !== undefined && columnHasEntries(stage, j)) {
      const two = columnIsTwoBranch(stage, stageIndex, j);
      const fewest = two ? Math.min(positive[j]!.length, negative[j]!.length) : positive[j]!.length;
      if (fewest < subsetSize) {
        throw new InputError(
          `subsetSize: layer ${stage.name}, input ${j} has only ${fewest} ${stage.inputCopies ? 'copies' : 'random units of one sign'} at n = ${stage.sampleCount} (of its ${stage.inputCopies ? 'copies' : '2n'}), fewer than the ${subsetSize} products every entry must use; raise samples (--samples) or lower the subset size`,
        );
      }
    }
  }
  const vStream = edgeStream(seed, stageIndex + 1, stage);
  // Errors of kept instances are copied; every solved one is overwritten below.
  const ePlus = previous ? previous.ePlus.slice() : new Float64Array(outUnits * inUnits * kk);
  const eMinus = stage.twoBranch ? (previous ? previous.eMinus!.slice() : new Float64Array(outUnits * inUnits * kk)) : null;
  const keptUnit = new Uint8Array(hiddenUnitCount(stage));
  const rowKeys: number[][] = [];
  const counts = countInstances(stage, stageIndex);
  let outside = 0;
  let instancesDone = 0;

  // Rows of outputs are solved in groups sized to keep each batch under `valuesPerBatch` values.
  let o0 = 0;
  while (o0 < outUnits) {
    let valueCount = 0;
    let instanceCount = 0;
    let o1 = o0;
    while (o1 < outUnits) {
      let rowValues = 0;
      let rowInstances = 0;
      for (let j = 0; j < inUnits; j++) {
        const two = columnIsTwoBranch(stage, stageIndex, j);
        for (let t = 0; t < kk; t++) {
          const entry = (o1 * inUnits + j) * kk + t;
          if (stage.target[entry] === 0) continue;
          if (solved(entry, 0)) {
            rowValues += positive[j]!.length;
            rowInstances++;
          }
          if (two && solved(entry, 1)) {
            rowValues += negative[j]!.length;
            rowInstances++;
          }
        }
      }
      if (o1 > o0 && valueCount + rowValues > valuesPerBatch) break;
      valueCount += rowValues;
      instanceCount += rowInstances;
      o1++;
    }
    const values = new Float64Array(valueCount);
    const offsets = new Uint32Array(instanceCount + 1);
    const targets = new Float64Array(instanceCount);
    const entryOf = new Int32Array(instanceCount);
    const negativeBranch = new Uint8Array(instanceCount);
    let vi = 0;
    let ii = 0;
    for (let o = o0; o < o1; o++) {
      for (let j = 0; j < inUnits; j++) {
        const two = columnIsTwoBranch(stage, stageIndex, j);
        for (let t = 0; t < kk; t++) {
          const entry = (o * inUnits + j) * kk + t;
          const w = stage.target[entry]!;
          if (w === 0) continue;
          for (const branch of two ? [0, 1] : [0]) {
            if (!solved(entry, branch)) continue;
            const units = branch === 0 ? positive[j]! : negative[j]!;
            for (let q = 0; q < units.length; q++) {
              const r = units[q]!;
              const v = randomWeight(vStream, distribution, secondLayerIndex(stage, o, r, t));
              values[vi++] = v * Math.abs(u[r]!); // exact: product of two float32 in float64
            }
            targets[ii] = branch === 0 ? w : -w;
            entryOf[ii] = entry;
            negativeBranch[ii] = branch;
            offsets[++ii] = vi;
          }
        }
      }
    }
    const batch: SubsetSumBatch = { values, offsets, targets, tolerance, objective, ...(subsetSize !== undefined ? { subsetSize } : {}) };
    const base = instancesDone;
    const result = await solve(batch, (done) => onProgress(base + done));
    instancesDone += instanceCount;
    onProgress(instancesDone);

    // Read back the subsets: kept units, kept edges, recomputed sums and errors.
    for (let o = o0; o < o1; o++) rowKeys.push([]);
    for (let i = 0; i < instanceCount; i++) {
      const entry = entryOf[i]!;
      const o = Math.floor(entry / (inUnits * kk));
      const j = Math.floor(entry / kk) % inUnits;
      const t = entry % kk;
      const branch = negativeBranch[i]!;
      const units = branch === 0 ? positive[j]! : negative[j]!;
      const keys = rowKeys[o]!;
      let sum = 0;
      for (let q = offsets[i]!, k = 0; q < offsets[i + 1]!; q++, k++) {
        if (result.selected[q] === 0) continue;
        sum += values[q]!;
        const r = units[k]!;
        keptUnit[r] = 1;
        keys.push(r * kk + t);
      }
      const error = sum - targets[i]!;
      if (Math.abs(error) > tolerance) outside++;
      if (branch === 0) ePlus[entry] = error;
      else eMinus![entry] = error;
    }
    if (previous) {
      // Kept instances: their edges as they were (their errors were copied at the start).
      const { edgeOffsets, edgeKeys } = previous.masks;
      for (let o = o0; o < o1; o++) {
        const keys = rowKeys[o]!;
        for (let e = edgeOffsets[o]!; e < edgeOffsets[o + 1]!; e++) {
          const key = edgeKeys[e]!;
          const r = Math.floor(key / kk);
          const entry = (o * inUnits + (r % inUnits)) * kk + (key % kk);
          if (solved(entry, u[r]! > 0 ? 0 : 1)) continue;
          keptUnit[r] = 1;
          keys.push(key);
        }
      }
    }
    o0 = o1;
  }

  const edgeOffsets = new Int32Array(outUnits + 1);
  let edgeCount = 0;
  for (let o = 0; o < outUnits; o++) {
    edgeCount += rowKeys[o]!.length;
    edgeOffsets[o + 1] = edgeCount;
  }
  const edgeKeys = new Int32Array(edgeCount);
  for (let o = 0; o < outUnits; o++) {
    const sorted = Int32Array.from(rowKeys[o]!).sort();
    edgeKeys.set(sorted, edgeOffsets[o]!);
  }
  let unitCount = 0;
  for (let r = 0; r < keptUnit.length; r++) unitCount += keptUnit[r]!;
  const units = new Int32Array(unitCount);
  for (let r = 0, q = 0; r < keptUnit.length; r++) if (keptUnit[r]) units[q++] = r;

  const maxEntryError = Math.max(maxAbs(ePlus), eMinus ? maxAbs(eMinus) : 0);
  return {
    masks: { units, edgeOffsets, edgeKeys },
    ePlus,
    eMinus,
    report: {
      name: stage.name,
      kind: stage.kind,
      sampleCount: stage.sampleCount,
      twoBranch: stage.twoBranch,
      entryTolerance: tolerance,
      nonzeroEntries: counts.nonzero,
      instances: counts.instances,
      instancesSavedNonnegative: counts.saved,
      outsideTolerance: outside,
      maxEntryError,
      keptUnits: unitCount,
      keptEdges: edgeCount,
      hiddenUnits: hiddenUnitCount(stage),
      truncatedUnits: truncatedBranchUnits(stage, u),
    },
  };
}
