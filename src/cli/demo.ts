/**
 * `lottery demo`: a short end-to-end run of the toolkit on MNIST, as a sequence of ordinary `lottery`
 * commands (printed before each runs, so a user can copy them): random-subset-sum coverage, a trained
 * fc2 target, Experiment 1, a Theorem-1 ticket with its verification and ONNX export, and edge-popup.
 */
import { parseSeed, seedOption } from './options.js';
import type { Command } from 'commander';
import { join } from 'node:path';
import { RunError } from '../core/errors.js';
import type { CliIo, RegisterCommand } from './io.js';

export interface DemoStep {
  title: string;
  argv: string[];
}

/** The demo's commands, writing everything under `out`. `quick` trims epochs and sample sizes. */
export function demoSteps(out: string, seed: number, quick: boolean): DemoStep[] {
  const target = join(out, 'fc2.safetensors');
  const ticket = join(out, 'fc2.ticket.safetensors');
  const s = String(seed);
  return [
    {
      title: 'Random subset sum: how many samples cover [-1, 1] within ε = 0.01 (uniform vs products of two uniforms)',
      argv: ['rss', '--distribution', 'uniform,product', '--samples', '8:20:2', '--tolerance', '0.01', '--trials', quick ? '100' : '200', '--seed', s, '--out', join(out, 'rss')],
    },
    {
      title: 'A target: fc2 (784-500-10, no biases) trained on MNIST',
      argv: ['train', '--arch', 'fc2', '--epochs', quick ? '1' : '3', '--seed', s, '--out', target],
    },
    {
      title: 'Experiment 1: every weight replaced by the closest subset sum of n = 21 random numbers, then the network itself evaluated',
      argv: ['approximate', '--target', target, '--tolerance', '0.01', '--c', '3', '--seed', s, '--out', join(out, 'experiment1')],
    },
    {
      title: 'The same with the sparsest objective: fewest numbers within ε',
      argv: ['approximate', '--target', target, '--tolerance', '0.01', '--c', '3', '--objective', 'sparsest', '--seed', s, '--out', join(out, 'experiment1-sparsest')],
    },
    {
      title: "Theorem 1: prune the depth-4 random network (weights regenerated from the seed) to a ticket for the target",
      argv: ['prune', '--target', target, '--tolerance', '0.5', '--seed', s, '--out', ticket],
    },
    {
      title: 'Verify the ticket as a network: measured errors, the certificate, accuracies',
      argv: ['verify', '--ticket', ticket, '--target', target, '--random-points', quick ? '2000' : '10000', '--adversarial-evaluations', quick ? '500' : '2000'],
    },
    {
      title: 'Export the pruned random network as a compact ONNX model (kept units and edges only)',
      argv: ['export', '--ticket', ticket, '--format', 'onnx', '--out', join(out, 'fc2.ticket.onnx')],
    },
    {
      title: 'Experiment 2: edge-popup finds a mask of a frozen random network by training scores (fc2, ours-linear, half pruned, short run)',
      argv: ['popup', '--arch', 'fc2', '--structure', 'ours-linear', '--prune-fraction', '0.5', '--epochs', '1', '--train-count', quick ? '5000' : '20000', '--seed', s, '--out', join(out, 'popup')],
    },
  ];
}

export const registerDemo: RegisterCommand = (program: Command, io: CliIo, runLottery) => {
  program
    .command('demo')
    .description('A short end-to-end run on MNIST: coverage, a trained target, Experiment 1, a verified Theorem-1 ticket and its ONNX export, edge-popup. Prints each lottery command before it runs.')
    .requiredOption('--out <dir>', 'folder for everything the demo writes')
    .addOption(seedOption('1'))
    .option('--quick', 'fewer epochs and samples (about a minute)')
    .addHelpText('after', '\nExample:\n  lottery demo --out demo\n')
    .action(async (options: { out: string; seed: string; quick?: boolean }) => {
      const seed = parseSeed(options.seed);
      const steps = demoSteps(options.out, seed, Boolean(options.quick));
      const startedAt = Date.now();
      for (const [i, step] of steps.entries()) {
        io.stdout(`\n[${i + 1}/${steps.length}] ${step.title}\n$ lottery ${step.argv.join(' ')}\n`);
        const code = await runLottery(step.argv, io);
        if (code !== 0) throw new RunError(`demo step ${i + 1} (lottery ${step.argv[0]}) failed with exit code ${code}`);
      }
      io.stdout(`\nDemo finished in ${((Date.now() - startedAt) / 1000).toFixed(0)} s; outputs in ${options.out}\n`);
    });
};
