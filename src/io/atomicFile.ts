/**
 * Writes that never leave a half-written file: data goes to a temporary file in the same folder (named after
 * the writing process), is fsync'ed, renamed over the destination (rename is atomic on POSIX file systems), and
 * the folder is fsync'ed so the rename itself survives a crash. Temporaries left by a killed writer are removed
 * by the next write of the same file.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

let counter = 0;

/** Prefix of every temporary file the toolkit writes (dot files: run directories and listings ignore them). */
export const TEMPORARY_PREFIX = '.lottery-tmp-';

/** True unless `pid` is certainly not a running process (then its temporary files are stale). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporaries of `name` in `folder` left by writers that no longer run (killed mid-write). A live
 * writer's temporary is never touched, so two processes writing side by side do not disturb each other.
 */
export function removeStaleTemporaries(folder: string, name?: string): number {
  let entries: string[];
  try {
    entries = readdirSync(folder);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const entry of entries) {
    const match = /^\.lottery-tmp-(\d+)-\d+-(.+)$/.exec(entry);
    if (match === null || (name !== undefined && match[2] !== name) || processAlive(Number(match[1]))) continue;
    try {
      unlinkSync(join(folder, entry));
      removed++;
    } catch {
      // already gone (another process cleaned it): nothing to do
    }
  }
  return removed;
}

/** fsync of a folder, so a rename inside it is durable; some file systems refuse it (then the rename still happened). */
export function fsyncFolder(folder: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // EISDIR/EINVAL/EPERM on file systems without directory fsync: durability is best effort there
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  writeChunksAtomic(path, [typeof data === 'string' ? new TextEncoder().encode(data) : data]);
}

/** Writes several byte chunks as one file, atomically (for large binary outputs built in parts). */
export function writeChunksAtomic(path: string, chunks: Uint8Array[]): void {
  const folder = dirname(path);
  const name = basename(path);
  mkdirSync(folder, { recursive: true });
  removeStaleTemporaries(folder, name);
  const temporary = join(folder, `${TEMPORARY_PREFIX}${process.pid}-${counter++}-${name}`);
  const fd = openSync(temporary, 'w');
  try {
    for (const chunk of chunks) {
      let offset = 0;
      while (offset < chunk.length) offset += writeSync(fd, chunk, offset, chunk.length - offset);
    }
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temporary);
    throw error;
  }
  closeSync(fd);
  renameSync(temporary, path);
  fsyncFolder(folder);
}
