// The box certificate (src/theorem1/boxCertificate.ts) tries to be broken: on several tiny tickets (dense and conv
// with max-pool, biases or not, one- or two-branch inputs, few samples so that errors are large), the largest
// ‖f(x) − g(x)‖ found over random box points, every corner of the box and a hill-climb over the corners never
// exceeds it; a ticket with half of its first-layer edges removed gets a larger certificate that still holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomStream } from '../../src/core/random.js';
import { denseLayer } from '../../src/nn/architectures.js';
import type { Network } from '../../src/nn/network.js';
import { boxCertificate, type InputBox } from '../../src/theorem1/boxCertificate.js';
import { pruneWithSolver } from '../../src/theorem1/prune.js';
import { targetForward } from '../../src/theorem1/targetForward.js';
import { materializeTicket, ticketForward, type MaterializedTicket } from '../../src/theorem1/ticket.js';
import { fillWeights, syncSolver, tinyConvNet, tinyMlp } from './fixtures.js';

function deepMlp(seed: number): Network {
  return fillWeights({ inputShape: [5], layers: [denseLayer('fc1', 5, 7, true), { kind: 'relu' }, denseLayer('fc2', 7, 6, true), { kind: 'relu' }, denseLayer('fc3', 6, 3, true)] }, seed);
}

/** max ‖f(x) − g(x)‖ over random points, all corners, and a hill-climb from the best corners. */
function largestError(target: Network, ticket: MaterializedTicket, box: InputBox, seed: number): number {
  const d = target.inputShape.reduce((a, b) => a * b, 1);
  const out = ticket.meta.outputShape.reduce((a, b) => a * b, 1);
  const error = (x: Float64Array, count: number): Float64Array => {
    const f = targetForward(target, x, count);
    const g = ticketForward(ticket, x, count);
    const e = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      let s = 0;
      for (let k = 0; k < out; k++) s += (f[i * out + k]! - g[i * out + k]!) ** 2;
      e[i] = Math.sqrt(s);
    }
    return e;
  };
  const stream = new RandomStream(seed, 77);
  const count = 3000;
  const random = new Float64Array(count * d);
  for (let i = 0; i < random.length; i++) random[i] = stream.uniform(i, box.low, box.high);
  let best = Math.max(...error(random, count));
  // Every corner of a small box; 4,000 random corners of a larger one (images).
  const corners = d <= 12 ? 1 << d : 4000;
  const cornerPoints = new Float64Array(corners * d);
  for (let c = 0; c < corners; c++) {
    for (let j = 0; j < d; j++) cornerPoints[c * d + j] = (d <= 12 ? (c >> j) & 1 : stream.uniform(1e6 + c * d + j, 0, 1) < 0.5) ? box.high : box.low;
  }
  const cornerErrors = error(cornerPoints, corners);
  best = Math.max(best, ...cornerErrors);
  // Hill-climb: from each corner (the 16 worst of a large box) move one coordinate at a time in steps of
  // (high − low)/8 while the error grows.
  const starts = [...cornerErrors.keys()].sort((a, b) => cornerErrors[b]! - cornerErrors[a]!).slice(0, d <= 12 ? corners : 16);
  for (const c of starts) {
    const x = cornerPoints.slice(c * d, (c + 1) * d);
    let current = cornerErrors[c]!;
    for (let round = 0; round < 20; round++) {
      let improved = false;
      for (let j = 0; j < d; j++) {
        for (const step of [-1, 1]) {
          const y = x.slice();
          y[j] = Math.min(box.high, Math.max(box.low, y[j]! + (step * (box.high - box.low)) / 8));
          const e = error(y, 1)[0]!;
          if (e > current) {
            current = e;
            x.set(y);
            improved = true;
          }
        }
      }
      if (!improved) break;
    }
    best = Math.max(best, current);
  }
  return best;
}

/** The ticket with every other first-stage edge removed (a corrupted mask). */
function dropEdges(ticket: MaterializedTicket): MaterializedTicket {
  const s = ticket.stages[0]!;
  const keep: number[] = [];
  const offsets = new Int32Array(s.edgeOffsets.length);
  for (let o = 0; o + 1 < s.edgeOffsets.length; o++) {
    for (let e = s.edgeOffsets[o]!; e < s.edgeOffsets[o + 1]!; e++) if (e % 2 === 0) keep.push(e);
    offsets[o + 1] = keep.length;
  }
  const ints = (a: Int32Array): Int32Array => Int32Array.from(keep.map((e) => a[e]!));
  const edgeWeight = Float32Array.from(keep.map((e) => s.edgeWeight[e]!));
  return { meta: ticket.meta, stages: [{ ...s, edgeOffsets: offsets, edgeUnit: ints(s.edgeUnit), edgeTap: ints(s.edgeTap), edgeWeight }, ...ticket.stages.slice(1)] };
}

const cases: Array<{ name: string; network: Network; domain: 'any' | 'nonnegative'; box: InputBox; samples: number }> = [
  { name: '4-6-3 with biases, any input, box [−1, 1]', network: tinyMlp(3), domain: 'any', box: { low: -1, high: 1 }, samples: 4 },
  { name: '4-6-3 without biases, nonnegative, box [0, 1]', network: tinyMlp(4, false), domain: 'nonnegative', box: { low: 0, high: 1 }, samples: 5 },
  { name: '5-7-6-3 with biases, any input, box [−0.5, 2]', network: deepMlp(6), domain: 'any', box: { low: -0.5, high: 2 }, samples: 6 },
  { name: '5-7-6-3, nonnegative domain, box [0, 3]', network: deepMlp(7), domain: 'nonnegative', box: { low: 0, high: 3 }, samples: 8 },
  { name: 'conv 3×3 pad 1, max-pool, conv 2×2, dense, with biases, any input, box [−1, 1]', network: tinyConvNet(2), domain: 'any', box: { low: -1, high: 1 }, samples: 5 },
  { name: 'the same conv net without biases, nonnegative, box [0, 1]', network: tinyConvNet(5, false), domain: 'nonnegative', box: { low: 0, high: 1 }, samples: 6 },
];

for (const { name, network, domain, box, samples } of cases) {
  test(`box certificate holds: ${name}`, async () => {
    const radius = Math.sqrt(network.inputShape.reduce((a, b) => a * b, 1)) * Math.max(Math.abs(box.low), Math.abs(box.high));
    const { ticket } = await pruneWithSolver(network, { tolerance: 0.3, seed: 11, targetSha256: 't', sampleCounts: samples, inputDomain: domain, inputRadius: radius }, syncSolver);
    const m = materializeTicket(ticket);
    const certificate = boxCertificate(network, m, box)!;
    const measured = largestError(network, m, box, 1);
    assert.ok(measured <= certificate.bound, `measured ${measured} > box certificate ${certificate.bound}`);
    assert.ok(Number.isFinite(certificate.bound) && certificate.bound > 0);
    // The ball certificate covers a larger set, in general much more loosely: the box one is no larger here.
    assert.ok(certificate.bound <= ticket.meta.certificate.realBound * 1.000001, `box ${certificate.bound} vs ball ${ticket.meta.certificate.realBound}`);
    // A corrupted mask: the certificate of a good ticket (n = 12) grows when half its first-layer edges are dropped,
    // and still holds for the corrupted network.
    const good = materializeTicket((await pruneWithSolver(network, { tolerance: 0.3, seed: 11, targetSha256: 't', sampleCounts: 12, inputDomain: domain, inputRadius: radius }, syncSolver)).ticket);
    const goodBound = boxCertificate(network, good, box)!.bound;
    const corrupted = dropEdges(good);
    const worse = boxCertificate(network, corrupted, box)!;
    const corruptedError = largestError(network, corrupted, box, 2);
    assert.ok(worse.bound > goodBound, `corrupted ${worse.bound} ≤ ${goodBound}`);
    assert.ok(corruptedError <= worse.bound, `corrupted: measured ${corruptedError} > ${worse.bound}`);
  });
}

test('verify and prune report the box certificate over the MNIST pixel box; it holds on the test images', async () => {
  const { pruneTheorem1, verifyTicket } = await import('../../src/index.js');
  const { tinyNetwork } = await import('../helpers/tinyTarget.js');
  const network = tinyNetwork(8);
  const result = await pruneTheorem1(network, { tolerance: 0.5, seed: 3, samples: 6, malachSample: 0, workers: 1 });
  assert.deepEqual(result.inputBox, { low: 0, high: 1 });
  assert.ok(result.boxCertifiedBound !== null && result.boxCertifiedBound <= result.certifiedBound * 1.000001);
  const report = await verifyTicket(result.ticket, network, { limit: 1000, randomPoints: 100, adversarialEvaluations: 32, workers: 1 });
  assert.equal(report.boxCertifiedBound, result.boxCertifiedBound);
  assert.ok(report.dataError !== null && report.dataError.max <= report.boxCertifiedBound!, `${report.dataError?.max} > ${report.boxCertifiedBound}`);
  // A smaller box gives a smaller interval certificate; none is reported when asked for none.
  const small = await verifyTicket(result.ticket, network, { mnist: false, randomPoints: 10, adversarialEvaluations: 8, inputBox: { low: 0, high: 0.1 } });
  assert.equal(small.boxCertificateMethod, 'interval');
  assert.ok(small.boxCertifiedBound! < report.boxCertifiedBound!);
  const none = await verifyTicket(result.ticket, network, { mnist: false, randomPoints: 10, adversarialEvaluations: 8, inputBox: null });
  assert.equal(none.boxCertifiedBound, null);
});
