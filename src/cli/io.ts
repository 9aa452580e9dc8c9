import type { Command } from 'commander';

/** What a command may touch of the outside world: output streams and whether stderr is a terminal. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** True when progress may be drawn as a bar (stderr is a terminal and not CI). */
  interactive: boolean;
  /**
   * Receives the value a verb prints with --json, as the typed object itself: `lottery reproduce` keeps it for its
   * records instead of parsing the printed text.
   */
  result?: (value: unknown) => void;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  interactive: Boolean(process.stderr.isTTY) && !process.env['CI'],
};

export function printJson(io: CliIo, value: unknown): void {
  io.result?.(value);
  io.stdout(JSON.stringify(value, null, 2) + '\n');
}

/** Runs one `lottery` command line in this process (main, handed to the verbs that run other verbs). */
export type RunLottery = (argv: string[], io: CliIo) => Promise<number>;

/** Adds one verb to the program. Adding a verb: write src/cli/<verb>.ts exporting one, add it to commands.ts. */
export type RegisterCommand = (program: Command, io: CliIo, runLottery: RunLottery) => void;
