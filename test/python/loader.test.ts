// The Python loader (python/lottery_ticket.py) from the Node suite: the committed fixtures are exactly what the
// current toolkit makes (scripts/pythonFixtures.ts, re-run here), and python/test_lottery_ticket.py passes with
// Debian's python3 — numpy always, the torch module where python3-torch is installed — against them and against
// `lottery export --format safetensors` outputs of the same tickets made here by the CLI.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writePythonFixtures } from '../../scripts/pythonFixtures.js';
import { cli } from '../helpers/cli.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const committed = join(root, 'python', 'fixtures');
const work = mkdtempSync(join(tmpdir(), 'lottery-python-'));
after(() => rmSync(work, { recursive: true, force: true }));
const CASES = ['mlp', 'conv', 'normal', 'lplus1', 'lplus1conv'];

/** Debian's interpreter (python3-numpy, python3-torch install there); another python3 first on PATH may lack them. */
const PYTHON = '/usr/bin/python3';

function pythonHas(module: string): boolean {
  return spawnSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
}

test('the committed fixtures are what the current toolkit makes', async () => {
  const fresh = join(work, 'fixtures');
  const written = await writePythonFixtures(fresh, join(root, 'examples'));
  assert.deepEqual(readdirSync(committed).sort(), [...written].sort());
  for (const name of written) assert.ok(readFileSync(join(fresh, name)).equals(readFileSync(join(committed, name))), `${name} differs: run npm run fixtures:python`);
});

test('python/test_lottery_ticket.py passes against the fixtures and the CLI exports', async (t) => {
  if (!pythonHas('numpy')) {
    t.skip(`${PYTHON} with numpy not found (apt-get install python3-numpy): the Python loader was not tested`);
    return;
  }
  const exports = join(work, 'exports');
  for (const name of CASES) {
    const run = await cli(['export', '--ticket', join(committed, `${name}.ticket.safetensors`), '--format', 'safetensors', '--out', join(exports, `${name}.export.safetensors`)]);
    assert.equal(run.code, 0, run.stderr);
  }
  const result = spawnSync(PYTHON, ['-m', 'unittest', '-v', 'test_lottery_ticket'], {
    cwd: join(root, 'python'),
    env: { ...process.env, LOTTERY_EXPORTS: exports, PYTHONDONTWRITEBYTECODE: '1' },
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  const torch = pythonHas('torch');
  const skipped = (result.stderr.match(/skipped/g) ?? []).length;
  if (torch) assert.equal(skipped, 0, `torch is installed but tests were skipped:\n${result.stderr}`);
  else t.diagnostic(`torch not installed for ${PYTHON}: the torch module tests were skipped (apt-get install python3-torch)`);
});
