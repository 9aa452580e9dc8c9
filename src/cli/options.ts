/**
 * What the verbs share: the one definition (and help text) of the common flags, the memory limit, loading a
 * target, and the Theorem-1 planning flags of prune and bound. Flag values are parsed here; the library checks
 * option fields again and names them (`tolerance: …`), which main.ts maps back to flags.
 */
import type { CliIo } from './io.js';
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { Option } from 'commander';
import { InputError } from '../core/errors.js';
import { MEMORY_LIMIT_ENV, resolveMemoryLimit, type MemoryLimit } from '../core/limits.js';
import { distributionByName, type Distribution } from '../core/random.js';
import { modelFromBytes } from '../io/modelBytes.js';
import { fileSha256 } from '../io/ticketFile.js';
import type { Network, Preprocess } from '../nn/network.js';
import type { PruneOptions } from '../theorem1/prune.js';
import { INPUT_DOMAINS, type InputDomain } from '../theorem1/theorem1.js';
import { parseChoice, parseNumber, parseNumberList } from './parse.js';

// ───────────────────────────── the common flags ─────────────────────────────

/** --json: the verb's report as JSON on stdout (keys are stable: scripts read them). */
export const jsonOption = (): Option => new Option('--json', 'print the report as JSON (stable keys; see the verb\'s docs)');

/** --seed: every random number of the run is f(seed, stream, index). `fallback` makes it optional. */
export const seedOption = (fallback?: string): Option => {
  const option = new Option('--seed <seed>', `random seed, an integer in [0, 2^32)${fallback === undefined ? ' (required)' : ''}`);
  return fallback === undefined ? option : option.default(fallback);
};

/** --workers: threads; results never depend on it. `defaultText` says the verb's default. */
export const workersOption = (defaultText = 'all cores'): Option =>
  new Option('--workers <count>', `worker threads (default: ${defaultText}); results do not depend on it`);

/** --memory-limit: refuse before allocating. */
export const memoryLimitOption = (): Option =>
  new Option('--memory-limit <size>', `refuse a run whose estimated memory exceeds SIZE (e.g. 8G, 75%; default: half the machine, or ${MEMORY_LIMIT_ENV})`);

/** --arch and --preprocess of a verb that reads a target network file. */
export const archOption = (): Option => new Option('--arch <name>', 'architecture of the target when the file does not record it: fc2, fc4, lenet5, mlp:784-300-100-10 (required for PyTorch conv nets)');
export const preprocessOption = (): Option =>
  new Option('--preprocess <name>', 'MNIST input scaling when the file does not record it: pixels (x/255) or standard ((x/255 − 0.1307)/0.3081)');

export const parseSeed = (text: string): number => parseNumber('--seed', text, { integer: true, min: 0, max: 0xffffffff });
export const parseWorkers = (text: string | undefined): number | undefined =>
  text === undefined ? undefined : parseNumber('--workers', text, { integer: true, min: 1, max: 256 });

/** --input-box LOW,HIGH of prune and verify: the box of the box certificate. */
export const inputBoxOption = (): Option =>
  new Option('--input-box <low,high>', 'certify also over the box [low, high]^d (default: the MNIST pixel box of the target\'s preprocessing; none for other inputs)');

export function parseInputBox(text: string | undefined): { low: number; high: number } | undefined {
  if (text === undefined) return undefined;
  const list = parseNumberList('--input-box', text, {}, 2);
  if (list.length !== 2 || !(list[0]! < list[1]!)) throw new InputError(`--input-box: expected LOW,HIGH with LOW < HIGH, got '${text}'`);
  return { low: list[0]!, high: list[1]! };
}

// ───────────────────────────── memory, targets, plans ─────────────────────────────

/** The memory limit in force for this invocation: --memory-limit, else LOTTERY_MEMORY_LIMIT, else half the machine. */
export function memoryLimitFromCli(flagText: string | undefined): MemoryLimit {
  return resolveMemoryLimit(flagText, process.env[MEMORY_LIMIT_ENV], totalmem());
}

export interface TargetFlags {
  target?: string;
  arch?: string;
  preprocess?: string;
}

export function requiredFlag(value: string | undefined, flag: string, example: string): string {
  if (value === undefined || value === '') throw new InputError(`${flag} is required, e.g. ${example}`);
  return value;
}

/** Loads the target and the SHA-256 of its bytes. */
export function loadTarget(flags: TargetFlags, example: string): { network: Network; sha256: string; file: string } {
  const file = requiredFlag(flags.target, '--target', example);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new InputError(`--target: cannot read ${file}: ${(error as Error).message}`);
  }
  const preprocess = flags.preprocess === undefined ? undefined : parseChoice<Preprocess>('--preprocess', flags.preprocess, ['pixels', 'standard']);
  const network = modelFromBytes(bytes, file, { ...(flags.arch !== undefined ? { arch: flags.arch } : {}), ...(preprocess !== undefined ? { preprocess } : {}) });
  const sha256 = fileSha256(bytes);
  network.source = { file, sha256 };
  return { network, sha256, file };
}

/** Says on stderr how a model's layer chain was inferred when the file did not record it (a PyTorch state_dict). */
export function noteInferredChain(io: CliIo, network: Network, file: string): void {
  if (network.inferredChain !== undefined) io.stderr(`note: ${file}: ${network.inferredChain}\n`);
}

export function parseDistribution(text: string): Distribution {
  const d = distributionByName(text);
  if (!d) throw new InputError(`--distribution: expected uniform, normal, log-uniform or product, got '${text}'`);
  return d;
}

export interface PlanFlags {
  tolerance?: string;
  outputTolerance?: string;
  samples?: string;
  failureProbability?: string;
  inputDomain?: string;
  inputRadius?: string;
}

export function planOptionsFromFlags(flags: PlanFlags, example: string, resolveTolerance?: (outputTolerance: number) => number): Pick<PruneOptions, 'tolerance' | 'sampleCounts' | 'failureProbability' | 'inputDomain' | 'inputRadius'> {
  let tolerance: number;
  if (flags.outputTolerance !== undefined && resolveTolerance !== undefined) {
    if (flags.tolerance !== undefined) throw new InputError('--tolerance and --output-tolerance: give one or the other');
    tolerance = resolveTolerance(parseNumber('--output-tolerance', flags.outputTolerance, { above: 0 }));
  } else {
    // Normalised, ‖f(x)‖ ≤ 1 on the whole ball: ε ≥ 1 is met by the empty ticket, so ε is a fraction in (0, 1).
    tolerance = parseNumber('--tolerance', requiredFlag(flags.tolerance, '--tolerance', example), { above: 0, below: 1 });
  }
  const options: Pick<PruneOptions, 'tolerance' | 'sampleCounts' | 'failureProbability' | 'inputDomain' | 'inputRadius'> = { tolerance };
  if (flags.samples !== undefined && flags.failureProbability !== undefined) throw new InputError('--samples and --failure-probability: give one or the other');
  if (flags.samples !== undefined) {
    const list = parseNumberList('--samples', flags.samples, { integer: true, min: 1, max: 64 }, 64);
    options.sampleCounts = list.length === 1 ? list[0]! : list;
  }
  if (flags.failureProbability !== undefined) options.failureProbability = parseNumber('--failure-probability', flags.failureProbability, { above: 0, below: 1 });
  if (flags.inputDomain !== undefined) options.inputDomain = parseChoice<InputDomain>('--input-domain', flags.inputDomain, INPUT_DOMAINS);
  if (flags.inputRadius !== undefined) options.inputRadius = parseNumber('--input-radius', flags.inputRadius, { above: 0 });
  return options;
}

