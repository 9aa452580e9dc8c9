/**
 * `lottery verify`: regenerates a ticket's random network from the ticket file alone (seed, distribution, n,
 * widths), runs the pruned network's own sparse forward pass, and measures ‖f(x) − g(x)‖ on the MNIST test set,
 * on random points of the certified input ball and at the worst input a derivative-free search finds, beside the
 * stored certificate, with both accuracies and their argmax agreement.
 */
import { archOption, inputBoxOption, jsonOption, loadTarget, parseInputBox, parseWorkers, preprocessOption, requiredFlag, workersOption, noteInferredChain } from './options.js';
import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import { loadTicket } from '../io/ticketFile.js';
import { verifyTicket } from '../index.js';
import type { VerifyCommandReport, VerifyReport } from '../theorem1/verify.js';
import type { RegisterCommand } from './io.js';
import { printJson, type CliIo } from './io.js';
import { parseNumber } from './parse.js';
import { createProgress } from './progress.js';

interface VerifyFlags {
  ticket?: string;
  target?: string;
  arch?: string;
  preprocess?: string;
  randomPoints: string;
  adversarialEvaluations: string;
  limit?: string;
  mnist: boolean;
  workers?: string;
  json?: boolean;
  progress: boolean;
  inputBox?: string;
}

const EXAMPLE = 'lottery verify --ticket fc2.ticket.safetensors --target fc2.safetensors';

export const registerVerify: RegisterCommand = (program: Command, io: CliIo) => {
  program
    .command('verify')
    .description('Check a ticket against its target: regenerate the random network from the ticket, run it, and compare measured errors with the certificate.')
    .option('--ticket <file>', 'ticket written by `lottery prune`')
    .option('--target <file>', 'the target network the ticket was pruned for (its SHA-256 must match)')
    .option('--random-points <count>', 'random points of the certified input ball', '10000')
    .option('--adversarial-evaluations <count>', 'budget of the derivative-free worst-input search', '4096')
    .option('--limit <count>', 'use only the first COUNT MNIST test images')
    .option('--no-mnist', 'skip the MNIST test set (accuracies are null)')
    .addOption(workersOption('all cores, at most 8'))
    .addOption(archOption())
    .addOption(preprocessOption())
    .addOption(jsonOption())
    .option('--no-progress', 'do not report progress on stderr')
    .addOption(inputBoxOption())
    .addHelpText('after', `\nExample:\n  ${EXAMPLE}\n`)
    .action((flags: VerifyFlags) => runVerifyCommand(flags, io));
};

async function runVerifyCommand(flags: VerifyFlags, io: CliIo): Promise<void> {
  const ticketFile = requiredFlag(flags.ticket, '--ticket', EXAMPLE);
  const randomPoints = parseNumber('--random-points', flags.randomPoints, { integer: true, min: 0, max: 10_000_000 });
  const adversarialEvaluations = parseNumber('--adversarial-evaluations', flags.adversarialEvaluations, { integer: true, min: 0 });
  const workers = parseWorkers(flags.workers);
  const limit = flags.limit === undefined ? undefined : parseNumber('--limit', flags.limit, { integer: true, min: 1 });
  const inputBox = parseInputBox(flags.inputBox);
  const ticket = loadTicket(ticketFile);
  const { network, sha256, file } = loadTarget(flags, EXAMPLE);
  noteInferredChain(io, network, file);
  if (sha256 !== ticket.meta.targetSha256) {
    throw new InputError(`--target: ${file} has SHA-256 ${sha256.slice(0, 16)}…, but ${ticketFile} was pruned for ${ticket.meta.targetSha256.slice(0, 16)}… (wrong target)`);
  }
  const progress = createProgress(io, 'verify', flags.progress);
  let report: VerifyReport;
  try {
    report = await verifyTicket(ticket, network, {
      onProgress: (done, total) => progress.update(done, total),
      randomPoints,
      adversarialEvaluations,
      mnist: flags.mnist,
      ...(workers !== undefined ? { workers } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(inputBox !== undefined ? { inputBox } : {}),
    });
  } finally {
    progress.stop();
  }
  if (flags.json) printJson(io, { ticket: ticketFile, target: file, ...report } satisfies VerifyCommandReport);
  else io.stdout(humanVerifyReport(report, ticketFile, file));
}

const sci = (v: number): string => (v === 0 ? '0' : Math.abs(v) >= 0.01 && Math.abs(v) < 1e5 ? v.toPrecision(4) : v.toExponential(3));
const pct = (v: number | null): string => (v === null ? 'not measured' : `${(100 * v).toFixed(2)} %`);
const int = (v: number): string => v.toLocaleString('en-US');

export function humanVerifyReport(r: VerifyReport, ticket: string, target: string): string {
  const lines: string[] = [];
  lines.push(`ticket ${ticket} against ${target}: random network regenerated from the seed, depth ${r.depth}`);
  lines.push(`parameters: target ${int(r.targetParams)}, random ${int(r.randomParams)} (block structure ${int(r.randomBlockParams)}), kept ${int(r.keptParams)}`);
  lines.push(`domain: ${r.inputDomain}, ‖x‖ ≤ ${sci(r.inputRadius)}; certified sup ‖f − g‖ ≤ ${sci(r.certifiedBound)} (normalised ${sci(r.certifiedBoundNormalised)}, ε = ${r.tolerance})`);
  if (r.inputBox !== null) lines.push(`box [${r.inputBox.low}, ${r.inputBox.high}]^d: certified sup ‖f − g‖ ≤ ${r.boxCertifiedBound === null ? 'not available for this ticket' : `${sci(r.boxCertifiedBound)} (${r.boxCertificateMethod})`}`);
  lines.push('| inputs | count | max ‖f − g‖ | mean ‖f − g‖ |');
  lines.push('|---|---|---|---|');
  if (r.dataError) lines.push(`| MNIST test | ${int(r.dataError.count)} | ${sci(r.dataError.max)} | ${sci(r.dataError.mean)} |`);
  lines.push(`| random points of the ball | ${int(r.ballError.count)} | ${sci(r.ballError.max)} | ${sci(r.ballError.mean)} |`);
  lines.push(`| adversarial search | ${int(r.adversarialError.evaluations)} evaluations | ${sci(r.adversarialError.max)} | |`);
  lines.push(`max measured ${sci(r.maxOutputError)} ${r.withinCertificate ? '≤' : '>'} certified ${sci(r.certifiedBound)}${r.withinCertificate ? '' : '  (CERTIFICATE VIOLATED)'}`);
  lines.push(`accuracy: target ${pct(r.targetAccuracy)}, ticket ${pct(r.ticketAccuracy)}, argmax agreement ${pct(r.argmaxAgreement)}`);
  lines.push(`time: ${r.seconds.toFixed(2)} s (regenerate ${r.phaseSeconds.regenerate.toFixed(2)}, MNIST ${r.phaseSeconds.data.toFixed(2)}, ball ${r.phaseSeconds.ball.toFixed(2)}, adversarial ${r.phaseSeconds.adversarial.toFixed(2)})`);
  return lines.join('\n') + '\n';
}
