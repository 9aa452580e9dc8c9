/**
 * Initialises TensorFlow.js on its WebAssembly backend, loading the .wasm binary from where the platform says
 * (src/core/platform.ts: the installed @tensorflow/tfjs-backend-wasm package under Node; no network). It refuses to continue on any other backend:
 * tfjs silently falls back to the pure-JS cpu backend (~30× slower) when wasm fails to start.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { RunError } from '../../core/errors.js';
import { platform } from '../../core/platform.js';

export type Tf = typeof tf;

let ready: Promise<Tf> | null = null;

async function initialise(): Promise<Tf> {
  // Production mode silences tfjs's console banners and warnings (this is a library; the CLI prints).
  tf.enableProdMode();
  setWasmPaths(platform().tfWasmPrefix());
  const ok = await tf.setBackend('wasm');
  await tf.ready();
  const backend = tf.getBackend();
  if (!ok || backend !== 'wasm') {
    throw new RunError(`TensorFlow.js wasm backend failed to start (active backend: '${backend}'); refusing to train on the slow cpu backend`);
  }
  return tf;
}

/**
 * The tfjs namespace with the wasm backend active. Idempotent: later calls return the same promise,
 * and re-assert the backend in case something switched it in between.
 */
export async function initTf(): Promise<Tf> {
  ready ??= initialise();
  const instance = await ready;
  if (instance.getBackend() !== 'wasm') {
    throw new RunError(`TensorFlow.js backend changed to '${instance.getBackend()}' after initialisation; expected 'wasm'`);
  }
  return instance;
}
