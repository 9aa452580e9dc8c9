/**
 * A resumable run directory for long commands: the resolved configuration (config.json), a meta file
 * (meta.json: tool version, git commit, argv, start/end of every invocation) and numbered chunks of
 * finished work (chunks/NNNNNN.bin, each written atomically with a SHA-256 of its payload). Reopening a
 * directory checks that the configuration is identical, so a resumed run computes exactly what the
 * interrupted one would have; chunks that are missing or fail their checksum are simply recomputed.
 * Usage and file formats: docs/experiment1.md, section "Run directories".
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../core/errors.js';
import { TEMPORARY_PREFIX, removeStaleTemporaries, writeFileAtomic } from './atomicFile.js';

export const CONFIG_FILE = 'config.json';
export const META_FILE = 'meta.json';
export const CHUNK_FOLDER = 'chunks';
const CHUNK_MAGIC = 'LOTCHUNK';
const CHUNK_FORMAT_VERSION = 1;
const CHUNK_HEADER_BYTES = 8 + 4 + 4 + 8 + 32;

export interface RunDirectoryOptions {
  /** The command that owns the directory, e.g. "approximate"; a directory of another command is refused. */
  command: string;
  /** Toolkit version recorded in meta.json. */
  version: string;
  /** The command line of this invocation (recorded, never compared). */
  argv: string[];
  /**
   * Everything that determines the results (resolved options, input checksums): JSON-serialisable plain data.
   * Resuming requires it to be deeply equal to the stored one.
   */
  config: unknown;
  /** Clock for meta.json (injectable for tests). */
  now?: () => Date;
}

export interface RunInvocation {
  argv: string[];
  startedAt: string;
  endedAt: string | null;
  /** Chunks found finished on disk when this invocation started. */
  chunksFound: number;
}

export interface RunMeta {
  tool: 'lottery';
  version: string;
  command: string;
  gitCommit: string | null;
  node: string;
  startedAt: string;
  /** End of the invocation that completed the run; null while unfinished. */
  endedAt: string | null;
  invocations: RunInvocation[];
}

/** JSON with object keys sorted, so equal configurations serialise identically. */
export function canonicalJson(value: unknown, indent = 0): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) out[key] = sort((v as Record<string, unknown>)[key]);
      return out;
    }
    return v;
  };
  return JSON.stringify(sort(value), null, indent);
}

/** The first path at which two JSON values differ, with both values, or null when equal. */
export function firstDifference(a: unknown, b: unknown, path = ''): { path: string; stored: unknown; given: unknown } | null {
  if (a === b) return null;
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of [...keys].sort()) {
      const d = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], path === '' ? key : `${path}.${key}`);
      if (d !== null) return d;
    }
    return null;
  }
  return { path: path === '' ? '(root)' : path, stored: a, given: b };
}

let cachedCommit: string | null | undefined;

/** The git commit of the toolkit's own checkout, read from .git (null when not a checkout). Never runs git. */
export function toolkitGitCommit(): string | null {
  if (cachedCommit !== undefined) return cachedCommit;
  cachedCommit = null;
  try {
    // This file is dist/src/io/runDirectory.js (or src/io/runDirectory.ts): the repository is three levels up.
    let root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
    if (!existsSync(join(root, '.git'))) root = resolve(root, '..');
    const gitDir = join(root, '.git');
    if (!statSync(gitDir).isDirectory()) return cachedCommit;
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (/^[0-9a-f]{40}$/.test(head)) return (cachedCommit = head);
    const ref = /^ref: (.+)$/.exec(head)?.[1];
    if (ref === undefined) return cachedCommit;
    const refFile = join(gitDir, ref);
    if (existsSync(refFile)) return (cachedCommit = readFileSync(refFile, 'utf8').trim());
    const packed = readFileSync(join(gitDir, 'packed-refs'), 'utf8');
    for (const line of packed.split('\n')) {
      const [hash, name] = line.split(' ');
      if (name === ref && hash !== undefined) return (cachedCommit = hash);
    }
  } catch {
    // not a checkout (installed package): no commit to record
  }
  return cachedCommit;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`${path}: cannot read as JSON (${(error as Error).message})`);
  }
}

/** Encodes a chunk file: magic, format version, chunk index, payload length, SHA-256 of the payload, payload. */
export function encodeChunkFile(index: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(CHUNK_HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(CHUNK_MAGIC), 0);
  view.setUint32(8, CHUNK_FORMAT_VERSION, true);
  view.setUint32(12, index, true);
  view.setUint32(16, payload.length % 2 ** 32, true);
  view.setUint32(20, Math.floor(payload.length / 2 ** 32), true);
  out.set(createHash('sha256').update(payload).digest(), 24);
  out.set(payload, CHUNK_HEADER_BYTES);
  return out;
}

/** The payload of a chunk file, or null when the bytes are not an intact chunk `index`. */
export function decodeChunkFile(index: number, bytes: Uint8Array): Uint8Array | null {
  if (bytes.length < CHUNK_HEADER_BYTES) return null;
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== CHUNK_MAGIC) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(8, true) !== CHUNK_FORMAT_VERSION || view.getUint32(12, true) !== index) return null;
  const length = view.getUint32(16, true) + view.getUint32(20, true) * 2 ** 32;
  if (bytes.length !== CHUNK_HEADER_BYTES + length) return null;
  const payload = bytes.subarray(CHUNK_HEADER_BYTES);
  const digest = createHash('sha256').update(payload).digest();
  for (let i = 0; i < 32; i++) if (digest[i] !== bytes[24 + i]) return null;
  return payload;
}

export class RunDirectory {
  readonly path: string;
  /** True when the directory already held this run (some chunks may be finished). */
  readonly resumed: boolean;
  readonly meta: RunMeta;
  private readonly now: () => Date;

  private constructor(path: string, resumed: boolean, meta: RunMeta, now: () => Date) {
    this.path = path;
    this.resumed = resumed;
    this.meta = meta;
    this.now = now;
  }

  /**
   * Creates the directory (or reuses an empty one) and writes config.json and meta.json, or reopens a
   * directory of the same command with an identical configuration. Anything else is an InputError.
   */
  static open(path: string, options: RunDirectoryOptions): RunDirectory {
    const now = options.now ?? (() => new Date());
    const dir = resolve(path);
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new InputError(`--out ${path}: exists and is not a directory`);
    mkdirSync(dir, { recursive: true });
    // Temporaries of an invocation that was killed mid-write: never results, so they go.
    removeStaleTemporaries(dir);
    removeStaleTemporaries(join(dir, CHUNK_FOLDER));
    const configPath = join(dir, CONFIG_FILE);
    const config = JSON.parse(canonicalJson(options.config)) as unknown;
    const startedAt = now().toISOString();
    let resumed = false;
    let meta: RunMeta;
    if (existsSync(configPath)) {
      const stored = readJson(configPath) as { command?: unknown; config?: unknown };
      if (stored.command !== options.command) {
        throw new InputError(`--out ${path}: holds a run of '${String(stored.command)}', not '${options.command}'; choose another directory`);
      }
      const difference = firstDifference(stored.config, config);
      if (difference !== null) {
        throw new InputError(
          `--out ${path}: holds a run with different settings (${difference.path}: ${JSON.stringify(difference.stored)} there, ${JSON.stringify(difference.given)} now); ` +
            'resume with the same options and target, or choose another directory',
        );
      }
      resumed = true;
      const metaPath = join(dir, META_FILE);
      meta = existsSync(metaPath) ? (readJson(metaPath) as RunMeta) : RunDirectory.freshMeta(options, startedAt);
      meta.endedAt = null;
    } else {
      const entries = readdirSync(dir).filter((name) => !name.startsWith('.'));
      if (entries.length > 0) {
        throw new InputError(`--out ${path}: exists, is not empty and is not a lottery run directory (no ${CONFIG_FILE}); choose a new or empty directory`);
      }
      writeFileAtomic(configPath, canonicalJson({ command: options.command, config }, 2) + '\n');
      meta = RunDirectory.freshMeta(options, startedAt);
    }
    const run = new RunDirectory(dir, resumed, meta, now);
    meta.invocations.push({ argv: [...options.argv], startedAt, endedAt: null, chunksFound: run.finishedChunkCount() });
    run.writeMeta();
    return run;
  }

  private static freshMeta(options: RunDirectoryOptions, startedAt: string): RunMeta {
    return {
      tool: 'lottery',
      version: options.version,
      command: options.command,
      gitCommit: toolkitGitCommit(),
      node: process.version,
      startedAt,
      endedAt: null,
      invocations: [],
    };
  }

  private writeMeta(): void {
    writeFileAtomic(join(this.path, META_FILE), JSON.stringify(this.meta, null, 2) + '\n');
  }

  chunkPath(index: number): string {
    return join(this.path, CHUNK_FOLDER, `${String(index).padStart(6, '0')}.bin`);
  }

  /** Number of chunk files present (not verified). */
  finishedChunkCount(): number {
    const folder = join(this.path, CHUNK_FOLDER);
    if (!existsSync(folder)) return 0;
    return readdirSync(folder).filter((name) => /^[0-9]{6}\.bin$/.test(name)).length;
  }

  /** The payload of finished chunk `index`, or null when it is missing or damaged (then recompute it). */
  readChunk(index: number): Uint8Array | null {
    const path = this.chunkPath(index);
    if (!existsSync(path)) return null;
    return decodeChunkFile(index, readFileSync(path));
  }

  /**
   * Saves a finished chunk: written to a temporary name, then renamed, so a killed process leaves either the
   * whole chunk or none. There is deliberately no fsync (it costs more than solving a small chunk): a chunk torn
   * by a power loss fails its checksum on resume and is recomputed, so it can be lost but never wrong.
   */
  writeChunk(index: number, payload: Uint8Array): void {
    const path = this.chunkPath(index);
    mkdirSync(dirname(path), { recursive: true });
    const temporary = join(dirname(path), `${TEMPORARY_PREFIX}${process.pid}-${index}-${basename(path)}`);
    writeFileSync(temporary, encodeChunkFile(index, payload));
    renameSync(temporary, path);
  }

  /** Writes a result file (atomically) inside the directory. */
  writeFile(name: string, data: Uint8Array | string): void {
    writeFileAtomic(join(this.path, name), data);
  }

  file(name: string): string {
    return join(this.path, name);
  }

  /** Records the end of this invocation and of the run. */
  finish(): void {
    const at = this.now().toISOString();
    this.meta.endedAt = at;
    const current = this.meta.invocations[this.meta.invocations.length - 1];
    if (current !== undefined) current.endedAt = at;
    this.writeMeta();
  }
}
