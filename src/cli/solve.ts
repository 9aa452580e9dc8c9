/**
 * `lottery solve`: one subset-sum instance from the command line — which of the values to add so the
 * sum comes closest to the target (or uses the fewest values within the tolerance), with the exact
 * solver, the brute-force oracle or the paper's MIP (HiGHS).
 */
import { jsonOption } from './options.js';
import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import { subsetSumRefusal } from '../core/limits.js';
import { solveWithMethod, SOLVE_METHODS, type SolveMethod } from '../subsetsum/solve.js';
import { MAX_SAMPLE_COUNT, OBJECTIVES, type Objective, type SubsetSumResult } from '../subsetsum/types.js';
import { bruteForceOfSize } from '../subsetsum/bruteForce.js';
import { closestOfSize } from '../subsetsum/fixedSize.js';
import type { RegisterCommand } from './io.js';
import { printJson, type CliIo } from './io.js';
import { parseChoice, parseNumber, parseNumberList } from './parse.js';

interface SolveFlags {
  values: string;
  target: string;
  tolerance: string;
  objective: string;
  method: string;
  subsetSize?: string;
  json?: boolean;
}

const EXAMPLE = 'lottery solve --values 0.3,-0.2,0.71 --target 0.5 --tolerance 0.01';

export const registerSolve: RegisterCommand = (program: Command, io: CliIo) => {
  program
    .command('solve')
    .description('Solve one subset-sum instance: the subset of --values whose sum is closest to --target (or the fewest values within --tolerance).')
    .requiredOption('--values <list>', `comma-separated numbers a_1..a_n, 1 ≤ n ≤ ${MAX_SAMPLE_COUNT}`)
    .requiredOption('--target <number>', 'the target z')
    .option('--tolerance <number>', 'tolerance ε > 0', '0.01')
    .option('--objective <name>', `${OBJECTIVES.join(' | ')}: least error, or fewest values within ε then least error`, 'closest')
    .option('--method <name>', `${SOLVE_METHODS.join(' | ')}: exact solver, all 2^n subsets (n ≤ 20), or HiGHS MIP (closest, 1 % gap)`, 'exact')
    .option('--subset-size <k>', 'use exactly k of the values: the closest subset of size k (objective closest; method exact or brute-force)')
    .addOption(jsonOption())
    .addHelpText('after', `\nExample:\n  ${EXAMPLE} --objective sparsest --json\n`)
    .action((flags: SolveFlags) => runSolve(flags, io));
};

async function runSolve(flags: SolveFlags, io: CliIo): Promise<void> {
  const values = parseNumberList('--values', flags.values, {}, 1_000_000);
  if (values.length > MAX_SAMPLE_COUNT) throw new InputError(subsetSumRefusal('--values', values.length, MAX_SAMPLE_COUNT));
  const target = parseNumber('--target', flags.target);
  const tolerance = parseNumber('--tolerance', flags.tolerance, { above: 0 });
  const objective = parseChoice<Objective>('--objective', flags.objective, OBJECTIVES);
  const method = parseChoice<SolveMethod>('--method', flags.method, SOLVE_METHODS);
  const subsetSize = flags.subsetSize === undefined ? undefined : parseNumber('--subset-size', flags.subsetSize, { integer: true, min: 0, max: values.length });
  if (subsetSize !== undefined && objective !== 'closest') throw new InputError('--subset-size: fixes how many values are used, so it goes with --objective closest only');
  if (subsetSize !== undefined && method === 'mip') throw new InputError('--subset-size: the MIP method solves the paper\'s model, without a size constraint; use --method exact or brute-force');
  const instance = { values, target, tolerance };
  const result: SubsetSumResult & { status?: string } =
    subsetSize === undefined ? await solveWithMethod(instance, objective, method) : method === 'brute-force' ? bruteForceOfSize(instance, subsetSize) : closestOfSize(instance, subsetSize);
  const { indices, sum, error, withinTolerance } = result;
  if (flags.json) {
    const size = subsetSize === undefined ? {} : { subsetSize };
    printJson(io, result.status === undefined ? { indices, sum, error, withinTolerance, ...size } : { indices, sum, error, withinTolerance, status: result.status });
    return;
  }
  const chosen = indices.length === 0 ? '(none: the empty sum)' : indices.map((i) => `${i} (${values[i]})`).join(', ');
  io.stdout(
    [
      `indices:          ${chosen}`,
      `values used:      ${indices.length} of ${values.length}${subsetSize === undefined ? '' : ' (exactly, --subset-size)'}`,
      `sum:              ${sum}`,
      `error:            ${error}   (|target − sum|, target ${target})`,
      `withinTolerance:  ${withinTolerance}   (tolerance ${tolerance})`,
      ...(result.status === undefined ? [] : [`HiGHS status:     ${result.status}`]),
      '',
    ].join('\n'),
  );
}
