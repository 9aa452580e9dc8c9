/**
 * `lottery train`: trains a target network (fc2, fc4, lenet5 or any mlp:…) on MNIST with TensorFlow.js
 * (wasm backend), reports per-epoch loss and accuracy, re-evaluates the result with our own forward
 * pass and saves it as safetensors with its training settings in the metadata.
 */
import { jsonOption, memoryLimitFromCli, memoryLimitOption, parseSeed, seedOption } from './options.js';
import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import { checkMemory, checkTfHeap, trainMemory, trainTfMemory, type TrainMemoryInput } from '../core/limits.js';
import { saveModel } from '../io/modelFile.js';
import { loadMnist } from '../io/mnist.js';
import { createNetwork, parseArch, type ArchSpec } from '../nn/architectures.js';
import { evaluate } from '../nn/evaluate.js';
import { parameterCount, type Preprocess } from '../nn/network.js';
import {
  INIT_SCHEMES,
  LEARNING_RATE_SCHEDULES,
  OPTIMIZER_NAMES,
  defaultTraining,
  initializeNetwork,
  trainNetwork,
  type TrainSummary,
  type OptimizerName,
} from '../nn/train.js';
import type { RegisterCommand } from './io.js';
import { printJson, type CliIo } from './io.js';
import { parseChoice, parseNumber } from './parse.js';
import { createProgress } from './progress.js';

interface TrainFlags {
  arch?: string;
  bias?: boolean;
  epochs?: string;
  optimizer?: string;
  learningRate?: string;
  batchSize?: string;
  schedule?: string;
  momentum?: string;
  init?: string;
  preprocess?: string;
  trainImages?: string;
  seed?: string;
  out?: string;
  memoryLimit?: string;
  json?: boolean;
  progress: boolean;
}


const EXAMPLE = 'lottery train --arch fc2 --seed 1 --out fc2.safetensors';

function defaultsHelp(): string {
  const lines = ['', 'Defaults (reach fc2 ≥ 97.5 %, fc4 ≥ 98.0 %, lenet5 ≥ 98.5 % MNIST test accuracy):'];
  for (const arch of ['fc2', 'fc4', 'lenet5']) {
    const d = defaultTraining(arch);
    lines.push(`  ${arch.padEnd(7)} --epochs ${d.epochs} --optimizer ${d.optimizer} --learning-rate ${d.learningRate} --batch-size ${d.batchSize} --schedule ${d.schedule} --preprocess ${d.preprocess} --init ${d.init}`);
  }
  lines.push('  other mlp:… as fc2.');
  return lines.join('\n');
}

export const registerTrain: RegisterCommand = (program: Command, io: CliIo) => {
  program
    .command('train')
    .description('Train a target network on MNIST (TensorFlow.js, wasm backend) and save it as safetensors.')
    .option('--arch <name>', 'fc2 (784-500-10), fc4 (784-500-500-500-10), lenet5, or mlp:784-300-100-10 (required)')
    .option('--bias', 'give every layer a bias (the paper\'s targets have none)')
    .option('--epochs <count>', 'passes over the 60,000 training images')
    .option('--optimizer <name>', `${OPTIMIZER_NAMES.join(' or ')} (sgd has momentum 0.9)`)
    .option('--learning-rate <rate>', 'initial learning rate')
    .option('--batch-size <count>', 'examples per update')
    .option('--schedule <name>', `${LEARNING_RATE_SCHEDULES.join(' or ')} (per-epoch cosine decay to 0)`)
    .option('--momentum <μ>', 'momentum of sgd, in [0, 1)', '0.9')
    .option('--init <scheme>', `weight initialisation: ${INIT_SCHEMES.join(', ')}`)
    .option('--preprocess <name>', 'MNIST input scaling: pixels (x/255) or standard ((x/255 − 0.1307)/0.3081)')
    .option('--train-images <count>', 'train on the first COUNT of the 60,000 training images only (quick runs)')
    .addOption(seedOption())
    .option('--out <file>', 'output .safetensors file (required)')
    .addOption(memoryLimitOption())
    .addOption(jsonOption())
    .option('--no-progress', 'no progress bar or per-epoch lines on stderr')
    .addHelpText('after', `${defaultsHelp()}\n\nExample:\n  ${EXAMPLE}\n  lottery train --arch lenet5 --seed 1 --out lenet5.safetensors --json\n`)
    .action((flags: TrainFlags) => runTrainCommand(flags, io));
};

/** Sizes of a training run, from the architecture alone (nothing allocated yet). */
export function trainMemoryInput(arch: ArchSpec, bias: boolean, batchSize: number, optimizer: OptimizerName): TrainMemoryInput {
  // LeNet5: 61,706 parameters; activations per example 784 + 6·28·28 + 6·14·14 + 16·10·10 + 16·5·5 + 120 + 84 + 10.
  const sizes = arch.kind === 'mlp' ? arch.sizes : null;
  let parameterCount = 61_706;
  let activationsPerExample = 784 + 4704 + 1176 + 1600 + 400 + 120 + 84 + 10;
  if (sizes !== null) {
    parameterCount = 0;
    for (let i = 1; i < sizes.length; i++) parameterCount += sizes[i - 1]! * sizes[i]! + (bias ? sizes[i]! : 0);
    activationsPerExample = sizes.reduce((a, b) => a + b, 0);
  }
  return { parameterCount, activationsPerExample, batchSize, optimizerStates: optimizer === 'adam' ? 2 : 1 };
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new InputError(`${flag} is required, e.g. ${EXAMPLE}`);
  return value;
}

const percent = (value: number): string => `${(100 * value).toFixed(2)} %`;

async function runTrainCommand(flags: TrainFlags, io: CliIo): Promise<void> {
  const arch = parseArch(required(flags.arch, '--arch'));
  const seed = parseSeed(required(flags.seed, '--seed'));
  const out = required(flags.out, '--out');
  if (!out.endsWith('.safetensors')) throw new InputError(`--out: expected a .safetensors file name, got '${out}'`);
  const d = defaultTraining(arch.name);
  const epochs = flags.epochs === undefined ? d.epochs : parseNumber('--epochs', flags.epochs, { integer: true, min: 1, max: 10_000 });
  const batchSize = flags.batchSize === undefined ? d.batchSize : parseNumber('--batch-size', flags.batchSize, { integer: true, min: 1, max: 60_000 });
  const learningRate = flags.learningRate === undefined ? d.learningRate : parseNumber('--learning-rate', flags.learningRate, { above: 0, max: 100 });
  const optimizer = flags.optimizer === undefined ? d.optimizer : parseChoice('--optimizer', flags.optimizer, OPTIMIZER_NAMES);
  const schedule = flags.schedule === undefined ? d.schedule : parseChoice('--schedule', flags.schedule, LEARNING_RATE_SCHEDULES);
  const init = flags.init === undefined ? d.init : parseChoice('--init', flags.init, INIT_SCHEMES);
  const preprocess = flags.preprocess === undefined ? d.preprocess : parseChoice<Preprocess>('--preprocess', flags.preprocess, ['pixels', 'standard']);
  const momentum = parseNumber('--momentum', flags.momentum ?? '0.9', { min: 0, below: 1 });
  const bias = flags.bias === true;
  const memoryLimit = memoryLimitFromCli(flags.memoryLimit);
  const sizes = trainMemoryInput(arch, bias, batchSize, optimizer);
  checkTfHeap(`train ${arch.name}`, trainTfMemory(sizes), 'train a narrower network or a smaller --batch-size');
  checkMemory(`train ${arch.name}`, trainMemory(sizes), memoryLimit, 'train a narrower network or a smaller --batch-size');

  const fullTrain = loadMnist('train');
  const trainImages = flags.trainImages === undefined ? fullTrain.count : parseNumber('--train-images', flags.trainImages, { integer: true, min: 1, max: fullTrain.count });
  const train = { ...fullTrain, images: fullTrain.images.subarray(0, trainImages * fullTrain.rows * fullTrain.cols), labels: fullTrain.labels.subarray(0, trainImages), count: trainImages };
  const test = loadMnist('test');
  const network = initializeNetwork(createNetwork(arch, { bias, preprocess }), seed, init);
  const params = parameterCount(network);
  if (!flags.json && flags.progress) {
    io.stderr(`train: ${arch.name}${bias ? ' with biases' : ''}, ${params.toLocaleString('en-US')} parameters; ${optimizer} lr ${learningRate} (${schedule}), batch ${batchSize}, ${epochs} epochs, ${preprocess} inputs, init ${init}, seed ${seed}\n`);
  }

  // A bar on a terminal; in logs the per-epoch lines are the progress.
  const showBar = flags.progress && io.interactive;
  let progress = createProgress(io, `epoch 1/${epochs}`, showBar);
  const batchesPerEpoch = Math.ceil(train.count / batchSize);
  const startedAt = Date.now();
  let epochStartedAt = startedAt;
  const result = await trainNetwork(network, train, {
    epochs,
    batchSize,
    optimizer,
    learningRate,
    schedule,
    momentum,
    preprocess,
    seed,
    testSet: test,
    onBatch: (done) => progress.update(done - Math.floor((done - 1) / batchesPerEpoch) * batchesPerEpoch, batchesPerEpoch),
    onEpoch: (record) => {
      progress.stop();
      const now = Date.now();
      if (flags.progress) {
        io.stderr(
          `epoch ${record.epoch}/${epochs}: loss ${record.trainLoss.toFixed(4)}, train ${percent(record.trainAccuracy)}, ` +
            `test ${percent(record.testAccuracy ?? NaN)} (loss ${(record.testLoss ?? NaN).toFixed(4)}), lr ${record.learningRate.toPrecision(3)}, ${((now - epochStartedAt) / 1000).toFixed(1)} s\n`,
        );
      }
      epochStartedAt = now;
      if (record.epoch < epochs) progress = createProgress(io, `epoch ${record.epoch + 1}/${epochs}`, showBar);
    },
  });
  const seconds = (Date.now() - startedAt) / 1000;
  progress.stop();

  // The saved network is judged by our own forward pass, not by tfjs.
  const evaluation = evaluate(result.network, test, { preprocess });
  const last = result.history.at(-1)!;
  const summary: TrainSummary = {
    arch: arch.name,
    bias,
    params,
    epochs,
    batchSize,
    optimizer,
    learningRate,
    schedule,
    init,
    preprocess,
    seed,
    trainImages,
    testAccuracy: evaluation.accuracy,
    testLoss: evaluation.loss,
    trainLoss: last.trainLoss,
    trainAccuracy: last.trainAccuracy,
    seconds,
    out,
    history: result.history,
  };
  // arch and preprocess are recorded by saveModel from the network itself.
  saveModel(out, result.network, {
    seed: String(seed),
    epochs: String(epochs),
    train_images: String(trainImages),
    optimizer,
    learning_rate: String(learningRate),
    batch_size: String(batchSize),
    schedule,
    init,
    test_accuracy: String(evaluation.accuracy),
    train_loss: String(last.trainLoss),
  });
  if (flags.json) {
    printJson(io, summary);
    return;
  }
  io.stdout(
    `${arch.name}: test accuracy ${percent(evaluation.accuracy)} (loss ${evaluation.loss.toFixed(4)}), last-epoch train loss ${last.trainLoss.toFixed(4)}, ` +
      `${epochs} epochs in ${seconds.toFixed(1)} s; saved ${out}\n`,
  );
}
