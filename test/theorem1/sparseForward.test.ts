// The WebAssembly float64 kernels of verification against plain sequential loops written here, bit for bit:
// random dense ticket stages and target layers, batches that are not multiples of 8 (the kernels pad to 8),
// sparse, negative and NaN inputs, zero weights and −0 biases; and independence from the rest of the batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RandomStream } from '../../src/core/random.js';
import { denseLayer } from '../../src/nn/architectures.js';
import { denseStageForward, prepareDenseLayer } from '../../src/theorem1/sparseForward.js';
import type { StageGeometry } from '../../src/theorem1/theorem1.js';
import type { MaterializedStage } from '../../src/theorem1/sparseForward.js';

/** Feature-major inputs: zeros, negatives, a few NaN, the rest uniform in [−2, 2]. */
function featureMajor(s: RandomStream, features: number, batch: number, zeroFraction: number, withNaN: boolean): Float64Array {
  const x = new Float64Array(features * batch);
  for (let i = 0; i < x.length; i++) {
    const u = s.uniform01(2 * i);
    x[i] = u < zeroFraction ? 0 : withNaN && u > 0.97 ? NaN : s.uniform(2 * i + 1, -2, 2);
  }
  return x;
}

/** A random dense stage: `units` kept hidden units over `inUnits` inputs, CSR edges ascending per output. */
function randomStage(s: RandomStream, inUnits: number, units: number, outUnits: number, edgeFraction: number): MaterializedStage {
  const geometry: StageGeometry = {
    kind: 'dense', name: 'fc', inUnits, outUnits, realInUnits: inUnits, realOutUnits: outUnits, kernelSize: 1, padding: 0,
    inputHeight: 1, inputWidth: 1, outputHeight: 1, outputWidth: 1, sampleCount: 1, twoBranch: false, after: [],
  };
  const unitInput = new Int32Array(units);
  const unitWeight = new Float32Array(units);
  let k = 10_000;
  for (let q = 0; q < units; q++) {
    unitInput[q] = Math.floor(s.uniform01(k++) * inUnits);
    unitWeight[q] = s.uniform(k++, -1, 1);
  }
  const offsets = [0];
  const edgeUnit: number[] = [];
  const edgeWeight: number[] = [];
  for (let o = 0; o < outUnits; o++) {
    for (let q = 0; q < units; q++) {
      if (s.uniform01(k++) < edgeFraction) {
        edgeUnit.push(q);
        edgeWeight.push(Math.fround(s.uniform(k++, -1, 1)));
      }
    }
    offsets.push(edgeUnit.length);
  }
  return {
    geometry, units: Int32Array.from(unitInput.keys()), unitInput, unitWeight, edgeOffsets: Int32Array.from(offsets),
    edgeUnit: Int32Array.from(edgeUnit), edgeTap: new Int32Array(edgeUnit.length), edgeWeight: Float32Array.from(edgeWeight),
  };
}

/** The stage as plain loops: h_q = u_q·x_j if > 0 else 0 (NaN ↦ 0), out_o = 0 + Σ_e w_e·h_q in CSR order. */
function plainStage(stage: MaterializedStage, x: Float64Array, batch: number): Float64Array {
  const out = new Float64Array(stage.geometry.outUnits * batch);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < stage.geometry.outUnits; o++) {
      let sum = 0;
      for (let e = stage.edgeOffsets[o]!; e < stage.edgeOffsets[o + 1]!; e++) {
        const q = stage.edgeUnit[e]!;
        const v = stage.unitWeight[q]! * x[stage.unitInput[q]! * batch + b]!;
        sum += stage.edgeWeight[e]! * (v > 0 ? v : 0);
      }
      out[o * batch + b] = sum;
    }
  }
  return out;
}

const sameBits = (a: Float64Array, b: Float64Array): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

test('denseStageForward equals the plain sequential sums bit for bit (odd batches, sparse, negative and NaN inputs)', () => {
  fc.assert(
    fc.property(
      fc.record({
        seed: fc.integer({ min: 0, max: 1_000_000 }),
        inUnits: fc.integer({ min: 1, max: 12 }),
        units: fc.integer({ min: 1, max: 40 }),
        outUnits: fc.integer({ min: 1, max: 9 }),
        batch: fc.integer({ min: 1, max: 27 }),
        edgeFraction: fc.constantFrom(0, 0.2, 0.7, 1),
        zeroFraction: fc.constantFrom(0, 0.6, 0.95),
        withNaN: fc.boolean(),
      }),
      (c) => {
        const s = new RandomStream(c.seed, 31);
        const stage = randomStage(s, c.inUnits, c.units, c.outUnits, c.edgeFraction);
        const x = featureMajor(s, c.inUnits, c.batch, c.zeroFraction, c.withNaN);
        return sameBits(denseStageForward(stage, x, c.batch), plainStage(stage, x, c.batch));
      },
    ),
    { seed: 7101, numRuns: 300 },
  );
});

test('prepareDenseLayer equals bias + Σ_j w_j·x_j in input order bit for bit (zero weights, −0 and absent biases)', () => {
  fc.assert(
    fc.property(
      fc.record({
        seed: fc.integer({ min: 0, max: 1_000_000 }),
        n: fc.integer({ min: 1, max: 30 }),
        m: fc.integer({ min: 1, max: 12 }),
        batch: fc.integer({ min: 1, max: 21 }),
        bias: fc.constantFrom('none', 'random', 'negativeZero'),
        weightZeros: fc.constantFrom(0, 0.5, 1),
        zeroFraction: fc.constantFrom(0, 0.8),
      }),
      (c) => {
        const s = new RandomStream(c.seed, 32);
        const layer = denseLayer('fc', c.n, c.m, c.bias !== 'none');
        for (let i = 0; i < layer.weight.length; i++) layer.weight[i] = s.uniform01(2 * i) < c.weightZeros ? 0 : s.uniform(2 * i + 1, -1, 1);
        if (layer.bias) for (let o = 0; o < c.m; o++) layer.bias[o] = c.bias === 'negativeZero' ? -0 : s.uniform(99_000 + o, -1, 1);
        const x = featureMajor(s, c.n, c.batch, c.zeroFraction, false);
        const expected = new Float64Array(c.m * c.batch);
        for (let o = 0; o < c.m; o++) {
          for (let b = 0; b < c.batch; b++) {
            let sum = layer.bias && layer.bias[o] !== 0 ? layer.bias[o]! : 0;
            for (let j = 0; j < c.n; j++) {
              const w = layer.weight[o * c.n + j]!;
              if (w !== 0) sum += w * x[j * c.batch + b]!;
            }
            expected[o * c.batch + b] = sum;
          }
        }
        return sameBits(prepareDenseLayer(layer)(x, c.batch), expected);
      },
    ),
    { seed: 7102, numRuns: 300 },
  );
});

test('a sample computes the same alone as inside a batch (skipped dead units are exact zeros; several passes)', () => {
  const s = new RandomStream(5, 33);
  const stage = randomStage(s, 20, 60, 7, 0.5);
  const batch = 531; // three passes of at most 256 samples, the last one padded
  assert.ok(sameBits(denseStageForward(stage, featureMajor(new RandomStream(6, 33), 20, batch, 0.8, false), batch), plainStage(stage, featureMajor(new RandomStream(6, 33), 20, batch, 0.8, false), batch)));
  const x = featureMajor(s, 20, batch, 0.8, false);
  const whole = denseStageForward(stage, x, batch);
  for (const b of [0, 7, 8, 255, 256, 530]) {
    const alone = new Float64Array(20);
    for (let f = 0; f < 20; f++) alone[f] = x[f * batch + b]!;
    const single = denseStageForward(stage, alone, 1);
    for (let o = 0; o < 7; o++) assert.ok(Object.is(single[o], whole[o * batch + b]), `sample ${b}, output ${o}`);
  }
});
