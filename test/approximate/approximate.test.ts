// Tests of the Experiment 1 core (src/approximate/approximate.ts): the mapping of random numbers to parameters,
// the records against a brute-force subset-sum oracle, and the validation of targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InputError } from '../../src/core/errors.js';
import { RandomStream, namedStream, type Distribution } from '../../src/core/random.js';
import { conv2dLayer, createNetwork, denseLayer } from '../../src/nn/architectures.js';
import type { DenseLayer, Network } from '../../src/nn/network.js';
import type { SubsetSumBatch, SubsetSumBatchResult } from '../../src/subsetsum/types.js';
import {
  approximateNetworkSync,
  buildChunkBatch,
  coefficientsOf,
  maskBit,
  outsideToleranceRecords,
  planApproximation,
  recomputeSum,
  rowOf,
  sampleCountFromFormula,
  type ApproximateOptions,
} from '../../src/approximate/approximate.js';

/** Brute force over all 2^n subsets: the oracle (closest: least error; sparsest: fewest within ε, then least error). */
function bruteForce(batch: SubsetSumBatch): SubsetSumBatchResult {
  const count = batch.targets.length;
  const selected = new Uint8Array(batch.values.length);
  const sums = new Float64Array(count);
  const errors = new Float64Array(count);
  let outside = 0;
  for (let i = 0; i < count; i++) {
    const start = batch.offsets[i]!;
    const n = batch.offsets[i + 1]! - start;
    const target = batch.targets[i]!;
    let best = 0;
    let bestError = Infinity;
    let bestCount = Infinity;
    for (let mask = 0; mask < 2 ** n; mask++) {
      let sum = 0;
      let k = 0;
      for (let t = 0; t < n; t++) {
        if (mask & (1 << t)) {
          sum += batch.values[start + t]!;
          k++;
        }
      }
      const error = Math.abs(target - sum);
      let better: boolean;
      if (batch.objective === 'closest') better = error < bestError;
      else {
        const within = error <= batch.tolerance;
        const bestWithin = bestError <= batch.tolerance;
        better = within && bestWithin ? k < bestCount || (k === bestCount && error < bestError) : within ? true : bestWithin ? false : error < bestError;
      }
      if (better) {
        best = mask;
        bestError = error;
        bestCount = k;
      }
    }
    let sum = 0;
    for (let t = 0; t < n; t++) {
      if (best & (1 << t)) {
        selected[start + t] = 1;
        sum += batch.values[start + t]!;
      }
    }
    sums[i] = sum;
    errors[i] = Math.abs(target - sum);
    if (errors[i]! > batch.tolerance) outside++;
  }
  return { selected, sums, errors, outsideToleranceCount: outside };
}

/** Fills every parameter of a network with U[-scale, scale) numbers from its own stream. */
function seedWeights(network: Network, seed: number, scale = 0.5): Network {
  const stream = new RandomStream(seed, namedStream('test/approximate/target'));
  let index = 0;
  for (const layer of network.layers) {
    if (layer.kind !== 'dense' && layer.kind !== 'conv2d') continue;
    for (const data of [layer.weight, layer.bias]) {
      if (data === null) continue;
      for (let j = 0; j < data.length; j++) data[j] = stream.uniform(index++, -scale, scale);
    }
  }
  return network;
}

/** conv 2→3 3×3 (bias) → flatten → dense 3·4·4 → 5 (bias) → relu → dense 5 → 2 (no bias): every kind of row. */
function smallConvNet(seed: number): Network {
  const network: Network = {
    inputShape: [2, 6, 6],
    layers: [conv2dLayer('conv1', 2, 3, 3, 0, true), { kind: 'relu' }, { kind: 'flatten' }, denseLayer('fc1', 48, 5, true), { kind: 'relu' }, denseLayer('fc2', 5, 2, false)],
  };
  return seedWeights(network, seed);
}

const base: ApproximateOptions = { tolerance: 0.01, sampleFactor: 3, sampleCount: 10, coefficients: 'per-weight', distribution: 'target-range', objective: 'closest', seed: 1, chunkSize: 50 };

test('n = c·round(log2(1/ε)) gives 21 for c = 3, ε = 0.01, with the formula written out', () => {
  const { sampleCount, formula } = sampleCountFromFormula(3, 0.01);
  assert.equal(sampleCount, 21);
  assert.equal(formula, 'n = c·round(log2(1/ε)) = 3·round(log2(1/0.01)) = 3·7 = 21');
  const { sampleCount: omitted, ...noOverride } = base;
  void omitted;
  assert.equal(planApproximation(smallConvNet(1), noOverride).options.sampleCount, 21);
  assert.equal(planApproximation(smallConvNet(1), base).options.sampleCount, 10);
});

test('the plan lays out parameters layer by layer, weight then bias, and rows per output unit/channel', () => {
  const network = smallConvNet(2);
  const plan = planApproximation(network, base);
  assert.deepEqual(
    plan.tensors.map((t) => [t.name, t.offset, t.length, t.rowOffset, t.rowCount, t.rowLength]),
    [
      ['conv1.weight', 0, 54, 0, 3, 18],
      ['conv1.bias', 54, 3, 3, 1, 3],
      ['fc1.weight', 57, 240, 4, 5, 48],
      ['fc1.bias', 297, 5, 9, 1, 5],
      ['fc2.weight', 302, 10, 10, 2, 5],
    ],
  );
  assert.equal(plan.parameterCount, 312);
  assert.equal(plan.rowCount, 12);
  assert.equal(rowOf(plan, 17), 0); // last entry of conv output channel 0's kernel
  assert.equal(rowOf(plan, 18), 1);
  assert.equal(rowOf(plan, 55), 3); // a conv bias
  assert.equal(rowOf(plan, 57 + 48), 5); // fc1 row 1
  // target-range covers weights and biases
  let min = Infinity;
  let max = -Infinity;
  for (const layer of network.layers) {
    if (layer.kind !== 'dense' && layer.kind !== 'conv2d') continue;
    for (const v of [...layer.weight, ...(layer.bias ?? [])]) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  }
  assert.deepEqual(plan.options.resolvedDistribution, { kind: 'uniform', low: min, high: max });
});

test('per-weight: number t of parameter p is sample(distribution, p·n + t) of stream approximate/per-weight', () => {
  const plan = planApproximation(smallConvNet(3), { ...base, chunkSize: 37 });
  const n = plan.options.sampleCount;
  const stream = new RandomStream(1, namedStream('approximate/per-weight'));
  const distribution: Distribution = plan.options.resolvedDistribution;
  for (let c = 0; c < plan.chunkCount; c++) {
    const batch = buildChunkBatch(plan, c);
    const start = c * 37;
    for (let i = 0; i < batch.targets.length; i++) {
      assert.equal(batch.targets[i], plan.targets[start + i]);
      assert.equal(batch.offsets[i], i * n);
      for (let t = 0; t < n; t++) assert.equal(batch.values[i * n + t], stream.sample(distribution, (start + i) * n + t));
    }
  }
  // every parameter gets its own numbers
  assert.notDeepEqual([...coefficientsOf(plan, 0)], [...coefficientsOf(plan, 1)]);
});

test('per-row: number t of row r is index r·n + t of stream approximate/per-row, shared along the row', () => {
  for (const distribution of ['target-range', 'uniform', 'product'] as const) {
    const plan = planApproximation(smallConvNet(4), { ...base, coefficients: 'per-row', distribution, chunkSize: 23 });
    const n = plan.options.sampleCount;
    const stream = new RandomStream(1, namedStream('approximate/per-row'));
    const values = new Float64Array(plan.parameterCount * n);
    for (let c = 0; c < plan.chunkCount; c++) values.set(buildChunkBatch(plan, c).values, c * 23 * n);
    for (let p = 0; p < plan.parameterCount; p++) {
      const row = rowOf(plan, p);
      for (let t = 0; t < n; t++) assert.equal(values[p * n + t], stream.sample(plan.options.resolvedDistribution, row * n + t), `p ${p} t ${t}`);
    }
    // all 18 entries of conv output channel 1 share row 1's numbers; the conv bias row differs from every weight row
    for (let p = 18; p < 36; p++) assert.deepEqual([...values.subarray(p * n, p * n + n)], [...values.subarray(18 * n, 19 * n)]);
    assert.notDeepEqual([...values.subarray(54 * n, 55 * n)], [...values.subarray(0, n)]);
    assert.notDeepEqual([...values.subarray(0, n)], [...values.subarray(18 * n, 19 * n)]);
  }
});

test('per-row and per-weight draw different numbers (different streams), except by accident never', () => {
  const perWeight = planApproximation(smallConvNet(5), base);
  const perRow = planApproximation(smallConvNet(5), { ...base, coefficients: 'per-row' });
  const a = coefficientsOf(perWeight, 0);
  const b = coefficientsOf(perRow, 0);
  for (let t = 0; t < a.length; t++) assert.notEqual(a[t], b[t]);
});

test('every approximated weight equals float32 of the recomputed subset sum of its recorded numbers', () => {
  for (const coefficients of ['per-weight', 'per-row'] as const) {
    for (const objective of ['closest', 'sparsest'] as const) {
      const target = smallConvNet(6);
      const result = approximateNetworkSync(target, { ...base, coefficients, objective }, bruteForce);
      const { plan, records, network } = result;
      let p = 0;
      for (const layer of network.layers) {
        if (layer.kind !== 'dense' && layer.kind !== 'conv2d') continue;
        for (const data of [layer.weight, layer.bias]) {
          if (data === null) continue;
          for (let j = 0; j < data.length; j++, p++) {
            const sum = recomputeSum(plan, records.masks, p);
            assert.equal(records.sums[p], sum);
            assert.equal(data[j], Math.fround(sum));
            assert.equal(records.errors[p], Math.abs(plan.targets[p]! - sum));
            let count = 0;
            for (let t = 0; t < plan.options.sampleCount; t++) if (maskBit(plan, records.masks, p, t)) count++;
            assert.equal(records.counts[p], count);
          }
        }
      }
      assert.equal(p, plan.parameterCount);
      // the target itself is untouched
      assert.deepEqual(target.layers[0], smallConvNet(6).layers[0]);
    }
  }
});

test('closest matches the brute-force least error; sparsest never uses more numbers when within ε', () => {
  const target = seedWeights(createNetwork('mlp:7-5-3', { bias: true }), 7);
  const closest = approximateNetworkSync(target, { ...base, sampleCount: 12, objective: 'closest' }, bruteForce);
  const sparsest = approximateNetworkSync(target, { ...base, sampleCount: 12, objective: 'sparsest' }, bruteForce);
  const plan = closest.plan;
  for (let p = 0; p < plan.parameterCount; p++) {
    const numbers = coefficientsOf(plan, p);
    let best = Infinity;
    for (let mask = 0; mask < 4096; mask++) {
      let sum = 0;
      for (let t = 0; t < 12; t++) if (mask & (1 << t)) sum += numbers[t]!;
      best = Math.min(best, Math.abs(plan.targets[p]! - sum));
    }
    assert.ok(Math.abs(closest.records.errors[p]! - best) <= 1e-15, `parameter ${p}: ${closest.records.errors[p]} vs brute force ${best}`);
    if (sparsest.records.errors[p]! <= 0.01) assert.ok(sparsest.records.counts[p]! <= closest.records.counts[p]!);
  }
  assert.ok(sparsest.summary.keptParams < closest.summary.keptParams);
});

test('results do not depend on the chunk size (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 400 }), fc.constantFrom('per-weight' as const, 'per-row' as const), fc.integer({ min: 0, max: 1000 }), (chunkSize, coefficients, seed) => {
      const target = smallConvNet(8);
      const a = approximateNetworkSync(target, { ...base, sampleCount: 8, coefficients, seed, chunkSize }, bruteForce);
      const b = approximateNetworkSync(target, { ...base, sampleCount: 8, coefficients, seed, chunkSize: 1000 }, bruteForce);
      assert.deepEqual(a.records, b.records);
    }),
    { numRuns: 25, seed: 20200607 },
  );
});

test('summary counts: drawn numbers per weight or per row, kept numbers with and without repeats', () => {
  const target = smallConvNet(9);
  const perWeight = approximateNetworkSync(target, base, bruteForce);
  const perRow = approximateNetworkSync(target, { ...base, coefficients: 'per-row' }, bruteForce);
  assert.equal(perWeight.summary.randomParams, 312 * 10);
  assert.equal(perRow.summary.randomParams, 12 * 10);
  assert.equal(perRow.summary.paperRandomParams, 312 * 10);
  assert.equal(perWeight.summary.distinctKeptParams, perWeight.summary.keptParams);
  let kept = 0;
  for (let p = 0; p < 312; p++) kept += perRow.records.counts[p]!;
  assert.equal(perRow.summary.keptParams, kept);
  assert.equal(perRow.summary.relativeKeptSize, kept / 312);
  assert.ok(perRow.summary.distinctKeptParams <= Math.min(kept, 12 * 10));
  // the distinct count is the union of masks along each row
  const plan = perRow.plan;
  let distinct = 0;
  for (let row = 0; row < plan.rowCount; row++) {
    for (let t = 0; t < 10; t++) {
      let used = false;
      for (let p = 0; p < plan.parameterCount; p++) if (rowOf(plan, p) === row && maskBit(plan, perRow.records.masks, p, t)) used = true;
      if (used) distinct++;
    }
  }
  assert.equal(perRow.summary.distinctKeptParams, distinct);
});

test('a weight no subset reaches is counted, listed and kept at its best approximation; the run goes on', () => {
  const target = seedWeights(createNetwork('mlp:4-3', { bias: false }), 10, 0.3);
  const layer = target.layers[0] as DenseLayer;
  layer.weight[5] = 40; // far above the sum of all positive numbers of U[-1,1] with n = 6
  const result = approximateNetworkSync(target, { ...base, sampleCount: 6, distribution: 'uniform' }, bruteForce);
  const numbers = coefficientsOf(result.plan, 5);
  const positive = [...numbers].filter((v) => v > 0).reduce((a, b) => a + b, 0);
  assert.ok(result.summary.weightsOutsideTolerance >= 1);
  const listed = outsideToleranceRecords(result.plan, result.records);
  const entry = listed.find((r) => r.parameter === 5)!;
  assert.deepEqual({ layer: entry.layer, tensor: entry.tensor, index: entry.index, target: entry.target }, { layer: 'fc1', tensor: 'weight', index: 5, target: 40 });
  assert.ok(Math.abs(entry.approximation - Math.fround(positive)) < 1e-6);
  assert.equal((result.network.layers[0] as DenseLayer).weight[5], entry.approximation);
  assert.equal(listed.length, result.summary.weightsOutsideTolerance);
  assert.ok(result.summary.maxWeightError > 30);
});

test('NaN weights and unsupported layers fail with a message naming the layer', () => {
  const target = smallConvNet(11);
  (target.layers[3] as DenseLayer).weight[7] = NaN;
  assert.throws(() => planApproximation(target, base), (error: unknown) => error instanceof InputError && /fc1\.weight has a non-finite value NaN at flat index 7/.test(error.message));
  const odd = smallConvNet(11);
  odd.layers.splice(1, 0, { kind: 'batchnorm' } as unknown as Network['layers'][number]);
  assert.throws(() => planApproximation(odd, base), (error: unknown) => error instanceof InputError && /layer 1 has kind 'batchnorm'/.test(error.message));
  assert.throws(() => planApproximation(smallConvNet(1), { ...base, sampleCount: 41 }), InputError);
  assert.throws(() => planApproximation(smallConvNet(1), { ...base, tolerance: 0 }), InputError);
  const flat = createNetwork('mlp:3-2', { bias: false }); // all zero: target-range is empty
  assert.throws(() => planApproximation(flat, base), /target-range/);
});
