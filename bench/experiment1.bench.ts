/**
 * Benchmark of Experiment 1 (`lottery approximate`): the full 784-500-10 run (397,000 weights, n = 21,
 * per-weight, closest) end to end — plan, draw 8,337,000 numbers, solve, write every output file — timed
 * without the MNIST evaluation, against the published 77,266 s on 36 cores and against HiGHS (the open
 * stand-in for the paper's Gurobi MIP) timed on a sample of the same instances and extrapolated.
 *
 *   npm run bench:experiment1 -- [TARGET.safetensors] [--workers 2] [--mip-sample 50] [--objective closest] [--coefficients per-weight] [--out DIR]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import '../src/node/platform.js'; // the Node platform: worker threads, clock, tfjs wasm files
import { RandomStream, namedStream } from '../src/core/random.js';
import { PUBLISHED_EXPERIMENT1, runApproximation, sha256File } from '../src/experiments/approximateRun.js';
import { loadModel, saveModel } from '../src/io/modelFile.js';
import { decodeSafetensors } from '../src/io/safetensors.js';
import { createNetwork } from '../src/nn/architectures.js';
import type { DenseLayer, Network } from '../src/nn/network.js';
import { closeSolverPool } from '../src/subsetsum/batch.js';
import { mip } from '../src/subsetsum/mip.js';
import type { Objective } from '../src/subsetsum/types.js';
import { coefficientsOf, planApproximation, type ApproximateOptions, type CoefficientSharing } from '../src/approximate/approximate.js';

/**
 * A seeded FC2 with a trained-like weight distribution: fc1 Laplace with 68.5 % of |w| ≤ 0.01 (as the
 * paper's trained fc1), fc2 normal with std 0.15, and the trained target's extremes −0.4642 and 0.5407.
 */
function syntheticFc2(seed: number): Network {
  const network = createNetwork('fc2', { bias: false, preprocess: 'pixels' });
  const stream = new RandomStream(seed, namedStream('bench/experiment1/target'));
  const [fc1, fc2] = network.layers.filter((l): l is DenseLayer => l.kind === 'dense') as [DenseLayer, DenseLayer];
  const scale = 0.01 / Math.log(1 / (1 - 0.685)); // Laplace: P(|w| ≤ 0.01) = 1 − e^(−0.01/b) = 0.685
  for (let i = 0; i < fc1.weight.length; i++) {
    const u = stream.uniform(i, -0.5, 0.5);
    fc1.weight[i] = Math.max(-0.4642, Math.min(0.5407, -scale * Math.sign(u) * Math.log(1 - 2 * Math.abs(u))));
  }
  for (let i = 0; i < fc2.weight.length; i++) {
    fc2.weight[i] = Math.max(-0.4642, Math.min(0.5407, stream.sample({ kind: 'normal', mean: 0, std: 0.15 }, fc1.weight.length + i)));
  }
  fc1.weight[0] = -0.4642;
  fc2.weight[0] = 0.5407;
  return network;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      workers: { type: 'string', default: String(Math.min(2, availableParallelism())) },
      'mip-sample': { type: 'string', default: '50' },
      objective: { type: 'string', default: 'closest' },
      coefficients: { type: 'string', default: 'per-weight' },
      out: { type: 'string' },
    },
  });
  const workers = Number(values.workers);
  const mipSample = Number(values['mip-sample']);
  const workDir = values.out ?? mkdtempSync(join(tmpdir(), 'lottery-bench-experiment1-'));
  const targetArgument = positionals[0];

  const loadStarted = performance.now();
  let targetFile: string;
  if (targetArgument !== undefined) {
    targetFile = targetArgument;
  } else {
    targetFile = join(workDir, 'synthetic-fc2.safetensors');
    saveModel(targetFile, syntheticFc2(1));
  }
  const target = loadModel(targetFile);
  const targetSha256 = sha256File(targetFile);
  const loadSeconds = (performance.now() - loadStarted) / 1000;

  const options: ApproximateOptions = {
    tolerance: 0.01,
    sampleFactor: 3,
    coefficients: values.coefficients as CoefficientSharing,
    distribution: 'target-range',
    objective: values.objective as Objective,
    seed: 1,
  };
  const outDir = join(workDir, 'run');
  console.log(`target: ${targetArgument ?? 'synthetic trained-like FC2 (seed 1)'}; ${workers} solver threads; ${availableParallelism()} cores visible; machine shared with other work`);
  const started = performance.now();
  const result = await runApproximation(
    { target, targetFile, targetSha256, options, outDir, version: 'bench', argv: process.argv.slice(2) },
    { workers, evaluate: false },
  );
  const seconds = (performance.now() - started) / 1000;
  const s = result.summary!;
  const perWeightMicros = (1e6 * seconds) / s.targetParams;
  console.log(`${s.formula}; ${options.coefficients}, ${options.objective}, ${s.options.resolvedDistribution}`);
  console.log(`parameters ${s.targetParams.toLocaleString('en-US')}, numbers drawn ${s.randomParams.toLocaleString('en-US')}, used ${s.keptParams.toLocaleString('en-US')} (${s.relativeKeptSize.toFixed(2)}×), outside ε ${s.weightsOutsideTolerance}, max error ${s.maxWeightError.toPrecision(3)}`);
  console.log(`wall time, end to end without MNIST evaluation: ${seconds.toFixed(2)} s (+ ${loadSeconds.toFixed(2)} s loading the target) = ${perWeightMicros.toFixed(2)} µs per weight`);
  const published = PUBLISHED_EXPERIMENT1;
  console.log(
    `published: ${published.seconds.toLocaleString('en-US')} s on ${published.cores} cores → ${(published.seconds / seconds).toFixed(0)}× faster in wall time, ` +
      `${((published.seconds * published.cores) / (seconds * workers)).toFixed(0)}× in core-seconds (${workers} threads here)`,
  );

  if (mipSample > 0) {
    // HiGHS on evenly spaced parameters of the same run: the same numbers, targets, ε and 1 % gap as the paper's Gurobi model.
    const plan = planApproximation(target, options);
    let mipSeconds = 0;
    let worse = 0;
    let mipOutside = 0;
    let exactErrorSum = 0;
    let mipErrorSum = 0;
    const records = decodeSafetensors(readFileSync(join(outDir, 'records.safetensors')), 'records.safetensors');
    const exactErrors = records.tensors.get('errors')!.data as Float64Array;
    for (let i = 0; i < mipSample; i++) {
      const p = Math.floor((i * plan.parameterCount) / mipSample);
      const instance = { values: coefficientsOf(plan, p), target: plan.targets[p]!, tolerance: options.tolerance };
      const t = performance.now();
      const answer = await mip(instance, { relativeGap: 0.01 });
      mipSeconds += (performance.now() - t) / 1000;
      if (!answer.withinTolerance) mipOutside++;
      if (answer.error > exactErrors[p]! + 1e-12) worse++;
      exactErrorSum += exactErrors[p]!;
      mipErrorSum += answer.error;
    }
    const perInstance = mipSeconds / mipSample;
    const extrapolated = (perInstance * s.targetParams) / workers;
    console.log(
      `HiGHS MIP (1 % gap) on ${mipSample} of these instances: ${perInstance.toFixed(3)} s per instance (one thread) → ` +
        `${extrapolated.toLocaleString('en-US', { maximumFractionDigits: 0 })} s for ${s.targetParams.toLocaleString('en-US')} weights on ${workers} threads (${(extrapolated / seconds).toFixed(0)}× ours)`,
    );
    console.log(`  HiGHS answers worse than the exact solver: ${worse}/${mipSample}; outside ε: ${mipOutside}; mean error HiGHS ${(mipErrorSum / mipSample).toExponential(2)} vs exact ${(exactErrorSum / mipSample).toExponential(2)}`);
  }
  await closeSolverPool();
  if (values.out === undefined) rmSync(workDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
