/**
 * Writes that never leave a half-written file: data goes to a temporary file in the same folder, is
 * fsync'ed, then renamed over the destination (rename is atomic on POSIX file systems).
 */
import { openSync, writeSync, fsyncSync, closeSync, renameSync, unlinkSync, mkdirSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

let counter = 0;

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  writeChunksAtomic(path, [typeof data === 'string' ? new TextEncoder().encode(data) : data]);
}

/** Writes several byte chunks as one file, atomically (for large binary outputs built in parts). */
export function writeChunksAtomic(path: string, chunks: Uint8Array[]): void {
  const folder = dirname(path);
  mkdirSync(folder, { recursive: true });
  const temporary = join(folder, `.lottery-tmp-${process.pid}-${counter++}-${basename(path)}`);
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
}
