// The HiGHS MIP baseline agrees with the exact solver within its gaps on small instances, reports
// infeasibility as a result, and writes the model in the CPLEX LP format HiGHS reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mip, mipModelText } from '../../src/subsetsum/mip.js';
import { closest } from '../../src/subsetsum/closest.js';
import { RandomStream } from '../../src/core/random.js';

test('the LP text has the paper model: two rows, 0 ≤ t ≤ ε, binary x', () => {
  const text = mipModelText([0.3, -0.2], 0.5, 0.01);
  assert.match(text, /^Minimize\n obj: t\nSubject To\n/);
  assert.match(text, / under: \+ 0\.3 x0 - 0\.2 x1 \+ t >= 0\.5\n/);
  assert.match(text, / over: \+ 0\.3 x0 - 0\.2 x1 - t <= 0\.5\n/);
  assert.match(text, /Bounds\n 0 <= t <= 0\.01\nBinary\n x0 x1\nEnd\n$/);
});

test('mip agrees with closest within its gap (1 % relative, 1e-6 absolute) on 20 small instances', async () => {
  const stream = new RandomStream(2020, 5);
  let index = 0;
  let infeasible = 0;
  for (let trial = 0; trial < 20; trial++) {
    const n = 4 + (trial % 4);
    const values = Array.from({ length: n }, () => stream.uniform(index++, -0.4642, 0.5407));
    const target = stream.uniform(index++, -0.4642, 0.5407) * (trial % 4 === 3 ? 8 : 1);
    const instance = { values, target, tolerance: 0.01 };
    const exact = closest(instance);
    const result = await mip(instance);
    let sum = 0;
    for (const i of result.indices) sum += values[i]!;
    assert.equal(result.sum, sum);
    if (exact.withinTolerance) {
      assert.equal(result.status, 'Optimal', `trial ${trial}`);
      assert.equal(result.withinTolerance, true);
      // HiGHS stops when (incumbent − bound) ≤ max(1 % · incumbent, 1e-6); its x may be off integrality by 1e-6.
      const allowed = Math.max(exact.error / (1 - 0.01), exact.error + 1e-6) + 1e-6;
      assert.ok(result.error <= allowed, `trial ${trial}: mip ${result.error} vs exact ${exact.error}`);
    } else {
      infeasible++;
      assert.equal(result.status, 'Infeasible', `trial ${trial}`);
      assert.equal(result.withinTolerance, false);
      assert.deepEqual(result.indices, []);
    }
  }
  assert.ok(infeasible > 0 && infeasible < 20);
});
