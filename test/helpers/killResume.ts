// Kill-and-resume harness: runs a `lottery` command in a child process to completion (the reference), then, for
// each attempt, runs it again into a fresh output, SIGKILLs it at seeded kill points (a delay, a progress line, or
// a number of files appearing), checks that every file left behind is whole, re-runs the same command to
// completion and compares every output file byte for byte with the reference (timing keys filtered out).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RandomStream, namedStream } from '../../src/core/random.js';
import { decodeChunkFile } from '../../src/io/runDirectory.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';

/** dist/test/helpers → the repository's bin/lottery.js (which runs dist/src). */
export const LOTTERY_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'lottery.js');

/** Keys whose values are wall-clock figures or depend on how often a run was resumed. */
export const TIMING_KEYS: readonly string[] = ['seconds', 'secondsPerEpoch', 'evaluationSeconds', 'solveSeconds', 'chunksResumed', 'resumedRuns', 'phaseSeconds', 'startedAt', 'endedAt'];

export type KillPoint =
  /** SIGKILL after a seeded delay, uniform in [minMs, maxMs] from the spawn. */
  | { kind: 'delay'; minMs: number; maxMs: number }
  /** SIGKILL as soon as the `occurrence`-th (default 1st) line of stdout or stderr matching `pattern` arrives. */
  | { kind: 'line'; pattern: RegExp; occurrence?: number }
  /** SIGKILL once `folder` (relative to the output) holds at least `count` files matching `match` (default: all but temporaries). */
  | { kind: 'files'; folder: string; count: number; match?: RegExp };

export interface KillResumeCase {
  /** For messages. */
  name: string;
  /** The command line (after `lottery`) writing into `out`. */
  args: (out: string) => string[];
  /** The output: a run directory or a single file (its name inside the attempt folder). */
  output: string;
  /** Seed of the kill delays (RandomStream, stream 'test/kill-resume'); printed on failure. */
  seed: number;
  /** One list of kill points per attempt: the command is killed at each in turn, then run to completion. */
  attempts: KillPoint[][];
  /** Output files left out of the comparison (relative paths, '/' separated), e.g. meta.json. */
  ignore?: (path: string) => boolean;
  /** Files that may be at an intermediate state after a kill (rewritten as results arrive); others must equal the reference. */
  growing?: (path: string) => boolean;
  /** Extra normalisation of a file's text before comparing (after the JSON timing filter), e.g. a timing column. */
  normalize?: (path: string, text: string) => string;
  env?: Record<string, string>;
  /** Working directory of the child (default: the case's temporary folder). */
  cwd?: string;
  /** Upper bound of one child run (default 120 s). */
  timeoutMs?: number;
}

export interface KillRecord {
  point: string;
  /** Milliseconds from spawn to SIGKILL (or to exit, when the command ended first). */
  atMs: number;
  /** False when the command finished before the kill point was reached. */
  killed: boolean;
  /** Output files present (temporaries included) right after the kill. */
  filesAfterKill: number;
}

export interface KillResumeReport {
  referenceMs: number;
  attempts: KillRecord[][];
  /** Kills that landed while the command was still running. */
  killsLanded: number;
}

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function listFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  if (!statSync(root).isDirectory()) return [''];
  const out: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(root, path).split('\\').join('/'));
    }
  };
  walk(root);
  return out.sort();
}

const isTemporary = (path: string): boolean => /(^|\/)\.lottery-tmp-/.test(path);

/** Drops timing keys (at any depth) from a JSON value. */
export function withoutTimings(value: unknown, keys: readonly string[] = TIMING_KEYS): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutTimings(v, keys));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (!keys.includes(k)) out[k] = withoutTimings(v, keys);
    return out;
  }
  return value;
}

/**
 * The comparable form of an output file: JSON and JSONL without timing keys, chunk files by their payload
 * (JSON payloads without timing keys), everything else as bytes (hex, so binary files compare exactly).
 */
export function comparable(path: string, bytes: Uint8Array, normalize?: (path: string, text: string) => string): string {
  const text = (): string => new TextDecoder().decode(bytes);
  let out: string;
  const chunk = /(^|\/)chunks\/(\d{6})\.bin$/.exec(path);
  if (chunk !== null) {
    const payload = decodeChunkFile(Number(chunk[2]), bytes);
    if (payload === null) return `damaged chunk (${bytes.length} bytes)`;
    const body = new TextDecoder().decode(payload);
    try {
      out = JSON.stringify(withoutTimings(JSON.parse(body)));
    } catch {
      out = Buffer.from(payload).toString('hex');
    }
  } else if (path.endsWith('.json')) {
    out = JSON.stringify(withoutTimings(JSON.parse(text())), null, 1);
  } else if (path.endsWith('.jsonl')) {
    out = text()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.stringify(withoutTimings(JSON.parse(line))))
      .join('\n');
  } else if (/\.(md|svg|txt|csv|html)$/.test(path)) {
    out = text();
  } else {
    out = Buffer.from(bytes).toString('hex');
  }
  return normalize ? normalize(path, out) : out;
}

/** Why a file left by a killed command is not whole (null when it is): JSON parses, chunks check out, … */
export function notWhole(path: string, bytes: Uint8Array): string | null {
  try {
    const chunk = /(^|\/)chunks\/(\d{6})\.bin$/.exec(path);
    if (chunk !== null) return decodeChunkFile(Number(chunk[2]), bytes) === null ? 'chunk fails its checksum' : null;
    const text = new TextDecoder().decode(bytes);
    if (path.endsWith('.json')) JSON.parse(text);
    else if (path.endsWith('.jsonl')) {
      if (text !== '' && !text.endsWith('\n')) return 'JSONL does not end with a newline (torn last line)';
      for (const line of text.split('\n')) if (line !== '') JSON.parse(line);
    } else if (path.endsWith('.safetensors')) decodeSafetensors(bytes, path);
    else if (path.endsWith('.svg') && !text.trimEnd().endsWith('</svg>')) return 'SVG is cut short';
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

function describe(point: KillPoint, delay: number | null): string {
  if (point.kind === 'delay') return `delay ${delay!.toFixed(0)} ms (uniform in [${point.minMs}, ${point.maxMs}])`;
  if (point.kind === 'line') return `line ${point.pattern} #${point.occurrence ?? 1}`;
  return `${point.count} files in ${point.folder}${point.match ? ` matching ${point.match}` : ''}`;
}

function spawnLottery(c: KillResumeCase, out: string, cwd: string): ChildProcess {
  return spawn(process.execPath, [LOTTERY_BIN, ...c.args(out)], { cwd, env: { ...process.env, ...c.env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs the command; when `point` is given, SIGKILLs it there. */
function runChild(c: KillResumeCase, out: string, cwd: string, point: KillPoint | null, delay: number | null): Promise<ChildResult & { killedAt: number | null }> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawnLottery(c, out, cwd);
    let stdout = '';
    let stderr = '';
    let killedAt: number | null = null;
    let lines = 0;
    const timers: NodeJS.Timeout[] = [];
    const kill = (): void => {
      if (killedAt !== null || child.exitCode !== null || child.signalCode !== null) return;
      killedAt = performance.now() - started;
      child.kill('SIGKILL');
    };
    const onText = (text: string): void => {
      if (point?.kind !== 'line') return;
      for (const line of text.split('\n')) {
        if (point.pattern.test(line) && ++lines >= (point.occurrence ?? 1)) kill();
      }
    };
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      onText(d.toString());
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      onText(d.toString());
    });
    if (point?.kind === 'delay') timers.push(setTimeout(kill, delay!));
    if (point?.kind === 'files') {
      const folder = join(out, point.folder);
      const poll = setInterval(() => {
        let count = 0;
        try {
          count = readdirSync(folder).filter((name) => (point.match ? point.match.test(name) : !name.startsWith('.'))).length;
        } catch {
          // not made yet
        }
        if (count >= point.count) kill();
      }, 2);
      timers.push(poll);
    }
    const limit = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${c.name}: '${c.args(out).join(' ')}' ran longer than ${c.timeoutMs ?? 120_000} ms\nstderr: ${stderr}`));
    }, c.timeoutMs ?? 120_000);
    timers.push(limit);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      for (const t of timers) clearTimeout(t), clearInterval(t);
      resolvePromise({ code, signal, stdout, stderr, ms: performance.now() - started, killedAt });
    });
  });
}

/** Output files by name: paths inside a run directory, or the output's own name when it is a single file. */
function outputFiles(c: KillResumeCase, out: string): { name: string; file: string }[] {
  return listFiles(out).map((path) => (path === '' ? { name: c.output, file: out } : { name: path, file: join(out, path) }));
}

function snapshot(c: KillResumeCase, out: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const { name, file } of outputFiles(c, out)) {
    if (c.ignore?.(name)) continue;
    files.set(name, comparable(name, readFileSync(file), c.normalize));
  }
  return files;
}

function firstLineDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return `line ${i + 1}: reference ${JSON.stringify((x[i] ?? '(none)').slice(0, 200))}, resumed ${JSON.stringify((y[i] ?? '(none)').slice(0, 200))}`;
  }
  return 'same lines';
}

/**
 * Runs the case (see KillResumeCase). Throws an Error naming the case, the seed, the attempt and its kill points
 * (with the delays drawn) on the first problem: a command that fails, a file that is not whole after a kill, a
 * temporary left after completion, or an output that differs from the uninterrupted run.
 */
export async function killAndResume(c: KillResumeCase): Promise<KillResumeReport> {
  const work = mkdtempSync(join(tmpdir(), 'lottery-kill-'));
  const stream = new RandomStream(c.seed, namedStream('test/kill-resume'));
  let draw = 0;
  try {
    const cwd = c.cwd ?? work;
    const referenceDir = join(work, 'reference');
    mkdirSync(referenceDir);
    const referenceOut = join(referenceDir, c.output);
    const reference = await runChild(c, referenceOut, cwd, null, null);
    if (reference.code !== 0) throw new Error(`${c.name}: the uninterrupted run failed (exit ${reference.code})\nstderr: ${reference.stderr}`);
    const expected = snapshot(c, referenceOut);
    if (expected.size === 0) throw new Error(`${c.name}: the uninterrupted run wrote nothing to ${c.output}`);
    const report: KillResumeReport = { referenceMs: reference.ms, attempts: [], killsLanded: 0 };

    for (let a = 0; a < c.attempts.length; a++) {
      const folder = join(work, `attempt-${a}`);
      mkdirSync(folder);
      const out = join(folder, c.output);
      const records: KillRecord[] = [];
      report.attempts.push(records);
      const context = (): string => `${c.name}, seed ${c.seed}, attempt ${a}: ${records.map((r) => `${r.point} → ${r.killed ? `killed at ${r.atMs.toFixed(0)} ms` : `finished first (${r.atMs.toFixed(0)} ms)`}`).join('; ')}`;
      for (const point of c.attempts[a]!) {
        const delay = point.kind === 'delay' ? stream.uniform(draw++, point.minMs, point.maxMs) : null;
        const result = await runChild(c, out, cwd, point, delay);
        const killed = result.killedAt !== null && result.signal === 'SIGKILL';
        const present = outputFiles(c, out);
        records.push({ point: describe(point, delay), atMs: result.killedAt ?? result.ms, killed, filesAfterKill: present.length });
        if (killed) report.killsLanded++;
        else if (result.code !== 0) throw new Error(`${context()}: the command failed (exit ${result.code}, signal ${result.signal})\nstderr: ${result.stderr}`);
        // Whatever a kill leaves: whole files only, and files written once equal the reference already.
        for (const { name, file } of present) {
          if (isTemporary(name) || c.ignore?.(name)) continue;
          const bytes = readFileSync(file);
          const problem = notWhole(name, bytes);
          if (problem !== null) throw new Error(`${context()}: '${name}' is not whole after the kill: ${problem}`);
          if (!(c.growing?.(name) ?? false)) {
            const want = expected.get(name);
            const got = comparable(name, bytes, c.normalize);
            if (want === undefined) throw new Error(`${context()}: '${name}' is not an output of the uninterrupted run`);
            if (got !== want) throw new Error(`${context()}: '${name}' after the kill differs from the uninterrupted run (${firstLineDifference(want, got)})`);
          }
        }
      }
      const resumed = await runChild(c, out, cwd, null, null);
      if (resumed.code !== 0) throw new Error(`${context()}: the resumed run failed (exit ${resumed.code})\nstderr: ${resumed.stderr}`);
      // Temporaries of the killed writers (beside a single output file, or inside a run directory) must be gone.
      const leftovers = listFiles(folder).filter(isTemporary);
      if (leftovers.length > 0) throw new Error(`${context()}: temporaries left after the resumed run: ${leftovers.join(', ')}`);
      const actual = snapshot(c, out);
      const missing = [...expected.keys()].filter((k) => !actual.has(k));
      const extra = [...actual.keys()].filter((k) => !expected.has(k));
      if (missing.length > 0 || extra.length > 0) throw new Error(`${context()}: files differ after resuming: missing ${missing.join(', ') || 'none'}; extra ${extra.join(', ') || 'none'}`);
      for (const [path, want] of expected) {
        const got = actual.get(path)!;
        if (got !== want) throw new Error(`${context()}: '${path}' differs after resuming (${firstLineDifference(want, got)})`);
      }
    }
    return report;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
