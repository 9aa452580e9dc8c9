// The house rules a reader can check mechanically. The dependency table is read from docs/architecture.md (one
// place: the table the reader sees is the one enforced); file-level import cycles are rejected; the pure folders
// import no node: module and touch no process, console or clock, so the maths runs unchanged in a browser.
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

interface FolderRule {
  pure: boolean;
  imports: Set<string>;
  typeImports: Set<string>;
}

/** The table under "## Dependency table" in docs/architecture.md: | folder | pure | imports | type-only imports |. */
function readTable(): Map<string, FolderRule> {
  const doc = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
  const section = doc.split('## Dependency table')[1];
  assert.ok(section, 'docs/architecture.md has no "## Dependency table" section');
  const rules = new Map<string, FolderRule>();
  const list = (cell: string): Set<string> => new Set(cell.split(',').map((s) => s.replace(/`/g, '').trim()).filter((s) => s !== '' && s !== '—'));
  for (const line of section.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length !== 4 || cells[0] === 'folder' || cells[0]!.startsWith('---')) continue;
    rules.set(cells[0]!.replace(/`/g, ''), { pure: cells[1] === 'yes', imports: list(cells[2]!), typeImports: list(cells[3]!) });
    if (line.trim() === '') break;
  }
  return rules;
}

interface Import {
  file: string;
  target: string;
  typeOnly: boolean;
}

const files = sourceFiles(srcRoot);

/** Every relative import of a source file: static (value or type-only), re-exports and dynamic import(). */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  const resolveTs = (spec: string): string => join(dirname(file), spec).replace(/\.js$/, '.ts');
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+'(\.\.?\/[^']+)'/gms)) found.push({ file, target: resolveTs(m[2]!), typeOnly: m[1] !== undefined });
  for (const m of text.matchAll(/^import\s+'(\.\.?\/[^']+)'/gm)) found.push({ file, target: resolveTs(m[1]!), typeOnly: false });
  for (const m of text.matchAll(/import\(\s*'(\.\.?\/[^']+)'\s*\)/g)) found.push({ file, target: resolveTs(m[1]!), typeOnly: false });
  return found;
}

const folderOf = (file: string): string => {
  const parts = relative(srcRoot, file).split('/');
  return parts.length === 1 ? parts[0]! : parts[0]!;
};

const rules = readTable();

test('the dependency table covers every folder of src/ and names only real folders', () => {
  const folders = new Set(files.map(folderOf));
  assert.deepEqual([...folders].filter((f) => !rules.has(f)).sort(), [], 'folders missing from the table in docs/architecture.md');
  for (const [folder, rule] of rules) {
    for (const target of [...rule.imports, ...rule.typeImports]) assert.ok(target === '*' || rules.has(target), `${folder}: unknown folder ${target} in the table`);
  }
});

test('imports between src folders follow the table in docs/architecture.md', () => {
  const problems: string[] = [];
  for (const file of files) {
    const folder = folderOf(file);
    const rule = rules.get(folder);
    if (!rule) continue;
    for (const { target, typeOnly } of importsOf(file)) {
      const to = folderOf(target);
      if (to === folder || rule.imports.has('*')) continue;
      if (rule.imports.has(to) || (typeOnly && rule.typeImports.has(to))) continue;
      problems.push(`${relative(root, file)} imports ${typeOnly ? 'types from ' : ''}${relative(root, target)} (${folder} → ${to} is not in the table)`);
    }
  }
  assert.deepEqual(problems, []);
});

test('no import cycles between files (static, re-export or dynamic)', () => {
  const graph = new Map<string, string[]>();
  for (const file of files) graph.set(file, importsOf(file).filter((i) => !i.typeOnly).map((i) => i.target));
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(srcRoot, f)).join(' → '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  assert.deepEqual(cycles, []);
});

/** Pure-folder files that may use what the rest may not, and why. Keep it short. */
const PURE_ALLOWED: Record<string, RegExp> = {};

const FORBIDDEN_IN_PURE: Array<[string, RegExp]> = [
  ['a node: import', /from\s+'node:|import\(\s*'node:|^import\s+'node:/m],
  ['process.', /\bprocess\./],
  ['console.', /\bconsole\./],
  ['Date.now', /\bDate\.now\b/],
  ['performance.now', /\bperformance\.now\b/],
  ['Math.random', /\bMath\.random\b/],
];

test('pure folders touch no node: module, process, console, clock or Math.random (comments aside)', () => {
  const problems: string[] = [];
  for (const file of files) {
    if (!rules.get(folderOf(file))?.pure) continue;
    const name = relative(root, file);
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
    for (const [what, pattern] of FORBIDDEN_IN_PURE) {
      if (pattern.test(code) && !PURE_ALLOWED[name]?.test(what)) problems.push(`${name}: ${what}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('Math.random never appears in src', () => {
  const offenders = files.filter((file) => readFileSync(file, 'utf8').includes('Math.random'));
  assert.deepEqual(offenders.map((f) => relative(root, f)), []);
});
