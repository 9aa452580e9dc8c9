// The ticket's pruned random network exported as a model: the dense form (src/theorem1/toNetwork.ts + io/onnx.ts)
// and the compact ONNX form (io/ticketOnnx.ts: gather-and-scale, sparse weights). onnxruntime-node runs both and
// they agree with our own sparse forward pass, for a tiny MLP and a tiny conv net with biases (the constant input
// folded into biases, the scale factors into the weights); the compact file stores ≤ 12 bytes per kept weight and,
// computing in float64, gives the MLP's logits to float32 rounding.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { onnxBytesFromNetwork } from '../../src/io/onnx.js';
import { onnxBytesFromTicket } from '../../src/io/ticketOnnx.js';
import { keptParameterCount } from '../../src/theorem1/ticket.js';
import { closeSolverPool } from '../../src/subsetsum/batch.js';
import { pruneWithSolver } from '../../src/theorem1/prune.js';
import { materializeTicket, ticketForward } from '../../src/theorem1/ticket.js';
import { ticketToNetwork } from '../../src/theorem1/toNetwork.js';
import { ballInputs, syncSolver, tinyConvNet, tinyMlp } from './fixtures.js';

after(() => closeSolverPool());

for (const [name, make, domain] of [['MLP', () => tinyMlp(2), 'any'], ['conv net', () => tinyConvNet(4), 'nonnegative']] as const) {
  test(`ONNX export of a ${name} ticket runs in onnxruntime and matches our sparse forward pass`, async () => {
    const network = make();
    const { ticket } = await pruneWithSolver(network, { tolerance: 0.2, seed: 5, targetSha256: 't', sampleCounts: 10, inputRadius: 2, inputDomain: domain }, syncSolver);
    const m = materializeTicket(ticket);
    const exported = ticketToNetwork(m, { form: 'real' });
    const count = 20;
    const size = network.inputShape.reduce((a, b) => a * b, 1);
    // Inputs representable in float32, as onnxruntime reads them, so that the forward passes see the same numbers.
    const x = Float64Array.from(Float32Array.from(ballInputs(5, count, size, 2, domain === 'nonnegative')));
    const ours = ticketForward(m, x, count);
    const run = async (bytes: Uint8Array): Promise<Float32Array> => {
      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
      try {
        const result = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x), [count, ...network.inputShape]) });
        return result['logits']!.data as Float32Array;
      } finally {
        await session.release();
      }
    };
    const compactBytes = onnxBytesFromTicket(m);
    const dense = await run(onnxBytesFromNetwork(exported));
    const compact = await run(compactBytes);
    let scale = 0;
    for (const v of ours) scale = Math.max(scale, Math.abs(v));
    for (const [form, theirs] of [['dense', dense], ['compact', compact]] as const) {
      assert.equal(theirs.length, ours.length, form);
      for (let i = 0; i < ours.length; i++) {
        // Dense: float32 weights, folded scale factors and float32 accumulation in onnxruntime: ~1e-6 relative.
        // Compact: computed in float64, cast once to float32 at the output (within one ulp; conv stages: the Conv in
        // float32).
        const allowed = form === 'compact' && name === 'MLP' ? 2 ** -23 * Math.abs(ours[i]!) + 1e-15 : 1e-4 * (1 + scale); // one float32 ulp
        assert.ok(Math.abs(theirs[i]! - ours[i]!) <= allowed, `${form} output ${i}: onnxruntime ${theirs[i]}, ours ${ours[i]}`);
      }
    }
    // Only the kept structure is stored: 12 bytes a kept weight (a kept unit: its int32 input and float64 scale;
    // + 8 per stage-1 bias) and the graph.
    const kept = keptParameterCount(ticket);
    assert.ok(compactBytes.length <= 12 * kept + 8 * m.stages[0]!.units.length + 4096, `${compactBytes.length} bytes for ${kept} kept weights`);
  });
}
