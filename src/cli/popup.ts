/**
 * `lottery popup`: one edge-popup run of Experiment 2 (Pensia et al. 2020, §5): a structure of FC2, FC4 or LeNet5
 * on MNIST at one kept/pruned fraction, its accuracy per epoch and time, beside the published accuracy when the
 * paper's table has the point (src/experiments/popup.ts). Sweeps: `lottery run experiments/fc2.json`.
 */
import { jsonOption, memoryLimitFromCli, memoryLimitOption, parseSeed, seedOption, workersOption } from './options.js';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import { checkPopupMemory, publishedAccuracy, preparePopupData, runPopup, type PopupRunRecord } from '../experiments/popup.js';
import { resolvePopupRunSpec, type PopupRunSpec } from '../experiments/popupSpec.js';
import { writeFileAtomic } from '../io/atomicFile.js';
import { POPUP_WEIGHT_INITS } from '../popup/network.js';
import { POPUP_ARCHS, POPUP_STRUCTURES } from '../popup/structures.js';
import type { RegisterCommand } from './io.js';
import { printJson, type CliIo } from './io.js';
import { parseNumber } from './parse.js';
import { createProgress } from './progress.js';

interface PopupFlags {
  arch?: string;
  structure?: string;
  keepFraction?: string;
  pruneFraction?: string;
  epochs: string;
  seed?: string;
  redundancy?: string;
  samples?: string;
  weightInit?: string;
  learningRate?: string;
  momentum?: string;
  weightDecay?: string;
  batchSize?: string;
  schedule?: string;
  trainCount?: string;
  testCount?: string;
  convs?: string;
  convEpochs?: string;
  out?: string;
  memoryLimit?: string;
  workers?: string;
  json?: boolean;
  progress: boolean;
}

const EXAMPLE = 'lottery popup --arch fc2 --structure ours-linear --prune-fraction 0.5 --epochs 2 --seed 1 --train-count 10000';

export const registerPopup: RegisterCommand = (program: Command, io: CliIo) => {
  program
    .command('popup')
    .description(
      'Experiment 2 of Pensia et al.: edge-popup (Ramanujan et al. 2020) finds a mask of a frozen random network by training scores; ' +
        'one structure at one pruned fraction on MNIST, accuracy per epoch, time, and the published accuracy when the paper has the point.',
    )
    .option('--arch <name>', `architecture: ${POPUP_ARCHS.join(', ')}`)
    .option('--structure <name>', `dense (trained baseline), wide, ours-linear, ours-relu or theorem1 (${POPUP_STRUCTURES.join(', ')})`)
    .option('--keep-fraction <f>', 'fraction of every weight tensor kept, in [0, 1]')
    .option('--prune-fraction <f>', 'fraction of every weight tensor pruned (the paper\'s "sparsity"), in [0, 1]')
    .option('--epochs <count>', 'training epochs', '10')
    .addOption(seedOption())
    .option('--redundancy <r>', 'r of ours-linear / ours-relu, and the r whose parameter count wide matches (default 5)')
    .option('--samples <n>', 'n of theorem1: blocks of 2n ReLU units per input (default 3)')
    .option('--weight-init <name>', `frozen weights of wide/ours: ${POPUP_WEIGHT_INITS.join(', ')} (default kaiming-normal)`)
    .option('--learning-rate <lr>', 'SGD learning rate (default 0.1; lenet5 0.01)')
    .option('--momentum <m>', 'SGD momentum (default 0.9)')
    .option('--weight-decay <wd>', 'weight decay on the scores (default 5e-4; the dense baseline has none)')
    .option('--batch-size <count>', 'mini-batch size (default 64)')
    .option('--schedule <name>', 'learning-rate schedule: cosine or constant (default cosine)')
    .option('--train-count <count>', 'use the first COUNT of the 60,000 training images (default all)')
    .option('--test-count <count>', 'evaluate on the first COUNT of the 10,000 test images (default all)')
    .option('--convs <source>', 'lenet5: trained (copied from a LeNet5 trained first, as the paper) or random (default trained)')
    .option('--conv-epochs <count>', 'lenet5 with trained convs: epochs of the LeNet5 they are copied from (default 2)')
    .option('--out <dir>', 'write the resolved spec (spec.json) and the record (record.json) into this folder')
    .addOption(memoryLimitOption())
    .addOption(workersOption('2 for networks of 200,000 weights or more, else 1'))
    .addOption(jsonOption())
    .option('--no-progress', 'do not report progress on stderr')
    .addHelpText('after', `\nExample:\n  ${EXAMPLE}\n  lottery popup --arch fc2 --structure dense --epochs 2 --seed 1 --json\n`)
    .action((flags: PopupFlags) => runPopupCommand(flags, io));
};

/** The run spec the flags describe (validated by resolvePopupRunSpec; flag names in its messages are the JSON keys). */
export function popupSpecFromFlags(flags: PopupFlags): PopupRunSpec {
  if (flags.seed === undefined) throw new InputError(`--seed is required (an integer in [0, 2^32)), e.g. ${EXAMPLE}`);
  if (flags.arch === undefined) throw new InputError(`--arch is required (${POPUP_ARCHS.join(', ')}), e.g. ${EXAMPLE}`);
  if (flags.structure === undefined) throw new InputError(`--structure is required (${POPUP_STRUCTURES.join(', ')}), e.g. ${EXAMPLE}`);
  const spec: Record<string, unknown> = {
    arch: flags.arch,
    structure: flags.structure,
    seed: parseSeed(flags.seed),
    epochs: parseNumber('--epochs', flags.epochs, { integer: true, min: 1, max: 10_000 }),
  };
  const numeric: [keyof PopupFlags, string, string, boolean][] = [
    ['keepFraction', 'keepFraction', '--keep-fraction', false],
    ['pruneFraction', 'pruneFraction', '--prune-fraction', false],
    ['redundancy', 'redundancy', '--redundancy', true],
    ['samples', 'sampleCount', '--samples', true],
    ['learningRate', 'learningRate', '--learning-rate', false],
    ['momentum', 'momentum', '--momentum', false],
    ['weightDecay', 'weightDecay', '--weight-decay', false],
    ['batchSize', 'batchSize', '--batch-size', true],
    ['trainCount', 'trainCount', '--train-count', true],
    ['testCount', 'testCount', '--test-count', true],
    ['convEpochs', 'convEpochs', '--conv-epochs', true],
  ];
  for (const [flag, key, name, isInteger] of numeric) {
    const text = flags[flag];
    if (typeof text === 'string') spec[key] = parseNumber(name, text, isInteger ? { integer: true } : {});
  }
  if (flags.weightInit !== undefined) spec['weightInit'] = flags.weightInit;
  if (flags.schedule !== undefined) spec['schedule'] = flags.schedule;
  if (flags.convs !== undefined) spec['convs'] = flags.convs;
  try {
    return resolvePopupRunSpec(spec, 'lottery popup');
  } catch (error) {
    // The spec's messages name JSON keys; on the command line, name the flags instead.
    if (!(error instanceof InputError)) throw error;
    const flagOf = (key: string) => (key === 'sampleCount' ? '--samples' : `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    throw new InputError(error.message.replace('lottery popup: ', '').replace(new RegExp(`\\b(${SPEC_KEYS.join('|')})\\b`, 'g'), flagOf));
  }
}

const SPEC_KEYS = ['arch', 'structure', 'keepFraction', 'pruneFraction', 'seed', 'epochs', 'redundancy', 'sampleCount', 'weightInit', 'learningRate', 'momentum', 'weightDecay', 'batchSize', 'schedule', 'trainCount', 'testCount', 'convs', 'convEpochs'];

async function runPopupCommand(flags: PopupFlags, io: CliIo): Promise<void> {
  const spec = popupSpecFromFlags(flags);
  checkPopupMemory(spec, memoryLimitFromCli(flags.memoryLimit));
  const progress = createProgress(io, `popup ${spec.arch} ${spec.structure}`, flags.progress);
  let record: PopupRunRecord;
  try {
    const hooks = {
      ...(flags.workers !== undefined ? { threads: parseNumber('--workers', flags.workers, { integer: true, min: 1, max: 4 }) } : {}),
      onBatch: (done: number, total: number) => progress.update(done, total),
      onPhase: (message: string) => {
        if (flags.progress) io.stderr(`popup: ${message}\n`);
      },
      onEpoch: (e: PopupRunRecord['history'][number]) => {
        if (flags.progress && !flags.json) io.stderr(`popup: epoch ${e.epoch}: test accuracy ${(100 * (e.testAccuracy ?? NaN)).toFixed(2)} %, ${e.seconds.toFixed(1)} s\n`);
      },
    };
    const data = await preparePopupData(spec, hooks);
    record = await runPopup(spec, data, hooks);
  } finally {
    progress.stop();
  }
  if (flags.out !== undefined) {
    mkdirSync(flags.out, { recursive: true });
    writeFileAtomic(join(flags.out, 'spec.json'), JSON.stringify(spec, null, 2) + '\n');
    writeFileAtomic(join(flags.out, 'record.json'), JSON.stringify(record, null, 2) + '\n');
  }
  const published = publishedAccuracy(record.arch, record.structure, record.pruneFraction);
  if (flags.json) printJson(io, { ...record, publishedAccuracy: published });
  else io.stdout(popupReport(record, published));
}

const integer = (n: number): string => n.toLocaleString('en-US');
const pct = (v: number | undefined | null): string => (v === undefined || v === null || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(2)} %`);

export function popupReport(r: PopupRunRecord, published: number | null): string {
  const lines: string[] = [];
  const what =
    r.structure === 'dense'
      ? `${integer(r.parameters)} weights trained (SGD lr ${r.learningRate}, no weight decay)`
      : `${integer(r.parameters)} frozen random weights, ${integer(r.keptParameters)} kept (keep fraction ${r.keepFraction}, pruned ${r.pruneFraction})`;
  const detail = r.redundancy !== null && r.structure !== 'wide' ? `, r = ${r.redundancy}` : r.sampleCount !== null ? `, n = ${r.sampleCount} (2n = ${2 * r.sampleCount} copies)` : '';
  lines.push(`edge-popup ${r.arch} ${r.structure} (widths ${r.widths.join('-')}${detail}): ${what}`);
  if (r.convNote !== null) lines.push(`LeNet5 convs: ${r.convNote} (${integer(r.convParameters)} weights, not counted above)`);
  lines.push(`data: first ${integer(r.trainCount)} training images, first ${integer(r.testCount)} test images; seed ${r.seed}`);
  for (const e of r.history) {
    lines.push(`  epoch ${e.epoch}: lr ${e.learningRate.toPrecision(3)}, train loss ${e.trainLoss.toFixed(4)}, train ${pct(e.trainAccuracy)}, test ${pct(e.testAccuracy)}, ${e.seconds.toFixed(1)} s`);
  }
  lines.push(`test accuracy after ${r.epochs} epochs: ${pct(r.finalAccuracy)} (best epoch ${pct(r.bestAccuracy)}); published (best of 10–100 epochs): ${published === null ? 'no published point' : pct(published)}`);
  lines.push(`time: ${r.seconds.toFixed(1)} s, ${r.secondsPerEpoch.toFixed(1)} s per epoch (training only)`);
  return lines.join('\n') + '\n';
}
