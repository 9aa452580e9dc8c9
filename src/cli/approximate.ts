/**
 * `lottery approximate`: Experiment 1 of Pensia et al. (2020) done right — every weight of a target network
 * replaced by a subset sum of n random numbers, the result saved, evaluated on MNIST and set beside the
 * published table (src/experiments/approximateRun.ts; docs/experiment1.md).
 */
import { archOption, jsonOption, memoryLimitFromCli, memoryLimitOption, parseSeed, parseWorkers, preprocessOption, seedOption, workersOption, noteInferredChain } from './options.js';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import { approximateMemory, checkMemory } from '../core/limits.js';
import {
  APPROXIMATED_FILE,
  OUTSIDE_FILE,
  PUBLISHED_EXPERIMENT1,
  RECORDS_FILE,
  SUMMARY_FILE,
  SWEEP_FILE,
  runApproximation,
  runSampleSweep,
  sha256File,
  type ApproximateRunSpec,
  type ApproximateRunSummary,
  type SampleSweepRow,
} from '../experiments/approximateRun.js';
import { loadModel } from '../io/modelFile.js';
import { parameterCount, type Preprocess } from '../nn/network.js';
import { closeSolverPool } from '../subsetsum/batch.js';
import { MAX_SAMPLE_COUNT, OBJECTIVES } from '../subsetsum/types.js';
import { COEFFICIENT_DISTRIBUTIONS, COEFFICIENT_SHARINGS, sampleCountFromFormula, type ApproximateOptions } from '../approximate/approximate.js';
import type { RegisterCommand } from './io.js';
import { printJson, type CliIo } from './io.js';
import { VERSION } from './version.js';
import { parseChoice, parseIntegerRange, parseNumber } from './parse.js';
import { createProgress } from './progress.js';

interface ApproximateFlags {
  target?: string;
  out?: string;
  tolerance: string;
  c: string;
  samples?: string;
  samplesSweep?: string;
  coefficients: string;
  distribution: string;
  objective: string;
  seed?: string;
  arch?: string;
  preprocess?: string;
  workers?: string;
  chunkSize: string;
  memoryLimit?: string;
  eval: boolean;
  json?: boolean;
  progress: boolean;
}

const EXAMPLE = 'lottery approximate --target fc2.safetensors --tolerance 0.01 --c 3 --seed 1 --out runs/experiment1';

export const registerApproximate: RegisterCommand = (program: Command, io: CliIo) => {
  program
    .command('approximate')
    .description(
      'Experiment 1 of Pensia et al.: replace every weight of a target network by the closest (or sparsest) subset sum of n random numbers, ' +
        'n = c·round(log2(1/ε)); save, evaluate on MNIST and compare with the published table. Interrupted runs resume from --out.',
    )
    .option('--target <file>', 'target network (safetensors or ONNX, as `lottery eval` reads)')
    .option('--out <dir>', 'run directory: results, records, chunks for resuming')
    .option('--tolerance <ε>', 'ε: a weight is approximated when |w − Σ| ≤ ε', '0.01')
    .option('--c <c>', 'c in n = c·round(log2(1/ε))', '3')
    .option('--samples <n>', `n, overriding the formula (1..${MAX_SAMPLE_COUNT})`)
    .option('--samples-sweep <range>', 'run once per n (e.g. 4:24), each in DIR/samples-NN, and print accuracy and kept size against n')
    .option('--coefficients <mode>', 'per-weight: n fresh numbers per weight (the paper); per-row: one set per output row (the official code)', 'per-weight')
    .option('--distribution <name>', 'target-range: U[min w, max w] (the code); uniform: U[-1,1]; product: u·v of two U[-1,1] (the construction)', 'target-range')
    .option('--objective <name>', 'closest: least error (the paper); sparsest: fewest numbers within ε', 'closest')
    .addOption(seedOption())
    .addOption(archOption())
    .addOption(preprocessOption())
    .addOption(workersOption('all cores'))
    .option('--chunk-size <count>', 'weights per resumable chunk; results do not depend on it', '20000')
    .addOption(memoryLimitOption())
    .option('--no-eval', 'skip the MNIST evaluation (accuracies are null)')
    .addOption(jsonOption())
    .option('--no-progress', 'do not report progress on stderr')
    .addHelpText('after', `\nExample:\n  ${EXAMPLE}\n  ${EXAMPLE}-sweep --samples-sweep 4:24 --json\n`)
    .action((flags: ApproximateFlags, command: Command) => runApproximateCommand(flags, io, command));
};

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new InputError(`${flag} is required, e.g. ${EXAMPLE}`);
  return value;
}

export function approximateOptionsFromFlags(flags: ApproximateFlags): ApproximateOptions {
  const options: ApproximateOptions = {
    // ε is a fraction of the weights' scale: n = c·round(log2(1/ε)) needs 0 < ε < 1 (Pensia et al., Theorem 1).
    tolerance: parseNumber('--tolerance', flags.tolerance, { above: 0, below: 1 }),
    sampleFactor: parseNumber('--c', flags.c, { above: 0, max: 1000 }),
    coefficients: parseChoice('--coefficients', flags.coefficients, COEFFICIENT_SHARINGS),
    distribution: parseChoice('--distribution', flags.distribution, COEFFICIENT_DISTRIBUTIONS),
    objective: parseChoice('--objective', flags.objective, OBJECTIVES),
    seed: parseSeed(required(flags.seed, '--seed')),
    chunkSize: parseNumber('--chunk-size', flags.chunkSize, { integer: true, min: 1, max: 10_000_000 }),
  };
  if (flags.samples !== undefined) options.sampleCount = parseNumber('--samples', flags.samples, { integer: true, min: 1, max: MAX_SAMPLE_COUNT });
  else if (flags.samplesSweep === undefined) {
    const { sampleCount, formula } = sampleCountFromFormula(options.sampleFactor, options.tolerance);
    if (sampleCount < 1 || sampleCount > MAX_SAMPLE_COUNT) {
      throw new InputError(`--tolerance ${options.tolerance} with --c ${options.sampleFactor}: ${formula}, outside 1..${MAX_SAMPLE_COUNT}; choose ε and c so that n is in range, or give --samples`);
    }
  }
  return options;
}

async function runApproximateCommand(flags: ApproximateFlags, io: CliIo, command: Command): Promise<void> {
  const targetFile = required(flags.target, '--target');
  const outDir = required(flags.out, '--out');
  const options = approximateOptionsFromFlags(flags);
  if (flags.samples !== undefined && flags.samplesSweep !== undefined) throw new InputError('--samples and --samples-sweep: give one or the other');
  const sweep = flags.samplesSweep === undefined ? null : parseIntegerRange('--samples-sweep', flags.samplesSweep, { min: 1, max: MAX_SAMPLE_COUNT }, 100);
  const preprocess = flags.preprocess === undefined ? undefined : parseChoice<Preprocess>('--preprocess', flags.preprocess, ['pixels', 'standard']);
  const workers = parseWorkers(flags.workers);
  const memoryLimit = memoryLimitFromCli(flags.memoryLimit);
  const target = loadModel(targetFile, { ...(flags.arch !== undefined ? { arch: flags.arch } : {}), ...(preprocess !== undefined ? { preprocess } : {}) });
  noteInferredChain(io, target, targetFile);
  const largestN = sweep !== null ? Math.max(...sweep) : (options.sampleCount ?? sampleCountFromFormula(options.sampleFactor, options.tolerance).sampleCount);
  checkMemory(
    'approximate',
    approximateMemory({ parameterCount: parameterCount(target), sampleCount: largestN, chunkSize: options.chunkSize ?? 20_000, workers: workers ?? availableParallelism() }),
    memoryLimit,
    'lower --chunk-size or --workers',
  );
  const spec: ApproximateRunSpec = {
    target,
    targetFile: resolve(targetFile),
    targetSha256: sha256File(targetFile),
    options,
    outDir,
    version: VERSION,
    argv: ['approximate', ...rawArgs(command)],
  };
  let progress = createProgress(io, 'approximate', flags.progress);
  const runOptions = { ...(workers !== undefined ? { workers } : {}), evaluate: flags.eval, onProgress: (done: number, total: number) => progress.update(done, total) };
  try {
    if (sweep === null) {
      const result = await runApproximation(spec, runOptions);
      progress.stop();
      const summary = result.summary!;
      if (flags.json) printJson(io, summary);
      else io.stdout(humanReport(summary, outDir, result.chunksResumed));
    } else {
      const onStart = (n: number): void => {
        progress.stop();
        progress = createProgress(io, `approximate n = ${n}`, flags.progress);
      };
      const rows = await runSampleSweep(spec, sweep, { ...runOptions, onStart });
      progress.stop();
      if (flags.json) printJson(io, rows.map((row) => ({ outDir: row.outDir, ...row.summary })));
      else io.stdout(sweepTable(rows, outDir));
    }
  } finally {
    progress.stop();
    await closeSolverPool();
  }
}

/** The options as typed on the command line (recorded in meta.json). */
function rawArgs(command: Command): string[] {
  const parent = command.parent as (Command & { rawArgs?: string[] }) | null;
  const raw = parent?.rawArgs ?? [];
  const at = raw.indexOf('approximate');
  return at >= 0 ? raw.slice(at + 1) : [];
}

const integer = (value: number): string => value.toLocaleString('en-US');
const percent = (value: number | null): string => (value === null ? 'not evaluated' : `${(100 * value).toFixed(2)} %`);

export function humanReport(summary: ApproximateRunSummary, outDir: string, chunksResumed: number): string {
  const s = summary;
  const lines: string[] = [];
  lines.push(`target: ${s.targetFile} (${integer(s.targetParams)} parameters, sha256 ${s.targetSha256.slice(0, 16)}…)`);
  lines.push(s.formula);
  lines.push(`coefficients ${s.options.coefficients} (stream ${s.options.stream}, seed ${s.seed}), distribution ${s.options.distribution} = ${s.options.resolvedDistribution}, objective ${s.options.objective}, ε = ${s.options.tolerance}`);
  if (chunksResumed > 0) lines.push(`resumed: ${chunksResumed} of ${s.chunkCount} chunks were already finished in ${outDir}`);
  lines.push(`random numbers drawn: ${integer(s.randomParams)}${s.randomParams !== s.paperRandomParams ? ` (the paper counts parameters·n = ${integer(s.paperRandomParams)})` : ''}`);
  lines.push(
    `numbers used: ${integer(s.keptParams)} = ${s.relativeKeptSize.toFixed(2)}× the target` +
      (s.distinctKeptParams !== s.keptParams ? ` (counting each use; ${integer(s.distinctKeptParams)} distinct numbers = ${s.relativeDistinctKeptSize.toFixed(2)}×)` : '') +
      `; ${integer(s.zeroApproximations)} weights became 0 (empty subset)`,
  );
  lines.push(`largest weight error: ${s.maxWeightError.toPrecision(3)} (mean ${s.meanWeightError.toPrecision(3)}); weights outside ε: ${integer(s.weightsOutsideTolerance)}${s.weightsOutsideTolerance > 0 ? ` (listed in ${OUTSIDE_FILE}, kept at their best approximation)` : ''}`);
  lines.push(`accuracy on the 10,000 MNIST test images: target ${percent(s.targetAccuracy)}, approximated network ${percent(s.ticketAccuracy)}`);
  lines.push(`time: ${s.seconds.toFixed(2)} s excluding evaluation (published: ${integer(PUBLISHED_EXPERIMENT1.seconds)} s on ${PUBLISHED_EXPERIMENT1.cores} cores); evaluation ${s.evaluationSeconds.toFixed(2)} s`);
  lines.push(`wrote ${outDir}/: ${APPROXIMATED_FILE}, ${RECORDS_FILE}, ${OUTSIDE_FILE}, ${SUMMARY_FILE}, meta.json`);
  lines.push('');
  const p = PUBLISHED_EXPERIMENT1;
  lines.push('| | initial params | remaining params | relative size | accuracy |');
  lines.push('|---|---|---|---|---|');
  lines.push(`| Pensia et al. (published) | ${integer(p.targetParams)} → ${integer(p.randomParams)} drawn | ${integer(p.keptParams)} | ${p.relativeKeptSize.toFixed(2)}× | ${(100 * p.accuracy).toFixed(2)} % (never measured on the pruned net) |`);
  const distinct = s.distinctKeptParams !== s.keptParams ? ` (${integer(s.distinctKeptParams)} distinct)` : '';
  lines.push(
    `| ours (${s.options.coefficients}, ${s.options.objective}, n = ${s.n}) | ${integer(s.targetParams)} → ${integer(s.randomParams)} drawn | ${integer(s.keptParams)}${distinct} | ${s.relativeKeptSize.toFixed(2)}× | ` +
      `${percent(s.ticketAccuracy)} (approximated net; target ${percent(s.targetAccuracy)}) |`,
  );
  return lines.join('\n') + '\n';
}

export function sweepTable(rows: readonly SampleSweepRow[], outDir: string): string {
  const lines = [`sample-count sweep (each run in ${outDir}/samples-NN; all figures in ${outDir}/${SWEEP_FILE})`, ''];
  lines.push('| n | numbers drawn | numbers used | relative size | max weight error | outside ε | accuracy (approximated) | accuracy (target) | seconds |');
  lines.push('|---|---|---|---|---|---|---|---|---|');
  for (const { n, summary: s } of rows) {
    lines.push(
      `| ${n} | ${integer(s.randomParams)} | ${integer(s.keptParams)} | ${s.relativeKeptSize.toFixed(2)}× | ${s.maxWeightError.toPrecision(3)} | ${integer(s.weightsOutsideTolerance)} | ${percent(s.ticketAccuracy)} | ${percent(s.targetAccuracy)} | ${s.seconds.toFixed(2)} |`,
    );
  }
  return lines.join('\n') + '\n';
}
