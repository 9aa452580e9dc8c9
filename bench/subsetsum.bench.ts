/**
 * Benchmark of the subset-sum engine on the paper's experiment-1 workload (Pensia et al. 2020): 397,000
 * instances, n = 21 values and targets U[−0.4642, 0.5407], ε = 0.01 — solved with closest and sparsest on
 * one thread and on every core, and with the HiGHS MIP (the paper's method) on a sample, with agreement.
 * Run: node dist/bench/subsetsum.bench.js [--instances N] [--mip-sample N] [--workers N] [--seed N]
 */
import { availableParallelism } from 'node:os';
import '../src/node/platform.js'; // the Node platform: worker threads, clock, tfjs wasm files
import { closeSolverPool, solveBatch } from '../src/subsetsum/batch.js';
import { mip, loadHighs } from '../src/subsetsum/mip.js';
import type { Objective, SubsetSumBatch, SubsetSumBatchResult } from '../src/subsetsum/types.js';
import { RandomStream, namedStream } from '../src/core/random.js';

const PAPER = { instances: 397_000, wallSeconds: 77_266, cores: 36 };
const N = 21;
const LOW = -0.4642;
const HIGH = 0.5407;
const TOLERANCE = 0.01;
const MIP_RELATIVE_GAP = 0.01;

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name}: expected a non-negative integer, got '${process.argv[at + 1]}'`);
  return value;
}

function makeWorkload(count: number, seed: number, objective: Objective): SubsetSumBatch {
  const values = new Float64Array(count * N);
  new RandomStream(seed, namedStream('bench/subsetsum/values')).fill({ kind: 'uniform', low: LOW, high: HIGH }, 0, values);
  const targets = new Float64Array(count);
  new RandomStream(seed, namedStream('bench/subsetsum/targets')).fill({ kind: 'uniform', low: LOW, high: HIGH }, 0, targets);
  const offsets = new Uint32Array(count + 1);
  for (let i = 0; i <= count; i++) offsets[i] = i * N;
  return { values, offsets, targets, tolerance: TOLERANCE, objective };
}

function sameBytes(a: SubsetSumBatchResult, b: SubsetSumBatchResult): boolean {
  const view = (x: Uint8Array | Float64Array): Buffer => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  return view(a.selected).equals(view(b.selected)) && view(a.sums).equals(view(b.sums)) && view(a.errors).equals(view(b.errors));
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

function valuesUsed(result: SubsetSumBatchResult): number {
  let used = 0;
  for (const f of result.selected) used += f;
  return used;
}

interface Row {
  method: string;
  threads: number;
  instances: number;
  wallSeconds: number;
  /** CPU time of the whole process (all threads): under load from other jobs, the wall time grows but this does not. */
  cpuSeconds: number;
  outside: number;
  valuesPerInstance: number;
  note: string;
}

async function main(): Promise<void> {
  const count = flag('instances', PAPER.instances);
  const mipSample = Math.min(flag('mip-sample', 200), count);
  const cores = flag('workers', availableParallelism());
  const seed = flag('seed', 1);
  const rows: Row[] = [];
  console.log(`workload: ${count} instances, n = ${N}, values and targets U[${LOW}, ${HIGH}], ε = ${TOLERANCE}, seed ${seed}; ${cores} worker threads, ${availableParallelism()} cores`);

  const results: Partial<Record<Objective, SubsetSumBatchResult>> = {};
  for (const objective of ['closest', 'sparsest'] as const) {
    const batch = makeWorkload(count, seed, objective);
    await solveBatch(makeWorkload(Math.min(count, 5000), seed + 1, objective), { workers: 1 }); // JIT warm-up
    let start = performance.now();
    let cpu = process.cpuUsage();
    const single = await solveBatch(batch, { workers: 1 });
    const singleSeconds = (performance.now() - start) / 1000;
    rows.push({ method: objective, threads: 1, instances: count, wallSeconds: singleSeconds, cpuSeconds: cpuSeconds(cpu), outside: single.outsideToleranceCount, valuesPerInstance: valuesUsed(single) / count, note: '' });
    process.stderr.write(`${objective}, 1 thread: ${singleSeconds.toFixed(2)} s\n`);
    if (cores > 1) {
      await solveBatch(makeWorkload(Math.min(count, 20000), seed + 1, objective), { workers: cores }); // start the pool, warm the workers
      start = performance.now();
      cpu = process.cpuUsage();
      const parallel = await solveBatch(batch, { workers: cores });
      const parallelSeconds = (performance.now() - start) / 1000;
      const parallelCpu = cpuSeconds(cpu);
      const same = sameBytes(single, parallel);
      process.stderr.write(`${objective}, ${cores} threads: ${parallelSeconds.toFixed(2)} s\n`);
      rows.push({
        method: objective,
        threads: cores,
        instances: count,
        wallSeconds: parallelSeconds,
        cpuSeconds: parallelCpu,
        outside: parallel.outsideToleranceCount,
        valuesPerInstance: valuesUsed(parallel) / count,
        note: `${(singleSeconds / parallelSeconds).toFixed(2)}× vs 1 thread; output ${same ? 'bit-identical' : 'DIFFERS'}`,
      });
    }
    results[objective] = single;
  }
  await closeSolverPool();

  // The paper's method on a sample of the same instances, checked against closest.
  const closestResult = results.closest!;
  const closestRow = rows.find((r) => r.method === 'closest' && r.threads === 1)!;
  const closestCpuMicros = (closestRow.cpuSeconds * 1e6) / count;
  let mipAgree = 0;
  let mipSeconds = 0;
  let mipCpu = 0;
  let mipOutside = 0;
  let mipUsed = 0;
  const disagreements: string[] = [];
  if (mipSample > 0) {
    await loadHighs();
    const batch = makeWorkload(count, seed, 'closest');
    const stride = count / mipSample;
    for (let s = 0; s < mipSample; s++) {
      const i = Math.floor(s * stride);
      const values = Array.from(batch.values.subarray(i * N, (i + 1) * N));
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      const result = await mip({ values, target: batch.targets[i]!, tolerance: TOLERANCE }, { relativeGap: MIP_RELATIVE_GAP });
      mipSeconds += (performance.now() - start) / 1000;
      mipCpu += cpuSeconds(cpuStart);
      const exactError = closestResult.errors[i]!;
      const exactWithin = exactError <= TOLERANCE;
      // HiGHS stops at (incumbent − bound) ≤ max(1 % · incumbent, 1e-6 absolute); x within 1e-6 of integral.
      const allowed = Math.max(exactError / (1 - MIP_RELATIVE_GAP), exactError + 1e-6) + 1e-6;
      const agrees = exactWithin ? result.status === 'Optimal' && result.error <= allowed : result.status === 'Infeasible';
      if (agrees) mipAgree++;
      else disagreements.push(`instance ${i}: mip ${result.status} error ${result.error}, closest error ${exactError}`);
      if (!result.withinTolerance) mipOutside++;
      mipUsed += result.indices.length;
      if ((s + 1) % 20 === 0) process.stderr.write(`mip: ${s + 1}/${mipSample} instances, ${mipSeconds.toFixed(0)} s\n`);
    }
    rows.push({
      method: 'mip (HiGHS)',
      threads: 1,
      instances: mipSample,
      wallSeconds: mipSeconds,
      cpuSeconds: mipCpu,
      outside: mipOutside,
      valuesPerInstance: mipUsed / mipSample,
      note: `agrees with closest within its gap on ${mipAgree}/${mipSample}; ${((mipCpu * 1e6) / mipSample / closestCpuMicros).toFixed(0)}× the CPU time of closest per instance`,
    });
  }

  const header = ['method', 'threads', 'instances', 'wall s', 'µs/instance', 'CPU s', 'CPU µs/instance', 'outside ε', 'values used', 'note'];
  const table = rows.map((r) => [
    r.method,
    String(r.threads),
    String(r.instances),
    r.wallSeconds.toFixed(r.wallSeconds < 10 ? 3 : 1),
    ((r.wallSeconds * 1e6) / r.instances).toFixed(r.method.startsWith('mip') ? 0 : 2),
    r.cpuSeconds.toFixed(r.cpuSeconds < 10 ? 3 : 1),
    ((r.cpuSeconds * 1e6) / r.instances).toFixed(r.method.startsWith('mip') ? 0 : 2),
    String(r.outside),
    r.valuesPerInstance.toFixed(2),
    r.note,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((row) => row[c]!.length)));
  const line = (cells: string[]): string => cells.map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ');
  console.log('');
  console.log(line(header));
  for (const row of table) console.log(line(row));
  const paperCoreSeconds = (PAPER.wallSeconds * PAPER.cores) / PAPER.instances;
  const best = rows.filter((r) => r.method === 'closest').sort((a, b) => a.wallSeconds - b.wallSeconds)[0]!;
  console.log('');
  console.log(`paper (Gurobi MIP, 1 % gap): ${PAPER.instances} instances in ${PAPER.wallSeconds} s wall on ${PAPER.cores} cores = ${paperCoreSeconds.toFixed(2)} core-s per instance`);
  console.log(`ours (closest, exact):       ${count} instances in ${best.wallSeconds.toFixed(2)} s wall on ${best.threads} thread(s); ${closestCpuMicros.toFixed(1)} CPU-µs per instance (${(paperCoreSeconds / (closestCpuMicros / 1e6)).toExponential(2)}× less than the paper's core time)`);
  if (mipSample > 0) {
    const mipPer = mipCpu / mipSample;
    console.log(`HiGHS MIP here:              ${mipPer.toFixed(2)} CPU-s per instance → ${((mipPer * PAPER.instances) / 3600).toFixed(0)} core-hours for ${PAPER.instances} instances`);
  }
  if (disagreements.length > 0) {
    console.log(`\nmip disagreements (${disagreements.length}):`);
    for (const d of disagreements.slice(0, 20)) console.log(`  ${d}`);
  }
  console.log('\nNote: the machine may be shared with other jobs: wall times include their load; CPU times (all threads of this process) do not.');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
