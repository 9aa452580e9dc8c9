// coverageGrowth (one pass, every prefix) against coverage() of each prefix on its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coverageGrowth, CoverageGrowthWorkspace } from '../../src/subsetsum/coverageGrowth.js';
import { coverage } from '../../src/subsetsum/coverage.js';
import { RandomStream, distributionByName } from '../../src/core/random.js';

test('the coverage of every prefix from one pass equals coverage() of that prefix', () => {
  const stream = new RandomStream(21, 5);
  const workspace = new CoverageGrowthWorkspace();
  const names = ['uniform', 'product', 'normal', 'log-uniform'];
  for (let trial = 0; trial < 24; trial++) {
    const distribution = distributionByName(names[trial % 4]!)!;
    const n = 10 + (trial % 15);
    const samples = new Float64Array(n);
    stream.fill(distribution, trial * 40, samples);
    const tolerance = [0.03, 0.01, 0.001][trial % 3]!;
    const interval = trial % 5 === 0 ? { low: -0.5, high: 1.5 } : { low: -1, high: 1 };
    const growth = coverageGrowth(samples, tolerance, interval, workspace);
    assert.equal(growth.coveredMeasure.length, n + 1);
    for (let k = 0; k <= n; k++) {
      const alone = coverage(samples.subarray(0, k), tolerance, interval);
      assert.ok(Math.abs(growth.coveredMeasure[k]! - alone.coveredMeasure) <= 1e-12, `trial ${trial} k=${k}`);
      assert.ok(Math.abs(growth.coveredFraction[k]! - alone.coveredFraction) <= 1e-12);
      assert.equal(growth.allCovered[k] === 1, alone.allCovered, `trial ${trial} k=${k}`);
      if (k > 0) assert.ok(growth.coveredMeasure[k]! >= growth.coveredMeasure[k - 1]! - 1e-12, 'monotone in n');
    }
  }
});

test('prefix 0 is the neighbourhood [-ε, ε] of the empty sum', () => {
  const growth = coverageGrowth([0.7, -0.2], 0.1);
  assert.ok(Math.abs(growth.coveredMeasure[0]! - 0.2) <= 1e-15);
  assert.ok(Math.abs(growth.coveredMeasure[1]! - 0.4) <= 1e-15);
  assert.ok(Math.abs(growth.coveredMeasure[2]! - 0.8) <= 1e-15);
  assert.equal(growth.allCovered[2], 0);
});
