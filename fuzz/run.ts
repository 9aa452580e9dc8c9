/**
 * `npm run fuzz`: fuzzes every reader (or one) with N inputs each and prints per-reader counts; failing inputs
 * go to fuzz-failures/<reader>-<iteration>.bin with the error beside them; exits 1 on any failure.
 *   node dist/fuzz/run.js [--iterations N] [--seed S] [--reader name[,name]] [--seconds T] [--jobs J] [--start I]
 *   node dist/fuzz/run.js --reader onnx --replay fuzz-failures/onnx-123.bin
 */
import { readFileSync } from 'node:fs';
import { emptyCounts, formatReasons, formatReport, inputFileName, runFuzz, runOne, targetFor } from './engine.js';
import { READERS, checkSeeds } from './targets.js';

const USAGE =
  'usage: node dist/fuzz/run.js [--iterations N (default 100000 per reader)] [--seed S (default 1)] [--reader name[,name…]] ' +
  `[--seconds T per reader] [--jobs J] [--start I] [--input-seconds T (default 2)] [--reasons 1] [--replay file --reader name]\nreaders: ${READERS.join(', ')}`;

function parseArgs(argv: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if (!arg.startsWith('--') || i + 1 >= argv.length) {
      console.error(`fuzz: unexpected argument '${arg}'\n${USAGE}`);
      process.exit(2);
    }
    flags.set(arg.slice(2), argv[++i]!);
  }
  return flags;
}

function integerFlag(flags: Map<string, string>, name: string, fallback: number): number {
  const text = flags.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`fuzz: --${name} must be a non-negative integer, got '${text}'`);
    process.exit(2);
  }
  return value;
}

const flags = parseArgs(process.argv.slice(2));
const readers = (flags.get('reader') ?? READERS.join(',')).split(',').filter((r) => r !== '');
for (const reader of readers) {
  if (!(READERS as readonly string[]).includes(reader)) {
    console.error(`fuzz: unknown reader '${reader}'\n${USAGE}`);
    process.exit(2);
  }
}
const inputSeconds = Number(flags.get('input-seconds') ?? 2);

const replay = flags.get('replay');
if (replay !== undefined) {
  if (readers.length !== 1) {
    console.error('fuzz: --replay needs exactly one --reader');
    process.exit(2);
  }
  const target = await targetFor(readers[0]!);
  const input = readFileSync(replay);
  const counts = emptyCounts();
  const failure = runOne(target, new Uint8Array(input.buffer, input.byteOffset, input.byteLength), 0, counts, inputSeconds);
  if (failure) {
    console.log(`${replay}: FAILURE (${failure.kind})\n${failure.error}`);
    process.exit(1);
  }
  console.log(`${replay}: ${counts.accepted ? 'accepted' : 'rejected with an InputError'} in ${counts.slowestMs.toFixed(1)} ms (file name ${inputFileName(target, 0)})`);
  process.exit(0);
}

for (const reader of readers) checkSeeds(await targetFor(reader));

const iterations = integerFlag(flags, 'iterations', 100_000);
const seed = integerFlag(flags, 'seed', 1);
const secondsText = flags.get('seconds');
const options = {
  readers,
  iterations,
  seed,
  start: integerFlag(flags, 'start', 0),
  jobs: integerFlag(flags, 'jobs', 2),
  inputSeconds,
  failureDir: 'fuzz-failures',
  log: (line: string) => console.log(line),
  ...(secondsText !== undefined ? { seconds: Number(secondsText) } : {}),
};
console.log(`fuzzing ${readers.join(', ')}: ${iterations} inputs each, seed ${seed}, ${options.jobs} at a time`);
const started = Date.now();
const reports = await runFuzz(options);
console.log('\nsummary');
for (const report of reports) {
  console.log(formatReport(report));
  if (flags.get('reasons') === '1') console.log(`  most frequent rejections:\n${formatReasons(report)}`);
}
const failed = reports.reduce((sum, r) => sum + r.failed, 0);
const tried = reports.reduce((sum, r) => sum + r.tried, 0);
console.log(`${tried} inputs in ${((Date.now() - started) / 1000).toFixed(1)} s; ${failed} failures${failed > 0 ? ' (inputs in fuzz-failures/)' : ''}`);
process.exit(failed > 0 ? 1 : 0);
