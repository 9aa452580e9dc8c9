// Runs the `lottery` CLI in-process through main(), capturing stdout, stderr and the exit code.
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), interactive: false };
  const code = await main(args, io);
  return { code, stdout, stderr };
}
