/** The `lottery` command line: parses argv with commander, runs one verb, maps errors to exit codes. */
import { Command, CommanderError } from 'commander';
import { LotteryError } from '../core/errors.js';
import { COMMANDS } from './commands.js';
import { processIo, type CliIo } from './io.js';

export const VERSION = '0.1.0';

export function buildProgram(io: CliIo): Command {
  const program = new Command();
  program
    .name('lottery')
    .description('Strong lottery tickets via random subset sum (Pensia et al., NeurIPS 2020).')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showHelpAfterError(false);
  for (const register of COMMANDS) register(program, io);
  for (const command of program.commands) command.exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  return program;
}

/** Runs the CLI; resolves to the process exit code (0 ok, 1 failed run, 2 usage or input error). */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 2; // commander already printed its message
    }
    if (error instanceof LotteryError) {
      io.stderr(`lottery: ${error.message}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr(`lottery: internal error: ${message}\n`);
    return 1;
  }
}
