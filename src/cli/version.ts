/** The version of this toolkit, read from its package.json (one place). */
import { readFileSync } from 'node:fs';

function readVersion(): string {
  // dist/src/cli/version.js → the package root is three folders up.
  const text = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
  const version = (JSON.parse(text) as { version?: unknown }).version;
  if (typeof version !== 'string') throw new Error('package.json has no version');
  return version;
}

export const VERSION = readVersion();
