/**
 * TensorFlow.js ops with hand-written gradients that work around two gaps of the wasm backend
 * (see /work/shared/stack-notes.md): its transposed matMul runs ~12× slower than the plain one, and it
 * has no Conv2DBackpropFilter kernel. Also a fused softmax cross-entropy with gradient (softmax − onehot)/N.
 * Checked against the float64 reference in src/nn/backward.ts by test/nn/tfOps.test.ts.
 */
import * as tf from '@tensorflow/tfjs';

/** tfjs's explicit padding type ([[0,0],[top,bottom],[left,right],[0,0]] for NHWC); not re-exported by name. */
type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

function makeMatMul(inputGradient: boolean): (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D {
  const custom = tf.customGrad((a, b, save) => {
    const x = a as tf.Tensor2D;
    const y = b as tf.Tensor2D;
    (save as tf.GradSaveFunc)([x, y]);
    return {
      value: tf.matMul(x, y),
      gradFunc: (dy, saved) => {
        const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
        const g = dy as tf.Tensor2D;
        const da = inputGradient ? tf.matMul(g, tf.transpose(sb)) : tf.zerosLike(sa);
        return [da, tf.matMul(tf.transpose(sa), g)];
      },
    };
  });
  return (a, b) => custom(a, b) as tf.Tensor2D;
}

const matMulWithInputGradient = makeMatMul(true);
const matMulWithoutInputGradient = makeMatMul(false);

/**
 * a·b for a [m, k], b [k, n]. Backward: da = dy·bᵀ, db = aᵀ·dy, each computed by an explicit
 * tf.transpose followed by a plain (untransposed) matMul — the stock gradient asks the wasm kernel for
 * transposed products, which take the slow path. With `inputGradient` false, da is returned as zeros
 * without computing it (for a first layer, whose input is data): tf.customGrad's backward is all-or-nothing.
 */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D, inputGradient = true): tf.Tensor2D {
  return inputGradient ? matMulWithInputGradient(a, b) : matMulWithoutInputGradient(a, b);
}

/**
 * Symmetric zero padding in tfjs's explicit NHWC form. A plain number is NOT used: tfjs 4.22 computes
 * the output width of a numerically padded conv from the filter HEIGHT (it assumes square filters),
 * and the wasm kernel then writes out of bounds for the non-square "filters" of the gradient convs.
 */
function padding(pad: number): ExplicitPadding {
  return [
    [0, 0],
    [pad, pad],
    [pad, pad],
    [0, 0],
  ];
}

/**
 * Filter gradient of a stride-1 NHWC convolution with symmetric zero padding `pad`:
 *   dF[p, q, c, o] = Σ_{n, i, j} xpad[n, i + p, j + q, c] · dy[n, i, j, o],
 * which is itself a stride-1 convolution if the batch axis plays the role of channels:
 * input xᵀ = x as [C, H, W, N], filter dyᵀ = dy as [OH, OW, N, O], same padding; the result
 * [C, KH, KW, O] is transposed to the filter layout [KH, KW, C, O].
 */
export function conv2dFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, pad: number): tf.Tensor4D {
  return tf.tidy(() => {
    const xT = tf.transpose(x, [3, 1, 2, 0]);
    const dyT = tf.transpose(dy, [1, 2, 0, 3]);
    const gradient = tf.conv2d(xT, dyT, 1, padding(pad));
    return tf.transpose(gradient, [1, 2, 0, 3]);
  });
}

/**
 * Input gradient of the same convolution: a full correlation of dy with the spatially flipped filter
 * whose in/out axes are swapped,
 *   dX[n, i, j, c] = Σ_{p, q, o} dypad[n, i + p, j + q, o] · F[K−1−p, K−1−q, c, o],  dypad padded by K−1−pad,
 * run as a forward conv2d (the wasm Conv2DBackpropInput kernel computes the same but ~4× slower).
 */
export function conv2dInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, pad: number): tf.Tensor4D {
  return tf.tidy(() => {
    const kernelSize = filter.shape[0];
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
    return tf.conv2d(dy, flipped, 1, padding(kernelSize - 1 - pad));
  });
}

const conv2dCustomCache = new Map<string, (x: tf.Tensor4D, filter: tf.Tensor4D) => tf.Tensor4D>();

/**
 * Stride-1 convolution of x [N, H, W, C] (NHWC) with a square filter [K, K, C, O] and symmetric zero
 * padding `pad` < K (PyTorch Conv2d(padding=pad)), differentiable on the wasm backend in both
 * arguments. With `inputGradient` false the input's gradient is returned as zeros without computing
 * it (for a first layer, whose input is data): the backward pass of tf.customGrad is all-or-nothing.
 */
export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, pad: number, inputGradient = true): tf.Tensor4D {
  if (filter.shape[0] !== filter.shape[1] || !(pad >= 0 && pad < filter.shape[0])) {
    throw new Error(`conv2d: needs a square filter and 0 ≤ pad < kernel size, got filter ${filter.shape.join('×')} and pad ${pad}`);
  }
  const key = `${pad}/${inputGradient}`;
  let op = conv2dCustomCache.get(key);
  if (op === undefined) {
    const custom = tf.customGrad((input, weight, save) => {
      const xi = input as tf.Tensor4D;
      const wi = weight as tf.Tensor4D;
      (save as tf.GradSaveFunc)([xi, wi]);
      return {
        value: tf.conv2d(xi, wi, 1, padding(pad)),
        gradFunc: (dy, saved) => {
          const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
          const g = dy as tf.Tensor4D;
          const dx = inputGradient ? conv2dInputGradient(g, sw, pad) : tf.zerosLike(sx);
          return [dx, conv2dFilterGradient(sx, g, pad)];
        },
      };
    });
    op = (a, b) => custom(a, b) as tf.Tensor4D;
    conv2dCustomCache.set(key, op);
  }
  return op(x, filter);
}

/**
 * Mean softmax cross-entropy of logits [N, K] against one-hot targets [N, K]:
 *   L = (1/N) Σ_n (logsumexp(z_n) − Σ_k t_nk z_nk),  dL/dz = (softmax(z) − t) / N.
 * The targets receive no gradient.
 */
const softmaxCrossEntropyCustom = tf.customGrad((logits, targets, save) => {
  const z = logits as tf.Tensor2D;
  const t = targets as tf.Tensor2D;
  const logSumExp = tf.logSumExp(z, 1);
  const picked = tf.sum(tf.mul(z, t), 1);
  const loss = tf.mean(tf.sub(logSumExp, picked));
  (save as tf.GradSaveFunc)([z, t]);
  return {
    value: loss,
    gradFunc: (dy, saved) => {
      const [sz, st] = saved as [tf.Tensor2D, tf.Tensor2D];
      const scale = tf.div(dy, sz.shape[0]);
      return [tf.mul(tf.sub(tf.softmax(sz), st), scale), tf.zerosLike(st)];
    },
  };
});

export function softmaxCrossEntropy(logits: tf.Tensor2D, oneHotTargets: tf.Tensor2D): tf.Scalar {
  return softmaxCrossEntropyCustom(logits, oneHotTargets) as tf.Scalar;
}
