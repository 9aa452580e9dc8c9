/**
 * `lottery prune`: Theorem 1 for real — builds the random layer pairs for a target network (weights regenerated
 * from the seed, never stored), solves the subset-sum instances on worker threads, writes the ticket (masks +
 * metadata + certificate) and reports sizes against Theorem 1, the Malach-style baseline and the lower bound.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import { MEMORY_LIMIT_ENV, checkMemory, pruneMemory, resolveMemoryLimit, type MemoryLimit } from '../core/limits.js';
import { distributionByName, distributionName, type Distribution } from '../core/random.js';
import { loadModel } from '../io/modelFile.js';
import { fileSha256, saveTicket } from '../io/ticketFile.js';
import { parameterCount, type Network, type Preprocess } from '../nn/network.js';
import { closeSolverPool, solveBatch } from '../subsetsum/batch.js';
import { OBJECTIVES, type Objective } from '../subsetsum/types.js';
import { planPrune, pruneTheorem1, type PruneOptions, type PruneResult, type StagePruneReport } from '../theorem1/prune.js';
import { sizeReport, type SizeReport } from '../theorem1/sizes.js';
import { INPUT_DOMAINS, type InputDomain } from '../theorem1/theorem1.js';
import type { RegisterCommand } from './commands.js';
import { printJson, type CliIo } from './io.js';
import { parseChoice, parseNumber, parseNumberList } from './parse.js';
import { createProgress } from './progress.js';

/** The memory limit in force for this invocation: --memory-limit, else LOTTERY_MEMORY_LIMIT, else half the machine. */
export function memoryLimitFromCli(flagText: string | undefined): MemoryLimit {
  return resolveMemoryLimit(flagText, process.env[MEMORY_LIMIT_ENV], totalmem());
}

export const MEMORY_LIMIT_HELP = 'refuse a run whose estimated memory exceeds SIZE (e.g. 8G, 75%; default: half the machine, or LOTTERY_MEMORY_LIMIT)';

export interface TargetFlags {
  target?: string;
  arch?: string;
  preprocess?: string;
}

interface PruneFlags extends TargetFlags {
  tolerance?: string;
  seed?: string;
  out?: string;
  samples?: string;
  failureProbability?: string;
  distribution: string;
  objective: string;
  inputDomain?: string;
  inputRadius?: string;
  workers?: string;
  malachSample: string;
  memoryLimit?: string;
  json?: boolean;
  progress: boolean;
}

const EXAMPLE = 'lottery prune --target fc2.safetensors --tolerance 0.5 --seed 1 --samples 12 --out fc2.ticket.safetensors';

export function requiredFlag(value: string | undefined, flag: string, example: string): string {
  if (value === undefined || value === '') throw new InputError(`${flag} is required, e.g. ${example}`);
  return value;
}

/** Loads the target and the SHA-256 of its bytes. */
export function loadTarget(flags: TargetFlags, example: string): { network: Network; sha256: string; file: string } {
  const file = requiredFlag(flags.target, '--target', example);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new InputError(`--target: cannot read ${file}: ${(error as Error).message}`);
  }
  const preprocess = flags.preprocess === undefined ? undefined : parseChoice<Preprocess>('--preprocess', flags.preprocess, ['pixels', 'standard']);
  const network = loadModel(file, { ...(flags.arch !== undefined ? { arch: flags.arch } : {}), ...(preprocess !== undefined ? { preprocess } : {}) });
  return { network, sha256: fileSha256(bytes), file };
}

export function parseDistribution(text: string): Distribution {
  const d = distributionByName(text);
  if (!d) throw new InputError(`--distribution: expected uniform, normal, log-uniform or product, got '${text}'`);
  return d;
}

export interface PlanFlags {
  tolerance?: string;
  samples?: string;
  failureProbability?: string;
  inputDomain?: string;
  inputRadius?: string;
}

export function planOptionsFromFlags(flags: PlanFlags, example: string): Pick<PruneOptions, 'tolerance' | 'sampleCounts' | 'failureProbability' | 'inputDomain' | 'inputRadius'> {
  const options: Pick<PruneOptions, 'tolerance' | 'sampleCounts' | 'failureProbability' | 'inputDomain' | 'inputRadius'> = {
    // Normalised, ‖f(x)‖ ≤ 1 on the whole ball: ε ≥ 1 is met by the empty ticket, so ε is a fraction in (0, 1).
    tolerance: parseNumber('--tolerance', requiredFlag(flags.tolerance, '--tolerance', example), { above: 0, below: 1 }),
  };
  if (flags.samples !== undefined && flags.failureProbability !== undefined) throw new InputError('--samples and --failure-probability: give one or the other');
  if (flags.samples !== undefined) {
    const list = parseNumberList('--samples', flags.samples, { integer: true, min: 1, max: 64 }, 64);
    options.sampleCounts = list.length === 1 ? list[0]! : list;
  }
  if (flags.failureProbability !== undefined) options.failureProbability = parseNumber('--failure-probability', flags.failureProbability, { above: 0, below: 1 });
  if (flags.inputDomain !== undefined) options.inputDomain = parseChoice<InputDomain>('--input-domain', flags.inputDomain, INPUT_DOMAINS);
  if (flags.inputRadius !== undefined) options.inputRadius = parseNumber('--input-radius', flags.inputRadius, { above: 0 });
  return options;
}

export const registerPrune: RegisterCommand = (program: Command, io: CliIo) => {
  program
    .command('prune')
    .description(
      "Theorem 1 of Pensia et al.: find a strong lottery ticket in a random network of depth 2l (a block of 2n units per input per layer) " +
        'that approximates the target within ε on its whole input ball, by subset sums over products of random weights; write the ticket (masks only) with its certificate.',
    )
    .option('--target <file>', 'target network (safetensors or ONNX, as `lottery eval` reads)')
    .option('--tolerance <ε>', 'ε in the normalised domain (‖x‖ ≤ 1 and every ‖W_i‖ ≤ 1 after rescaling); the real-domain guarantee is printed')
    .option('--seed <seed>', 'seed of the random network, integer in [0, 2^32) (required)')
    .option('--out <file>', 'ticket file to write (safetensors)')
    .option('--samples <n>', 'n: 2n hidden units per input unit (one value, or one per layer "21,16"); default ⌈log2(1/ε′)⌉ + 6 per layer')
    .option('--failure-probability <δ>', "take n from Theorem 1's formula for failure probability δ instead")
    .option('--distribution <name>', 'random weights: uniform (U[-1,1], the theorem), normal, log-uniform', 'uniform')
    .option('--objective <name>', 'sparsest: fewest kept edges within ε′ (default); closest: least error', 'sparsest')
    .option('--input-domain <domain>', 'nonnegative (only the σ(x) branch in layer 1; default for pixel inputs) or any')
    .option('--input-radius <R>', 'guarantee for ‖x‖ ≤ R (default: max norm of the MNIST pixel box, 28 for pixels)')
    .option('--workers <count>', 'solver threads (default: all cores); the ticket does not depend on it')
    .option('--malach-sample <count>', 'target entries sampled to measure the Malach-style width (0: skip)', '1000')
    .option('--memory-limit <size>', MEMORY_LIMIT_HELP)
    .option('--arch <name>', 'architecture of the target when the file does not record it')
    .option('--preprocess <name>', 'MNIST input scaling when the file does not record it: pixels or standard')
    .option('--json', 'print the report as JSON')
    .option('--no-progress', 'do not report progress on stderr')
    .addHelpText('after', `\nExample:\n  ${EXAMPLE}\n`)
    .action((flags: PruneFlags) => runPruneCommand(flags, io));
};

export interface PruneCommandReport {
  target: string;
  targetSha256: string;
  ticket: string;
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
  stages: StagePruneReport[];
  sizes: SizeReport | null;
  seconds: number;
  solveSeconds: number;
}

async function runPruneCommand(flags: PruneFlags, io: CliIo): Promise<void> {
  const started = performance.now();
  const out = requiredFlag(flags.out, '--out', EXAMPLE);
  const seed = parseNumber('--seed', requiredFlag(flags.seed, '--seed', EXAMPLE), { integer: true, min: 0, max: 0xffffffff });
  const planOptions = planOptionsFromFlags(flags, EXAMPLE);
  const distribution = parseDistribution(flags.distribution);
  const objective = parseChoice<Objective>('--objective', flags.objective, OBJECTIVES);
  const workers = flags.workers === undefined ? undefined : parseNumber('--workers', flags.workers, { integer: true, min: 1, max: 256 });
  const malachSample = parseNumber('--malach-sample', flags.malachSample, { integer: true, min: 0 });
  const memoryLimit = memoryLimitFromCli(flags.memoryLimit);
  const { network, sha256, file } = loadTarget(flags, EXAMPLE);
  const { plan } = planPrune(network, { ...planOptions, seed, distribution, objective, targetSha256: sha256 });
  checkMemory('prune', pruneMemory(plan.stages, workers ?? availableParallelism()), memoryLimit, 'lower --samples or --workers, or prune a smaller target');
  const progress = createProgress(io, 'prune', flags.progress);
  let result: PruneResult;
  const solveStart = performance.now();
  try {
    result = await pruneTheorem1(
      network,
      { ...planOptions, seed, distribution, objective, targetSha256: sha256, onProgress: (d, t) => progress.update(d, t) },
      (batch) => solveBatch(batch, workers !== undefined ? { workers } : {}),
    );
  } finally {
    progress.stop();
    await closeSolverPool();
  }
  const solveSeconds = (performance.now() - solveStart) / 1000;
  saveTicket(out, result.ticket);
  const report = pruneReport(result, { file, sha256, out, network, malachSample, seconds: 0, solveSeconds });
  report.seconds = (performance.now() - started) / 1000;
  if (flags.json) printJson(io, report);
  else io.stdout(humanPruneReport(report));
}

export function pruneReport(
  result: PruneResult,
  context: { file: string; sha256: string; out: string; network: Network; malachSample: number; seconds: number; solveSeconds: number; failureProbability?: number },
): PruneCommandReport {
  const meta = result.ticket.meta;
  const keptParams = result.stages.reduce((s, r) => s + r.keptUnits + r.keptEdges, 0);
  const targetParams = parameterCount(context.network);
  const sizes =
    context.malachSample > 0
      ? sizeReport(result.plan, {
          tolerance: meta.tolerance,
          entryTolerances: meta.stages.map((s) => s.entryTolerance),
          failureProbability: context.failureProbability ?? 0.01,
          seed: meta.seed,
          distribution: meta.distribution,
          keptParams,
          targetParams,
          malachSampleSize: context.malachSample,
        })
      : null;
  let randomDense = 0;
  let randomBlock = 0;
  for (const s of meta.stages) {
    const hidden = 2 * s.sampleCount * s.inUnits;
    const second = s.outUnits * hidden * s.kernelSize * s.kernelSize;
    randomDense += hidden * s.inUnits + second;
    randomBlock += hidden + second;
  }
  return {
    target: context.file,
    targetSha256: context.sha256,
    ticket: context.out,
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
    depth: 2 * meta.stages.length,
    stages: result.stages,
    sizes,
    seconds: context.seconds,
    solveSeconds: context.solveSeconds,
  };
}

const int = (v: number): string => Math.round(v).toLocaleString('en-US');
const sci = (v: number): string => (v === 0 ? '0' : Math.abs(v) >= 0.01 && Math.abs(v) < 1e5 ? v.toPrecision(4) : v.toExponential(3));

export function humanSizes(s: SizeReport): string[] {
  const lines: string[] = [];
  lines.push('| construction | random params (dense) | random params (block) | × target |');
  lines.push('|---|---|---|---|');
  lines.push(`| Theorem 1, n = ${s.theorem1.sampleCounts.join('/')} (used) | ${int(s.theorem1.randomDense)} | ${int(s.theorem1.randomBlock)} | ${s.theorem1.denseFactor.toFixed(1)} / ${s.theorem1.blockFactor.toFixed(1)} |`);
  lines.push(`| Theorem 1 formula, δ = ${s.theorem1Formula.failureProbability}: n = ${s.theorem1Formula.sampleCount} | ${int(s.theorem1Formula.randomDense)} | ${int(s.theorem1Formula.randomBlock)} | ${(s.theorem1Formula.randomDense / s.targetParams).toFixed(1)} / ${(s.theorem1Formula.randomBlock / s.targetParams).toFixed(1)} |`);
  lines.push(`| Malach-style single product, measured widths m = ${s.malach.widths.join('/')}${s.malach.stages.some((m) => m.unresolved > 0) ? ' (some unresolved: lower bound)' : ''} | ${int(s.malach.randomDense)} | ${int(s.malach.randomBlock)} | ${(s.malach.randomDense / s.targetParams).toFixed(1)} / ${(s.malach.randomBlock / s.targetParams).toFixed(1)} |`);
  if (s.malach.analyticRandomDense !== null) lines.push(`| Malach-style, analytic widths m = ${s.malach.stages.map((m) => m.analyticWidth).join('/')} (all entries, δ) | ${int(s.malach.analyticRandomDense)} | | ${(s.malach.analyticRandomDense / s.targetParams).toFixed(1)} |`);
  lines.push(`| lower bound Σ d_in·d_out·log2(1/ε) (constant 1) | ${int(s.lowerBound)} | | ${(s.lowerBound / s.targetParams).toFixed(1)} |`);
  if (s.keptParams !== null) lines.push(`| kept edges of the ticket | ${int(s.keptParams)} | | ${s.keptFactor!.toFixed(2)} |`);
  lines.push(`Theorem 1 formula: ${s.theorem1Formula.formula}`);
  return lines;
}

export function humanPruneReport(r: PruneCommandReport): string {
  const lines: string[] = [];
  lines.push(`target: ${r.target} (${int(r.targetParams)} parameters, sha256 ${r.targetSha256.slice(0, 16)}…)`);
  lines.push(`ticket: ${r.ticket} (seed ${r.seed}, ${r.distribution} weights, objective ${r.objective}, depth ${r.depth})`);
  if (r.sampleCountFormula) lines.push(r.sampleCountFormula);
  lines.push(`rescaling: layer norms s_i = ${r.scales.layerScales.map(sci).join(', ')}; input ×${sci(r.scales.inputScale)}, output ×${sci(r.scales.outputScale)} (ReLU homogeneity)`);
  lines.push(`input domain: ${r.inputDomain}, ‖x‖ ≤ ${sci(r.inputRadius)}`);
  lines.push('');
  lines.push('| layer | n | branches | ε′ | instances | saved (x ≥ 0) | outside ε′ | max error | kept units | kept edges | hidden units |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of r.stages) {
    lines.push(`| ${s.name} | ${s.sampleCount} | ${s.twoBranch ? 'σ(x), σ(−x)' : 'σ(x) only'} | ${sci(s.entryTolerance)} | ${int(s.instances)} | ${int(s.instancesSavedNonnegative)} | ${int(s.outsideTolerance)} | ${sci(s.maxEntryError)} | ${int(s.keptUnits)} | ${int(s.keptEdges)} | ${int(s.hiddenUnits)} |`);
  }
  lines.push('');
  lines.push(`instances: ${int(r.instances)}; σ(−x) instances saved because inputs are ≥ 0: ${int(r.instancesSavedNonnegative)}; outside ε′: ${int(r.outsideTolerance)}`);
  lines.push(`certificate: sup ‖f(x) − g(x)‖ ≤ ${sci(r.certifiedBound)} over ‖x‖ ≤ ${sci(r.inputRadius)} (normalised ${sci(r.certifiedBoundNormalised)}; ε = ${r.tolerance} would guarantee ${sci(r.guaranteedBound)}; a-priori Frobenius composition ${sci(r.aPrioriBoundNormalised)})`);
  lines.push(`random network: ${int(r.randomParams)} weights as Theorem 1 counts them (${int(r.randomBlockParams)} in the block structure), none stored; kept ${int(r.keptParams)} (${(r.keptParams / r.targetParams).toFixed(2)}× the target)`);
  if (r.sizes) {
    lines.push('');
    lines.push(...humanSizes(r.sizes));
  }
  lines.push(`time: ${r.seconds.toFixed(2)} s (solving ${r.solveSeconds.toFixed(2)} s)`);
  return lines.join('\n') + '\n';
}
