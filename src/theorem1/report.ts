/**
 * The report of a Theorem-1 pruning: sizes, scales, the certificate, per-stage counts and the size comparison
 * (Theorem 1's formula, the Malach-style baseline, the lower bound). `lottery prune --json` prints it with the
 * target and ticket file names; the library returns it with the ticket itself.
 */
import { distributionName } from '../core/random.js';
import { parameterCount, type Network } from '../nn/network.js';
import type { Objective } from '../subsetsum/types.js';
import type { PruneOutcome, SampleCountSearch, StagePruneReport } from './prune.js';
import { sizeReport, type SizeReport } from './sizes.js';
import { randomDepth, type InputDomain } from './theorem1.js';
import { TICKET_CONSTRUCTION, keptParameterCount } from './ticket.js';
import { networkSizes } from './bounds.js';
import { certifyBox, defaultInputBox, type BoxCertifiedBound, type InputBox } from './boxCertificate.js';

export interface PruneReport {
  /** SHA-256 of the target file (or of its weights, for a network built in memory): verify checks it. */
  targetSha256: string;
  seed: number;
  distribution: string;
  objective: Objective;
  tolerance: number;
  sampleCountFormula: string | null;
  inputDomain: InputDomain;
  inputRadius: number;
  scales: { inputScale: number; outputScale: number; layerScales: number[] };
  certifiedBound: number;
  certifiedBoundNormalised: number;
  aPrioriBoundNormalised: number;
  /** Real-domain guarantee implied by ε: outputScale·ε. */
  guaranteedBound: number;
  instances: number;
  instancesSavedNonnegative: number;
  outsideTolerance: number;
  targetParams: number;
  randomParams: number;
  randomBlockParams: number;
  keptParams: number;
  depth: number;
  /** Which random network was pruned: '2l' (Pensia et al., layer pairs) or 'l+1' (Burkholz, copies). */
  construction: '2l' | 'l+1';
  /** l+1 only: m_i ≥ ‖M_i‖₂ of every stage's kept random matrix (null for the first stage, which has none to carry); null for 2l. */
  edgeNormBounds: Array<number | null> | null;
  stages: StagePruneReport[];
  /** certifiedBoundNormalised ≤ tolerance: the ε asked for is certified. */
  toleranceMet: boolean;
  /** The box [low, high]^d of the box certificate (null: unknown for this target and not given). */
  inputBox: InputBox | null;
  /** Certified sup ‖f(x) − g(x)‖ over the box (logits); null when no box or no method applies. */
  boxCertifiedBound: number | null;
  boxCertificateMethod: BoxCertifiedBound['method'] | null;
  /** Layers whose n was raised to meet ε, with every n tried (empty: the defaults met ε; null: n was given). */
  sampleCountSearch: SampleCountSearch[] | null;
  /** Products per non-zero entry when fixed (prune --subset-size); null: chosen per entry by the objective. */
  subsetSize: number | null;
  sizes: SizeReport | null;
  seconds: number;
  solveSeconds: number;
}

export function pruneReport(
  result: PruneOutcome,
  context: {
    network: Network;
    malachSample: number;
    seconds: number;
    solveSeconds: number;
    failureProbability?: number;
    inputBox?: InputBox | null;
    /** Progress of the Malach-style width measurement (the report's one long step). */
    onProgress?: (done: number, total: number) => void;
  },
): PruneReport {
  const box = context.inputBox === undefined ? defaultInputBox(context.network) : context.inputBox;
  const meta = result.ticket.meta;
  // The box certificate and the size comparison follow the 2l construction's stage pairs; l+1 tickets have neither.
  const pairs = meta.construction === TICKET_CONSTRUCTION;
  const boxBound = box === null || !pairs ? null : certifyBox(context.network, result.materialized, box, result.plan);
  const keptParams = keptParameterCount(result.ticket);
  const targetParams = parameterCount(context.network);
  const sizes =
    context.malachSample > 0 && pairs
      ? sizeReport(result.plan, {
          tolerance: meta.tolerance,
          entryTolerances: meta.stages.map((s) => s.entryTolerance),
          failureProbability: context.failureProbability ?? 0.01,
          seed: meta.seed,
          distribution: meta.distribution,
          keptParams,
          targetParams,
          malachSampleSize: context.malachSample,
          ...(context.onProgress ? { onProgress: context.onProgress } : {}),
        })
      : null;
  const { randomDense, randomBlock } = networkSizes(meta.stages, targetParams);
  return {
    targetSha256: meta.targetSha256,
    seed: meta.seed,
    distribution: distributionName(meta.distribution),
    objective: meta.objective,
    tolerance: meta.tolerance,
    sampleCountFormula: result.sampleCountFormula?.formula ?? null,
    inputDomain: meta.inputDomain,
    inputRadius: meta.inputRadius,
    scales: { inputScale: meta.inputScale, outputScale: meta.outputScale, layerScales: meta.stages.map((s) => s.scale) },
    certifiedBound: meta.certificate.realBound,
    certifiedBoundNormalised: meta.certificate.normalisedBound,
    aPrioriBoundNormalised: meta.certificate.aPrioriNormalisedBound,
    guaranteedBound: meta.outputScale * meta.tolerance,
    instances: result.stages.reduce((s, r) => s + r.instances, 0),
    instancesSavedNonnegative: result.stages.reduce((s, r) => s + r.instancesSavedNonnegative, 0),
    outsideTolerance: result.stages.reduce((s, r) => s + r.outsideTolerance, 0),
    targetParams,
    randomParams: randomDense,
    randomBlockParams: randomBlock,
    keptParams,
    depth: randomDepth(meta.stages),
    construction: pairs ? '2l' : 'l+1',
    edgeNormBounds: pairs ? null : meta.certificate.stages.map((c) => c.edgeNormBound ?? null),
    stages: result.stages,
    toleranceMet: meta.certificate.normalisedBound <= meta.tolerance,
    inputBox: box,
    boxCertifiedBound: boxBound?.bound ?? null,
    boxCertificateMethod: boxBound?.method ?? null,
    sampleCountSearch: result.sampleCountSearch,
    subsetSize: meta.subsetSize ?? null,
    sizes,
    seconds: context.seconds,
    solveSeconds: context.solveSeconds,
  };
}

/** What `lottery prune --json` prints: the report with the target and ticket files. */
export type PruneCommandReport = { target: string; targetSha256: string; ticket: string } & Omit<PruneReport, 'targetSha256'>;
