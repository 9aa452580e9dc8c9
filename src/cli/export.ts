/**
 * `lottery export`: writes a ticket's pruned random network as an ordinary model (ONNX or safetensors) on real
 * inputs, regenerated from the ticket file alone (see src/theorem1/toNetwork.ts for what is folded where).
 */
import { jsonOption, memoryLimitFromCli, memoryLimitOption, requiredFlag } from './options.js';
import type { Command } from 'commander';
import { checkMemory, fullWidthExportMemory } from '../core/limits.js';
import { exportOnnx } from '../io/onnx.js';
import { saveModel } from '../io/modelFile.js';
import { loadTicket } from '../io/ticketFile.js';
import { materializeTicket } from '../theorem1/ticket.js';
import { ticketToNetwork } from '../theorem1/toNetwork.js';
import { checkRegeneration } from '../theorem1/verify.js';
import type { RegisterCommand } from './io.js';
import { printJson, type CliIo } from './io.js';
import { parseChoice } from './parse.js';
import { parameterCount } from '../nn/network.js';

interface ExportFlags {
  ticket?: string;
  format: string;
  out?: string;
  fullWidth?: boolean;
  memoryLimit?: string;
  json?: boolean;
}

const EXAMPLE = 'lottery export --ticket fc2.ticket.safetensors --format onnx --out fc2-ticket.onnx';

export const registerExport: RegisterCommand = (program: Command, io: CliIo) => {
  program
    .command('export')
    .description('Write the pruned random network of a ticket as an ordinary model (dense/conv layers, pruned weights 0) on real inputs.')
    .option('--ticket <file>', 'ticket written by `lottery prune`')
    .option('--format <format>', 'onnx or safetensors', 'onnx')
    .option('--out <file>', 'model file to write')
    .option('--full-width', 'keep every hidden unit of the random network (2n per input), not only the kept ones')
    .addOption(memoryLimitOption())
    .addOption(jsonOption())
    .addHelpText('after', `\nExample:\n  ${EXAMPLE}\n`)
    .action((flags: ExportFlags) => {
      const ticketFile = requiredFlag(flags.ticket, '--ticket', EXAMPLE);
      const out = requiredFlag(flags.out, '--out', EXAMPLE);
      const format = parseChoice('--format', flags.format, ['onnx', 'safetensors'] as const);
      const memoryLimit = memoryLimitFromCli(flags.memoryLimit);
      const ticket = loadTicket(ticketFile);
      if (flags.fullWidth === true) checkMemory('export --full-width', fullWidthExportMemory(ticket.meta.stages), memoryLimit, 'export without --full-width (only the kept units)');
      checkRegeneration(ticket, ticketFile);
      const network = ticketToNetwork(materializeTicket(ticket), { form: 'real', fullWidth: flags.fullWidth === true });
      if (format === 'onnx') exportOnnx(out, network);
      else saveModel(out, network);
      const summary = { ticket: ticketFile, out, format, layers: network.layers.length, storedParams: parameterCount(network) };
      if (flags.json) printJson(io, summary);
      else io.stdout(`wrote ${out} (${format}, ${network.layers.length} layers, ${summary.storedParams.toLocaleString('en-US')} stored weights incl. pruned zeros)\n`);
    });
};
