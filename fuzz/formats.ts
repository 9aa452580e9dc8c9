/**
 * Structured mutators of the file formats (fuzz/targets.ts uses them): safetensors files split into JSON header
 * and data and put back together (headers, metadata JSON, offsets, declared lengths), ticket files re-sealed
 * with a recomputed payload_sha256 so that mutations get past the checksum, and ONNX ModelProtos edited as
 * plain objects (ops, wiring, attributes, initializers, graph inputs and outputs, model fields).
 */
import { createHash } from 'node:crypto';
import { INTERESTING_32, Rng, mutateBytes, mutateJson, serializeJson } from './mutate.js';
import { rawSafetensors } from './seeds.js';

const decoder = new TextDecoder();

// ---- safetensors parts (for structured mutations) -----------------------------------------------------------------

export interface SafetensorsParts {
  header: Record<string, unknown>;
  data: Uint8Array;
}

export function splitSafetensors(bytes: Uint8Array): SafetensorsParts {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(0, true);
  const header = JSON.parse(decoder.decode(bytes.subarray(8, 8 + length))) as Record<string, unknown>;
  return { header, data: bytes.subarray(8 + length) };
}

/** Keys of the JSON documents inside metadata strings (ticket and model metadata), offered when a key is added. */
const INNER_KEYS = ['kind', 'name', 'stages', 'seed', 'inUnits', 'outUnits', 'sampleCount', 'distribution', 'size', 'padding', 'bias', 'after'];

/** Header fields of the seeds' tensors, offered as keys when the mutator adds one. */
const SAFETENSORS_KEYS = ['dtype', 'shape', 'data_offsets', '__metadata__'];

/**
 * A structured mutation of a safetensors file: its JSON header (shapes, dtypes, offsets, metadata, with huge,
 * negative, overlapping or wrongly typed values), a JSON value inside a metadata string, the data bytes, or the
 * declared header length. `after` may rewrite the parts before they are encoded (tickets re-seal their checksum).
 */
export function mutateSafetensors(rng: Rng, seed: Uint8Array, corpus: readonly Uint8Array[], after?: (parts: SafetensorsParts) => void): Uint8Array {
  const parts = splitSafetensors(seed);
  let headerText: string | undefined;
  switch (rng.below(6)) {
    case 0:
    case 1:
      parts.header = mutateJson(rng, parts.header, SAFETENSORS_KEYS) as Record<string, unknown>;
      break;
    case 2: {
      // A JSON document inside a metadata string (a ticket's 'ticket', a model's 'layers' and 'inputShape').
      const metadata = parts.header['__metadata__'];
      const inner = new Map<string, unknown>();
      if (metadata && typeof metadata === 'object') {
        for (const [key, value] of Object.entries(metadata)) {
          if (typeof value !== 'string' || !/^\s*[[{]/.test(value)) continue;
          try {
            inner.set(key, JSON.parse(value));
          } catch {
            // not JSON after all
          }
        }
      }
      if (inner.size > 0) {
        const key = rng.pick([...inner.keys()]);
        (metadata as Record<string, unknown>)[key] = serializeJson(mutateJson(rng, inner.get(key), INNER_KEYS));
      } else {
        parts.header = mutateJson(rng, parts.header, SAFETENSORS_KEYS) as Record<string, unknown>;
      }
      break;
    }
    case 3:
      parts.data = mutateBytes(rng, parts.data, corpus);
      break;
    case 4: {
      // Point every tensor somewhere else: shifted, overlapping, reversed or past the end.
      const entries = Object.entries(parts.header).filter(([name]) => name !== '__metadata__');
      if (entries.length > 0) {
        const [, info] = rng.pick(entries);
        const offsets = (info as Record<string, unknown>)['data_offsets'];
        if (Array.isArray(offsets) && offsets.length === 2) {
          const shift = rng.pick([-8, -4, -1, 1, 4, 2 ** 31, 2 ** 53, -(2 ** 53)]);
          const which = rng.below(3);
          if (which !== 1) offsets[0] = (offsets[0] as number) + shift;
          if (which !== 0) offsets[1] = (offsets[1] as number) + shift;
          if (rng.chance(0.2)) offsets.reverse();
        }
      }
      break;
    }
    default:
      headerText = decoder.decode(mutateBytes(rng, new TextEncoder().encode(serializeJson(parts.header)), corpus));
  }
  after?.(parts);
  const out = rawSafetensors(null, parts.data, headerText ?? serializeJson(parts.header));
  if (rng.chance(0.1)) {
    // A wrong declared header length (huge, past the end, off by a few bytes).
    const view = new DataView(out.buffer);
    const length = rng.chance(0.5) ? rng.pick(INTERESTING_32) : view.getUint32(0, true) + rng.between(-9, 9);
    view.setUint32(0, length >>> 0, true);
    view.setUint32(4, rng.chance(0.8) ? 0 : rng.pick(INTERESTING_32), true);
  }
  return out;
}


// ONNX: structured mutations of the decoded ModelProto (as a plain object with int64 as strings).
const ONNX_OPS = ['Gemm', 'MatMul', 'Add', 'Relu', 'Conv', 'MaxPool', 'Flatten', 'Reshape', 'Identity', 'Constant', 'Shape', 'Gather', 'Unsqueeze', 'Concat', 'Transpose', 'Softmax', 'Sub', ''];
const ONNX_ATTRIBUTES = ['alpha', 'beta', 'transA', 'transB', 'auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides', 'ceil_mode', 'axis', 'allowzero', 'axes', 'perm', 'start', 'end', 'value', 'value_float', 'value_floats', 'value_int', 'value_ints'];
const INT64_TEXT = ['0', '1', '2', '3', '-1', '-2', '8', '1000000000', '2147483648', '4294967296', '9007199254740993', '9223372036854775807', '-9223372036854775808'];

/** A decoded ModelProto as a plain object (int64 as strings), edited freely by the mutator. */
export type Json = Record<string, any>;

export function mutateOnnxObject(rng: Rng, model: Json): void {
  const graph: Json = model['graph'] ?? (model['graph'] = {});
  const nodes: Json[] = graph['node'] ?? (graph['node'] = []);
  const initializers: Json[] = graph['initializer'] ?? (graph['initializer'] = []);
  const names = [...new Set([...nodes.flatMap((n) => [...(n['input'] ?? []), ...(n['output'] ?? [])]), ...initializers.map((t) => t['name']), 'input', 'logits', '', 'missing'])];
  const int64 = (): string => (rng.chance(0.6) ? rng.pick(INT64_TEXT) : String(rng.between(-3, 40)));
  const node = nodes.length > 0 ? rng.pick(nodes) : null;
  const tensor = initializers.length > 0 ? rng.pick(initializers) : null;
  switch (rng.below(16)) {
    case 0:
      if (node) node['opType'] = rng.pick(ONNX_OPS);
      break;
    case 1:
      if (node) {
        const list: string[] = (node[rng.chance(0.7) ? 'input' : 'output'] ??= []);
        if (list.length > 0 && rng.chance(0.7)) list[rng.below(list.length)] = rng.pick(names);
        else if (rng.chance(0.5)) list.push(rng.pick(names));
        else list.pop();
      }
      break;
    case 2:
      if (nodes.length > 0) nodes.splice(rng.below(nodes.length), 1);
      break;
    case 3:
      if (node) nodes.splice(rng.below(nodes.length + 1), 0, structuredClone(node));
      break;
    case 4:
      if (nodes.length > 1) {
        const i = rng.below(nodes.length);
        const j = rng.below(nodes.length);
        [nodes[i], nodes[j]] = [nodes[j]!, nodes[i]!];
      }
      break;
    case 5:
      if (node) {
        const attributes: Json[] = (node['attribute'] ??= []);
        if (attributes.length > 0 && rng.chance(0.7)) {
          const a = rng.pick(attributes);
          switch (rng.below(5)) {
            case 0: a['i'] = int64(); break;
            case 1: a['ints'] = Array.from({ length: rng.below(6) }, int64); break;
            case 2: a['f'] = rng.pick([0, 1, -1, 0.5, NaN, Infinity, 1e30]); break;
            case 3: a['s'] = Buffer.from(rng.pick(['NOTSET', 'VALID', 'SAME_UPPER', '', '\u00ff'])); break;
            default: attributes.splice(attributes.indexOf(a), 1);
          }
        } else {
          attributes.push({ name: rng.pick(ONNX_ATTRIBUTES), type: rng.between(0, 10), i: int64(), ints: [int64(), int64()] });
        }
      }
      break;
    case 6:
    case 7:
      if (tensor) {
        const dims: string[] = (tensor['dims'] ??= []);
        if (dims.length > 0 && rng.chance(0.7)) dims[rng.below(dims.length)] = int64();
        else if (rng.chance(0.5)) dims.push(int64());
        else dims.pop();
      }
      break;
    case 8:
      if (tensor) tensor['dataType'] = rng.chance(0.5) ? rng.pick([1, 6, 7, 10, 11, 16]) : rng.between(0, 20);
      break;
    case 9:
      if (tensor) {
        const raw: Uint8Array | undefined = tensor['rawData'];
        if (raw && raw.length > 0) {
          if (rng.chance(0.5)) tensor['rawData'] = Buffer.from(mutateBytes(rng, raw, [raw]));
          else {
            // Plant a NaN or ±Infinity (float32 and float64 patterns).
            const copy = Buffer.from(raw);
            const at = 4 * rng.below(Math.max(1, copy.length >> 2));
            const pattern = rng.pick([[0, 0, 0xc0, 0x7f], [0, 0, 0x80, 0x7f], [0, 0, 0x80, 0xff], [0, 0, 0, 0, 0, 0, 0xf8, 0x7f]]);
            pattern.forEach((b, k) => { if (at + k < copy.length) copy[at + k] = b; });
            tensor['rawData'] = copy;
          }
        } else {
          tensor['floatData'] = Array.from({ length: rng.below(8) }, () => rng.pick([0, 1, NaN, Infinity, -Infinity, 1e38]));
        }
      }
      break;
    case 10:
      if (tensor) {
        if (rng.chance(0.5)) tensor['dataLocation'] = 1;
        else tensor['externalData'] = [{ key: 'location', value: 'weights.bin' }];
      }
      break;
    case 11:
      if (tensor) {
        if (rng.chance(0.5)) tensor['name'] = rng.pick(names);
        else initializers.splice(initializers.indexOf(tensor), 1);
      }
      break;
    case 12: {
      const list: Json[] = graph[rng.chance(0.5) ? 'input' : 'output'] ?? [];
      const info = list.length > 0 ? rng.pick(list) : null;
      const dims: Json[] | undefined = info?.['type']?.['tensorType']?.['shape']?.['dim'];
      if (dims && dims.length > 0 && rng.chance(0.7)) {
        const d = rng.pick(dims);
        if (rng.chance(0.3)) {
          delete d['dimValue'];
          d['dimParam'] = 'n';
        } else {
          delete d['dimParam'];
          d['dimValue'] = int64();
        }
      } else if (dims && rng.chance(0.5)) {
        dims.push({ dimValue: int64() });
      } else if (info) {
        if (rng.chance(0.5)) info['type']['tensorType']['elemType'] = rng.between(0, 17);
        else list.push({ ...structuredClone(info), name: rng.pick(names) });
      }
      break;
    }
    case 13:
      switch (rng.below(4)) {
        case 0: model['irVersion'] = rng.pick(['0', '-1', '3', '11', '9223372036854775807']); break;
        case 1: model['opsetImport'] = rng.chance(0.5) ? [] : [{ domain: 'com.example', version: '1' }]; break;
        case 2: model['metadataProps'] = [{ key: 'lottery.preprocess', value: rng.pick(['pixels', 'standard', 'raw', '']) }]; break;
        default: delete model['graph'];
      }
      break;
    case 14:
      if (node) node['domain'] = rng.pick(['', 'ai.onnx', 'com.microsoft']);
      break;
    default:
      if (tensor && rng.chance(0.5)) {
        tensor['segment'] = { begin: '0', end: '1' };
      } else {
        graph['sparseInitializer'] = [{ values: { name: 'sparse' } }];
      }
  }
}


// Tickets: most mutations are re-sealed (payload_sha256 recomputed), or the checksum would reject them all.
const TICKET_TENSOR = /^stage(\d+)\.(units|edge_offsets|edge_keys)$/;

function ticketRank(name: string): number {
  const m = TICKET_TENSOR.exec(name);
  return m ? Number(m[1]) * 3 + ['units', 'edge_offsets', 'edge_keys'].indexOf(m[2]!) : Number.MAX_SAFE_INTEGER;
}

/** Recomputes payload_sha256 as ticketFile.ts does (docs/ticket-format.md), if the parts are well-formed enough. */
export function reseal(parts: SafetensorsParts): void {
  if (typeof parts.header !== 'object' || parts.header === null || Array.isArray(parts.header)) return;
  const metadata = parts.header['__metadata__'];
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return;
  const entries = Object.entries(metadata as Record<string, unknown>);
  if (!entries.every(([, v]) => typeof v === 'string')) return;
  const tensors: { name: string; bytes: Uint8Array }[] = [];
  for (const [name, info] of Object.entries(parts.header)) {
    if (name === '__metadata__') continue;
    const offsets = (info as { data_offsets?: unknown } | null)?.data_offsets;
    if (!Array.isArray(offsets) || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0 && o <= parts.data.length) || offsets[0] > offsets[1]) return;
    tensors.push({ name, bytes: parts.data.subarray(offsets[0], offsets[1]) });
  }
  tensors.sort((a, b) => ticketRank(a.name) - ticketRank(b.name));
  const hash = createHash('sha256');
  for (const [key, value] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (key === 'payload_sha256') continue;
    hash.update(`${key}\u0000${value}\u0000`);
  }
  for (const t of tensors) {
    hash.update(`${t.name}\u0000`);
    hash.update(t.bytes);
  }
  (metadata as Record<string, string>)['payload_sha256'] = hash.digest('hex');
}

/** Overwrites one int32 of the data section (a mask index or offset) with a boundary value. */
export function mutateMaskValue(rng: Rng, parts: SafetensorsParts): void {
  const data = parts.data.slice();
  if (data.length < 4) return;
  const view = new DataView(data.buffer);
  const at = 4 * rng.below(data.length >> 2);
  const old = view.getInt32(at, true);
  view.setInt32(at, rng.pick([old + 1, old - 1, -1, 0, 2 ** 31 - 1, -(2 ** 31), old * 2, rng.pick(INTERESTING_32) | 0]), true);
  parts.data = data;
}


/** Replaces the ticket JSON in a ticket file's metadata with a mutated copy. */
export function mutateTicketJson(rng: Rng, parts: SafetensorsParts): void {
  const metadata = parts.header['__metadata__'] as Record<string, string>;
  metadata['ticket'] = serializeJson(mutateJson(rng, JSON.parse(metadata['ticket']!), INNER_KEYS));
}

