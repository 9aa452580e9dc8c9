/**
 * Ticket files on disk: `saveTicket` writes a ticket atomically, `loadTicket` reads one (the bytes are encoded and
 * checked by ticketBytes.ts); `fileSha256` identifies target files.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InputError } from '../core/errors.js';
import type { Ticket } from '../theorem1/ticket.js';
import { writeChunksAtomic } from './atomicFile.js';
import { decodeTicket, encodeTicket } from './ticketBytes.js';

export function saveTicket(path: string, ticket: Ticket): void {
  writeChunksAtomic(path, encodeTicket(ticket));
}

export function loadTicket(path: string): Ticket {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new InputError(`--ticket: cannot read ${path}: ${(error as Error).message}`);
  }
  return decodeTicket(bytes, path);
}

/** SHA-256 (hex) of a file's bytes (targets are identified by it). */
export function fileSha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
