// Keeps the house rules that a reader can check mechanically: dependencies point one way, no Math.random in src.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const srcRoot = join(root, 'src');

function sourceFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

// Which folders each folder may import from (besides itself). io and cli sit at the edge.
const allowed: Record<string, string[]> = {
  core: [],
  subsetsum: ['core'],
  nn: ['core', 'io'],
  approximate: ['core', 'subsetsum', 'nn'],
  theorem1: ['core', 'subsetsum', 'nn', 'io'],
  popup: ['core', 'subsetsum', 'nn', 'theorem1', 'io'],
  experiments: ['core', 'subsetsum', 'nn', 'approximate', 'theorem1', 'popup', 'io'],
  report: ['core', 'subsetsum', 'nn', 'approximate', 'theorem1', 'popup', 'experiments', 'io'],
  io: ['core', 'nn', 'subsetsum', 'theorem1'],
  cli: ['core', 'subsetsum', 'nn', 'approximate', 'theorem1', 'popup', 'experiments', 'report', 'io'],
};

test('imports between src folders point one way and nothing imports cli', () => {
  const problems: string[] = [];
  for (const file of sourceFiles(srcRoot)) {
    const folder = relative(srcRoot, file).split('/')[0]!;
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/from '(\.\.?\/[^']+)'/g)) {
      const target = relative(srcRoot, join(dirname(file), match[1]!)).split('/')[0]!;
      if (target === folder) continue;
      if (!(allowed[folder] ?? []).includes(target)) problems.push(`${relative(root, file)} imports ${match[1]}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('Math.random never appears in src', () => {
  const offenders = sourceFiles(srcRoot).filter((file) => readFileSync(file, 'utf8').includes('Math.random'));
  assert.deepEqual(offenders.map((f) => relative(root, f)), []);
});
