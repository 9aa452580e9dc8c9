/**
 * A float64 forward pass of a target Network in the feature-major layout of ticket.ts (feature f of sample b at
 * f·B + b), so target and ticket are evaluated with the same precision when measuring ‖f(x) − g(x)‖. Checked
 * against nn/referenceForward (the slow truth) in the tests.
 */
import type { Network } from '../nn/network.js';
import { prepareDenseLayer } from './sparseForward.js';
import { addConvTap } from './convTap.js';
import { applyCopiedLayer, fromFeatureMajor, toFeatureMajor } from './ticket.js';

export function targetForward(network: Network, input: ArrayLike<number>, batch: number): Float64Array {
  return prepareTargetForward(network)(input, batch);
}

/**
 * targetForward with the dense layers prepared once (sparseForward.ts's kernels), for evaluating many batches.
 * The weights are copied: later edits to the network are not seen.
 */
export function prepareTargetForward(network: Network): (input: ArrayLike<number>, batch: number) => Float64Array {
  const dense = network.layers.map((layer) => (layer.kind === 'dense' ? prepareDenseLayer(layer) : null));
  return (input, batch) => runTarget(network, dense, input, batch);
}

function runTarget(network: Network, dense: Array<((x: Float64Array, batch: number) => Float64Array) | null>, input: ArrayLike<number>, batch: number): Float64Array {
  const inputSize = network.inputShape.reduce((a, b) => a * b, 1);
  let x = { data: toFeatureMajor(input, batch, inputSize), shape: [...network.inputShape] };
  network.layers.forEach((layer, index) => {
    switch (layer.kind) {
      case 'relu':
      case 'flatten':
      case 'maxpool2d':
        x = applyCopiedLayer(layer, x, batch);
        break;
      case 'dense':
        // Bias first, then the nonzero weights in ascending input order (sparseForward.ts).
        x = { data: dense[index]!(x.data, batch), shape: [layer.outFeatures] };
        break;
      case 'conv2d': {
        const { inChannels: ci, outChannels: co, kernelSize: k, padding: p, weight, bias } = layer;
        const h = x.shape[1]!;
        const w = x.shape[2]!;
        const oh = h + 2 * p - k + 1;
        const ow = w + 2 * p - k + 1;
        const out = new Float64Array(co * oh * ow * batch);
        const plane = { padding: p, inputHeight: h, inputWidth: w, outputHeight: oh, outputWidth: ow, batch };
        for (let o = 0; o < co; o++) {
          const b0 = bias ? bias[o]! : 0;
          if (b0 !== 0) out.fill(b0, o * oh * ow * batch, (o + 1) * oh * ow * batch);
          for (let c = 0; c < ci; c++) {
            for (let a = 0; a < k; a++) {
              for (let bb = 0; bb < k; bb++) {
                const wt = weight[((o * ci + c) * k + a) * k + bb]!;
                if (wt !== 0) addConvTap(out, x.data, wt, o, c, a, bb, plane);
              }
            }
          }
        }
        x = { data: out, shape: [co, oh, ow] };
        break;
      }
    }
  });
  const outSize = x.shape.reduce((a, b) => a * b, 1);
  return fromFeatureMajor(x.data, batch, outSize);
}
