// The structures of Experiment 2 (src/popup/structures.ts): parameter counts against the paper's numbers,
// the `wide` width matching against brute force, shapes and counts of every built network, the Theorem-1 weights
// against the Theorem-1 random network's own mapping, and determinism of the streams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UNIT_UNIFORM } from '../../src/core/random.js';
import { checkPopupNetwork, maskedLayers, type PopupDenseLayer, type PopupSpreadLayer } from '../../src/popup/network.js';
import {
  buildPopupNetwork,
  denseBaselineNetwork,
  fcWidths,
  lenet5ConvParameterCount,
  mlpParameterCount,
  redundantParameterCount,
  structureParameterCount,
  wideHiddenWidth,
  withHiddenWidth,
  type MaskedStructure,
  type PopupArch,
} from '../../src/popup/structures.js';
import { layerStream, randomWeight } from '../../src/theorem1/theorem1.js';
import { parameterCount } from '../../src/nn/network.js';

const R5 = { redundancy: 5, sampleCount: 3 };

test('ours has the paper\'s parameter counts (FC2 1,991,420; FC4 4,496,420; LeNet5 300,170 with its 2,550 conv weights)', () => {
  assert.equal(redundantParameterCount(fcWidths('fc2'), 5), 1_991_420);
  assert.equal(redundantParameterCount(fcWidths('fc4'), 5), 4_496_420);
  assert.equal(lenet5ConvParameterCount(), 2550);
  assert.equal(redundantParameterCount(fcWidths('lenet5'), 5) + lenet5ConvParameterCount(), 300_170);
});

test('wide matches ours: hidden widths 2508 (FC2), 1314 (FC4), 378 (LeNet5 FC), computed not stored', () => {
  const expected: Record<PopupArch, number> = { fc2: 2508, fc4: 1314, lenet5: 378 };
  for (const arch of ['fc2', 'fc4', 'lenet5'] as const) {
    const widths = fcWidths(arch);
    const ours = redundantParameterCount(widths, 5);
    const { hidden, count } = wideHiddenWidth(widths, ours);
    assert.equal(hidden, expected[arch], arch);
    assert.equal(count, mlpParameterCount(withHiddenWidth(widths, hidden)));
    assert.ok(Math.abs(count - ours) / ours < 1e-3, `${arch}: ${count} vs ${ours}`);
    assert.equal(structureParameterCount(arch, 'wide', R5), count);
  }
});

test('wideHiddenWidth is the closest width by brute force, for random depths, widths and targets', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 3, maxLength: 6 }),
      fc.integer({ min: 1, max: 5_000_000 }),
      (widths, target) => {
        const { hidden, count } = wideHiddenWidth(widths, target);
        const at = (h: number) => mlpParameterCount(withHiddenWidth(widths, h));
        assert.equal(count, at(hidden));
        const error = Math.abs(count - target);
        const limit = Math.max(hidden * 2 + 2, 64);
        for (let h = 1; h <= limit; h++) {
          const e = Math.abs(at(h) - target);
          assert.ok(e > error || (e === error && h >= hidden), `H = ${h} is at least as close (${e}) as ${hidden} (${error})`);
        }
      },
    ),
    { seed: 4242, numRuns: 200 },
  );
});

test('every structure of LeNet5 chains its widths and has the counted parameters; ours-linear and ours-relu share weights', () => {
  const options = { ...R5, weightInit: 'kaiming-normal' as const, seed: 3 };
  const nets = new Map<MaskedStructure, ReturnType<typeof buildPopupNetwork>>();
  for (const structure of ['wide', 'ours-linear', 'ours-relu', 'theorem1'] as const) {
    const network = buildPopupNetwork('lenet5', structure, options);
    checkPopupNetwork(network);
    const total = maskedLayers(network).reduce((s, l) => s + l.weight.length, 0);
    assert.equal(total, structureParameterCount('lenet5', structure, options), structure);
    nets.set(structure, network);
  }
  const linear = nets.get('ours-linear')!;
  const relu = nets.get('ours-relu')!;
  assert.equal(relu.layers.filter((l) => l.kind === 'relu').length, linear.layers.filter((l) => l.kind === 'relu').length + 3);
  maskedLayers(linear).forEach((l, i) => {
    assert.deepEqual(l.weight, maskedLayers(relu)[i]!.weight);
    assert.deepEqual(l.scores, maskedLayers(relu)[i]!.scores);
  });
  // Weight scales of the paper's code: blocks N(0, 2), the random layer N(0, 2/d_in) with d_in of the original layer.
  const blocks = linear.layers[0] as PopupSpreadLayer;
  const second = linear.layers[1] as PopupDenseLayer;
  const std = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
  assert.ok(Math.abs(std(blocks.weight) / Math.SQRT2 - 1) < 0.05);
  assert.ok(Math.abs(std(second.weight) / Math.sqrt(2 / 400) - 1) < 0.02);
  assert.ok(second.scores.every((s) => Math.abs(s) <= Math.sqrt(2 / 400)));
});

test('theorem1 uses the Theorem-1 random network\'s weights (streams theorem1/layer/m), rescaled per layer', () => {
  const seed = 11;
  const n = 2;
  const network = buildPopupNetwork('lenet5', 'theorem1', { redundancy: 5, sampleCount: n, weightInit: 'kaiming-normal', seed });
  const layers = maskedLayers(network);
  const widths = fcWidths('lenet5');
  for (let i = 1; i < widths.length; i++) {
    const dIn = widths[i - 1]!;
    const dOut = widths[i]!;
    const blocks = layers[2 * (i - 1)] as PopupSpreadLayer;
    const second = layers[2 * (i - 1) + 1] as PopupDenseLayer;
    assert.equal(blocks.copies, 2 * n);
    const first = layerStream(seed, 2 * i - 1);
    const next = layerStream(seed, 2 * i);
    const blockScale = Math.fround(Math.SQRT2 * Math.sqrt(3));
    const denseScale = Math.fround(Math.sqrt(2 / dIn) * Math.sqrt(3));
    for (const r of [0, 1, dIn - 1, dIn, 2 * n * dIn - 1]) {
      // hidden unit r = t·d_in + j keeps M_{2i−1}[r, j], stream index r·d_in + j
      const u = randomWeight(first, UNIT_UNIFORM, r * dIn + (r % dIn));
      assert.equal(blocks.weight[r], Math.fround(u * blockScale), `stage ${i} block unit ${r}`);
      for (const o of [0, dOut - 1]) {
        const v = randomWeight(next, UNIT_UNIFORM, r * dOut + o);
        assert.equal(second.weight[o * 2 * n * dIn + r], Math.fround(v * denseScale), `stage ${i} M2[${o}, ${r}]`);
      }
    }
  }
});

test('the same seed gives the same network, another seed another one', () => {
  const options = { ...R5, weightInit: 'signed-kaiming-constant' as const, seed: 1 };
  const a = maskedLayers(buildPopupNetwork('lenet5', 'wide', options));
  const b = maskedLayers(buildPopupNetwork('lenet5', 'wide', options));
  const c = maskedLayers(buildPopupNetwork('lenet5', 'wide', { ...options, seed: 2 }));
  assert.deepEqual(a[0]!.weight, b[0]!.weight);
  assert.deepEqual(a[0]!.scores, b[0]!.scores);
  assert.notDeepEqual(a[0]!.weight, c[0]!.weight);
  assert.ok(a[0]!.weight.every((w) => Math.abs(w) === Math.fround(Math.sqrt(2 / 400))));
});

test('the dense baseline is the ordinary architecture without biases', () => {
  assert.equal(parameterCount(denseBaselineNetwork('fc2', 1)), 397_000);
  assert.equal(structureParameterCount('fc2', 'dense', R5), 397_000);
  assert.equal(parameterCount(denseBaselineNetwork('lenet5', 1)), 2550 + mlpParameterCount(fcWidths('lenet5')));
});

test('bad options are input errors', () => {
  assert.throws(() => buildPopupNetwork('lenet5', 'ours-relu', { redundancy: 0, sampleCount: 3, weightInit: 'kaiming-normal', seed: 1 }), /redundancy/);
  assert.throws(() => buildPopupNetwork('lenet5', 'theorem1', { redundancy: 5, sampleCount: 0, weightInit: 'kaiming-normal', seed: 1 }), /sampleCount/);
});
