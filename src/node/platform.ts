/**
 * The Node.js platform (src/core/platform.ts): worker_threads for the pools, performance.now for timings, the
 * installed @tensorflow/tfjs-backend-wasm folder for tfjs, stderr for warnings. Importing this module installs it.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { setPlatform, type Platform, type WorkerEntry } from '../core/platform.js';

const WORKER_FILES: Record<WorkerEntry, string> = {
  'subsetsum-batch': './batchWorker.js',
  'theorem1-evaluate': './evaluateWorker.js',
  'popup-pass': './passWorker.js',
};

export const nodePlatform: Platform = {
  parallelism: () => availableParallelism(),
  startWorker: (entry, workerData) => new Worker(new URL(WORKER_FILES[entry], import.meta.url), { workerData }),
  now: () => performance.now(),
  tfWasmPrefix: () => dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + '/',
  warn: (text) => void process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
};

setPlatform(nodePlatform);
