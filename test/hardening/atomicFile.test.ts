// Atomic writes and process hygiene (issue 8): temporaries of killed writers are cleaned by the next write and by
// reopening a run directory (a live writer's never are); SIGINT ends a command at once (a shell reports 130); a
// closed output pipe (`lottery … | head`) ends it quietly instead of with an EPIPE stack trace.
import { test } from 'node:test';
import { saveTinyTarget } from '../helpers/tinyTarget.js';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEMPORARY_PREFIX, processAlive, removeStaleTemporaries, writeFileAtomic } from '../../src/io/atomicFile.js';
import { RunDirectory } from '../../src/io/runDirectory.js';
import { LOTTERY_BIN } from '../helpers/killResume.js';

const work = mkdtempSync(join(tmpdir(), 'lottery-atomic-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

/** The pid of a process that has ended (so certainly not running now, barring pid reuse within the test). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  const pid = Number(child.stdout.toString());
  assert.ok(pid > 0 && !processAlive(pid));
  return pid;
}

test('writeFileAtomic: replaces the file, leaves no temporary, and removes those of dead writers of the same file only', () => {
  const folder = join(work, 'atomic');
  mkdirSync(folder);
  const path = join(folder, 'result.json');
  const dead = deadPid();
  const stale = `${TEMPORARY_PREFIX}${dead}-0-result.json`;
  const otherName = `${TEMPORARY_PREFIX}${dead}-1-other.json`;
  const live = `${TEMPORARY_PREFIX}${process.ppid}-0-result.json`;
  for (const name of [stale, otherName, live]) writeFileSync(join(folder, name), 'half');
  writeFileAtomic(path, '{"a":1}\n');
  writeFileAtomic(path, '{"a":2}\n');
  assert.equal(readFileSync(path, 'utf8'), '{"a":2}\n');
  assert.deepEqual(readdirSync(folder).sort(), [otherName, live, 'result.json'].sort());
  assert.equal(removeStaleTemporaries(folder), 1, 'the other file’s stale temporary goes on a sweep of the folder');
  assert.deepEqual(readdirSync(folder).sort(), [live, 'result.json'].sort());
});

test('RunDirectory.open: stale temporaries of a killed invocation are removed from the directory and its chunks', () => {
  const dir = join(work, 'run');
  const options = { command: 'test', version: '0', argv: [], config: { a: 1 } };
  const first = RunDirectory.open(dir, options);
  first.writeChunk(0, new Uint8Array([1, 2, 3]));
  const dead = deadPid();
  writeFileSync(join(dir, `${TEMPORARY_PREFIX}${dead}-3-summary.json`), '{"torn":');
  writeFileSync(join(dir, 'chunks', `${TEMPORARY_PREFIX}${dead}-1-000001.bin`), 'torn');
  const second = RunDirectory.open(dir, options);
  assert.ok(second.resumed);
  assert.deepEqual(readdirSync(dir).sort(), ['chunks', 'config.json', 'meta.json']);
  assert.deepEqual(readdirSync(join(dir, 'chunks')), ['000000.bin']);
  assert.deepEqual([...second.readChunk(0)!], [1, 2, 3]);
});

test('SIGINT ends a command at once, even inside a synchronous solve, and leaves only whole files', async () => {
  const target = saveTinyTarget(join(work, 'tiny.safetensors'), 7);
  const out = join(work, 'interrupted');
  // n = 32 on one worker (solved in the main thread) takes many seconds: the interrupt lands mid-solve.
  const child = spawn(process.execPath, [LOTTERY_BIN, 'approximate', '--target', target, '--seed', '1', '--samples', '32', '--chunk-size', '50', '--workers', '1', '--no-eval', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  await new Promise<void>((resolve) =>
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/approximate: 0\/12704/.test(stderr)) resolve();
    }),
  );
  const sent = performance.now();
  child.kill('SIGINT');
  // Ended by the signal (a shell reports 130), not by finishing the run.
  assert.deepEqual(await exit, { code: null, signal: 'SIGINT' }, stderr);
  assert.ok(performance.now() - sent < 5000, 'the interrupt waited for the solve');
  assert.doesNotMatch(stderr, /\n\s+at /);
  assert.ok(existsSync(join(out, 'config.json')));
  for (const name of existsSync(join(out, 'chunks')) ? readdirSync(join(out, 'chunks')) : []) assert.match(name, /^(\d{6}\.bin|\.lottery-tmp-.*)$/);
});

test('a closed output pipe ends the command quietly (no EPIPE stack trace)', async () => {
  const child = spawn(process.execPath, [LOTTERY_BIN, 'train', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.doesNotMatch(stderr, /EPIPE|\n\s+at /);
  assert.equal(code, 0, stderr);
});
