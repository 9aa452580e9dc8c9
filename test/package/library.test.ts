// The package as a user installs it: `npm install <checkout>` into an empty folder, then the README's library
// example (the code block itself, which must equal examples/library.mjs) runs with plain Node and prints exactly the
// README's output block; examples/library.ts type-checks with tsc --noEmit against the installed declarations (strict; skipLibCheck, as tsc --init sets it, since tfjs's own .d.ts files do not pass strict checks); and
// nothing but the public entry can be imported.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
let folder = '';

/** The fenced block that follows `marker` in the README. */
function blockAfter(marker: string): string {
  const at = readme.indexOf(marker);
  assert.ok(at >= 0, `README.md has no ${marker}`);
  const match = /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(match, `no code block after ${marker}`);
  return match[1]!;
}

before(() => {
  folder = mkdtempSync(join(tmpdir(), 'lottery-consumer-'));
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  execFileSync('npm', ['install', root, '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: folder, stdio: 'pipe' });
});

after(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
});

test('the README example is examples/library.mjs, and run from an installed package it prints the README output', () => {
  const code = blockAfter('<!-- library-example');
  assert.equal(code, readFileSync(join(root, 'examples', 'library.mjs'), 'utf8'), 'README code block and examples/library.mjs differ');
  writeFileSync(join(folder, 'library.mjs'), code);
  copyFileSync(join(folder, 'node_modules', 'lottery', 'examples', 'target.safetensors'), join(folder, 'target.safetensors'));
  const stdout = execFileSync(process.execPath, ['library.mjs'], { cwd: folder, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(stdout, blockAfter('<!-- library-output -->'));
  // What the example claims, checked here too: brute force agrees, the ticket is within its certificate.
  const closest = /closest : \d+ values, error (\S+) \(brute force (\S+)\)/.exec(stdout);
  assert.ok(closest && closest[1] === closest[2], 'closest differs from brute force');
  assert.match(stdout, /≤ certified: true/);
  assert.match(stdout, /^refused : values\[1\]: expected a finite number, got NaN$/m);
});

test('a TypeScript user: examples/library.ts type-checks (strict, NodeNext) against the installed declarations', () => {
  copyFileSync(join(root, 'examples', 'library.ts'), join(folder, 'library.ts'));
  writeFileSync(
    join(folder, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, noEmit: true, types: ['node'], typeRoots: [join(root, 'node_modules', '@types')] },
      files: ['library.ts'],
    }),
  );
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: folder, encoding: 'utf8', stdio: 'pipe' });
  // …and a type error is caught (the check is real): a misspelt option field.
  writeFileSync(join(folder, 'wrong.ts'), "import { solveSubsetSum } from 'lottery';\nsolveSubsetSum([1], 1, { tolerence: 0.1 });\n");
  writeFileSync(join(folder, 'tsconfig.wrong.json'), JSON.stringify({ extends: './tsconfig.json', files: ['wrong.ts'] }));
  assert.throws(() => execFileSync(process.execPath, [tsc, '-p', 'tsconfig.wrong.json'], { cwd: folder, encoding: 'utf8', stdio: 'pipe' }), (e: { stdout?: string }) => /tolerence/.test(String(e.stdout)));
});

test('the public entry exports the documented names, and nothing else of the package can be imported', () => {
  const script = `
    const lottery = await import('lottery');
    const names = ['solveSubsetSum', 'loadNetwork', 'pruneTheorem1', 'verifyTicket', 'readTicket', 'writeTicket', 'approximateNetwork',
      'randomSubsetSumCoverage', 'trainPopup', 'RandomStream', 'InputError', 'evaluateOnMnist', 'setPlatform'];
    const missing = names.filter((n) => typeof lottery[n] !== 'function');
    let deep = 'imported';
    try { await import('lottery/dist/src/core/random.js'); } catch (e) { deep = e.code; }
    console.log(JSON.stringify({ missing, deep }));`;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: folder, encoding: 'utf8' }));
  assert.deepEqual(out, { missing: [], deep: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
});
