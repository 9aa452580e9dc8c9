// The fast edge-popup trainer (src/popup/engine.ts) against the tf reference (PopupModel: autodiff through
// the layered network) on small random networks of every block form: logits, the scores after several SGD steps
// with momentum and weight decay, the masks (exact top-k counts), and the layered predictions of trainPopup.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/node/platform.js'; // the Node platform: worker threads, clock, tfjs wasm files
import { assertClose } from '../helpers/close.js';
import { RandomStream, namedStream } from '../../src/core/random.js';
import { initTf, type Tf } from '../../src/nn/tf/backend.js';
import { PopupModel, trainPopup } from '../../src/popup/edgePopup.js';
import { keptCount, topKMask } from '../../src/popup/masks.js';
import { type PopupLayer, type PopupNetwork } from '../../src/popup/network.js';
import { PopupTrainer, fastTrainable } from '../../src/popup/engine.js';
import { buildPopupNetwork } from '../../src/popup/structures.js';

let tf: Tf;
before(async () => {
  tf = await initTf();
});

function drawer(seed: number): (n: number, scale?: number) => Float32Array {
  const stream = new RandomStream(seed, namedStream('test/popupEngine'));
  let offset = 0;
  return (n, scale = 1) => {
    const out = Float32Array.from({ length: n }, (_, i) => stream.uniform(offset + i, -scale, scale));
    offset += n;
    return out;
  };
}

/** A chain of blocks: each { spread copies (0 = none), relu after the spread } between widths. */
function network(seed: number, widths: number[], blocks: Array<{ copies: number; spreadRelu: boolean }>): PopupNetwork {
  const draw = drawer(seed);
  const layers: PopupLayer[] = [];
  for (let i = 0; i < blocks.length; i++) {
    if (i > 0) layers.push({ kind: 'relu' });
    const d = widths[i]!;
    const out = widths[i + 1]!;
    const { copies, spreadRelu } = blocks[i]!;
    let hidden = d;
    if (copies > 0) {
      layers.push({ kind: 'spread', name: `s${i}`, features: d, copies, weight: draw(copies * d, 1.4), scores: draw(copies * d, 1) });
      if (spreadRelu) layers.push({ kind: 'relu' });
      hidden = copies * d;
    }
    layers.push({ kind: 'dense', name: `d${i}`, inFeatures: hidden, outFeatures: out, weight: draw(hidden * out, Math.sqrt(6 / hidden)), scores: draw(hidden * out, 0.3) });
  }
  return { inputFeatures: widths[0]!, classes: widths[widths.length - 1]!, layers };
}

const FORMS: Array<{ name: string; widths: number[]; blocks: Array<{ copies: number; spreadRelu: boolean }> }> = [
  { name: 'wide (dense, relu, dense)', widths: [12, 20, 4], blocks: [{ copies: 0, spreadRelu: false }, { copies: 0, spreadRelu: false }] },
  { name: 'ours-linear', widths: [12, 9, 4], blocks: [{ copies: 3, spreadRelu: false }, { copies: 3, spreadRelu: false }] },
  { name: 'ours-relu / theorem1', widths: [12, 9, 4], blocks: [{ copies: 4, spreadRelu: true }, { copies: 2, spreadRelu: true }] },
  { name: 'mixed, three blocks', widths: [10, 8, 7, 3], blocks: [{ copies: 2, spreadRelu: true }, { copies: 0, spreadRelu: false }, { copies: 3, spreadRelu: false }] },
];


function referenceLogits(model: PopupModel, inputs: Float32Array, n: number, features: number): Float32Array {
  return tf.tidy(() => {
    const masks = model.masks();
    return model.apply(tf.tensor2d(inputs.subarray(0, n * features), [n, features]), masks).dataSync() as Float32Array;
  });
}

for (const form of FORMS) {
  test(`popupEngine equals the tf reference on ${form.name}: logits, scores after 6 steps, exact top-k masks`, () => {
    for (const keepFraction of [0.5, 0.8, 0.25]) {
      const net = network(11, form.widths, form.blocks);
      assert.ok(fastTrainable(net));
      const features = net.inputFeatures;
      const n = 7;
      const draw = drawer(99);
      const fast = new PopupTrainer(net, keepFraction, n);
      const reference = new PopupModel(net, keepFraction);
      try {
        const options = { momentum: 0.9, weightDecay: 5e-4 };
        for (let step = 0; step < 6; step++) {
          const inputs = draw(n * features, 2);
          const labels = Int32Array.from({ length: n }, (_, b) => (b * 7 + step) % net.classes);
          const before = referenceLogits(reference, inputs, n, features);
          assertClose(fast.logitsOf(inputs, n), before, 1e-5, 1e-4, `${form.name} keep ${keepFraction} step ${step} logits`);
          const a = fast.trainStep(inputs, labels, n, 0.1, options);
          const b = tf.tidy(() => reference.trainStep(tf.tensor2d(inputs, [n, features]), tf.tensor1d(labels, 'int32'), 0.1, options));
          assert.ok(Math.abs(a.loss - b.loss) <= 1e-5 * (1 + Math.abs(b.loss)), `loss ${a.loss} vs ${b.loss}`);
          assert.deepEqual(a.predicted, b.predicted);
        }
        const fastScores = fast.scoreArrays();
        const refScores = reference.scoreArrays();
        fastScores.forEach((s, i) => assertClose(s, refScores[i]!, 1e-5, 1e-4, `${form.name} keep ${keepFraction} scores ${i}`));
        const fastMasks = fast.maskArrays();
        const refMasks = reference.maskArrays();
        fastMasks.forEach((m, i) => {
          assert.equal(m.reduce((s, v) => s + v, 0), keptCount(m.length, keepFraction));
          assert.deepEqual(m, refMasks[i]);
        });
      } finally {
        reference.dispose();
        fast.dispose();
      }
    }
  });
}

test('trainPopup gives the same history and masks with either engine (up to float rounding), and the layered accuracy', () => {
  const net = buildPopupNetwork('fc2', 'ours-relu', { redundancy: 2, sampleCount: 2, weightInit: 'kaiming-normal', seed: 3 });
  // A 16-feature input slice of the FC2 structure is too big for a unit test; use a small chain instead.
  const small = network(5, [16, 10, 5], [{ copies: 3, spreadRelu: true }, { copies: 3, spreadRelu: true }]);
  assert.ok(fastTrainable(net) && fastTrainable(small));
  const draw = drawer(7);
  const count = 60;
  const inputs = draw(count * 16, 2);
  const labels = Uint8Array.from({ length: count }, (_, i) => (inputs[i * 16]! > 0 ? 1 : 0) + (inputs[i * 16 + 1]! > 0 ? 2 : 0));
  const options = { keepFraction: 0.5, epochs: 3, batchSize: 16, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4, schedule: 'cosine' as const, seed: 1, test: { inputs, labels, count } };
  const before = tf.memory().numTensors;
  const fast = trainPopup(small, { inputs, labels, count }, { ...options, engine: 'fast' });
  const reference = trainPopup(small, { inputs, labels, count }, { ...options, engine: 'reference' });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(fast.total, reference.total);
  assert.equal(fast.kept, reference.kept);
  fast.history.forEach((r, i) => {
    const e = reference.history[i]!;
    assert.ok(Math.abs(r.trainLoss - e.trainLoss) < 1e-4, `epoch ${i + 1} loss ${r.trainLoss} vs ${e.trainLoss}`);
    assert.equal(r.testAccuracy, e.testAccuracy);
  });
  assert.deepEqual(fast.masks, reference.masks);
});

test('popupEngine: 1, 2 and 3 threads give bit-identical scores, masks and losses (shards summed in a fixed order)', () => {
  const runs = [1, 2, 3].map((threads) => {
    const net = network(13, [12, 9, 4], [{ copies: 4, spreadRelu: true }, { copies: 2, spreadRelu: false }]);
    const trainer = new PopupTrainer(net, 0.5, 8, threads);
    const losses: number[] = [];
    try {
      const local = drawer(31);
      for (let step = 0; step < 5; step++) {
        const inputs = local(8 * 12, 2);
        const labels = Int32Array.from({ length: 8 }, (_, b) => (b + step) % 4);
        losses.push(trainer.trainStep(inputs, labels, 8, 0.1, { momentum: 0.9, weightDecay: 5e-4 }).loss);
      }
      return { losses, scores: trainer.scoreArrays(), masks: trainer.maskArrays() };
    } finally {
      trainer.dispose();
    }
  });
  for (const run of runs.slice(1)) {
    assert.deepEqual(run.losses, runs[0]!.losses);
    assert.deepEqual(run.scores, runs[0]!.scores);
    assert.deepEqual(run.masks, runs[0]!.masks);
  }
});

test('popupEngine breaks ties at the threshold by index, like topKMask, on scores from a few values', () => {
  // Scores from {±0.5, ±1}: every threshold is tied; no step taken (lr 0), so the masks are those of the initial scores.
  const net = network(17, [8, 6, 3], [{ copies: 3, spreadRelu: false }, { copies: 0, spreadRelu: false }]);
  for (const layer of net.layers) if (layer.kind !== 'relu') layer.scores = layer.scores.map((v, i) => (v < 0 ? -1 : 1) * (i % 3 === 0 ? 1 : 0.5));
  for (const keepFraction of [0.3, 0.5, 0.7]) {
    const trainer = new PopupTrainer(net, keepFraction, 4, 2);
    try {
      const masks = trainer.maskArrays();
      const expected = net.layers.filter((l) => l.kind !== 'relu').map((l) => topKMask(l.scores as Float32Array, keptCount(l.scores.length, keepFraction)));
      assert.deepEqual(masks, expected);
    } finally {
      trainer.dispose();
    }
  }
});
