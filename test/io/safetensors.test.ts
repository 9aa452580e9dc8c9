// safetensors: bit-identical round trips (NaN payloads included), decoding of hand-built files (so the
// reader is not only checked against our writer), F16/BF16 widening, and every rejection of a bad file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InputError } from '../../src/core/errors.js';
import { describeJson, quoteText } from '../../src/core/describe.js';
import { decodeSafetensors, encodeSafetensors, encodeSafetensorsBytes, type SafetensorsTensorInput } from '../../src/io/safetensors.js';

/** A safetensors file from a header (object or raw text) and data bytes, written by hand. */
function build(header: unknown, data: Uint8Array = new Uint8Array(0), headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, (headerLength ?? json.length) % 2 ** 32, true);
  view.setUint32(4, Math.floor((headerLength ?? json.length) / 2 ** 32), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => decodeSafetensors(bytes, 'bad.safetensors'),
    (error: unknown) => {
      if (!(error instanceof InputError)) return false;
      assert.ok(error.message.startsWith('bad.safetensors:'), error.message);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

const f32 = (name: string, shape: number[], begin: number) => ({ [name]: { dtype: 'F32', shape, data_offsets: [begin, begin + 4 * shape.reduce((a, b) => a * b, 1)] } });

test('decodes a hand-written file: offsets relative to the data buffer, little-endian values', () => {
  const data = new Uint8Array(12);
  const view = new DataView(data.buffer);
  view.setFloat32(0, 1.5, true);
  view.setFloat32(4, -2, true);
  view.setInt32(8, -7, true);
  const file = build({
    __metadata__: { format: 'pt' },
    b: { dtype: 'I32', shape: [1], data_offsets: [8, 12] },
    a: { dtype: 'F32', shape: [2, 1], data_offsets: [0, 8] },
  }, data);
  const decoded = decodeSafetensors(file, 'hand.safetensors');
  assert.deepEqual(decoded.metadata, { format: 'pt' });
  assert.deepEqual([...decoded.tensors.keys()], ['b', 'a']);
  const a = decoded.tensors.get('a')!;
  assert.equal(a.dtype, 'F32');
  assert.deepEqual(a.shape, [2, 1]);
  assert.ok(a.data instanceof Float32Array);
  assert.deepEqual([...a.data], [1.5, -2]);
  assert.deepEqual([...decoded.tensors.get('b')!.data], [-7]);
});

test('every writable dtype round trips bit for bit, NaN payloads and -0 included, with metadata', () => {
  const nans = new Float32Array(4);
  new Uint32Array(nans.buffer).set([0x7fc00001, 0xffbfffff, 0x7f800001, 0x80000000]); // quiet, signalling, -0
  const doubles = new Float64Array([Math.PI, -0, Infinity, NaN]);
  new Uint32Array(doubles.buffer)[7] = 0x7ff80000 | 0x1234; // NaN with payload
  const tensors: SafetensorsTensorInput[] = [
    { name: 'nans', dtype: 'F32', shape: [2, 2], data: nans },
    { name: 'doubles', dtype: 'F64', shape: [4], data: doubles },
    { name: 'bytes', dtype: 'U8', shape: [3], data: new Uint8Array([0, 128, 255]) },
    { name: 'longs', dtype: 'I64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 62n + 1n]) },
    { name: 'ints', dtype: 'I32', shape: [1, 1, 2], data: new Int32Array([-(2 ** 31), 5]) },
    { name: 'uints', dtype: 'U32', shape: [1], data: new Uint32Array([2 ** 32 - 1]) },
    { name: 'empty', dtype: 'F32', shape: [3, 0], data: new Float32Array(0) },
  ];
  const metadata = { format: 'lottery-model', note: 'ünïcode ✓', layers: '[{"kind":"relu"}]' };
  const bytes = encodeSafetensorsBytes(tensors, metadata);
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + headerLength) % 8, 0, 'data starts 8-byte aligned');
  const decoded = decodeSafetensors(bytes, 'x');
  assert.deepEqual(decoded.metadata, metadata);
  for (const tensor of tensors) {
    const got = decoded.tensors.get(tensor.name)!;
    assert.equal(got.dtype, tensor.dtype);
    assert.deepEqual(got.shape, tensor.shape);
    assert.equal(got.data.constructor, tensor.data.constructor);
    assert.deepEqual(
      new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength),
      new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength),
      tensor.name,
    );
  }
  // decoding and re-encoding gives the same bytes
  const again = encodeSafetensorsBytes(
    [...decoded.tensors].map(([name, t]) => ({ name, dtype: t.dtype as SafetensorsTensorInput['dtype'], shape: t.shape, data: t.data })),
    decoded.metadata,
  );
  assert.deepEqual(again, bytes);
  // the chunks are the same bytes; data chunks are views of the inputs, not copies
  const chunks = encodeSafetensors(tensors, metadata);
  assert.equal(chunks[1]!.buffer, nans.buffer);
});

test('decoded data is a fresh, aligned copy even from an odd offset in a larger buffer', () => {
  const bytes = encodeSafetensorsBytes([{ name: 'w', dtype: 'F32', shape: [3], data: new Float32Array([1, 2, 3]) }]);
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  const decoded = decodeSafetensors(shifted.subarray(1), 'x').tensors.get('w')!;
  assert.deepEqual([...decoded.data], [1, 2, 3]);
  assert.notEqual(decoded.data.buffer, shifted.buffer);
  assert.equal(decoded.data.byteOffset, 0);
});

test('regression: decoding from a Node Buffer copies the tensor bytes (Buffer#slice is a view, not a copy)', () => {
  // A Buffer from readFileSync may sit at any offset of a pooled ArrayBuffer; copying with Buffer#slice
  // and then viewing `.buffer` from 0 once read the file's first bytes as weights.
  const bytes = encodeSafetensorsBytes([
    { name: 'a', dtype: 'F32', shape: [2], data: new Float32Array([1.25, -3]) },
    { name: 'b', dtype: 'F64', shape: [1], data: new Float64Array([0.1]) },
  ]);
  const pool = Buffer.alloc(bytes.length + 13);
  const buffer = pool.subarray(13);
  buffer.set(bytes);
  const decoded = decodeSafetensors(buffer, 'x');
  assert.deepEqual([...decoded.tensors.get('a')!.data], [1.25, -3]);
  assert.deepEqual([...decoded.tensors.get('b')!.data], [0.1]);
  buffer.fill(0);
  assert.deepEqual([...decoded.tensors.get('a')!.data], [1.25, -3], 'not a view of the input');
});

test('random tensor lists round trip', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
          dtype: fc.constantFrom('F32' as const, 'F64' as const, 'U8' as const, 'I32' as const),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        { maxLength: 6 },
      ),
      fc.dictionary(fc.string({ maxLength: 5 }).filter((k) => k !== '__proto__'), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
      (specs, metadata) => {
        const tensors: SafetensorsTensorInput[] = specs.map(({ shape, dtype, seed }, i) => {
          const count = shape.reduce((a, b) => a * b, 1);
          const values = Array.from({ length: count }, (_, j) => ((seed + 31 * j) % 200) - 100);
          const data =
            dtype === 'F32' ? Float32Array.from(values, (v) => v / 7) :
            dtype === 'F64' ? Float64Array.from(values, (v) => v / 7) :
            dtype === 'U8' ? Uint8Array.from(values, (v) => v + 100) :
            Int32Array.from(values);
          return { name: `t${i}.weight`, dtype, shape, data };
        });
        const decoded = decodeSafetensors(encodeSafetensorsBytes(tensors, metadata), 'x');
        assert.deepEqual(decoded.metadata, { ...metadata }); // fast-check's dictionaries have a null prototype
        assert.equal(decoded.tensors.size, tensors.length);
        for (const t of tensors) {
          assert.deepEqual(decoded.tensors.get(t.name)!.shape, t.shape);
          assert.deepEqual([...decoded.tensors.get(t.name)!.data], [...t.data]);
        }
      },
    ),
    { seed: 424242, numRuns: 200 },
  );
});

test('F16 and BF16 are widened to float32 exactly', () => {
  const halves = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0xfc00, 0x8000, 0x3555]);
  const bf16 = new Uint16Array([0x3f80, 0xc040, 0x7f80, 0x4049]);
  const data = new Uint8Array(halves.byteLength + bf16.byteLength);
  data.set(new Uint8Array(halves.buffer), 0);
  data.set(new Uint8Array(bf16.buffer), halves.byteLength);
  const file = build(
    {
      h: { dtype: 'F16', shape: [8], data_offsets: [0, 16] },
      b: { dtype: 'BF16', shape: [2, 2], data_offsets: [16, 24] },
      n: { dtype: 'F16', shape: [0], data_offsets: [24, 24] },
    },
    data,
  );
  const decoded = decodeSafetensors(file, 'x');
  const h = decoded.tensors.get('h')!;
  assert.equal(h.dtype, 'F16');
  assert.ok(h.data instanceof Float32Array);
  assert.deepEqual([...h.data], [1, -2, 65504, 2 ** -24, Infinity, -Infinity, -0, 0.333251953125]);
  assert.deepEqual([...decoded.tensors.get('b')!.data], [1, -3, Infinity, 3.140625]);
  const nanFile = build({ h: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }, new Uint8Array([0x00, 0x7e]));
  assert.ok(Number.isNaN(decodeSafetensors(nanFile, 'x').tensors.get('h')!.data[0]));
});

test('rejects: too short, header length beyond the file or over 100 MB', () => {
  rejects(new Uint8Array(5), /too short for the 8-byte header length/);
  rejects(build('{}', new Uint8Array(0), 4000), /header length 4000 but only 2 bytes follow/);
  rejects(build('{}', new Uint8Array(0), 100_000_001), /exceeds the 100 MB limit/);
  rejects(build('{}', new Uint8Array(0), 2 ** 40), /exceeds the 100 MB limit/);
});

test('rejects: header that is not UTF-8, not JSON, or not an object', () => {
  const bad = build('{"a" }');
  rejects(bad, /not valid JSON/);
  const latin = build('{}');
  latin[8] = 0xff;
  rejects(latin, /not valid UTF-8/);
  rejects(build('[1, 2]'), /must be a JSON object, got \[1,2\]/);
  rejects(build('null'), /must be a JSON object, got null/);
  rejects(build('42'), /must be a JSON object/);
  rejects(build({ w: 'F32' }), /tensor 'w': entry must be an object/);
});

test('rejects: unknown or unsupported dtype, bad shape, bad offsets', () => {
  rejects(build({ w: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor 'w': dtype "F33" is unknown/);
  rejects(build({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /tensor 'w': dtype "F8_E4M3" is not supported/);
  rejects(build({ w: { shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor 'w': dtype undefined is unknown/);
  for (const shape of [3, [-1], [1.5], ['2'], null, [2 ** 53]]) {
    rejects(build({ w: { dtype: 'F32', shape, data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor 'w': shape must be a list of non-negative integers/);
  }
  for (const offsets of [[0, 1.5], [0], '0,4', [-4, 0], [0, 4, 8], null]) {
    rejects(build({ w: { dtype: 'U8', shape: [4], data_offsets: offsets } }, new Uint8Array(4)), /tensor 'w': data_offsets must be two non-negative integers/);
  }
  rejects(build({ w: { dtype: 'U8', shape: [4], data_offsets: [4, 0] } }, new Uint8Array(4)), /tensor 'w': data_offsets \[4, 0\] end before they begin/);
});

test('rejects: size not matching the shape, out of range, overlapping, gaps and trailing bytes', () => {
  rejects(build({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor 'w': .*cover 4 bytes, shape \[2\] of F32 needs 8/);
  rejects(build(f32('w', [2], 0), new Uint8Array(4)), /tensor 'w': data_offsets \[0, 8\] run past the 4 data bytes/);
  rejects(build({ ...f32('a', [2], 0), ...f32('b', [2], 4) }, new Uint8Array(12)), /tensor 'b' .* overlaps tensor 'a'/);
  rejects(build({ ...f32('a', [1], 0), ...f32('b', [1], 8) }, new Uint8Array(12)), /tensor 'b' starts at byte 8, leaving bytes 4\.\.8 unindexed/);
  rejects(build({ ...f32('a', [1], 4) }, new Uint8Array(8)), /tensor 'a' starts at byte 4, leaving bytes 0\.\.4 unindexed/);
  rejects(build(f32('a', [1], 0), new Uint8Array(8)), /4 bytes after the last tensor are not indexed/);
  rejects(build({}, new Uint8Array(1)), /1 bytes after the last tensor/);
  // the same tensors tiling the buffer exactly are fine, in any header order
  const ok = decodeSafetensors(build({ ...f32('b', [1], 4), ...f32('a', [1], 0) }, new Uint8Array(8)), 'x');
  assert.equal(ok.tensors.size, 2);
});

test('rejects: metadata that is not an object of strings', () => {
  rejects(build({ __metadata__: { epochs: 3 } }), /__metadata__ 'epochs' must be a string, got 3/);
  rejects(build({ __metadata__: ['a'] }), /__metadata__ must be an object of strings/);
  rejects(build({ __metadata__: null }), /__metadata__ must be an object of strings/);
  // a key named __proto__ is data, not a prototype
  const decoded = decodeSafetensors(build('{"__metadata__": {"__proto__": "x"}}'), 'x');
  assert.equal(Object.getOwnPropertyDescriptor(decoded.metadata, '__proto__')?.value, 'x');
  assert.equal(Object.getPrototypeOf(decoded.metadata), Object.prototype);
});

test('the writer refuses inconsistent tensors (programming errors)', () => {
  assert.throws(() => encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [3], data: new Float32Array(2) }]), /holds 3 values, data has 2/);
  assert.throws(() => encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [2], data: new Float64Array(2) }]), /needs a Float32Array/);
  const t = { name: 'w', dtype: 'U8' as const, shape: [1], data: new Uint8Array(1) };
  assert.throws(() => encodeSafetensors([t, t]), /duplicate tensor name 'w'/);
  assert.throws(() => encodeSafetensors([{ ...t, name: '__metadata__' }]), /invalid/);
  assert.throws(() => encodeSafetensors([], { a: 1 as unknown as string }), /must be a string/);
});

// ---- found by fuzzing (docs/fuzzing.md) ----------------------------------------------------------------------

test('regression (fuzz): a header value nested 100,000 deep is an InputError, not a stack overflow', () => {
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  // JSON.parse takes it; describing it for the message used to call JSON.stringify, which overflowed the stack.
  rejects(build(`{"w": {"dtype": "F32", "shape": ${deep}, "data_offsets": [0, 0]}}`), /tensor 'w': shape must be a list of non-negative integers, got \[\[\[\[\[\[\[\[\[…\]\]\]\]\]\]\]\]\]/);
  rejects(build(`{"__metadata__": {"a": ${deep}}}`), /__metadata__ 'a' must be a string/);
  rejects(build(deep), /header must be a JSON object/);
});

test('regression (fuzz): messages quote the file on one line and cut long text short', () => {
  const check = (bytes: Uint8Array, pattern: RegExp): void => {
    assert.throws(() => decodeSafetensors(bytes, 'f.safetensors'), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, pattern);
      assert.doesNotMatch(error.message, /[\n\r]/);
      assert.ok(error.message.length < 400, `${error.message.length} characters`);
      return true;
    });
  };
  check(build({ ['a\nb'.repeat(100_000)]: { dtype: 'X', shape: [], data_offsets: [0, 0] } }), /tensor 'a\\nba\\nb.*…': dtype "X" is unknown/);
  check(build({ w: { dtype: 'F32', shape: ['x'.repeat(1_000_000)], data_offsets: [0, 0] } }), /got \["xxx.*\.\.\.$/);
  // V8's JSON.parse message quotes the text around the error, newlines included.
  check(build('{"a":\n\n\n]'), /header is not valid JSON \(.*\\n/);
});

test('describeJson prints what JSON.stringify prints for small values, and never more than maxLength', () => {
  for (const value of [null, true, 3, -0.5, 'a"b\n', [1, [2, {}]], { a: [1, 2], 'b c': null }, []]) {
    assert.equal(describeJson(value), JSON.stringify(value));
  }
  assert.equal(describeJson(undefined), 'undefined');
  assert.equal(describeJson(Infinity), 'Infinity');
  fc.assert(
    fc.property(fc.jsonValue(), fc.integer({ min: 3, max: 80 }), (value, maxLength) => {
      const text = describeJson(value, maxLength);
      const full = JSON.stringify(value);
      assert.ok(text.length <= maxLength || text === full);
      if (full.length <= maxLength) assert.equal(text, full);
    }),
    { seed: 8, numRuns: 500 },
  );
  assert.equal(quoteText('a\nb\u0000c'), 'a\\nb\\u0000c');
  assert.equal(quoteText('x'.repeat(100), 10), 'xxxxxxxxx…');
});
