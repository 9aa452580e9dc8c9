/**
 * A tiny WebAssembly assembler: enough of the binary format (types, one imported memory, functions, exports)
 * and of the instruction set (locals, i32 arithmetic, scalar and f64x2/f32x4 SIMD loads, stores and
 * arithmetic, structured control flow) to write the few hot kernels of the forward passes by hand, without a
 * toolchain. Instructions are plain byte arrays; `fn` and `module` assemble them (WebAssembly core spec 2.0
 * binary format, with the fixed-width SIMD proposal that Node ≥ 16 enables by default).
 */

export type Code = number[];

export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValueType = typeof I32 | typeof F32 | typeof F64 | typeof V128;

function uleb(value: number): Code {
  const out: Code = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(value: number): Code {
  const out: Code = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function f64Bytes(value: number): Code {
  return [...new Uint8Array(new Float64Array([value]).buffer)];
}

const simd = (opcode: number): Code => [0xfd, ...uleb(opcode)];
/** Memory immediate: alignment (log2 bytes) and a constant byte offset added to the address. */
const mem = (align: number, offset: number): Code => [...uleb(align), ...uleb(offset)];

/** Instructions (each returns its bytes; operands come from the stack, as in the text format). */
export const op = {
  get: (local: number): Code => [0x20, ...uleb(local)],
  set: (local: number): Code => [0x21, ...uleb(local)],
  tee: (local: number): Code => [0x22, ...uleb(local)],
  i32: (value: number): Code => [0x41, ...sleb(value)],
  f64: (value: number): Code => [0x44, ...f64Bytes(value)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32Shl: [0x74],
  i32ShrU: [0x76],
  i32DivU: [0x6e],
  i32Eqz: [0x45],
  i32Eq: [0x46],
  i32Ne: [0x47],
  i32LtS: [0x48],
  i32GtS: [0x4a],
  i32LeS: [0x4c],
  i32GeS: [0x4e],
  i32And: [0x71],
  i32Load: (offset = 0): Code => [0x28, ...mem(2, offset)],
  i32Load8U: (offset = 0): Code => [0x2d, ...mem(0, offset)],
  i32Store8: (offset = 0): Code => [0x3a, ...mem(0, offset)],
  i32Store: (offset = 0): Code => [0x36, ...mem(2, offset)],
  f32Load: (offset = 0): Code => [0x2a, ...mem(2, offset)],
  f64Load: (offset = 0): Code => [0x2b, ...mem(3, offset)],
  f32Store: (offset = 0): Code => [0x38, ...mem(2, offset)],
  f64Store: (offset = 0): Code => [0x39, ...mem(3, offset)],
  f64Add: [0xa0],
  f64Sub: [0xa1],
  f64Mul: [0xa2],
  f64Eq: [0x61],
  f64Ne: [0x62],
  f64Lt: [0x63],
  f64Gt: [0x64],
  f64Ge: [0x66],
  f64PromoteF32: [0xbb],
  f32DemoteF64: [0xb6],
  select: [0x1b],
  drop: [0x1a],
  /** v128 load of 16 bytes (alignment hint 1 byte: typed-array offsets need not be 16-aligned). */
  v128Load: (offset = 0): Code => [...simd(0x00), ...mem(0, offset)],
  /** 8 bytes into the low half, high half zero. */
  v128Load64Zero: (offset = 0): Code => [...simd(0x5d), ...mem(0, offset)],
  v128Store: (offset = 0): Code => [...simd(0x0b), ...mem(0, offset)],
  v128Zero: [...simd(0x0c), ...new Array<number>(16).fill(0)],
  /** Byte shuffle of two vectors: lane i of the result is byte lanes[i] of a‖b (0–15 from a, 16–31 from b). */
  i8x16Shuffle: (lanes: number[]): Code => [...simd(0x0d), ...lanes],
  f32x4Splat: simd(0x13),
  f64x2Splat: simd(0x14),
  /** NaN when either lane is NaN; branch-free in V8, unlike scalar f32.max, which mispredicts on random data. */
  f32x4Max: simd(0xe9),
  f32x4ExtractLane: (lane: number): Code => [...simd(0x1f), lane],
  f64x2Add: simd(0xf0),
  f64x2Mul: simd(0xf2),
  /** NaN when either lane is NaN; branch-free (scalar max and select may compile to branches). */
  f64x2Max: simd(0xf5),
  f64x2PromoteLowF32x4: simd(0x5f),
  f64x2ExtractLane: (lane: number): Code => [...simd(0x21), lane],
  /** pmax(a, b) = a < b ? b : a (so pmax(0, v) maps NaN and v ≤ 0 to +0). */
  f64x2Pmax: simd(0xf7),
  /** Lane masks: all ones where a > b. */
  f64x2Gt: simd(0x4a),
  f64x2Ne: simd(0x48),
  v128Or: simd(0x50),
  /** i32 1 when any bit of the vector is set. */
  v128AnyTrue: simd(0x53),
  /** Structured control: `block`/`loop` with no result; `br`/`brIf` count enclosing labels from 0. */
  block: (...body: Code[]): Code => [0x02, 0x40, ...body.flat(), 0x0b],
  loop: (...body: Code[]): Code => [0x03, 0x40, ...body.flat(), 0x0b],
  if: (...body: Code[]): Code => [0x04, 0x40, ...body.flat(), 0x0b],
  ifElse: (then: Code[], otherwise: Code[]): Code => [0x04, 0x40, ...then.flat(), 0x05, ...otherwise.flat(), 0x0b],
  br: (depth: number): Code => [0x0c, ...uleb(depth)],
  brIf: (depth: number): Code => [0x0d, ...uleb(depth)],
  return: [0x0f],
};

/** Concatenates instruction sequences. */
export function seq(...parts: Code[]): Code {
  return parts.flat();
}

/**
 * `for (local = start; local < end; local += step) body`, with start/end/step as instruction sequences
 * (end is re-evaluated each iteration, so keep it cheap: a local or a constant).
 */
export function forLoop(local: number, start: Code, end: Code, step: Code, ...body: Code[]): Code {
  return seq(
    start,
    op.set(local),
    op.block(
      op.loop(
        op.get(local), end, op.i32GeS, op.brIf(1),
        ...body,
        op.get(local), step, op.i32Add, op.set(local),
        op.br(0),
      ),
    ),
  );
}

export interface FunctionSpec {
  name: string;
  params: ValueType[];
  results?: ValueType[];
  /** Extra locals (indices follow the params). */
  locals?: ValueType[];
  body: Code;
}

function section(id: number, contents: Code): Code {
  return [id, ...uleb(contents.length), ...contents];
}

function vector(items: Code[]): Code {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): Code {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

/** A module importing `env.memory` and exporting every function under its name. */
export function assembleModule(functions: FunctionSpec[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vector(f.params.map((t) => [t])), ...vector((f.results ?? []).map((t) => [t]))]);
  const imports = [[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]]; // memory, limits {min 1}, no max
  const codes = functions.map((f) => {
    // Locals as runs of one type (each run: count, type).
    const runs: Code[] = [];
    for (const t of f.locals ?? []) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]!++;
      else runs.push([1, t]);
    }
    const body = [...uleb(runs.length), ...runs.flatMap((r) => [...uleb(r[0]!), r[1]!]), ...f.body, 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(2, vector(imports)),
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...section(7, vector(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vector(codes)),
  ]);
}

/**
 * A growable linear memory with a bump allocator: `reserve` hands out 16-byte-aligned byte offsets; views must be
 * re-read after `ensure` (growing replaces the ArrayBuffer).
 */
export class WasmHeap {
  readonly memory = new WebAssembly.Memory({ initial: 1 });
  private top = 16; // offset 0 stays unused so that a null pointer is never a valid buffer

  reserve(bytes: number): number {
    const at = this.top;
    this.top = at + Math.ceil(bytes / 16) * 16;
    this.ensure(this.top);
    return at;
  }

  /** Frees everything reserved at or after `mark` (a value returned earlier by `mark()`). */
  release(mark: number): void {
    this.top = mark;
  }

  mark(): number {
    return this.top;
  }

  ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / 65536));
  }

  f32(at: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, length);
  }

  f64(at: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, at, length);
  }

  i32(at: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, at, length);
  }

  u8(at: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, at, length);
  }
}

const compiledModules = new WeakMap<object, WebAssembly.Module>();

/**
 * Instantiates an assembled module over `heap`'s memory, synchronously (the modules here are a few KB). `key`
 * identifies the module so that it is compiled once per thread.
 */
export function instantiate<T>(key: object, bytes: () => Uint8Array<ArrayBuffer>, heap: WasmHeap): T {
  let module = compiledModules.get(key);
  if (!module) {
    module = new WebAssembly.Module(bytes());
    compiledModules.set(key, module);
  }
  return new WebAssembly.Instance(module, { env: { memory: heap.memory } }).exports as T;
}
