// The depth-(l+1) construction (src/theorem1/lPlusOne.ts) on tiny targets built in code: the ticket's sparse
// forward pass against the FULL random network of depth l+1 drawn weight by weight from its streams with the mask
// applied (slow path); measured error ≤ certificate on ball points and after verify's adversarial search; the ε
// search meets ε; the last layer is pruned from random weights (changing the target's last layer changes the
// ticket and the ticket follows it); the bound m_i on the kept random matrix is above its true norm; the exported
// ONNX (compact and dense) runs in onnxruntime with our logits; the ticket file round-trips and refuses
// inconsistent copy fields; targets with a layer reading signed inputs are refused.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { InputError } from '../../src/core/errors.js';
import { conv2dLayer, denseLayer } from '../../src/nn/architectures.js';
import type { Layer, Network } from '../../src/nn/network.js';
import { referenceForward } from '../../src/nn/referenceForward.js';
import { closeSolverPool } from '../../src/subsetsum/batch.js';
import { decodeTicket, encodeTicket } from '../../src/io/ticketBytes.js';
import { onnxBytesFromNetwork } from '../../src/io/onnx.js';
import { concatChunks } from '../../src/io/safetensors.js';
import { onnxBytesFromTicket } from '../../src/io/ticketOnnx.js';
import { createEvaluator } from '../../src/theorem1/evaluator.js';
import { composeCopyErrorBounds, keptMatrixNormBound, pruneLPlusOne } from '../../src/theorem1/lPlusOne.js';
import type { PruneOptions } from '../../src/theorem1/prune.js';
import { spectralNormLowerBound, unrollConv } from '../../src/theorem1/spectral.js';
import { targetForward } from '../../src/theorem1/targetForward.js';
import { layerStream, randomDepth, randomWeight } from '../../src/theorem1/theorem1.js';
import { materializeTicket, ticketForward, type Ticket } from '../../src/theorem1/ticket.js';
import { ticketToNetwork } from '../../src/theorem1/toNetwork.js';
import { verifyTicket } from '../../src/theorem1/verify.js';
import { augment, ballInputs, fillWeights, fullMaskedNetwork, maxRowDistance, syncSolver, tinyConvNet, tinyMlp } from './fixtures.js';

after(() => closeSolverPool());

const base = (overrides: Partial<PruneOptions>): PruneOptions => ({ tolerance: 0.2, seed: 3, targetSha256: 'test', ...overrides });

const cases = [
  ['4-6-3 MLP with biases', () => tinyMlp(), 'any', 2],
  ['conv net with biases', () => tinyConvNet(), 'nonnegative', 3],
] as const;

for (const [name, make, domain, layers] of cases) {
  test(`l+1, ${name}: depth l+1, sparse forward = full random network of depth l+1 with the mask (slow path)`, async () => {
    const network = make();
    const { ticket } = await pruneLPlusOne(network, base({ sampleCounts: 6, inputRadius: 2, inputDomain: domain }), syncSolver);
    assert.equal(ticket.meta.construction, 'burkholz2022-depth-l+1');
    assert.equal(randomDepth(ticket.meta.stages), layers + 1);
    const full = fullMaskedNetwork(ticket);
    assert.equal(full.layers.filter((l) => l.kind === 'dense' || l.kind === 'conv2d').length, layers + 1);
    // n copies: every stage but the last has 6 copies of each output; the later stages read 6 copies of each input.
    ticket.meta.stages.forEach((g, s) => {
      assert.equal(g.outputCopies, s === layers - 1 ? 1 : 6);
      assert.equal(g.inputCopies, s === 0 ? undefined : 6);
    });
    const count = 16;
    const size = network.inputShape.reduce((a, b) => a * b, 1);
    const x = ballInputs(7, count, size, 2, domain === 'nonnegative');
    const fast = ticketForward(materializeTicket(ticket), x, count);
    const slow = referenceForward(full, augment(ticket, x, count), count);
    for (let i = 0; i < slow.length; i++) slow[i]! *= ticket.meta.outputScale;
    assert.ok(maxRowDistance(fast, slow, count) <= 1e-9 * (1 + maxRowDistance(slow, new Float64Array(slow.length), count)), `fast and slow paths differ by ${maxRowDistance(fast, slow, count)}`);
  });

  test(`l+1, ${name}: the ε search meets ε; measured error (ball, adversarial search) ≤ certificate`, async () => {
    const network = make();
    const tolerance = 0.1;
    const radius = 3;
    const { ticket } = await pruneLPlusOne(network, base({ tolerance, inputRadius: radius, inputDomain: domain, objective: 'closest' }), syncSolver);
    const cert = ticket.meta.certificate;
    assert.equal(cert.method, 'composed-copies-bound');
    assert.ok(cert.normalisedBound <= tolerance, `certificate ${cert.normalisedBound} > ε ${tolerance}`);
    // The stored bound is the composition of the stored stage bounds.
    const recomposed = composeCopyErrorBounds(cert.stages.map((s) => s.errorNormBound), cert.stages.map((s) => s.edgeNormBound ?? 0));
    assert.ok(Math.abs(recomposed - cert.normalisedBound) <= 1e-12 * cert.normalisedBound);
    const count = 3000;
    const size = network.inputShape.reduce((a, b) => a * b, 1);
    const x = ballInputs(11, count, size, radius, domain === 'nonnegative');
    const measured = maxRowDistance(targetForward(network, x, count), ticketForward(materializeTicket(ticket), x, count), count);
    assert.ok(measured > 0 && measured <= cert.realBound, `measured ${measured} vs certificate ${cert.realBound}`);
    const report = await verifyTicket(network, ticket, null, createEvaluator(network, ticket, 1), { randomPoints: 1000, adversarialEvaluations: 1500 });
    assert.equal(report.depth, layers + 1);
    assert.equal(report.construction, 'l+1');
    assert.ok(report.withinCertificate, `verify measured ${report.maxOutputError} > ${report.certifiedBound}`);
  });

  test(`l+1, ${name}: m_i bounds the norm of the kept random matrix`, async () => {
    const network = make();
    const outcome = await pruneLPlusOne(network, base({ sampleCounts: 5, inputRadius: 2, inputDomain: domain }), syncSolver);
    const m = materializeTicket(outcome.ticket);
    for (let s = 1; s < m.stages.length; s++) {
      const stage = m.stages[s]!;
      const g = stage.geometry;
      const kk = g.kernelSize * g.kernelSize;
      const kernel = new Float64Array(g.outUnits * g.inUnits * kk);
      for (let o = 0; o < g.outUnits; o++) {
        for (let e = stage.edgeOffsets[o]!; e < stage.edgeOffsets[o + 1]!; e++) kernel[(o * g.inUnits + stage.units[stage.edgeUnit[e]!]!) * kk + stage.edgeTap[e]!] = stage.edgeWeight[e]!;
      }
      const matrix = g.kind === 'dense' ? { matrix: kernel, rows: g.outUnits, cols: g.inUnits } : unrollConv(kernel, { outChannels: g.outUnits, inChannels: g.inUnits, kernelSize: g.kernelSize, padding: g.padding, inputHeight: g.inputHeight, inputWidth: g.inputWidth });
      const lower = spectralNormLowerBound(matrix.matrix, matrix.rows, matrix.cols, 500);
      const bound = keptMatrixNormBound(outcome.plan.stages[s]!, s + 1, outcome.ticket.masks[s]!, 3, undefined);
      assert.ok(lower > 0 && bound >= lower, `stage ${s + 1}: bound ${bound} < norm ≥ ${lower}`);
      assert.equal(outcome.ticket.meta.certificate.stages[s]!.edgeNormBound, bound);
    }
  });

  test(`l+1, ${name}: exported ONNX (compact and dense) runs in onnxruntime with our logits`, async () => {
    const network = make();
    const { ticket } = await pruneLPlusOne(network, base({ sampleCounts: 8, inputRadius: 2, inputDomain: domain }), syncSolver);
    const m = materializeTicket(ticket);
    const count = 20;
    const size = network.inputShape.reduce((a, b) => a * b, 1);
    const x = Float64Array.from(Float32Array.from(ballInputs(5, count, size, 2, domain === 'nonnegative')));
    const ours = ticketForward(m, x, count);
    let scale = 0;
    for (const v of ours) scale = Math.max(scale, Math.abs(v));
    const dense = ticketToNetwork(m, { form: 'real' });
    assert.equal(dense.layers.filter((l) => l.kind === 'dense' || l.kind === 'conv2d').length, layers + 1, 'the exported network has depth l+1');
    for (const bytes of [onnxBytesFromTicket(m), onnxBytesFromNetwork(dense)]) {
      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
      const result = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x), [count, ...network.inputShape]) });
      await session.release();
      const theirs = result['logits']!.data as Float32Array;
      for (let i = 0; i < ours.length; i++) assert.ok(Math.abs(theirs[i]! - ours[i]!) <= 1e-4 * (1 + scale), `output ${i}: onnxruntime ${theirs[i]}, ours ${ours[i]}`);
    }
  });
}

test('l+1: the last layer is pruned from random weights, not copied — a different last layer gives a different ticket that follows it', async () => {
  const network = tinyMlp(4);
  const changed = tinyMlp(4);
  const last = changed.layers[2] as { weight: Float32Array };
  for (let i = 0; i < last.weight.length; i++) last.weight[i] = -last.weight[i]! * 0.7;
  const options = base({ tolerance: 0.1, sampleCounts: 14, inputRadius: 2, inputDomain: 'any', objective: 'closest' });
  const a = await pruneLPlusOne(network, options, syncSolver);
  const b = await pruneLPlusOne(changed, options, syncSolver);
  const lastA = a.ticket.masks[1]!;
  const lastB = b.ticket.masks[1]!;
  assert.notDeepEqual(Array.from(lastB.edgeKeys), Array.from(lastA.edgeKeys), 'the last stage\'s kept edges follow the target');
  // The ticket's last layer holds random weights only: every kept weight is a draw of layer stream 3.
  const stream = layerStream(3, 3);
  const g = b.ticket.meta.stages[1]!;
  const mb = materializeTicket(b.ticket).stages[1]!;
  for (let o = 0; o < g.outUnits; o++) {
    for (let e = lastB.edgeOffsets[o]!; e < lastB.edgeOffsets[o + 1]!; e++) assert.equal(mb.edgeWeight[e], randomWeight(stream, b.ticket.meta.distribution, lastB.edgeKeys[e]! * g.outUnits + o));
  }
  const x = ballInputs(2, 500, 4, 2, false);
  const measured = maxRowDistance(targetForward(changed, x, 500), ticketForward(materializeTicket(b.ticket), x, 500), 500);
  assert.ok(measured <= b.ticket.meta.certificate.realBound, `${measured} > ${b.ticket.meta.certificate.realBound}`);
  const stale = maxRowDistance(targetForward(changed, x, 500), ticketForward(materializeTicket(a.ticket), x, 500), 500);
  assert.ok(stale > 3 * measured, `the first ticket does not approximate the changed target (${stale} vs ${measured})`);
});

test('l+1: the ticket file round-trips and a ticket with inconsistent copy fields is refused', async () => {
  const { ticket } = await pruneLPlusOne(tinyMlp(), base({ sampleCounts: 6, inputRadius: 2, inputDomain: 'any', targetSha256: 'ab'.repeat(32) }), syncSolver);
  const decoded = decodeTicket(concatChunks(encodeTicket(ticket)), 'l1.ticket');
  assert.deepEqual(decoded.meta, ticket.meta);
  const x = ballInputs(1, 10, 4, 2, false);
  assert.deepEqual(ticketForward(materializeTicket(decoded), x, 10), ticketForward(materializeTicket(ticket), x, 10));
  for (const [field, value] of [['inputCopies', 5], ['outputCopies', 2], ['edgeLayer', 2]] as const) {
    const bad: Ticket = { ...ticket, meta: { ...ticket.meta, stages: ticket.meta.stages.map((g, s) => (s === 1 ? { ...g, [field]: value } : g)) } };
    assert.throws(() => decodeTicket(concatChunks(encodeTicket(bad)), 'bad.ticket'), (e: unknown) => e instanceof InputError && e.message.startsWith('bad.ticket') && e.message.includes(field), field);
  }
  const twoL: Ticket = { ...ticket, meta: { ...ticket.meta, construction: 'pensia2020-theorem1' } };
  assert.throws(() => decodeTicket(concatChunks(encodeTicket(twoL)), 'mixed.ticket'), /does not belong to a pensia2020-theorem1 ticket/);
});

test('l+1: layers reading signed inputs (no ReLU before them) are approximated too: measured ≤ certified, slow path equal', async () => {
  const linear = fillWeights({ inputShape: [4], layers: [denseLayer('fc1', 4, 5, true), denseLayer('fc2', 5, 3, true)] }, 8);
  const conv = fillWeights({
    inputShape: [1, 6, 6],
    layers: [conv2dLayer('conv1', 1, 2, 3, 1, true), { kind: 'maxpool2d', size: 2 }, conv2dLayer('conv2', 2, 2, 2, 0, true), { kind: 'flatten' }, denseLayer('fc', 8, 3, true)],
  }, 9);
  for (const network of [linear, conv]) {
    const { ticket } = await pruneLPlusOne(network, base({ tolerance: 0.1, inputRadius: 2, inputDomain: 'any', objective: 'closest' }), syncSolver);
    assert.ok(ticket.meta.stages.slice(1).every((g) => g.inputCopies !== undefined && !g.twoBranch));
    const size = network.inputShape.reduce((a, b) => a * b, 1);
    const x = ballInputs(4, 2000, size, 2, false);
    const g = ticketForward(materializeTicket(ticket), x, 2000);
    const measured = maxRowDistance(targetForward(network, x, 2000), g, 2000);
    assert.ok(measured > 0 && measured <= ticket.meta.certificate.realBound, `measured ${measured} vs ${ticket.meta.certificate.realBound}`);
    // The later stages read negative copies as they are: the full random network (no ReLU there) agrees.
    const slow = referenceForward(fullMaskedNetwork(ticket), augment(ticket, x.subarray(0, 16 * size), 16), 16);
    for (let i = 0; i < slow.length; i++) slow[i]! *= ticket.meta.outputScale;
    assert.ok(maxRowDistance(g.subarray(0, slow.length), slow, 16) <= 1e-9 * (1 + maxRowDistance(slow, new Float64Array(slow.length), 16)));
  }
  await assert.rejects(pruneLPlusOne(tinyMlp(), base({ failureProbability: 0.01, inputRadius: 2 }), syncSolver), /failureProbability/);
});
