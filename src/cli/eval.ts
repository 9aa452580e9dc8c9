/** `lottery eval`: loads a model file (safetensors or ONNX) and reports its accuracy and loss on MNIST. */
import { archOption, jsonOption, preprocessOption, noteInferredChain } from './options.js';
import type { Command } from 'commander';
import { loadModel } from '../io/modelFile.js';
import { loadMnist, type MnistSplit } from '../io/mnist.js';
import { evaluate, type EvalCommandReport } from '../nn/evaluate.js';
import { parameterCount, type Preprocess } from '../nn/network.js';
import type { RegisterCommand } from './io.js';
import { printJson, type CliIo } from './io.js';
import { parseChoice } from './parse.js';

interface EvalFlags {
  model: string;
  arch?: string;
  preprocess?: string;
  split: string;
  json?: boolean;
}

export const registerEval: RegisterCommand = (program: Command, io: CliIo) => {
  program
    .command('eval')
    .description('Accuracy, loss and per-class accuracy of a model on the MNIST test set (10,000 images).')
    .requiredOption('--model <file>', 'model file: .safetensors (ours or a PyTorch state_dict) or .onnx')
    .addOption(archOption())
    .addOption(preprocessOption())
    .option('--split <split>', 'MNIST split: test or train', 'test')
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
Example:
  lottery eval --model runs/fc2/model.safetensors
  lottery eval --model lenet.safetensors --arch lenet5 --preprocess standard --json

Accuracy and per-class accuracy are fractions in [0, 1]; loss is the mean cross-entropy (natural log).
"seconds" is the time of the evaluation itself (the forward pass over the split), without loading.`,
    )
    .action((flags: EvalFlags) => {
      const preprocess = flags.preprocess !== undefined ? parseChoice<Preprocess>('--preprocess', flags.preprocess, ['pixels', 'standard']) : undefined;
      const split = parseChoice<MnistSplit>('--split', flags.split, ['test', 'train']);
      const network = loadModel(flags.model, {
        ...(flags.arch !== undefined ? { arch: flags.arch } : {}),
        ...(preprocess !== undefined ? { preprocess } : {}),
      });
      noteInferredChain(io, network, flags.model);
      const set = loadMnist(split);
      const effective: Preprocess = preprocess ?? network.preprocess ?? 'pixels';
      const started = performance.now();
      const result = evaluate(network, set, { preprocess: effective });
      const seconds = (performance.now() - started) / 1000;
      if (flags.json) {
        const report: EvalCommandReport = {
          accuracy: result.accuracy,
          loss: result.loss,
          params: result.params,
          perClassAccuracy: result.perClassAccuracy,
          count: result.count,
          preprocess: effective,
          seconds: Number(seconds.toFixed(3)),
        };
        printJson(io, report);
        return;
      }
      const lines = [
        `model       ${flags.model}${network.arch !== undefined ? ` (${network.arch})` : ''}`,
        `parameters  ${parameterCount(network).toLocaleString('en-US')}`,
        `data        MNIST ${split}, ${result.count} images, preprocess ${effective}`,
        `accuracy    ${result.accuracy.toFixed(4)} (${result.correct}/${result.count})`,
        `loss        ${result.loss.toFixed(4)} (mean cross-entropy)`,
        `per class   ${result.perClassAccuracy.map((a, c) => `${c}: ${a.toFixed(4)}`).join('  ')}`,
        `time        ${seconds.toFixed(2)} s`,
      ];
      io.stdout(lines.join('\n') + '\n');
    });
};
