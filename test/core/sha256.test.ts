// The pure SHA-256 against node:crypto (the oracle) on random messages of every length around the block
// boundaries and on random chunkings of the same message, plus the FIPS 180-4 "abc" vector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { Sha256, sha256Hex } from '../../src/core/sha256.js';

test('FIPS 180-4 known answers', () => {
  assert.equal(sha256Hex(new TextEncoder().encode('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(sha256Hex(new Uint8Array(0)), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('every length 0..300 equals node:crypto', () => {
  for (let length = 0; length <= 300; length++) {
    const bytes = Uint8Array.from({ length }, (_, i) => (i * 131 + length * 7) & 255);
    assert.equal(sha256Hex(bytes), createHash('sha256').update(bytes).digest('hex'), `length ${length}`);
  }
});

test('property: any chunking of any message gives node:crypto\'s digest', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.nat(300), { maxLength: 8 }), (bytes, cuts) => {
      const hash = new Sha256();
      let at = 0;
      for (const cut of cuts) {
        const end = Math.min(bytes.length, at + cut);
        hash.update(bytes.subarray(at, end));
        at = end;
      }
      hash.update(bytes.subarray(at));
      assert.equal(hash.digestHex(), createHash('sha256').update(bytes).digest('hex'));
    }),
    { numRuns: 300, seed: 12 },
  );
});
