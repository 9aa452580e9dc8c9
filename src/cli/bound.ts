/**
 * `lottery bound`: sizes side by side for a target and tolerance, without pruning — Theorem 1's n and width
 * formula, the random network it implies (dense and block-structured), the Malach-style single-product baseline's
 * measured width, the counting lower bound — and with --search, the smallest n whose ticket meets the tolerance.
 */
import { archOption, jsonOption, loadTarget, memoryLimitFromCli, memoryLimitOption, parseDistribution, parseSeed, parseWorkers, planOptionsFromFlags, preprocessOption, requiredFlag, workersOption, noteInferredChain } from './options.js';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import { checkMemory, pruneMemory } from '../core/limits.js';
import { parameterCount } from '../nn/network.js';
import { closeSolverPool, solveBatch } from '../subsetsum/batch.js';
import { OBJECTIVES, type Objective, type SubsetSumBatch } from '../subsetsum/types.js';
import { networkSizes, practicalSampleCount } from '../theorem1/bounds.js';
import { planPrune, pruneWithSolver } from '../theorem1/prune.js';
import { keptParameterCount } from '../theorem1/ticket.js';
import { sizeReport, type SizeReport, type BoundCommandReport, type SearchRow } from '../theorem1/sizes.js';
import type { RegisterCommand } from './io.js';
import { printJson, type CliIo } from './io.js';
import { parseChoice, parseNumber, parseNumberList } from './parse.js';
import { compareConstructions, constructionLabel, type ConstructionRow } from '../theorem1/compare.js';
import { humanSizes } from './prune.js';

interface BoundFlags {
  target?: string;
  arch?: string;
  preprocess?: string;
  tolerance?: string;
  samples?: string;
  failureProbability?: string;
  inputDomain?: string;
  inputRadius?: string;
  distribution: string;
  objective: string;
  seed: string;
  malachSample: string;
  search?: boolean;
  searchMax: string;
  compare?: boolean;
  subsetSizes: string;
  subsetSize?: string;
  workers?: string;
  memoryLimit?: string;
  json?: boolean;
}


const EXAMPLE = 'lottery bound --target fc2.safetensors --tolerance 0.5';

export const registerBound: RegisterCommand = (program: Command, io: CliIo) => {
  program
    .command('bound')
    .description("Sizes for Theorem 1 (formula and block structure), the Malach-style single-product baseline and the Ω(d² log(1/ε)) lower bound; --search finds the smallest n that works.")
    .option('--target <file>', 'target network')
    .option('--tolerance <ε>', 'ε in the normalised domain, as for `lottery prune`')
    .option('--samples <n>', 'n to size the network at (default ⌈log2(1/ε′)⌉ + 6 per layer)')
    .option('--failure-probability <δ>', "δ for Theorem 1's n formula and the analytic Malach width", '0.01')
    .option('--input-domain <domain>', 'nonnegative or any (default from the target preprocessing)')
    .option('--input-radius <R>', 'guarantee for ‖x‖ ≤ R')
    .option('--distribution <name>', 'random weights: uniform, normal, log-uniform', 'uniform')
    .option('--objective <name>', 'for --search: sparsest or closest', 'sparsest')
    .option('--seed <seed>', 'seed of the random network (Malach measurement and --search)', '1')
    .option('--malach-sample <count>', 'target entries sampled to measure the Malach-style width', '1000')
    .option('--search', 'prune for several n (binary search) and report the smallest n whose certificate is ≤ ε')
    .option('--search-max <n>', 'largest n tried by --search', '24')
    .option('--subset-size <k>', '--search with fixed-size subsets: every non-zero entry matched by exactly k products')
    .option('--compare', 'prune the target with each construction (2l, l+1, 2l with fixed-size subsets) to meet ε, and print their sizes side by side')
    .option('--subset-sizes <list>', 'k values of the fixed-size rows of --compare', '2,3,4')
    .addOption(workersOption('all cores'))
    .addOption(memoryLimitOption())
    .addOption(archOption())
    .addOption(preprocessOption())
    .addOption(jsonOption())
    .addHelpText('after', `\nExample:\n  ${EXAMPLE}\n  ${EXAMPLE} --search --json\n`)
    .action((flags: BoundFlags) => runBoundCommand(flags, io));
};

async function runBoundCommand(flags: BoundFlags, io: CliIo): Promise<void> {
  const delta = parseNumber('--failure-probability', flags.failureProbability ?? '0.01', { above: 0, below: 1 });
  const planFlags = { ...flags, failureProbability: undefined };
  const options = planOptionsFromFlags(planFlags, EXAMPLE);
  const seed = parseSeed(flags.seed);
  const distribution = parseDistribution(flags.distribution);
  const objective = parseChoice<Objective>('--objective', flags.objective, OBJECTIVES);
  const malachSample = parseNumber('--malach-sample', flags.malachSample, { integer: true, min: 1 });
  const searchMax = parseNumber('--search-max', flags.searchMax, { integer: true, min: 1, max: 64 });
  const workers = parseWorkers(flags.workers);
  const subsetSize = flags.subsetSize === undefined ? null : parseNumber('--subset-size', flags.subsetSize, { integer: true, min: 1, max: 40 });
  if (subsetSize !== null && !flags.search) throw new InputError('--subset-size goes with --search (the smallest n for k-subsets); --compare takes --subset-sizes');
  const subsetSizes = parseNumberList('--subset-sizes', flags.subsetSizes, { integer: true, min: 1, max: 40 }, 16);
  if (flags.target === undefined) throw new InputError(`--target is required, e.g. ${EXAMPLE}`);
  requiredFlag(flags.tolerance, '--tolerance', EXAMPLE);
  const memoryLimit = memoryLimitFromCli(flags.memoryLimit);
  const { network, sha256, file } = loadTarget(flags, EXAMPLE);
  noteInferredChain(io, network, file);
  const { plan, tolerances } = planPrune(network, { ...options, seed, targetSha256: sha256 });
  if (flags.search) {
    // The largest n the search may try is the one that needs the most memory.
    const stages = plan.stages.map((s) => ({ ...s, sampleCount: Math.max(s.sampleCount, searchMax) }));
    checkMemory('bound --search', pruneMemory(stages, workers ?? availableParallelism()), memoryLimit, 'lower --search-max or --workers');
  }
  const sizes: SizeReport = sizeReport(plan, {
    tolerance: options.tolerance, entryTolerances: tolerances, failureProbability: delta, seed, distribution,
    keptParams: null, targetParams: parameterCount(network), malachSampleSize: malachSample,
  });
  const solver = (batch: SubsetSumBatch) => solveBatch(batch, workers !== undefined ? { workers } : {});
  let search: SearchRow[] | null = null;
  let smallest: number | null = null;
  if (flags.search) {
    search = [];
    const tried = new Map<number, SearchRow>();
    const attempt = async (n: number): Promise<SearchRow> => {
      const hit = tried.get(n);
      if (hit) return hit;
      const t0 = performance.now();
      const pruneOptions = { ...options, sampleCounts: n, seed, distribution, targetSha256: sha256, ...(subsetSize !== null ? { subsetSize, objective: 'closest' as const } : { objective }) };
      let row: SearchRow;
      try {
        const result = await pruneWithSolver(network, pruneOptions, solver);
        const sizesAt = networkSizes(result.ticket.meta.stages, parameterCount(network));
        const cert = result.ticket.meta.certificate;
        row = {
          sampleCount: n,
          outsideTolerance: result.stages.reduce((s, r) => s + r.outsideTolerance, 0),
          certifiedBoundNormalised: cert.normalisedBound,
          keptParams: keptParameterCount(result.ticket),
          randomParams: sizesAt.randomDense,
          randomBlockParams: sizesAt.randomBlock,
          works: cert.normalisedBound <= options.tolerance,
          seconds: (performance.now() - t0) / 1000,
          refused: null,
        };
      } catch (error) {
        // k-subsets need k random units of a sign in every block: at small n a block can have fewer (no ticket).
        if (!(error instanceof InputError && error.message.startsWith('subsetSize:'))) throw error;
        const sizesAt = networkSizes(planPrune(network, pruneOptions).plan.stages, parameterCount(network));
        row = { sampleCount: n, outsideTolerance: 0, certifiedBoundNormalised: null, keptParams: 0, randomParams: sizesAt.randomDense, randomBlockParams: sizesAt.randomBlock, works: false, seconds: (performance.now() - t0) / 1000, refused: error.message };
      }
      tried.set(n, row);
      search!.push(row);
      io.stderr(row.certifiedBoundNormalised === null ? `bound: n = ${n}: no ticket (${row.refused})\n` : `bound: n = ${n}: certificate ${row.certifiedBoundNormalised.toPrecision(4)} (ε = ${options.tolerance}), ${row.outsideTolerance} instances outside ε′, ${row.seconds.toFixed(1)} s\n`);
      return row;
    };
    try {
      // Widths are nested (unit-major streams), so "works" is close to monotone in n: bisect on [1, searchMax].
      let hi = Math.min(searchMax, Math.max(...tolerances.map(practicalSampleCount)));
      while (!(await attempt(hi)).works && hi < searchMax) hi = Math.min(searchMax, hi + 4);
      if ((await attempt(hi)).works) {
        let lo = 0;
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if ((await attempt(mid)).works) hi = mid;
          else lo = mid;
        }
        smallest = hi;
      }
    } finally {
      await closeSolverPool();
    }
    search.sort((a, b) => a.sampleCount - b.sampleCount);
  }
  let constructions: ConstructionRow[] | null = null;
  if (flags.compare) {
    try {
      constructions = await compareConstructions(network, {
        tolerance: options.tolerance, seed, targetSha256: sha256, targetParams: parameterCount(network), subsetSizes,
        base: { distribution, objective, ...(options.inputDomain !== undefined ? { inputDomain: options.inputDomain } : {}), ...(options.inputRadius !== undefined ? { inputRadius: options.inputRadius } : {}) },
        onConstruction: (label, index, total) => io.stderr(`bound: pruning with the ${label} construction (${index + 1} of ${total})\n`),
      }, solver);
    } finally {
      await closeSolverPool();
    }
  }
  const report: BoundCommandReport = { target: file, tolerance: options.tolerance, entryTolerances: tolerances, layerScales: plan.stages.map((s) => s.scale), outputScale: plan.outputScale, ...sizes, search, smallestWorkingSampleCount: smallest, subsetSize, constructions };
  if (flags.json) {
    printJson(io, report);
    return;
  }
  const lines: string[] = [];
  lines.push(`target ${file}: ${parameterCount(network).toLocaleString('en-US')} parameters; ε = ${options.tolerance} (normalised), per-entry ε′ = ${tolerances.map((t) => t.toExponential(3)).join(', ')}`);
  lines.push(...humanSizes(sizes));
  if (search) {
    lines.push('');
    lines.push('| n | certificate (normalised) | outside ε′ | kept params | works | seconds |');
    lines.push('|---|---|---|---|---|---|');
    for (const r of search) lines.push(`| ${r.sampleCount} | ${r.certifiedBoundNormalised === null ? 'no ticket' : r.certifiedBoundNormalised.toPrecision(4)} | ${r.outsideTolerance} | ${r.keptParams.toLocaleString('en-US')} | ${r.works ? 'yes' : 'no'} | ${r.seconds.toFixed(1)} |`);
    lines.push(smallest === null ? `no n ≤ ${searchMax} gives a certificate ≤ ε` : `smallest working n: ${smallest}`);
  }
  if (constructions) {
    lines.push('');
    lines.push(`Constructions pruned to meet ε = ${options.tolerance} (n raised per layer until the certificate meets it):`);
    lines.push('| construction | depth | n per layer | random params (dense) | random params (usable) | kept | kept fraction | certificate | seconds |');
    lines.push('|---|---|---|---|---|---|---|---|---|');
    const int = (v: number | null): string => (v === null ? '—' : v.toLocaleString('en-US'));
    for (const r of constructions) {
      if (r.refused !== null) {
        lines.push(`| ${constructionLabel(r)} | — | — | — | — | — | — | refused: ${r.refused.replace(/\|/g, '/')} | ${r.seconds.toFixed(1)} |`);
        continue;
      }
      lines.push(`| ${constructionLabel(r)} | ${r.depth} | ${r.sampleCounts!.join('/')} | ${int(r.randomParams)} | ${int(r.randomBlockParams)} | ${int(r.keptParams)} | ${r.keptFraction!.toPrecision(3)} | ${r.certifiedBoundNormalised!.toPrecision(3)} | ${r.seconds.toFixed(1)} |`);
    }
    lines.push(`Malach-style and the lower bound for comparison: ${int(sizes.malach.randomDense)} random parameters (dense), lower bound ${int(sizes.lowerBound)}.`);
  }
  io.stdout(lines.join('\n') + '\n');
}
