/**
 * `lottery run SPEC --out DIR`: runs a declarative experiment spec (JSON with an "experiment" key, e.g. the
 * edge-popup sweeps in experiments/) into a resumable run directory. Experiment kinds form a closed table below.
 */
import { jsonOption, memoryLimitFromCli, memoryLimitOption, workersOption } from './options.js';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import { PUBLISHED_POPUP, RECORDS_FILE, comparisonRows, runPopupSweep, type PopupRunRecord } from '../experiments/popup.js';
import { parseSpecJson, resolvePopupSweepSpec, sweepRuns } from '../experiments/popupSpec.js';
import { popupFigure, popupSummaryMarkdown } from '../report/popupFigure.js';
import type { RegisterCommand } from './io.js';
import { VERSION } from './version.js';
import { describeJson } from '../core/describe.js';
import { printJson, type CliIo } from './io.js';
import { parseNumber } from './parse.js';
import { createProgress } from './progress.js';

interface RunFlags {
  out?: string;
  memoryLimit?: string;
  workers?: string;
  json?: boolean;
  progress: boolean;
}

interface ExperimentContext {
  specFile: string;
  outDir: string;
  argv: string[];
  flags: RunFlags;
  io: CliIo;
}

/** Experiment kinds by their "experiment" key: each validates its own spec and writes its own run directory. */
const EXPERIMENTS: Record<string, (input: unknown, context: ExperimentContext) => Promise<void>> = {
  popup: runPopupExperiment,
};

const EXAMPLE = 'lottery run experiments/quick.json --out runs/popup-quick';

export const registerRun: RegisterCommand = (program: Command, io: CliIo) => {
  program
    .command('run')
    .description(
      `Run an experiment spec (JSON; "experiment": ${Object.keys(EXPERIMENTS).join(', ')}) into a run directory: resolved spec, records (JSONL), ` +
        'figures and a summary. Re-running with the same spec and --out resumes where it stopped.',
    )
    .argument('<spec>', 'experiment spec, e.g. experiments/fc2.json')
    .option('--out <dir>', 'run directory (required)')
    .addOption(memoryLimitOption())
    .addOption(workersOption('2 for networks of 200,000 weights or more, else 1'))
    .addOption(jsonOption())
    .option('--no-progress', 'do not report progress on stderr')
    .addHelpText('after', `\nExample:\n  ${EXAMPLE}\n`)
    .action((specFile: string, flags: RunFlags) => runCommand(specFile, flags, io));
};

async function runCommand(specFile: string, flags: RunFlags, io: CliIo): Promise<void> {
  if (flags.out === undefined || flags.out === '') throw new InputError(`--out is required, e.g. ${EXAMPLE}`);
  memoryLimitFromCli(flags.memoryLimit);
  let text: string;
  try {
    text = readFileSync(specFile, 'utf8');
  } catch (error) {
    throw new InputError(`${specFile}: cannot read spec (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const input = parseSpecJson(text, specFile);
  const kind = typeof input === 'object' && input !== null ? (input as Record<string, unknown>)['experiment'] : undefined;
  if (typeof kind !== 'string' || !Object.hasOwn(EXPERIMENTS, kind)) {
    throw new InputError(`${specFile}: experiment must be one of ${Object.keys(EXPERIMENTS).join(', ')}, got ${describeJson(kind)}`);
  }
  await EXPERIMENTS[kind]!(input, { specFile, outDir: flags.out, argv: ['run', specFile, '--out', flags.out], flags, io });
}

async function runPopupExperiment(input: unknown, context: ExperimentContext): Promise<void> {
  const { flags, io } = context;
  const spec = resolvePopupSweepSpec(input, context.specFile);
  const total = sweepRuns(spec).length;
  let progress = createProgress(io, 'run', false);
  const writeReports = (records: readonly PopupRunRecord[], write: (name: string, data: string) => void) => {
    for (const arch of new Set(records.map((r) => r.arch))) write(`figure-${arch}.svg`, popupFigure(records, PUBLISHED_POPUP, arch));
    const convs = [...new Set(records.flatMap((r) => (r.convNote === null ? [] : [`- ${r.structure === 'dense' ? 'dense' : 'masked structures'}: ${r.convNote}`])))];
    const convLines = convs.length > 0 ? `LeNet5 conv layers (${records[0]!.convParameters.toLocaleString('en-US')} weights, not counted as parameters):\n${convs.join('\n')}\n\n` : '';
    write('summary.md', `# ${spec.name}\n\n${spec.description}\n\n${convLines}${popupSummaryMarkdown(comparisonRows(records))}`);
  };
  try {
    const result = await runPopupSweep(spec, {
      outDir: context.outDir,
      memoryLimit: memoryLimitFromCli(flags.memoryLimit),
      ...(flags.workers !== undefined ? { threads: parseNumber('--workers', flags.workers, { integer: true, min: 1, max: 4 }) } : {}),
      version: VERSION,
      argv: context.argv,
      onRun: (index, count, run, resumed) => {
        progress.stop();
        const label = `run ${index + 1}/${count}: ${run.arch} ${run.structure}${run.structure === 'dense' ? '' : ` pruned ${1 - run.keepFraction > 0 ? Number((1 - run.keepFraction).toFixed(12)) : 0}`}`;
        if (resumed) {
          if (flags.progress) io.stderr(`${label}: already done\n`);
          progress = createProgress(io, label, false);
        } else {
          if (flags.progress) io.stderr(`${label}\n`);
          progress = createProgress(io, label, flags.progress);
        }
      },
      onBatch: (done, count) => progress.update(done, count),
      onPhase: (message) => {
        if (flags.progress) io.stderr(`run: ${message}\n`);
      },
      onRecord: (record, records, run) => {
        progress.stop();
        if (flags.progress && !flags.json) {
          io.stderr(`  → accuracy ${(100 * record.finalAccuracy).toFixed(2)} % after ${record.epochs} epochs, ${record.secondsPerEpoch.toFixed(1)} s per epoch\n`);
        }
        writeReports(records, (name, data) => run.writeFile(name, data));
      },
    });
    writeReports(result.records, (name, data) => result.run.writeFile(name, data));
    result.run.finish();
    if (flags.json) {
      printJson(io, result.records);
    } else {
      io.stdout(popupSummaryMarkdown(comparisonRows(result.records)));
      io.stdout(`\n${total} runs (${result.resumedRuns} resumed) in ${context.outDir}/: ${RECORDS_FILE}, summary.md, figure-${spec.arch}.svg, spec.json, config.json, meta.json\n`);
    }
  } finally {
    progress.stop();
  }
}
