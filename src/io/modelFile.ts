/**
 * Model files on disk: `loadModel` reads safetensors (ours or a PyTorch state_dict) or ONNX, `saveModel` writes
 * safetensors atomically. Everything about the bytes themselves lives in modelBytes.ts (no file system: the
 * browser page uses it too).
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../core/errors.js';
import { networkShapes } from '../nn/forward.js';
import type { Network } from '../nn/network.js';
import { writeChunksAtomic } from './atomicFile.js';
import { PICKLE_EXTENSIONS, PICKLE_REFUSAL, checkPreprocess, extensionOf, modelFromBytes, modelMetadata, modelTensors, type LoadModelOptions } from './modelBytes.js';
import { encodeSafetensors } from './safetensors.js';

/** Saves `network` as safetensors (atomically): PyTorch state_dict names and shapes plus our metadata. */
export function saveModel(path: string, network: Network, extraMetadata?: Record<string, string>): void {
  networkShapes(network); // refuse to write a chain that does not fit together
  writeChunksAtomic(path, encodeSafetensors(modelTensors(network), modelMetadata(network, extraMetadata)));
}

/** Reads a model: safetensors (ours or PyTorch's state_dict), or ONNX by extension; pickle files are refused. */
export function loadModel(path: string, options: LoadModelOptions = {}): Network {
  const extension = extensionOf(path);
  if (PICKLE_EXTENSIONS.has(extension)) throw new InputError(`${path}: ${PICKLE_REFUSAL}`);
  if (options.preprocess !== undefined) checkPreprocess(options.preprocess, '--preprocess');
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new InputError(`${path}: cannot read ${extension === '.onnx' ? 'ONNX model' : 'model file'} (${code})`);
  }
  return modelFromBytes(bytes, path, options);
}
