/**
 * `lottery export`: writes a ticket's pruned random network as a model on real inputs, regenerated from the ticket
 * file alone. ONNX is compact by default (src/io/ticketOnnx.ts: gather-and-scale first layers, sparse second
 * layers); `--dense` (or `--full-width`, or safetensors) writes ordinary dense layers with pruned weights 0
 * (src/theorem1/toNetwork.ts says what is folded where).
 */
import { jsonOption, memoryLimitFromCli, memoryLimitOption, requiredFlag } from './options.js';
import type { Command } from 'commander';
import { checkMemory, fullWidthExportMemory } from '../core/limits.js';
import { statSync } from 'node:fs';
import { exportOnnx } from '../io/onnx.js';
import { exportTicketOnnx } from '../io/ticketOnnx.js';
import { saveModel } from '../io/modelFile.js';
import { loadTicket } from '../io/ticketFile.js';
import { keptParameterCount, materializeTicket, type MaterializedTicket } from '../theorem1/ticket.js';
import { ticketToNetwork } from '../theorem1/toNetwork.js';
import { checkRegeneration } from '../theorem1/verify.js';
import type { RegisterCommand } from './io.js';
import { printJson, type CliIo } from './io.js';
import { parseChoice } from './parse.js';
import { createProgress } from './progress.js';
import { parameterCount } from '../nn/network.js';

interface ExportFlags {
  ticket?: string;
  format: string;
  out?: string;
  fullWidth?: boolean;
  dense?: boolean;
  memoryLimit?: string;
  json?: boolean;
  progress: boolean;
}

const EXAMPLE = 'lottery export --ticket fc2.ticket.safetensors --format onnx --out fc2-ticket.onnx';

export const registerExport: RegisterCommand = (program: Command, io: CliIo) => {
  program
    .command('export')
    .description('Write the pruned random network of a ticket as a model on real inputs: compact ONNX (kept units and edges only, as a gather-and-scale and a sparse weight per block) by default, or dense layers with pruned weights 0 (--dense, safetensors).')
    .option('--ticket <file>', 'ticket written by `lottery prune`')
    .option('--format <format>', 'onnx or safetensors', 'onnx')
    .option('--out <file>', 'model file to write')
    .option('--dense', 'ONNX: ordinary dense Gemm/Conv layers over the kept units, pruned weights stored as 0 (the safetensors export is always this form)')
    .option('--full-width', 'dense layers over every hidden unit of the random network (2n per input), not only the kept ones')
    .addOption(memoryLimitOption())
    .addOption(jsonOption())
    .option('--no-progress', 'do not report progress on stderr')
    .addHelpText('after', `\nExample:\n  ${EXAMPLE}\n`)
    .action((flags: ExportFlags) => {
      const ticketFile = requiredFlag(flags.ticket, '--ticket', EXAMPLE);
      const out = requiredFlag(flags.out, '--out', EXAMPLE);
      const format = parseChoice('--format', flags.format, ['onnx', 'safetensors'] as const);
      const memoryLimit = memoryLimitFromCli(flags.memoryLimit);
      const ticket = loadTicket(ticketFile);
      if (flags.fullWidth === true) checkMemory('export --full-width', fullWidthExportMemory(ticket.meta.stages), memoryLimit, 'export without --full-width (only the kept units)');
      const progress = createProgress(io, 'export: kept weights', flags.progress);
      let materialized: MaterializedTicket;
      try {
        materialized = materializeTicket(ticket, (done, total) => progress.update(done, total));
      } finally {
        progress.stop();
      }
      checkRegeneration(ticket, ticketFile, materialized);
      const compact = format === 'onnx' && flags.dense !== true && flags.fullWidth !== true;
      if (compact) {
        exportTicketOnnx(out, materialized);
        const kept = keptParameterCount(ticket);
        const summary = { ticket: ticketFile, out, format, form: 'compact', layers: 2 * ticket.meta.stages.length, storedParams: kept, bytes: statSync(out).size };
        if (flags.json) printJson(io, summary);
        else io.stdout(`wrote ${out} (onnx, compact: ${kept.toLocaleString('en-US')} kept weights, ${summary.bytes.toLocaleString('en-US')} bytes)\n`);
        return;
      }
      const network = ticketToNetwork(materialized, { form: 'real', fullWidth: flags.fullWidth === true });
      if (format === 'onnx') exportOnnx(out, network);
      else saveModel(out, network);
      const summary = { ticket: ticketFile, out, format, form: 'dense', layers: network.layers.length, storedParams: parameterCount(network), bytes: statSync(out).size };
      if (flags.json) printJson(io, summary);
      else io.stdout(`wrote ${out} (${format}, ${network.layers.length} layers, ${summary.storedParams.toLocaleString('en-US')} stored weights incl. pruned zeros)\n`);
    });
};
