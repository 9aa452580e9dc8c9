/**
 * The `lottery` command line: parses argv with commander, runs one verb, maps errors to exit codes (policy and
 * messages: docs/exit-codes.md). Run as a process, a closed output pipe ends it quietly instead of with a stack trace.
 */
import { Command, CommanderError } from 'commander';
import { LotteryError } from '../core/errors.js';
import '../node/platform.js'; // the Node platform: worker threads, clock, tfjs wasm files
import { COMMANDS } from './commands.js';
import { processIo, type CliIo } from './io.js';
import { VERSION } from './version.js';

export { VERSION } from './version.js';

export function buildProgram(io: CliIo): Command {
  const program = new Command();
  program
    .name('lottery')
    .description('Strong lottery tickets via random subset sum (Pensia et al., NeurIPS 2020).')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showHelpAfterError(false);
  for (const register of COMMANDS) register(program, io, main);
  for (const command of program.commands) command.exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  return program;
}

/** Exit codes (docs/exit-codes.md). */
export const EXIT_OK = 0;
export const EXIT_RUN_FAILED = 1;
export const EXIT_INPUT = 2;
/** What shells report for a process ended by SIGINT / SIGTERM (128 + the signal number). */
export const EXIT_SIGINT = 130;
export const EXIT_SIGTERM = 143;

/**
 * Library errors name option fields (`tolerance: …`); on the command line the same value came from a flag, so the
 * message names the flag. One table: option field → flag.
 */
export const OPTION_FLAGS: Readonly<Record<string, string>> = {
  tolerance: '--tolerance',
  seed: '--seed',
  samples: '--samples',
  sampleFactor: '--c',
  coefficients: '--coefficients',
  distribution: '--distribution',
  objective: '--objective',
  chunkSize: '--chunk-size',
  failureProbability: '--failure-probability',
  inputRadius: '--input-radius',
  inputDomain: '--input-domain',
  workers: '--workers',
  limit: '--limit',
  maxSamples: '--max-samples',
  outputTolerance: '--output-tolerance',
  malachSample: '--malach-sample',
  randomPoints: '--random-points',
  adversarialEvaluations: '--adversarial-evaluations',
  subsetSize: '--subset-size',
};

export function messageForCli(message: string): string {
  const match = /^([A-Za-z]+)([: ])/.exec(message);
  const flag = match ? OPTION_FLAGS[match[1]!] : undefined;
  return flag === undefined ? message : flag + message.slice(match![1]!.length);
}

/** Allocation failures that slipped past the up-front memory estimates (src/core/limits.ts). */
function isOutOfMemory(error: unknown): boolean {
  return error instanceof RangeError && /Array buffer allocation failed|Invalid typed array length|Invalid array length|Array buffer size|out of memory/i.test(error.message);
}

/**
 * Broken-pipe handling for a real process (never installed for the in-process test runner). SIGINT and SIGTERM
 * keep Node's default — the process ends at once, even inside a long synchronous solve (a JS handler would wait
 * for it) — which is safe because every file is written atomically; shells report 130 / 143.
 */
function installProcessHandlers(): void {
  // `lottery … | head`: the reader closed the pipe; what it wanted was printed, so end quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT_OK);
    process.stderr.write(`lottery: cannot write to standard output (${error.code ?? error.message})\n`);
    process.exit(EXIT_RUN_FAILED);
  });
  // Nowhere left to report to: keep running, results still go to files and stdout.
  process.stderr.on('error', () => {});
}

let handlersInstalled = false;

/** Runs the CLI; resolves to the process exit code (0 ok, 1 failed run, 2 usage or input error). */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  if (io === processIo && !handlersInstalled) {
    installProcessHandlers();
    handlersInstalled = true;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT_OK;
      return EXIT_INPUT; // commander already printed its message
    }
    if (error instanceof LotteryError) {
      io.stderr(`lottery: ${messageForCli(error.message)}\n`);
      return error.exitCode;
    }
    if (isOutOfMemory(error)) {
      io.stderr(`lottery: out of memory (${(error as Error).message}); the up-front estimate missed this allocation: lower the sizes, and please report it\n`);
      return EXIT_RUN_FAILED;
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr(`lottery: internal error: ${message}\n`);
    return EXIT_RUN_FAILED;
  }
}
