// Tests of the Theorem 1 construction (src/theorem1/theorem1.ts, prune.ts, ticket.ts, certificate.ts) on tiny
// targets built in code: the sparse forward pass against the FULL dense random network with the mask applied
// (slow path, referenceForward), measured sup error ≤ certificate ≤ tolerance, the conv construction against an
// explicit dense unrolling, determinism across worker counts and batch sizes, and clear errors.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/errors.js';
import { UNIT_UNIFORM } from '../../src/core/random.js';
import { conv2dLayer, denseLayer } from '../../src/nn/architectures.js';
import type { Layer, Network } from '../../src/nn/network.js';
import { referenceForward } from '../../src/nn/referenceForward.js';
import { closeSolverPool } from '../../src/subsetsum/batch.js';
import { encodeTicket } from '../../src/io/ticketBytes.js';
import { pruneWithSolver, type PruneOptions } from '../../src/theorem1/prune.js';
import { spectralNormLowerBound, unrollConv } from '../../src/theorem1/spectral.js';
import { targetForward } from '../../src/theorem1/targetForward.js';
import { firstLayerIndex, layerStream, planTheorem1, randomWeight, secondLayerIndex } from '../../src/theorem1/theorem1.js';
import { materializeTicket, stageForward, ticketForward, type Ticket } from '../../src/theorem1/ticket.js';
import { augment, ballInputs, fullMaskedNetwork, maxRowDistance, syncSolver, tinyConvNet, tinyMlp, workerSolver, fillWeights } from './fixtures.js';

after(() => closeSolverPool());

const base = (overrides: Partial<PruneOptions>): PruneOptions => ({ tolerance: 0.1, seed: 3, targetSha256: 'test', objective: 'closest', ...overrides });

for (const [name, make, domain] of [
  ['4-6-3 MLP with biases', () => tinyMlp(), 'any'],
  ['conv net with biases', () => tinyConvNet(), 'nonnegative'],
] as const) {
  test(`${name}: sparse forward pass = full dense masked random network (slow path)`, async () => {
    const network = make();
    const { ticket } = await pruneWithSolver(network, base({ sampleCounts: 6, inputRadius: 2, inputDomain: domain, objective: 'sparsest' }), syncSolver);
    const count = 16;
    const size = network.inputShape.reduce((a, b) => a * b, 1);
    const x = ballInputs(7, count, size, 2, domain === 'nonnegative');
    const fast = ticketForward(materializeTicket(ticket), x, count);
    const slow = referenceForward(fullMaskedNetwork(ticket), augment(ticket, x, count), count);
    for (let i = 0; i < slow.length; i++) slow[i]! *= ticket.meta.outputScale;
    assert.ok(maxRowDistance(fast, slow, count) <= 1e-9 * (1 + maxRowDistance(slow, new Float64Array(slow.length), count)), `fast and slow paths differ by ${maxRowDistance(fast, slow, count)}`);
  });

  test(`${name}: measured sup error ≤ certificate ≤ tolerance when every instance succeeds`, async () => {
    const network = make();
    const tolerance = 0.1;
    const radius = 3;
    const { ticket, stages } = await pruneWithSolver(network, base({ tolerance, sampleCounts: 18, inputRadius: radius, inputDomain: domain }), syncSolver);
    const outside = stages.reduce((s, r) => s + r.outsideTolerance, 0);
    assert.equal(outside, 0, 'n = 18 with the closest objective solves every instance');
    const cert = ticket.meta.certificate;
    assert.ok(cert.normalisedBound <= tolerance, `certificate ${cert.normalisedBound} > ε ${tolerance}`);
    assert.ok(Math.abs(cert.realBound - cert.normalisedBound * ticket.meta.outputScale) <= 1e-12 * cert.realBound);
    const count = 3000;
    const size = network.inputShape.reduce((a, b) => a * b, 1);
    const x = ballInputs(11, count, size, radius, domain === 'nonnegative');
    const measured = maxRowDistance(targetForward(network, x, count), ticketForward(materializeTicket(ticket), x, count), count);
    assert.ok(measured > 0, 'a ticket is not exactly the target');
    assert.ok(measured <= cert.realBound, `measured ${measured} > certificate ${cert.realBound}`);
  });
}

test('targetForward (feature-major float64) agrees with referenceForward', () => {
  for (const network of [tinyMlp(), tinyConvNet()]) {
    const size = network.inputShape.reduce((a, b) => a * b, 1);
    const x = ballInputs(3, 10, size, 2, false);
    assert.ok(maxRowDistance(targetForward(network, x, 10), referenceForward(network, x, 10), 10) < 1e-12);
  }
});

test('conv construction against an explicit dense unrolling: stage output = unroll(Ŵ)·x, ‖unroll(Ŵ − Ã)‖ ≤ certified e_i', async () => {
  const network = tinyConvNet(5);
  const result = await pruneWithSolver(network, base({ sampleCounts: 8, inputRadius: 2, inputDomain: 'nonnegative', objective: 'sparsest' }), syncSolver);
  const m = materializeTicket(result.ticket);
  const stage = m.stages[0]!;
  const g = stage.geometry;
  const kk = g.kernelSize * g.kernelSize;
  // Collapse the kept edges: Ŵ[o, j, tap] = Σ v·u over edges (o, q, tap) with q reading input j.
  const effective = new Float64Array(g.outUnits * g.inUnits * kk);
  for (let o = 0; o < g.outUnits; o++) {
    for (let e = stage.edgeOffsets[o]!; e < stage.edgeOffsets[o + 1]!; e++) {
      const q = stage.edgeUnit[e]!;
      effective[(o * g.inUnits + stage.unitInput[q]!) * kk + stage.edgeTap[e]!]! += stage.edgeWeight[e]! * stage.unitWeight[q]!;
    }
  }
  const geometry = { outChannels: g.outUnits, inChannels: g.inUnits, kernelSize: g.kernelSize, padding: g.padding, inputHeight: g.inputHeight, inputWidth: g.inputWidth };
  const { matrix, rows, cols } = unrollConv(effective, geometry);
  // x ≥ 0 (first stage, non-negative domain): the pair is exactly linear.
  const batch = 5;
  const x = ballInputs(2, batch, cols, 1, true);
  const xFeatureMajor = new Float64Array(cols * batch);
  for (let b = 0; b < batch; b++) for (let f = 0; f < cols; f++) xFeatureMajor[f * batch + b] = x[b * cols + f]!;
  const y = stageForward(stage, { data: xFeatureMajor, shape: [g.inUnits, g.inputHeight, g.inputWidth] }, batch);
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += matrix[r * cols + c]! * x[b * cols + c]!;
      assert.ok(Math.abs(s - y.data[r * batch + b]!) <= 1e-12, `row ${r}: unrolled ${s}, sparse conv ${y.data[r * batch + b]}`);
    }
  }
  const plan = planTheorem1(network, { sampleCounts: 8, inputRadius: 2, inputDomain: 'nonnegative' });
  const error = Float64Array.from(effective, (v, i) => v - plan.stages[0]!.target[i]!);
  const unrolledError = unrollConv(error, geometry);
  const norm = spectralNormLowerBound(unrolledError.matrix, unrolledError.rows, unrolledError.cols, 2000);
  const certified = result.ticket.meta.certificate.stages[0]!.errorNormBound;
  assert.ok(norm <= certified, `unrolled error norm ${norm} > certified ${certified}`);
});

test('non-negative inputs need only the σ(x) branch; any-sign inputs need both', async () => {
  const network = tinyMlp(4);
  const any = await pruneWithSolver(network, base({ sampleCounts: 6, inputRadius: 1, inputDomain: 'any' }), syncSolver);
  const nonneg = await pruneWithSolver(network, base({ sampleCounts: 6, inputRadius: 1, inputDomain: 'nonnegative' }), syncSolver);
  const [a1, a2] = any.stages;
  const [n1, n2] = nonneg.stages;
  assert.equal(a1!.twoBranch, true);
  assert.equal(n1!.twoBranch, false);
  // Layer 1, any sign: two instances per non-zero entry except the exact constant column (5 entries: 6 biases + … see plan).
  assert.ok(a1!.instances > n1!.instances);
  assert.equal(n1!.instances, n1!.nonzeroEntries);
  assert.equal(n1!.instancesSavedNonnegative, n1!.nonzeroEntries);
  // Layer 2 reads a ReLU output: one branch in both.
  assert.equal(a2!.twoBranch, false);
  assert.equal(n2!.instances, a2!.instances);
});

test('tickets are bit-identical for 1 and 2 solver workers and for any batch size', async () => {
  const network = fillWeights({ inputShape: [12], layers: [denseLayer('fc1', 12, 10, true), { kind: 'relu' }, denseLayer('fc2', 10, 4, true)] }, 8);
  const options = base({ sampleCounts: 8, inputRadius: 1, inputDomain: 'any', objective: 'sparsest' });
  const one = await pruneWithSolver(network, options, workerSolver(1));
  const two = await pruneWithSolver(network, options, workerSolver(2));
  const small = await pruneWithSolver(network, { ...options, valuesPerBatch: 100 }, syncSolver);
  const bytes = (t: Ticket): Buffer => Buffer.concat(encodeTicket(t));
  assert.ok(bytes(one.ticket).equals(bytes(two.ticket)), '1 vs 2 workers');
  assert.ok(bytes(one.ticket).equals(bytes(small.ticket)), 'batch size');
});

test('random weights follow the documented (seed, layer, index) mapping', () => {
  const plan = planTheorem1(tinyMlp(), { sampleCounts: 4, inputRadius: 1 });
  const g = plan.stages[0]!;
  const s1 = layerStream(3, 1);
  // Unit r = t·inUnits + j of block j reads input j: index r·inUnits + j.
  assert.equal(firstLayerIndex(g, 2 * g.inUnits + 3), (2 * g.inUnits + 3) * g.inUnits + 3);
  assert.equal(secondLayerIndex(g, 1, 7, 0), 7 * g.outUnits + 1);
  assert.equal(randomWeight(s1, UNIT_UNIFORM, 5), Math.fround(s1.uniform(5, -1, 1)));
});

test('unsupported layers and inconsistent targets fail with an InputError naming the layer', () => {
  const bad = { inputShape: [4], layers: [denseLayer('fc1', 4, 3, false), { kind: 'softmax' } as unknown as Layer] };
  assert.throws(() => planTheorem1(bad, { sampleCounts: 4, inputRadius: 1 }), (e: unknown) => e instanceof InputError && /layer 1 has kind 'softmax'/.test(e.message));
  const wide = fillWeights({ inputShape: [1, 5, 5], layers: [conv2dLayer('c', 1, 1, 3, 2, true)] }, 1);
  assert.throws(() => planTheorem1(wide, { sampleCounts: 4, inputRadius: 1 }), (e: unknown) => e instanceof InputError && /padding 2/.test(e.message));
  const mismatch = { inputShape: [5], layers: [denseLayer('fc1', 4, 3, false)] };
  assert.throws(() => planTheorem1(mismatch, { sampleCounts: 4, inputRadius: 1 }), InputError);
  assert.throws(() => planTheorem1(tinyMlp(), { sampleCounts: 4 }), (e: unknown) => e instanceof InputError && /^inputRadius:/.test(e.message));
});
