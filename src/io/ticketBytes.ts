/**
 * Ticket files as bytes (no file system: the browser page uses it too; ticketFile.ts reads and writes them): safetensors holding the masks of a Theorem 1 ticket as sparse index lists (int32) and its
 * metadata (format version, generator and seed, construction, n, widths, tolerance, scale factors, certificate,
 * SHA-256 of the target) as JSON; no weights — they are regenerated from the seed. A SHA-256 over the metadata
 * and the tensor bytes detects truncated or altered files. Layout: docs/ticket-format.md.
 */
import { InputError } from '../core/errors.js';
import { Sha256 } from '../core/sha256.js';
import { distributionProblem } from '../core/random.js';
import { TICKET_CONSTRUCTIONS, TICKET_CONSTRUCTION_L_PLUS_1, TICKET_FORMAT, TICKET_FORMAT_VERSION, TICKET_GENERATOR, type Ticket, type TicketMeta, type TicketStageMasks } from '../theorem1/ticket.js';
import { hiddenUnitCount, type StageGeometry } from '../theorem1/theorem1.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensorInput } from './safetensors.js';
import { describeJson, quoteText } from '../core/describe.js';

const CHECKSUM_KEY = 'payload_sha256';

function tensorsOf(ticket: Ticket): SafetensorsTensorInput[] {
  const tensors: SafetensorsTensorInput[] = [];
  ticket.masks.forEach((m, s) => {
    const p = `stage${s + 1}`;
    tensors.push({ name: `${p}.units`, dtype: 'I32', shape: [m.units.length], data: m.units });
    tensors.push({ name: `${p}.edge_offsets`, dtype: 'I32', shape: [m.edgeOffsets.length], data: m.edgeOffsets });
    tensors.push({ name: `${p}.edge_keys`, dtype: 'I32', shape: [m.edgeKeys.length], data: m.edgeKeys });
  });
  return tensors;
}

/** Human-readable summary fields (all duplicated inside "ticket"; covered by the checksum). */
function metadataOf(ticket: Ticket): Record<string, string> {
  const m = ticket.meta;
  return {
    format: TICKET_FORMAT,
    format_version: String(TICKET_FORMAT_VERSION),
    construction: m.construction,
    generator: m.generator,
    seed: String(m.seed),
    sample_counts: m.stages.map((s) => s.sampleCount).join(','),
    widths: m.stages.map(hiddenUnitCount).join(','),
    tolerance: String(m.tolerance),
    certified_bound: String(m.certificate.realBound),
    target_sha256: m.targetSha256,
    ticket: JSON.stringify(m),
  };
}

/** SHA-256 over the metadata entries (sorted by key, checksum excluded) and the tensor bytes in file order. */
function payloadChecksum(metadata: Record<string, string>, tensors: readonly { name: string; data: Int32Array }[]): string {
  const hash = new Sha256();
  const utf8 = new TextEncoder();
  for (const key of Object.keys(metadata).sort()) {
    if (key === CHECKSUM_KEY) continue;
    hash.update(utf8.encode(`${key}\u0000${metadata[key]}\u0000`));
  }
  for (const t of tensors) {
    hash.update(utf8.encode(`${t.name}\u0000`));
    hash.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return hash.digestHex();
}

export function encodeTicket(ticket: Ticket): Uint8Array[] {
  const tensors = tensorsOf(ticket);
  const metadata = metadataOf(ticket);
  metadata[CHECKSUM_KEY] = payloadChecksum(metadata, tensors as { name: string; data: Int32Array }[]);
  return encodeSafetensors(tensors, metadata);
}

export function decodeTicket(bytes: Uint8Array, file: string): Ticket {
  const decoded = decodeSafetensors(bytes, file);
  const md = decoded.metadata;
  if (md['format'] !== TICKET_FORMAT) throw new InputError(`${file}: not a lottery ticket (metadata format is '${quoteText(md['format'] ?? '(missing)')}', expected '${TICKET_FORMAT}')`);
  if (md['format_version'] !== String(TICKET_FORMAT_VERSION)) {
    throw new InputError(`${file}: ticket format_version '${quoteText(md['format_version'] ?? '(missing)')}' is not supported (this toolkit reads version ${TICKET_FORMAT_VERSION})`);
  }
  const names = [...decoded.tensors.keys()];
  const tensors: { name: string; data: Int32Array }[] = [];
  for (const name of names) {
    const t = decoded.tensors.get(name)!;
    if (t.dtype !== 'I32' || !(t.data instanceof Int32Array)) throw new InputError(`${file}: tensor '${quoteText(name)}' has dtype ${t.dtype}, expected I32`);
    tensors.push({ name, data: t.data });
  }
  // The checksum covers tensors in the order the writer put them (stage by stage); re-sort by that order.
  const ordered = orderTensors(tensors, file);
  const expected = md[CHECKSUM_KEY];
  if (expected === undefined) throw new InputError(`${file}: ticket metadata has no ${CHECKSUM_KEY}`);
  const actual = payloadChecksum(md, ordered);
  if (actual !== expected) throw new InputError(`${file}: ticket checksum mismatch (stored ${quoteText(expected.slice(0, 12))}…, computed ${actual.slice(0, 12)}…): the file was altered or damaged`);
  let meta: unknown;
  try {
    meta = JSON.parse(md['ticket'] ?? '');
  } catch (error) {
    throw new InputError(`${file}: ticket metadata 'ticket' is not valid JSON (${quoteText((error as Error).message, 200)})`);
  }
  checkMeta(meta, file);
  const masks: TicketStageMasks[] = meta.stages.map((stage, s) => {
    const get = (suffix: string): Int32Array => {
      const t = decoded.tensors.get(`stage${s + 1}.${suffix}`);
      if (!t) throw new InputError(`${file}: missing tensor stage${s + 1}.${suffix}`);
      return t.data as Int32Array;
    };
    const m = { units: get('units'), edgeOffsets: get('edge_offsets'), edgeKeys: get('edge_keys') };
    checkMasks(m, stage, s + 1, file);
    return m;
  });
  if (decoded.tensors.size !== 3 * meta.stages.length) throw new InputError(`${file}: ${decoded.tensors.size} tensors, expected ${3 * meta.stages.length} for ${meta.stages.length} stages`);
  return { meta, masks };
}

function orderTensors(tensors: { name: string; data: Int32Array }[], file: string): { name: string; data: Int32Array }[] {
  const rank = (name: string): number => {
    const m = /^stage(\d+)\.(units|edge_offsets|edge_keys)$/.exec(name);
    if (!m) throw new InputError(`${file}: unexpected tensor '${quoteText(name)}' in a ticket`);
    return Number(m[1]) * 3 + ['units', 'edge_offsets', 'edge_keys'].indexOf(m[2]!);
  };
  return [...tensors].sort((a, b) => rank(a.name) - rank(b.name));
}

const DISTRIBUTION_KINDS = ['uniform', 'product', 'normal', 'log-uniform'];
const DISTRIBUTION_PARAMETERS: Record<string, readonly string[]> = {
  uniform: ['low', 'high'],
  product: [],
  normal: ['mean', 'std'],
  'log-uniform': ['minMagnitude', 'maxMagnitude'],
};
const OBJECTIVES = ['closest', 'sparsest'];
const INPUT_DOMAINS = ['nonnegative', 'any'];
/** Mask entries are int32: hidden units r < 2^31 and edge keys r·k² + tap < 2^31. */
const MAX_INT32 = 2 ** 31 - 1;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const positiveInteger = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 1;
const nonNegativeInteger = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const positiveFinite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;
const nonNegativeFinite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Parameter-free layers copied into the ticket (relu, flatten, maxpool2d with a positive size). */
function copiedLayersProblem(value: unknown): string | null {
  if (!Array.isArray(value)) return `must be a list, got ${describeJson(value)}`;
  for (const layer of value) {
    const ok = isPlainObject(layer) && (layer['kind'] === 'relu' || layer['kind'] === 'flatten' || (layer['kind'] === 'maxpool2d' && positiveInteger(layer['size'])));
    if (!ok) return `holds ${describeJson(layer)}, expected relu, flatten or maxpool2d with a positive size`;
  }
  return null;
}

/**
 * Everything the toolkit reads from a ticket's metadata: types, ranges, and sizes for which mask indices fit in
 * int32 and random-stream indices in 2^53 — so a ticket that passes can be regenerated and run without surprises.
 */
function checkMeta(meta: unknown, file: string): asserts meta is TicketMeta {
  const bad = (what: string): never => {
    throw new InputError(`${file}: ticket metadata: ${what}`);
  };
  if (!isPlainObject(meta)) bad(`expected a JSON object, got ${describeJson(meta)}`);
  const m = meta as Record<string, unknown>;
  if (m['format'] !== TICKET_FORMAT) bad(`format ${describeJson(m['format'])}`);
  if (!(TICKET_CONSTRUCTIONS as readonly unknown[]).includes(m['construction'])) bad(`construction ${describeJson(m['construction'])} is not supported (expected one of ${TICKET_CONSTRUCTIONS.join(', ')})`);
  const copies = m['construction'] === TICKET_CONSTRUCTION_L_PLUS_1;
  if (m['generator'] !== TICKET_GENERATOR) bad(`generator ${describeJson(m['generator'])} is not supported (expected ${TICKET_GENERATOR})`);
  if (!Number.isInteger(m['seed']) || (m['seed'] as number) < 0 || (m['seed'] as number) > 0xffffffff) bad(`seed ${describeJson(m['seed'])}`);
  const distribution = m['distribution'];
  if (!isPlainObject(distribution) || !DISTRIBUTION_KINDS.includes(distribution['kind'] as string)) {
    bad(`distribution ${describeJson(distribution)}: expected one of the kinds ${DISTRIBUTION_KINDS.join(', ')}`);
  }
  const kind = (distribution as Record<string, unknown>)['kind'] as string;
  for (const key of DISTRIBUTION_PARAMETERS[kind]!) {
    const value = (distribution as Record<string, unknown>)[key];
    if (typeof value !== 'number') bad(`distribution ${kind}: ${key} ${describeJson(value)} is not a number`);
  }
  const problem = distributionProblem(distribution as unknown as TicketMeta['distribution']);
  if (problem) bad(`distribution: ${quoteText(problem, 200)}`);
  if (!OBJECTIVES.includes(m['objective'] as string)) bad(`objective ${describeJson(m['objective'])}`);
  if (m['subsetSize'] !== undefined && !(positiveInteger(m['subsetSize']) && m['objective'] === 'closest')) bad(`subsetSize ${describeJson(m['subsetSize'])}: expected a positive integer, with objective closest`);
  if (!INPUT_DOMAINS.includes(m['inputDomain'] as string)) bad(`inputDomain ${describeJson(m['inputDomain'])}`);
  for (const key of ['inputShape', 'outputShape']) {
    const shape = m[key];
    if (!Array.isArray(shape) || shape.length === 0 || !shape.every(positiveInteger)) bad(`${key} ${describeJson(shape)}: expected a list of positive integers`);
  }
  for (const key of ['inputScale', 'outputScale', 'augmentedRadius', 'inputRadius', 'tolerance']) {
    if (!positiveFinite(m[key])) bad(`${key} = ${describeJson(m[key])}`);
  }
  if (typeof m['constant'] !== 'boolean') bad(`constant ${describeJson(m['constant'])}`);
  if (!nonNegativeInteger(m['inputConstantCount'])) bad(`inputConstantCount ${describeJson(m['inputConstantCount'])}`);
  for (const key of ['targetSha256', 'keptWeightsSha256']) {
    if (typeof m[key] !== 'string' || !/^[0-9a-f]{64}$/.test(m[key] as string)) bad(`${key} ${describeJson(m[key])}: expected 64 hex digits`);
  }
  const before = copiedLayersProblem(m['before']);
  if (before) bad(`before ${before}`);
  const certificate = m['certificate'];
  if (
    !isPlainObject(certificate) || !Array.isArray(certificate['stages']) ||
    !['normalisedBound', 'realBound', 'aPrioriNormalisedBound'].every((key) => nonNegativeFinite(certificate[key]))
  ) {
    bad(`certificate ${describeJson(certificate)}: expected finite bounds ≥ 0 and a list of stages`);
  }
  const stages = m['stages'];
  if (!Array.isArray(stages) || stages.length === 0) bad('no stages');
  (stages as unknown[]).forEach((stage, index) => {
    const where = `stage ${index + 1}`;
    if (!isPlainObject(stage)) bad(`${where}: expected an object, got ${describeJson(stage)}`);
    const g = stage as Record<string, unknown>;
    if (g['kind'] !== 'dense' && g['kind'] !== 'conv2d') bad(`${where}: kind ${describeJson(g['kind'])}`);
    if (typeof g['name'] !== 'string') bad(`${where}: name ${describeJson(g['name'])}`);
    for (const key of ['inUnits', 'outUnits', 'realInUnits', 'realOutUnits', 'kernelSize', 'inputHeight', 'inputWidth', 'outputHeight', 'outputWidth', 'sampleCount']) {
      if (!positiveInteger(g[key])) bad(`${where}: ${key} ${describeJson(g[key])}: expected a positive integer`);
    }
    if (!nonNegativeInteger(g['padding'])) bad(`${where}: padding ${describeJson(g['padding'])}`);
    if (typeof g['twoBranch'] !== 'boolean') bad(`${where}: twoBranch ${describeJson(g['twoBranch'])}`);
    for (const key of ['scale', 'entryTolerance']) {
      if (!positiveFinite(g[key])) bad(`${where}: ${key} = ${describeJson(g[key])}`);
    }
    const after = copiedLayersProblem(g['after']);
    if (after) bad(`${where}: after ${after}`);
    // Depth l+1: output copies on every stage, input copies (and one random layer) on every stage after the first.
    const last = index === (stages as unknown[]).length - 1;
    for (const key of ['inputCopies', 'outputCopies', 'edgeLayer']) {
      const value = g[key];
      const expected = copies && (key === 'outputCopies' || key === 'edgeLayer' || index > 0);
      if (!expected && value !== undefined) bad(`${where}: ${key} ${describeJson(value)} does not belong to a ${m['construction']} ticket`);
      if (expected && !positiveInteger(value)) bad(`${where}: ${key} ${describeJson(value)}: expected a positive integer`);
    }
    if (copies) {
      if ((g['outUnits'] as number) % (g['outputCopies'] as number) !== 0 || (last && g['outputCopies'] !== 1)) bad(`${where}: outputCopies ${describeJson(g['outputCopies'])} does not divide outUnits ${g['outUnits']}${last ? ' (the last stage has 1)' : ''}`);
      if (g['edgeLayer'] !== index + 2) bad(`${where}: edgeLayer ${describeJson(g['edgeLayer'])}, expected ${index + 2}`);
      if (index > 0 && ((g['inUnits'] as number) % (g['inputCopies'] as number) !== 0 || g['inputCopies'] !== g['sampleCount'] || g['twoBranch'] !== false)) {
        bad(`${where}: inputCopies ${describeJson(g['inputCopies'])} must divide inUnits ${g['inUnits']}, equal sampleCount and go with one branch`);
      }
    }
    const hidden = hiddenUnitCount(g as unknown as StageGeometry);
    const keys = hidden * (g['kernelSize'] as number) ** 2;
    // Mask entries are int32, and M_{2i}'s stream index (r·k² + tap)·outUnits + o must stay below 2^53.
    if (keys > MAX_INT32 || keys * (g['outUnits'] as number) > Number.MAX_SAFE_INTEGER) {
      bad(`${where}: 2·sampleCount·inUnits·kernelSize² = ${keys} hidden weights per output is too large for a ticket (at most ${MAX_INT32})`);
    }
  });
}

function checkMasks(m: TicketStageMasks, stage: TicketMeta['stages'][number], s: number, file: string): void {
  const where = `${file}: stage ${s}`;
  const hidden = hiddenUnitCount(stage);
  const kk = stage.kernelSize * stage.kernelSize;
  for (let q = 0; q < m.units.length; q++) {
    const r = m.units[q]!;
    if (r < 0 || r >= hidden || (q > 0 && r <= m.units[q - 1]!)) throw new InputError(`${where}: units[${q}] = ${r} is out of range [0, ${hidden}) or not ascending`);
  }
  if (m.edgeOffsets.length !== stage.outUnits + 1 || m.edgeOffsets[0] !== 0 || m.edgeOffsets[stage.outUnits] !== m.edgeKeys.length) {
    throw new InputError(`${where}: edge_offsets must have ${stage.outUnits + 1} entries from 0 to ${m.edgeKeys.length}`);
  }
  const kept = new Set<number>(m.units);
  for (let o = 0; o < stage.outUnits; o++) {
    const from = m.edgeOffsets[o]!;
    const to = m.edgeOffsets[o + 1]!;
    if (to < from) throw new InputError(`${where}: edge_offsets decrease at output ${o}`);
    for (let e = from; e < to; e++) {
      const key = m.edgeKeys[e]!;
      if (key < 0 || key >= hidden * kk || (e > from && key <= m.edgeKeys[e - 1]!)) throw new InputError(`${where}: edge_keys[${e}] = ${key} is out of range or not ascending in row ${o}`);
      if (!kept.has(Math.floor(key / kk))) throw new InputError(`${where}: edge_keys[${e}] reads hidden unit ${Math.floor(key / kk)}, which is not in units`);
    }
  }
}
