/**
 * Mutators for the fuzz harness: byte-level (bit flips, interesting integers, truncation, extension, splices,
 * copies) and JSON-level (wrong types, NaN-like strings, huge and non-finite numbers, deleted or unknown keys,
 * deep nesting, enormous strings). All randomness comes from a counter-based RandomStream, so fuzz input i of a
 * reader is a pure function of (seed, reader, i) and any failing input can be regenerated from its number.
 */
import { RandomStream, namedStream } from '../src/core/random.js';
import { concatChunks } from '../src/io/safetensors.js';

/** Random numbers available to one fuzz input (its slice of the reader's stream). */
const DRAWS_PER_INPUT = 2 ** 24;

/** A cursor over one input's slice of a RandomStream. */
export class Rng {
  private counter = 0;
  private readonly base: number;
  constructor(
    private readonly stream: RandomStream,
    iteration: number,
  ) {
    this.base = iteration * DRAWS_PER_INPUT;
  }

  /** The generator of fuzz input `iteration` of `reader` under `seed`. */
  static forInput(seed: number, reader: string, iteration: number): Rng {
    return new Rng(new RandomStream(seed, namedStream(`fuzz/${reader}`)), iteration);
  }

  /** Uniform in [0, 1). */
  next(): number {
    if (this.counter >= DRAWS_PER_INPUT) throw new RangeError('fuzz: one input used more than 2^24 random numbers');
    return this.stream.uniform01(this.base + this.counter++);
  }

  /** Integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [low, high] (inclusive). */
  between(low: number, high: number): number {
    return low + this.below(high - low + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  /** Small sizes far more often than large ones: 2^u with u uniform in [0, log2(max)]. */
  size(max: number): number {
    return Math.min(max, Math.floor(2 ** (this.next() * Math.log2(max + 1))));
  }

  bytes(count: number): Uint8Array {
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i++) out[i] = this.below(256);
    return out;
  }
}

// ---- bytes ------------------------------------------------------------------------------------------------

/** Values that tend to break length and offset fields. */
export const INTERESTING_32 = [
  0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 100, 127, 128, 255, 256, 1000, 1024, 4096, 0x7fff, 0x8000, 0xffff, 0x10000,
  0xffffff, 0x1000000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
];
export const INTERESTING_64: readonly bigint[] = [
  0n, 1n, 8n, 100n, 0xffffffffn, 0x100000000n, 100_000_000n, 100_000_001n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n,
  2n ** 62n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n,
];

function writeInteger(out: Uint8Array, at: number, value: bigint, width: number, littleEndian: boolean): void {
  for (let k = 0; k < width && at + k < out.length; k++) {
    const byte = Number((value >> BigInt(8 * k)) & 0xffn);
    out[littleEndian ? at + k : at + width - 1 - k] = byte;
  }
}

type ByteMutator = (rng: Rng, input: Uint8Array, corpus: readonly Uint8Array[]) => Uint8Array;

const BYTE_MUTATORS: readonly { name: string; weight: number; apply: ByteMutator }[] = [
  {
    name: 'flip-bit',
    weight: 6,
    apply: (rng, input) => {
      if (input.length === 0) return rng.bytes(1);
      const out = input.slice();
      const at = rng.below(out.length);
      out[at]! ^= 1 << rng.below(8);
      return out;
    },
  },
  {
    name: 'set-byte',
    weight: 4,
    apply: (rng, input) => {
      if (input.length === 0) return rng.bytes(1);
      const out = input.slice();
      out[rng.below(out.length)] = rng.pick([0, 1, 0x7f, 0x80, 0xff, 0x20, 0x22, 0x2c, 0x5b, 0x7b, rng.below(256)]);
      return out;
    },
  },
  {
    name: 'add-to-byte',
    weight: 3,
    apply: (rng, input) => {
      if (input.length === 0) return rng.bytes(1);
      const out = input.slice();
      const at = rng.below(out.length);
      out[at] = (out[at]! + rng.between(-16, 16)) & 0xff;
      return out;
    },
  },
  {
    name: 'interesting-integer',
    weight: 6,
    apply: (rng, input) => {
      if (input.length === 0) return rng.bytes(8);
      const out = input.slice();
      const width = rng.pick([1, 2, 4, 8]);
      const value = width === 8 ? rng.pick(INTERESTING_64) : BigInt(rng.pick(INTERESTING_32));
      // Length fields sit at the start of a file more often than anywhere else.
      const at = rng.chance(0.3) ? rng.below(Math.min(16, out.length)) : rng.below(out.length);
      writeInteger(out, at, value, width, rng.chance(0.5));
      return out;
    },
  },
  {
    name: 'truncate',
    weight: 4,
    apply: (rng, input) => input.slice(0, rng.chance(0.5) ? rng.below(input.length + 1) : Math.max(0, input.length - rng.size(64))),
  },
  {
    name: 'extend',
    weight: 3,
    apply: (rng, input) => {
      const count = rng.size(4096);
      const kind = rng.below(3);
      const tail = kind === 0 ? new Uint8Array(count) : kind === 1 ? rng.bytes(count) : new Uint8Array(count).fill(rng.below(256));
      return concatChunks([input, tail]);
    },
  },
  {
    name: 'delete-range',
    weight: 3,
    apply: (rng, input) => {
      if (input.length === 0) return input;
      const from = rng.below(input.length);
      const to = Math.min(input.length, from + rng.size(256));
      return concatChunks([input.subarray(0, from), input.subarray(to)]);
    },
  },
  {
    name: 'insert-bytes',
    weight: 3,
    apply: (rng, input) => {
      const at = rng.below(input.length + 1);
      return concatChunks([input.subarray(0, at), rng.bytes(rng.size(64)), input.subarray(at)]);
    },
  },
  {
    name: 'duplicate-range',
    weight: 2,
    apply: (rng, input) => {
      if (input.length === 0) return input;
      const from = rng.below(input.length);
      const to = Math.min(input.length, from + rng.size(512));
      const at = rng.below(input.length + 1);
      return concatChunks([input.subarray(0, at), input.subarray(from, to), input.subarray(at)]);
    },
  },
  {
    name: 'copy-range',
    weight: 2,
    apply: (rng, input) => {
      if (input.length < 2) return input;
      const out = input.slice();
      const from = rng.below(input.length);
      const count = Math.min(input.length - from, rng.size(64));
      const to = rng.below(input.length);
      out.set(input.subarray(from, from + Math.min(count, input.length - to)), to);
      return out;
    },
  },
  {
    name: 'splice',
    weight: 2,
    apply: (rng, input, corpus) => {
      const other = rng.pick(corpus);
      const cut = rng.below(input.length + 1);
      const otherCut = rng.below(other.length + 1);
      return concatChunks([input.subarray(0, cut), other.subarray(otherCut)]);
    },
  },
];

const BYTE_WEIGHT = BYTE_MUTATORS.reduce((sum, m) => sum + m.weight, 0);

/** Applies 1–8 stacked byte mutations (fewer more often). */
export function mutateBytes(rng: Rng, input: Uint8Array, corpus: readonly Uint8Array[]): Uint8Array {
  let out = input;
  const rounds = rng.size(8) || 1;
  for (let r = 0; r < rounds; r++) {
    let ticket = rng.below(BYTE_WEIGHT);
    for (const m of BYTE_MUTATORS) {
      ticket -= m.weight;
      if (ticket < 0) {
        out = m.apply(rng, out, corpus);
        break;
      }
    }
  }
  return out;
}

// ---- JSON -------------------------------------------------------------------------------------------------

/**
 * Placeholders stand for text JSON.stringify cannot write (±Infinity as 1e999, -0, over-long digit strings) or
 * would recurse into (deep nesting), and for enormous strings; `serializeJson` substitutes them in the text.
 */
const MARK = '\u0001fuzz:';
const MARK_END = '\u0002';

function placeholder(kind: string, size = 0): string {
  return `${MARK}${kind}:${size}${MARK_END}`;
}

/** The raw JSON text of a placeholder (the quoted placeholder string is replaced by it); null if it was mutated. */
function expand(kind: string, size: number): string | null {
  switch (kind) {
    case 'inf':
      return '1e999';
    case 'ninf':
      return '-1e999';
    case 'negzero':
      return '-0';
    case 'tiny':
      return '1e-400';
    case 'longint':
      return '9'.repeat(size);
    case 'deep-array':
      return '['.repeat(size) + ']'.repeat(size);
    case 'deep-object':
      return '{"a":'.repeat(size) + '1' + '}'.repeat(size);
    case 'huge-string':
      return '"' + 'a'.repeat(size) + '"';
    case 'huge-array':
      return '[' + new Array<string>(size).fill('0.5').join(',') + ']';
    default:
      return null; // a string mutation hit the placeholder: it stays an ordinary string
  }
}

/** JSON.stringify, then every placeholder string replaced by its raw text. */
export function serializeJson(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  if (!text.includes('\\u0001fuzz:')) return text;
  return text.replace(/"\\u0001fuzz:([a-z-]+):(\d+)\\u0002"/g, (match: string, kind: string, size: string) => expand(kind, Number(size)) ?? match);
}

/** Replacement values of every JSON type, chosen to sit on validation boundaries. */
function interestingValue(rng: Rng): unknown {
  switch (rng.below(30)) {
    case 0: return null;
    case 1: return rng.chance(0.5);
    case 2: return 0;
    case 3: return -1;
    case 4: return rng.pick([0.5, 1, 2, 3, 64, 1000, 60000, 60001, 4294967295, 4294967296]);
    case 5: return rng.pick([1e308, -1e308, 5e-324, 2 ** 53, 2 ** 53 + 2, 2 ** 64, -(2 ** 31), 1.5, -0.5, 1 - 1e-16]);
    case 6: return placeholder(rng.pick(['inf', 'ninf', 'negzero', 'tiny']));
    case 7: return placeholder('longint', rng.between(17, 400));
    case 8: return rng.pick(['', 'NaN', 'Infinity', '-Infinity', '1e999', '0x10', ' 1 ', '1', 'true', 'null', '__proto__', 'constructor']);
    case 9: return rng.pick(['fc2', 'fc4', 'lenet5', 'dense', 'wide', 'theorem1', 'ours-relu', 'popup', 'F32', 'I32', 'uniform']);
    case 10: return [];
    case 11: return {};
    case 12: return [1, 2, 3];
    case 13: return { low: 0, high: 1 };
    case 14: return 'x'.repeat(rng.size(300));
    case 15: return '\u0000\ud800\uffff';
    case 16: return placeholder(rng.pick(['deep-array', 'deep-object']), rng.pick([10, 100, 1000, 10_000, 100_000]));
    case 17: return placeholder('huge-array', rng.size(100_000));
    // Enormous strings are slow (tens of ms); a few per hundred thousand inputs exercise them.
    case 18: return rng.chance(0.01) ? placeholder('huge-string', rng.pick([1_000_000, 50_000_000])) : 'y'.repeat(rng.size(10_000));
    default: return rng.between(-3, 70);
  }
}

interface Slot {
  parent: Record<string, unknown> | unknown[];
  key: string | number;
}

/** Every (container, key) of a JSON value, breadth-first, at most `limit`. */
function slots(root: unknown, limit = 2000): Slot[] {
  const out: Slot[] = [];
  const queue: unknown[] = [root];
  while (queue.length > 0 && out.length < limit) {
    const node = queue.shift();
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        out.push({ parent: node, key: i });
        queue.push(child);
      });
    } else if (typeof node === 'object' && node !== null) {
      for (const [key, child] of Object.entries(node)) {
        out.push({ parent: node as Record<string, unknown>, key });
        queue.push(child);
      }
    }
  }
  return out;
}

function get(slot: Slot): unknown {
  return (slot.parent as Record<string | number, unknown>)[slot.key];
}

function set(slot: Slot, value: unknown): void {
  if (slot.key === '__proto__') {
    Object.defineProperty(slot.parent, slot.key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    (slot.parent as Record<string | number, unknown>)[slot.key] = value;
  }
}

function remove(slot: Slot): void {
  if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
  else delete slot.parent[slot.key as string];
}

/** A deep copy of plain JSON data (iterative on the depth the seeds have; seeds are shallow). */
export function cloneJson<T>(value: T): T {
  return structuredClone(value);
}

/**
 * Applies 1–4 structured mutations to a copy of `value`: replace a node by an interesting value, nudge a number,
 * delete a key or element, add an unknown key, duplicate an element, wrap a node in an array or object, or
 * swap two nodes. The root itself may be replaced too.
 */
export function mutateJson(rng: Rng, value: unknown, extraKeys: readonly string[] = []): unknown {
  let root = cloneJson(value);
  const rounds = rng.size(4) || 1;
  for (let r = 0; r < rounds; r++) {
    const all = slots(root);
    if (all.length === 0 || rng.chance(0.02)) {
      root = interestingValue(rng);
      continue;
    }
    const slot = rng.pick(all);
    const current = get(slot);
    switch (rng.below(10)) {
      case 0:
      case 1:
      case 2:
        set(slot, interestingValue(rng));
        break;
      case 3:
        if (typeof current === 'number') {
          set(slot, rng.pick([current + 1, current - 1, -current, current * 1e9, current / 3, current + 1e-9, Math.floor(current / 2)]));
        } else {
          set(slot, interestingValue(rng));
        }
        break;
      case 4:
        remove(slot);
        break;
      case 5: {
        const key = rng.pick(['unknown', '__proto__', 'constructor', 'toString', '', ...extraKeys]);
        if (typeof current === 'object' && current !== null && !Array.isArray(current)) {
          set({ parent: current as Record<string, unknown>, key }, interestingValue(rng));
        } else if (!Array.isArray(slot.parent)) {
          set({ parent: slot.parent, key }, interestingValue(rng));
        }
        break;
      }
      case 6:
        if (Array.isArray(current) && current.length > 0) current.push(cloneJson(current[rng.below(current.length)]));
        else if (Array.isArray(slot.parent)) slot.parent.push(cloneJson(current));
        else set(slot, [current]);
        break;
      case 7:
        set(slot, rng.chance(0.5) ? [current] : { value: current });
        break;
      case 8: {
        const other = rng.pick(all);
        const otherValue = get(other);
        set(other, cloneJson(current));
        set(slot, cloneJson(otherValue));
        break;
      }
      default:
        if (typeof current === 'string' && current.length > 0) {
          const at = rng.below(current.length);
          set(slot, current.slice(0, at) + rng.pick(['', 'x', ' ', '\u0000', '"', '\\', '\u00e9', '0', '-']) + current.slice(at + 1));
        } else {
          set(slot, interestingValue(rng));
        }
    }
  }
  return root;
}

/** Mutated JSON text: usually a structured mutation, sometimes byte mutations of valid text. */
export function mutateJsonText(rng: Rng, value: unknown, corpus: readonly Uint8Array[], extraKeys: readonly string[] = []): Uint8Array {
  const text = new TextEncoder().encode(serializeJson(mutateJson(rng, value, extraKeys)));
  return rng.chance(0.15) ? mutateBytes(rng, text, corpus) : text;
}
