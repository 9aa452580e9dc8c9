/**
 * One fuzz harness per reader: its seed corpus (valid inputs from seeds.ts), how input i is mutated from it, the
 * call under test and the acceptance check. An input passes when the reader returns a sane result (sizes match
 * shapes, values as declared, a resolved spec re-resolves to itself) or throws an InputError whose one-line
 * message names the file (or flag) — anything else is a failure the engine records.
 */
import assert from 'node:assert/strict';
import onnxProto from 'onnx-proto';
import { InputError } from '../src/core/errors.js';
import { networkShapes } from '../src/nn/forward.js';
import type { Network } from '../src/nn/network.js';
import { decodeMnist } from '../src/io/mnist.js';
import { modelFromBytes } from '../src/io/modelBytes.js';
import { networkFromOnnxBytes } from '../src/io/onnx.js';
import { MAX_ACTIVATION_VALUES } from '../src/io/onnxImport.js';
import { concatChunks, decodeSafetensors, type SafetensorsFile } from '../src/io/safetensors.js';
import { decodeTicket } from '../src/io/ticketBytes.js';
import { parseChoice, parseIntegerRange, parseNumber, parseNumberList, type NumberRule } from '../src/cli/parse.js';
import { parseSpecJson, resolvePopupRunSpec, resolvePopupSweepSpec, sweepRuns } from '../src/experiments/popupSpec.js';
import { resolveRssSpec } from '../src/experiments/rss.js';
import { keptWeightsSha256, materializeTicket, type Ticket } from '../src/theorem1/ticket.js';
import { mutateBytes, mutateJsonText, type Rng } from './mutate.js';
import { mutateMaskValue, mutateOnnxObject, mutateSafetensors, mutateTicketJson, reseal, splitSafetensors, type Json } from './formats.js';
import {
  CLI_SEEDS,
  POPUP_SPEC_SEEDS,
  RSS_SPEC_SEEDS,
  mnistPair,
  modelSeeds,
  onnxSeeds,
  rawSafetensors,
  safetensorsSeeds,
  ticketSeeds,
} from './seeds.js';

const { onnx } = onnxProto;

/** A result that violates what the reader promises (the engine records it as a failure). */
export class FuzzCheckError extends Error {
  override name = 'FuzzCheckError';
}

export type Outcome = 'accepted' | 'rejected';

export interface FuzzTarget {
  readonly name: string;
  /** File extension of the names passed to the reader (the model reader picks the format by it). */
  readonly extension: string;
  /** Valid inputs: each must be accepted. */
  readonly seeds: readonly Uint8Array[];
  /** Input for one iteration (a mutated seed; now and then a seed as is). */
  generate(rng: Rng): Uint8Array;
  /** Runs the reader on `input` named `file`; throws only on a failure. */
  run(input: Uint8Array, file: string): Outcome;
}

/** Longest error message accepted besides the file names it quotes (a message is one line for a terminal). */
export const MAX_MESSAGE_LENGTH = 1000;

/** The message of the latest rejection (for the engine's tally of rejection reasons). */
export let lastRejection = '';

/** A reader call slower than the limit (the engine records it as a 'slow' failure). */
export class FuzzSlowError extends Error {
  override name = 'FuzzSlowError';
}

/** Time limit of one reader call, ms (a harness may call several readers, or one with several options, per input); the engine sets it per input. */
export const callLimit = { ms: 2000 };

/**
 * Calls `read`, which must finish within callLimit; an InputError must be one line, mention one of `sources` and be
 * short. Other errors propagate (the engine records them as failures).
 */
export function attempt(read: () => void, sources: readonly string[]): Outcome {
  const started = performance.now();
  const timed = (): void => {
    const ms = performance.now() - started;
    if (ms > callLimit.ms) throw new FuzzSlowError(`one reader call took ${ms.toFixed(0)} ms (limit ${callLimit.ms.toFixed(0)} ms)`);
  };
  try {
    read();
    timed();
    return 'accepted';
  } catch (error) {
    if (error instanceof FuzzSlowError) throw error;
    timed();
    if (!(error instanceof InputError)) throw error;
    const message = error.message;
    lastRejection = sources.reduce((text, source) => text.split(source).join('FILE'), message);
    if (!sources.some((source) => message.includes(source))) {
      throw new FuzzCheckError(`InputError does not name ${sources.map((s) => `'${s}'`).join(' or ')}: ${message.slice(0, 300)}`);
    }
    const quoted = sources.reduce((n, source) => n + source.length * (message.split(source).length - 1), 0);
    if (message.length - quoted > MAX_MESSAGE_LENGTH) throw new FuzzCheckError(`InputError message is ${message.length} characters long: ${message.slice(0, 300)}…`);
    if (/[\r\n]/.test(message)) throw new FuzzCheckError(`InputError message spans several lines: ${JSON.stringify(message.slice(0, 300))}`);
    return 'rejected';
  }
}

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new FuzzCheckError(what);
}

function pickSeed(rng: Rng, seeds: readonly Uint8Array[]): Uint8Array {
  return seeds[rng.below(seeds.length)]!;
}

const decoder = new TextDecoder();

const ELEMENT_SIZE: Record<string, number> = { F32: 4, F64: 8, U8: 1, BOOL: 1, I8: 1, I16: 2, U16: 2, I32: 4, U32: 4, I64: 8, U64: 8, F16: 2, BF16: 2 };

function halfValue(bits: number): number {
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Every tensor holds product(shape) values of its dtype, in a fresh buffer, equal to the file's bytes. */
function checkSafetensors(file: SafetensorsFile, bytes: Uint8Array): void {
  // The header is parsed once here (it may hold values nested 100,000 deep in keys the reader ignores).
  const { header, data } = splitSafetensors(bytes);
  const rawTensorBytes = (name: string): Uint8Array => {
    const [begin, end] = (header[name] as { data_offsets: [number, number] }).data_offsets;
    return data.subarray(begin, end);
  };
  let total = 0;
  for (const [name, tensor] of file.tensors) {
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    check(tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0), `tensor '${name}': shape ${tensor.shape}`);
    check(tensor.data.length === count, `tensor '${name}': ${tensor.data.length} values for shape [${tensor.shape}]`);
    check(tensor.data.buffer !== bytes.buffer, `tensor '${name}': data is a view of the file bytes, not a copy`);
    const raw = rawTensorBytes(name);
    check(raw.length === count * ELEMENT_SIZE[tensor.dtype]!, `tensor '${name}': ${raw.length} bytes for ${count} ${tensor.dtype} values`);
    total += raw.length;
    if (tensor.dtype === 'F16' || tensor.dtype === 'BF16') {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const scratch = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        const bits = view.getUint16(2 * i, true);
        let expected: number;
        if (tensor.dtype === 'F16') expected = halfValue(bits);
        else {
          scratch.setUint32(0, bits << 16, true);
          expected = scratch.getFloat32(0, true);
        }
        const actual = tensor.data[i] as number;
        check(Object.is(actual, expected) || (Number.isNaN(actual) && Number.isNaN(expected)), `tensor '${name}' [${i}]: ${actual}, bits 0x${bits.toString(16)} mean ${expected}`);
      }
    } else {
      const own = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
      check(own.length === raw.length && own.every((b, i) => b === raw[i]), `tensor '${name}': values differ from the file's bytes`);
    }
  }
  check(total === data.length, `tensors cover ${total} of ${data.length} data bytes`);
  for (const value of Object.values(file.metadata)) check(typeof value === 'string', 'metadata value is not a string');
}

// ---- networks ----------------------------------------------------------------------------------------------------

/** A network the rest of the toolkit can run: shapes chain (networkShapes), activations of bounded size, finite float32 weights. */
function checkNetwork(network: Network): void {
  let shapes: number[][];
  try {
    shapes = networkShapes(network);
  } catch (error) {
    throw new FuzzCheckError(`the reader returned a network that networkShapes rejects: ${(error as Error).message}`);
  }
  for (const shape of shapes) {
    const values = shape.reduce((a, b) => a * b, 1);
    check(values <= MAX_ACTIVATION_VALUES, `an activation of shape [${shape}] holds ${values} values per example`);
  }
  check(network.preprocess === undefined || network.preprocess === 'pixels' || network.preprocess === 'standard', `preprocess ${String(network.preprocess)}`);
  for (const layer of network.layers) {
    if (layer.kind !== 'dense' && layer.kind !== 'conv2d') continue;
    check(layer.weight instanceof Float32Array, `layer '${layer.name}': weight is not a Float32Array`);
    check(layer.weight.every(Number.isFinite), `layer '${layer.name}': non-finite weight`);
    check(layer.bias === null || (layer.bias instanceof Float32Array && layer.bias.every(Number.isFinite)), `layer '${layer.name}': bad bias`);
  }
}

// ---- targets -------------------------------------------------------------------------------------------------------

/** IDX (MNIST) pairs: input = u32 LE length of the image file, the image file, the label file. */
export function packPair(images: Uint8Array, labels: Uint8Array): Uint8Array {
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, images.length, true);
  return concatChunks([head, images, labels]);
}

function unpackPair(input: Uint8Array): [Uint8Array, Uint8Array] {
  const length = Math.min(input.length - 4, new DataView(input.buffer, input.byteOffset, 4).getUint32(0, true));
  return [input.subarray(4, 4 + length), input.subarray(4 + length)];
}

function idxTarget(): FuzzTarget {
  const pairs = [mnistPair(3, 1), mnistPair(1, 2), mnistPair(0, 3)];
  const seeds = pairs.map((p) => packPair(p.images, p.labels));
  const files = pairs.flatMap((p) => [p.images, p.labels]);
  return {
    name: 'idx',
    extension: '',
    seeds,
    generate(rng) {
      const pair = rng.pick(pairs);
      if (rng.chance(0.01)) return packPair(pair.images, pair.labels);
      let images = pair.images;
      let labels = pair.labels;
      const which = rng.below(3);
      if (which !== 1) images = mutateBytes(rng, images, files);
      if (which !== 0) labels = mutateBytes(rng, labels, files);
      if (rng.chance(0.05)) [images, labels] = [labels, images];
      return packPair(images, labels);
    },
    run(input, file) {
      const [images, labels] = unpackPair(input);
      const imagePath = `${file}-images-idx3-ubyte`;
      const labelPath = `${file}-labels-idx1-ubyte`;
      return attempt(() => {
        const set = decodeMnist(images, imagePath, labels, labelPath);
        check(set.rows === 28 && set.cols === 28, `images ${set.rows}×${set.cols}`);
        check(set.images.length === set.count * 784 && set.labels.length === set.count, 'sizes disagree with the count');
        check(set.labels.every((l) => l < 10), 'label out of range');
        check(set.images.buffer === images.buffer && set.images.byteOffset === images.byteOffset + 16, 'images are not the payload view');
      }, [imagePath, labelPath]);
    },
  };
}

function safetensorsTarget(): FuzzTarget {
  const seeds = safetensorsSeeds();
  return {
    name: 'safetensors',
    extension: '.safetensors',
    seeds,
    generate(rng) {
      const seed = pickSeed(rng, seeds);
      if (rng.chance(0.01)) return seed;
      const out = rng.chance(0.5) ? mutateSafetensors(rng, seed, seeds) : mutateBytes(rng, seed, seeds);
      return rng.chance(0.1) ? mutateBytes(rng, out, seeds) : out;
    },
    run(input, file) {
      return attempt(() => checkSafetensors(decodeSafetensors(input, file), input), [file]);
    },
  };
}

function modelTarget(): FuzzTarget {
  const seeds = modelSeeds();
  return {
    name: 'model',
    extension: '.safetensors',
    seeds,
    generate(rng) {
      const seed = pickSeed(rng, seeds);
      if (rng.chance(0.01)) return seed;
      return rng.chance(0.6) ? mutateSafetensors(rng, seed, seeds) : mutateBytes(rng, seed, seeds);
    },
    run(input, file) {
      // As `lottery eval model.safetensors` and `--arch lenet5 --preprocess standard` read it; both must hold.
      const plain = attempt(() => checkNetwork(modelFromBytes(input, file)), [file]);
      const withArch = attempt(() => checkNetwork(modelFromBytes(input, file, { arch: 'lenet5', preprocess: 'standard' })), [file]);
      return plain === 'accepted' || withArch === 'accepted' ? 'accepted' : 'rejected';
    },
  };
}

function onnxTarget(): FuzzTarget {
  const seeds = onnxSeeds();
  const objects = seeds.map((bytes) => onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: String }));
  return {
    name: 'onnx',
    extension: '.onnx',
    seeds,
    generate(rng) {
      const index = rng.below(seeds.length);
      if (rng.chance(0.01)) return seeds[index]!;
      if (rng.chance(0.4)) return mutateBytes(rng, seeds[index]!, seeds);
      const object = structuredClone(objects[index]!) as Json;
      const rounds = rng.size(6) || 1;
      for (let r = 0; r < rounds; r++) mutateOnnxObject(rng, object);
      const out = onnx.ModelProto.encode(onnx.ModelProto.fromObject(object)).finish().slice();
      return rng.chance(0.1) ? mutateBytes(rng, out, seeds) : out;
    },
    run(input, file) {
      return attempt(() => checkNetwork(networkFromOnnxBytes(input, file)), [file]);
    },
  };
}

/**
 * An independent check of a decoded ticket's metadata (docs/ticket-format.md): every field verify and export
 * read has its documented type and range, so a ticket the reader accepts can be used without surprises.
 */
function checkTicketMeta(ticket: Ticket): void {
  const m = ticket.meta as unknown as Record<string, any>;
  const positive = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 1;
  const finite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
  check(typeof m === 'object' && m !== null, 'meta is not an object');
  check(['uniform', 'product', 'normal', 'log-uniform'].includes(m['distribution']?.kind), `distribution ${JSON.stringify(m['distribution'])}`);
  check(Number.isSafeInteger(m['seed']) && m['seed'] >= 0 && m['seed'] <= 0xffffffff, 'seed');
  check(['closest', 'sparsest'].includes(m['objective']) && ['nonnegative', 'any'].includes(m['inputDomain']), 'objective or inputDomain');
  check(typeof m['constant'] === 'boolean' && Number.isSafeInteger(m['inputConstantCount']), 'constant');
  for (const key of ['inputScale', 'outputScale', 'augmentedRadius', 'inputRadius', 'tolerance']) check(finite(m[key]) && m[key] > 0, key);
  for (const key of ['inputShape', 'outputShape']) check(Array.isArray(m[key]) && m[key].length > 0 && m[key].every(positive), key);
  check(finite(m['certificate']?.realBound), 'certificate.realBound');
  check(Array.isArray(m['stages']) && m['stages'].length === ticket.masks.length, 'stages');
  const copied = (layers: unknown): boolean => Array.isArray(layers) && layers.every((l) => ['relu', 'flatten'].includes(l?.kind) || (l?.kind === 'maxpool2d' && positive(l.size)));
  check(copied(m['before']), 'before');
  m['stages'].forEach((g: Record<string, any>, i: number) => {
    check(g['kind'] === 'dense' || g['kind'] === 'conv2d', `stage ${i + 1}: kind ${JSON.stringify(g['kind'])}`);
    for (const key of ['inUnits', 'outUnits', 'realInUnits', 'realOutUnits', 'kernelSize', 'inputHeight', 'inputWidth', 'outputHeight', 'outputWidth', 'sampleCount']) {
      check(positive(g[key]), `stage ${i + 1}: ${key} = ${JSON.stringify(g[key])}`);
    }
    check(Number.isSafeInteger(g['padding']) && g['padding'] >= 0, `stage ${i + 1}: padding`);
    check(typeof g['twoBranch'] === 'boolean' && typeof g['name'] === 'string' && copied(g['after']), `stage ${i + 1}: twoBranch, name or after`);
    check(finite(g['scale']) && finite(g['entryTolerance']), `stage ${i + 1}: scale or entryTolerance`);
  });
}

function ticketTarget(seeds: Uint8Array[]): FuzzTarget {
  return {
    name: 'ticket',
    extension: '.ticket.safetensors',
    seeds,
    generate(rng) {
      const seed = pickSeed(rng, seeds);
      if (rng.chance(0.01)) return seed;
      const kind = rng.next();
      if (kind < 0.25) return mutateBytes(rng, seed, seeds);
      if (kind < 0.65) {
        // Mask values or the ticket JSON, re-sealed: these reach checkMeta and checkMasks.
        const parts = splitSafetensors(seed);
        if (kind < 0.45) {
          const rounds = rng.size(3) || 1;
          for (let r = 0; r < rounds; r++) mutateMaskValue(rng, parts);
        } else {
          mutateTicketJson(rng, parts);
        }
        reseal(parts);
        return rawSafetensors(parts.header, parts.data);
      }
      return mutateSafetensors(rng, seed, seeds, reseal);
    },
    run(input, file) {
      return attempt(() => {
        const ticket = decodeTicket(input, file);
        checkTicketMeta(ticket);
        // What verify and export do next: regenerate the kept weights (must not throw or blow up).
        const materialized = materializeTicket(ticket);
        check(/^[0-9a-f]{64}$/.test(keptWeightsSha256(materialized.stages)), 'kept-weights digest');
        ticket.masks.forEach((m, s) => {
          const stage = ticket.meta.stages[s]!;
          check(m.edgeOffsets.length === stage.outUnits + 1, `stage ${s + 1}: edge offsets`);
          check(m.edgeOffsets[stage.outUnits] === m.edgeKeys.length, `stage ${s + 1}: last edge offset`);
        });
      }, [file]);
    },
  };
}

/** Experiment specs as `lottery run` reads them: UTF-8 text, JSON, then the resolver of the spec's kind. */
function readSpecText(input: Uint8Array, file: string): unknown {
  return parseSpecJson(decoder.decode(input), file); // readFileSync(file, 'utf8') also replaces invalid UTF-8
}

/** A resolved spec must resolve to itself once saved as JSON and read back (the run directory stores it so). */
function checkRoundTrip(resolved: unknown, resolve: (value: unknown) => unknown, what: string): void {
  const saved = JSON.stringify(resolved);
  let again: unknown;
  try {
    again = resolve(JSON.parse(saved));
  } catch (error) {
    throw new FuzzCheckError(`the resolved ${what} is rejected when read back: ${(error as Error).message.slice(0, 300)}`);
  }
  check(JSON.stringify(again) === saved, `the resolved ${what} changes when read back: ${saved.slice(0, 200)} → ${JSON.stringify(again).slice(0, 200)}`);
}

function specTarget(): FuzzTarget {
  const seeds = POPUP_SPEC_SEEDS.map((s) => new TextEncoder().encode(JSON.stringify(s, null, 2)));
  const keys = ['experiment', 'name', 'structures', 'pruneFractions', 'keepFractions', 'structure', 'keepFraction', 'pruneFraction', 'convs', 'convEpochs', 'seed', 'epochs', 'arch'];
  return {
    name: 'spec',
    extension: '.json',
    seeds,
    generate(rng) {
      const index = rng.below(seeds.length);
      if (rng.chance(0.01)) return seeds[index]!;
      return mutateJsonText(rng, POPUP_SPEC_SEEDS[index], seeds, keys);
    },
    run(input, file) {
      return attempt(() => {
        const value = readSpecText(input, file);
        if (typeof value === 'object' && value !== null && 'experiment' in value) {
          const spec = resolvePopupSweepSpec(value, file);
          checkRoundTrip(spec, (v) => resolvePopupSweepSpec(v, file), 'sweep spec');
          for (const run of sweepRuns(spec)) checkRoundTrip(run, (v) => resolvePopupRunSpec(v, file), 'run spec of a sweep');
        } else {
          checkRoundTrip(resolvePopupRunSpec(value, file), (v) => resolvePopupRunSpec(v, file), 'run spec');
        }
      }, [file]);
    },
  };
}

function rssSpecTarget(): FuzzTarget {
  const seeds = RSS_SPEC_SEEDS.map((s) => new TextEncoder().encode(JSON.stringify(s)));
  const keys = ['distributions', 'sampleCounts', 'tolerances', 'trials', 'seed', 'interval', 'targetProbability', 'low', 'high'];
  return {
    name: 'rss-spec',
    extension: '.json',
    seeds,
    generate(rng) {
      const index = rng.below(seeds.length);
      if (rng.chance(0.01)) return seeds[index]!;
      return mutateJsonText(rng, RSS_SPEC_SEEDS[index], seeds, keys);
    },
    run(input, file) {
      return attempt(() => {
        const spec = resolveRssSpec(readSpecText(input, file), file);
        checkRoundTrip(spec, (v) => resolveRssSpec(v, file), 'rss spec');
      }, [file]);
    },
  };
}

// CLI arguments: every parser of src/cli/parse.ts with the rules the verbs use, on one random string.
const CLI_TOKENS = [
  '0', '1', '9', '-', '+', '.', 'e', 'E', ',', ':', ' ', '\t', '\u00a0', '\u2003', 'Infinity', 'NaN', '1e999', '1e21', '1e300', '0x1f', '0b1', '0o7',
  '9007199254740992', '9007199254740993', '4294967296', '-0', '١', '_', '\u0000', '',
];

const CLI_RULES: readonly NumberRule[] = [
  {},
  { integer: true, min: 1 },
  { integer: true, min: 0, max: 0xffffffff },
  { min: 0, max: 1 },
  { above: 0, below: 1 },
  { integer: true, min: 1, max: 40 },
  { above: 0 },
];

function checkRule(value: number, rule: NumberRule, what: string): void {
  check(Number.isFinite(value), `${what}: ${value} is not finite`);
  if (rule.integer) check(Number.isSafeInteger(value), `${what}: ${value} is not a safe integer`);
  if (rule.min !== undefined) check(value >= rule.min, `${what}: ${value} < ${rule.min}`);
  if (rule.max !== undefined) check(value <= rule.max, `${what}: ${value} > ${rule.max}`);
  if (rule.above !== undefined) check(value > rule.above, `${what}: ${value} ≤ ${rule.above}`);
  if (rule.below !== undefined) check(value < rule.below, `${what}: ${value} ≥ ${rule.below}`);
}

function cliTarget(): FuzzTarget {
  const seeds = CLI_SEEDS.map((s) => new TextEncoder().encode(s));
  return {
    name: 'cli',
    extension: '',
    seeds,
    generate(rng) {
      let text = rng.pick(CLI_SEEDS);
      if (rng.chance(0.01)) return new TextEncoder().encode(text);
      const rounds = rng.size(6) || 1;
      for (let r = 0; r < rounds; r++) {
        const at = rng.below(text.length + 1);
        switch (rng.below(6)) {
          case 0: text = text.slice(0, at) + rng.pick(CLI_TOKENS) + text.slice(at); break;
          case 1: text = text.slice(0, at) + text.slice(at + rng.size(4)); break;
          case 2: text = text + rng.pick([',', ':', ',,', '']) + rng.pick(CLI_SEEDS); break;
          case 3: text = rng.pick([`${rng.pick(CLI_TOKENS)}:${rng.pick(CLI_TOKENS)}`, `${rng.between(-5, 50)}:${rng.pick(CLI_TOKENS)}:${rng.between(-2, 5)}`, `1:${rng.pick(['1000000', '1e9', '9007199254740993'])}`]); break;
          case 4: text = text.repeat(rng.size(64)); break;
          default: {
            const bytes = mutateBytes(rng, new TextEncoder().encode(text), seeds);
            text = decoder.decode(bytes);
          }
        }
      }
      // Long lists now and then (the list parsers cap their length).
      if (rng.chance(0.001)) text = new Array(rng.pick([10_001, 1_000_001])).fill('1').join(',');
      return new TextEncoder().encode(text);
    },
    run(input) {
      const text = decoder.decode(input);
      let accepted = false;
      const accept = (outcome: Outcome): void => {
        if (outcome === 'accepted') accepted = true;
      };
      CLI_RULES.forEach((rule, r) => {
        const flag = `--number-${r}`;
        accept(attempt(() => {
          const value = parseNumber(flag, text, rule);
          checkRule(value, rule, flag);
          check(Object.is(value, Number(text.trim())) || value === Number(text.trim()), `${flag}: ${value} is not the number written '${text}'`);
        }, [flag]));
      });
      for (const [r, rule] of [[0, {}], [1, { integer: true, min: 1, max: 64 }], [2, { above: 0 }]] as const) {
        const flag = `--list-${r}`;
        const maxCount = r === 1 ? 64 : 1_000_000;
        accept(attempt(() => {
          const values = parseNumberList(flag, text, rule, maxCount);
          check(values.length >= 1 && values.length <= maxCount, `${flag}: ${values.length} values`);
          for (const v of values) checkRule(v, rule, flag);
        }, [flag]));
      }
      for (const [r, rule, maxCount] of [[0, { min: 1, max: 40 }, 10_000], [1, {}, 10_000], [2, { min: 1, max: 40 }, 100]] as const) {
        const flag = `--range-${r}`;
        accept(attempt(() => {
          const values = parseIntegerRange(flag, text, rule, maxCount);
          check(values.length >= 1 && values.length <= maxCount + 1, `${flag}: ${values.length} values (at most ${maxCount})`);
          for (const v of values) checkRule(v, { ...rule, integer: true }, flag);
        }, [flag]));
      }
      accept(attempt(() => {
        const choice = parseChoice('--format', text, ['onnx', 'safetensors'] as const);
        check(choice === text, 'choice differs from the text');
      }, ['--format']));
      return accepted ? 'accepted' : 'rejected';
    },
  };
}

export const READERS = ['idx', 'safetensors', 'model', 'onnx', 'ticket', 'spec', 'rss-spec', 'cli'] as const;
export type ReaderName = (typeof READERS)[number];

/** Builds the harness of one reader (tickets are pruned from tiny networks first: ~0.1 s). */
export async function createTarget(name: string): Promise<FuzzTarget> {
  switch (name as ReaderName) {
    case 'idx': return idxTarget();
    case 'safetensors': return safetensorsTarget();
    case 'model': return modelTarget();
    case 'onnx': return onnxTarget();
    case 'ticket': return ticketTarget(await ticketSeeds());
    case 'spec': return specTarget();
    case 'rss-spec': return rssSpecTarget();
    case 'cli': return cliTarget();
    default: throw new RangeError(`unknown reader '${name}' (known: ${READERS.join(', ')})`);
  }
}

/** Every seed of a target must be accepted (else the harness, not the reader, is wrong). */
export function checkSeeds(target: FuzzTarget): void {
  target.seeds.forEach((seed, i) => {
    const outcome = target.run(seed, `seed-${i}${target.extension}`);
    assert.equal(outcome, 'accepted', `${target.name}: seed ${i} is rejected`);
  });
}
