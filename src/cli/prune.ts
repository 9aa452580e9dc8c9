/**
 * `lottery prune`: Theorem 1 for real — builds the random layer pairs for a target network (weights regenerated
 * from the seed, never stored), solves the subset-sum instances on worker threads, writes the ticket (masks +
 * metadata + certificate) and reports sizes against Theorem 1, the Malach-style baseline and the lower bound.
 */
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { checkMemory, pruneMemory } from '../core/limits.js';
import { CONSTRUCTIONS, normalisedTolerance, pruneTheorem1, type PruneResult } from '../index.js';
import type { InputDomain } from '../theorem1/theorem1.js';
import { saveTicket } from '../io/ticketFile.js';
import { closeSolverPool } from '../subsetsum/batch.js';
import { OBJECTIVES, type Objective } from '../subsetsum/types.js';
import { planPrune } from '../theorem1/prune.js';
import type { PruneCommandReport } from '../theorem1/report.js';
import type { SizeReport } from '../theorem1/sizes.js';
import type { RegisterCommand } from './io.js';
import { printJson, type CliIo } from './io.js';
import { parseChoice, parseNumber } from './parse.js';
import { createPhasedProgress } from './progress.js';
import { archOption, inputBoxOption, jsonOption, loadTarget, memoryLimitFromCli, memoryLimitOption, parseDistribution, parseInputBox, parseSeed, parseWorkers, planOptionsFromFlags, preprocessOption, requiredFlag, seedOption, workersOption, type TargetFlags, noteInferredChain } from './options.js';

interface PruneFlags extends TargetFlags {
  tolerance?: string;
  seed?: string;
  out?: string;
  samples?: string;
  failureProbability?: string;
  maxSamples?: string;
  inputBox?: string;
  outputTolerance?: string;
  distribution: string;
  objective?: string;
  subsetSize?: string;
  construction: string;
  inputDomain?: string;
  inputRadius?: string;
  workers?: string;
  malachSample: string;
  memoryLimit?: string;
  json?: boolean;
  progress: boolean;
}

const EXAMPLE = 'lottery prune --target fc2.safetensors --tolerance 0.5 --seed 1 --samples 12 --out fc2.ticket.safetensors';

export const registerPrune: RegisterCommand = (program: Command, io: CliIo) => {
  program
    .command('prune')
    .description(
      "Theorem 1 of Pensia et al.: find a strong lottery ticket in a random network of depth 2l (a block of 2n units per input per layer) " +
        'that approximates the target within ε on its whole input ball, by subset sums over products of random weights; write the ticket (masks only) with its certificate.',
    )
    .option('--target <file>', 'target network (safetensors or ONNX, as `lottery eval` reads)')
    .option('--tolerance <ε>', 'ε in the normalised domain (‖x‖ ≤ 1 and every ‖W_i‖ ≤ 1 after rescaling); the real-domain guarantee is printed')
    .addOption(seedOption())
    .option('--out <file>', 'ticket file to write (safetensors)')
    .option('--samples <n>', 'n: 2n hidden units per input unit (one value, or one per layer "21,16"); default ⌈log2(1/ε′)⌉ + 6 per layer')
    .option('--failure-probability <δ>', "take n from Theorem 1's formula for failure probability δ instead")
    .option('--max-samples <n>', 'without --samples, n is raised layer by layer until the certificate meets ε; stop at n (default 40, the solver limit) and refuse')
    .addOption(inputBoxOption())
    .option('--output-tolerance <T>', 'the guarantee in logits instead of --tolerance: max ‖f(x) − g(x)‖ ≤ T over the input domain (translated to ε = T / output scale)')
    .option('--distribution <name>', 'random weights: uniform (U[-1,1], the theorem), normal, log-uniform', 'uniform')
    .option('--objective <name>', 'sparsest: fewest kept edges within ε′ (the default); closest: least error (the default with --subset-size)')
    .option('--subset-size <k>', 'every non-zero target entry matched by exactly k products (the closest k-subset): a ticket density known in advance')
    .option('--construction <name>', "2l: Pensia et al.'s random network of depth 2l (layer pairs); l+1: Burkholz's depth l+1 (a copying layer, then one random layer per target layer, with n copies of every unit)", '2l')
    .option('--input-domain <domain>', 'nonnegative (only the σ(x) branch in layer 1; default for pixel inputs) or any')
    .option('--input-radius <R>', 'guarantee for ‖x‖ ≤ R (default: max norm of the MNIST pixel box, 28 for pixels)')
    .addOption(workersOption('all cores'))
    .option('--malach-sample <count>', 'target entries sampled to measure the Malach-style width (0: skip)', '1000')
    .addOption(memoryLimitOption())
    .addOption(archOption())
    .addOption(preprocessOption())
    .addOption(jsonOption())
    .option('--no-progress', 'do not report progress on stderr')
    .addHelpText('after', `\nExample:\n  ${EXAMPLE}\n`)
    .action((flags: PruneFlags) => runPruneCommand(flags, io));
};


async function runPruneCommand(flags: PruneFlags, io: CliIo): Promise<void> {
  const out = requiredFlag(flags.out, '--out', EXAMPLE);
  const seed = parseSeed(requiredFlag(flags.seed, '--seed', EXAMPLE));
  const { network, sha256, file } = loadTarget(flags, EXAMPLE);
  noteInferredChain(io, network, file);
  const planOptions = planOptionsFromFlags(flags, EXAMPLE, (outputTolerance) =>
    normalisedTolerance(network, { outputTolerance, ...(flags.inputDomain !== undefined ? { inputDomain: flags.inputDomain as InputDomain } : {}), ...(flags.inputRadius !== undefined ? { inputRadius: Number(flags.inputRadius) } : {}) }),
  );
  const inputBox = parseInputBox(flags.inputBox);
  const maxSamples = flags.maxSamples === undefined ? undefined : parseNumber('--max-samples', flags.maxSamples, { integer: true, min: 1, max: 40 });
  const distribution = parseDistribution(flags.distribution);
  const subsetSize = flags.subsetSize === undefined ? undefined : parseNumber('--subset-size', flags.subsetSize, { integer: true, min: 1, max: 40 });
  const objective = parseChoice<Objective>('--objective', flags.objective ?? (subsetSize !== undefined ? 'closest' : 'sparsest'), OBJECTIVES);
  const construction = parseChoice<(typeof CONSTRUCTIONS)[number]>('--construction', flags.construction, CONSTRUCTIONS);
  const workers = parseWorkers(flags.workers);
  const malachSample = parseNumber('--malach-sample', flags.malachSample, { integer: true, min: 0 });
  const memoryLimit = memoryLimitFromCli(flags.memoryLimit);
  const { plan } = planPrune(network, { ...planOptions, seed, distribution, objective, targetSha256: sha256, ...(subsetSize !== undefined ? { subsetSize } : {}) });
  checkMemory('prune', pruneMemory(plan.stages, workers ?? availableParallelism()), memoryLimit, 'lower --samples or --workers, or prune a smaller target');
  const progress = createPhasedProgress(io, 'prune', flags.progress);
  let result: PruneResult;
  try {
    result = await pruneTheorem1(network, {
      tolerance: planOptions.tolerance,
      seed,
      distribution: flags.distribution,
      objective,
      malachSample,
      construction,
      onProgress: (d, t, phase) => progress.update(d, t, phase),
      ...(planOptions.sampleCounts !== undefined ? { samples: planOptions.sampleCounts } : {}),
      ...(planOptions.failureProbability !== undefined ? { failureProbability: planOptions.failureProbability } : {}),
      ...(planOptions.inputDomain !== undefined ? { inputDomain: planOptions.inputDomain } : {}),
      ...(planOptions.inputRadius !== undefined ? { inputRadius: planOptions.inputRadius } : {}),
      ...(workers !== undefined ? { workers } : {}),
      ...(maxSamples !== undefined ? { maxSamples } : {}),
      ...(subsetSize !== undefined ? { subsetSize } : {}),
      ...(inputBox !== undefined ? { inputBox } : {}),
    });
  } finally {
    progress.stop();
    await closeSolverPool();
  }
  saveTicket(out, result.ticket);
  const { target, ticket, targetSha256, ...rest } = result;
  const report: PruneCommandReport = { target: target ?? '', targetSha256, ticket: out, ...rest };
  if (flags.json) printJson(io, report);
  else io.stdout(humanPruneReport(report));
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
  lines.push(`ticket: ${r.ticket} (seed ${r.seed}, ${r.distribution} weights, objective ${r.objective}${r.subsetSize === null ? '' : `, exactly ${r.subsetSize} products per entry`}, ${r.construction} construction, depth ${r.depth})`);
  if (r.sampleCountFormula) lines.push(r.sampleCountFormula);
  lines.push(`rescaling: layer norms s_i = ${r.scales.layerScales.map(sci).join(', ')}; input ×${sci(r.scales.inputScale)}, output ×${sci(r.scales.outputScale)} (ReLU homogeneity)`);
  lines.push(`input domain: ${r.inputDomain}, ‖x‖ ≤ ${sci(r.inputRadius)}`);
  lines.push('');
  if (r.construction === 'l+1') lines.push('l+1 construction: n of a layer after the first = copies of each of its input units (values per subset sum); its kept random matrix M_i carries the earlier layers\' errors (‖M_i‖₂ ≤ m_i below)');
  lines.push('| layer | n | branches | ε′ | instances | saved (x ≥ 0) | outside ε′ | max error | kept units | kept edges | hidden units |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of r.stages) {
    lines.push(`| ${s.name} | ${s.sampleCount} | ${s.twoBranch ? 'σ(x), σ(−x)' : 'σ(x) only'} | ${sci(s.entryTolerance)} | ${int(s.instances)} | ${int(s.instancesSavedNonnegative)} | ${int(s.outsideTolerance)} | ${sci(s.maxEntryError)} | ${int(s.keptUnits)} | ${int(s.keptEdges)} | ${int(s.hiddenUnits)} |`);
  }
  lines.push('');
  if (r.edgeNormBounds) lines.push(`kept random matrices of the later layers: m_i = ${r.edgeNormBounds.slice(1).map((m) => (m === null ? '—' : sci(m))).join(', ')} (δ_i ≤ m_i·δ_{i−1} + e_i)`);
  lines.push(`instances: ${int(r.instances)}; σ(−x) instances saved because inputs are ≥ 0: ${int(r.instancesSavedNonnegative)}; outside ε′: ${int(r.outsideTolerance)}`);
  for (const search of r.sampleCountSearch ?? []) {
    lines.push(`n raised for ${search.stage} to meet ε (its share of ε: error bound ≤ ${sci(search.errorBoundTarget)}): ${search.tried.map((t) => `n = ${t.sampleCount}: ${sci(t.errorNormBound)}`).join(', ')}`);
  }
  if (!r.toleranceMet) lines.push(`NOTE: the certificate (normalised ${sci(r.certifiedBoundNormalised)}) is above ε = ${r.tolerance}: n was given (--samples or --failure-probability); without it, n is raised until ε is met`);
  lines.push(`certificate: sup ‖f(x) − g(x)‖ ≤ ${sci(r.certifiedBound)} over ‖x‖ ≤ ${sci(r.inputRadius)} (normalised ${sci(r.certifiedBoundNormalised)}; ε = ${r.tolerance} would guarantee ${sci(r.guaranteedBound)}; a-priori Frobenius composition ${sci(r.aPrioriBoundNormalised)})`);
  if (r.inputBox !== null) lines.push(`box certificate: sup ‖f(x) − g(x)‖ ≤ ${r.boxCertifiedBound === null ? 'not available for this ticket' : `${sci(r.boxCertifiedBound)} (${r.boxCertificateMethod})`} over x ∈ [${r.inputBox.low}, ${r.inputBox.high}]^d`);
  lines.push(`random network: ${int(r.randomParams)} weights as Theorem 1 counts them (${int(r.randomBlockParams)} in the block structure), none stored; kept ${int(r.keptParams)} (${(r.keptParams / r.targetParams).toFixed(2)}× the target)`);
  if (r.sizes) {
    lines.push('');
    lines.push(...humanSizes(r.sizes));
  }
  lines.push(`time: ${r.seconds.toFixed(2)} s (solving ${r.solveSeconds.toFixed(2)} s)`);
  return lines.join('\n') + '\n';
}
