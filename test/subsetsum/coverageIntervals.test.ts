// IntervalUnion.addTranslate against a naive union of closed intervals, and the invariant it keeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IntervalUnion } from '../../src/subsetsum/coverageIntervals.js';

type Pair = [number, number];

/** Naive: clip, sort, merge closed intervals that overlap or touch. */
function naiveUnion(pieces: Pair[], low: number, high: number): Pair[] {
  const clipped = pieces
    .map(([a, b]): Pair => [Math.max(a, low), Math.min(b, high)])
    .filter(([a, b]) => a <= b)
    .sort((p, q) => p[0] - q[0]);
  const out: Pair[] = [];
  for (const [a, b] of clipped) {
    const last = out[out.length - 1];
    if (last !== undefined && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

test('addTranslate equals the naive clipped union and keeps intervals sorted, disjoint and separated', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 1, maxLength: 8 }),
      fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { maxLength: 6 }),
      fc.double({ min: -8, max: 0, noNaN: true }),
      fc.double({ min: 0, max: 8, noNaN: true }),
      (seeds, shifts, low, high) => {
        const union = new IntervalUnion(4); // small on purpose: exercises growth
        let reference: Pair[] = [];
        // Build a start set from the seeds by repeated union with a single interval via a zero shift.
        union.reset(seeds[0]![0], seeds[0]![0] + seeds[0]![1]);
        reference = [[seeds[0]![0], seeds[0]![0] + seeds[0]![1]]];
        for (const shift of shifts) {
          union.addTranslate(shift, low, high);
          reference = naiveUnion([...reference, ...reference.map(([a, b]): Pair => [a + shift, b + shift])], low, high);
          assert.equal(union.count, reference.length);
          for (let i = 0; i < union.count; i++) {
            assert.ok(Math.abs(union.starts[i]! - reference[i]![0]) <= 1e-12);
            assert.ok(Math.abs(union.ends[i]! - reference[i]![1]) <= 1e-12);
            assert.ok(union.starts[i]! <= union.ends[i]!);
            if (i > 0) assert.ok(union.ends[i - 1]! < union.starts[i]!, 'separated by a gap');
          }
          const measure = reference.reduce((s, [a, b]) => s + (b - a), 0);
          assert.ok(Math.abs(union.measureWithin(low, high) - measure) <= 1e-9);
        }
      },
    ),
    { seed: 20240602, numRuns: 400 },
  );
});

test('covers() is true exactly when one interval contains the query', () => {
  const union = new IntervalUnion();
  union.reset(0, 1);
  union.addTranslate(2, -10, 10); // [0,1] ∪ [2,3]
  assert.equal(union.covers(0, 1), true);
  assert.equal(union.covers(0.2, 0.8), true);
  assert.equal(union.covers(0.5, 2.5), false);
  assert.equal(union.covers(2, 3), true);
  assert.equal(union.covers(3, 3.5), false);
  assert.equal(union.covers(-1, 0.5), false);
  union.addTranslate(1, -10, 10); // [0,1] ∪ [1,2] ∪ [2,3] ∪ [3,4] touch: one interval [0,4]
  assert.equal(union.count, 1);
  assert.equal(union.covers(0, 4), true);
});
