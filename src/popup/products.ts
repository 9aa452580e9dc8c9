/**
 * The two matrix products per block of the fast edge-popup trainer, by row shard (popupPasses.ts's shards), so
 * that worker threads with their own tfjs-wasm instance compute their share: forward zᵀ[rows] = V[rows]·Aᵀ and
 * D[rows] = dzᵀ[rows]·A. Each shard is one product of the same shape whoever computes it, so the results are
 * bit-identical for any number of threads. tfjs (src/nn/tf/backend.ts initTf) must be initialised.
 */
import * as tf from '@tensorflow/tfjs';
import { tensorValues } from './masks.js';
import { shardRows, type PassLayer } from './passes.js';

/** zᵀ rows of the shard ([out, n] layout) from V and Aᵀ [k, n]. */
export function forwardShard(p: PassLayer, shard: number, n: number): void {
  const [start, end] = shardRows(p.out, shard);
  if (end === start) return;
  tf.tidy(() => {
    const v = tf.tensor2d(p.v.subarray(start * p.k, end * p.k), [end - start, p.k]);
    const x = tf.tensor2d(p.aCols.subarray(0, p.k * n), [p.k, n]);
    p.zT.set(tensorValues(tf.matMul(v, x)), start * n);
  });
}

/** D rows of the shard ([out, k]) from dzᵀ [out, n] and A [n, k]. */
export function gradientShard(p: PassLayer, shard: number, n: number): void {
  const [start, end] = shardRows(p.out, shard);
  if (end === start) return;
  tf.tidy(() => {
    const g = tf.tensor2d(p.dzT.subarray(start * n, end * n), [end - start, n]);
    const a = tf.tensor2d(p.aRows.subarray(0, n * p.k), [n, p.k]);
    p.dv.set(tensorValues(tf.matMul(g, a)), start * p.k);
  });
}
