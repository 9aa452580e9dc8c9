// CLI number and list arguments (src/cli/parse.ts), with the regressions fuzzing found (docs/fuzzing.md):
// integer ranges that never ended, integers past 2^53, value counts past the limit, and multi-line messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InputError } from '../../src/core/errors.js';
import { parseChoice, parseIntegerRange, parseNumber, parseNumberList } from '../../src/cli/parse.js';

function refuses(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /[\n\r]/);
    assert.ok(error.message.length < 200, `${error.message.length} characters`);
    return true;
  });
}

test('numbers, lists and ranges as the verbs write them', () => {
  assert.equal(parseNumber('--x', ' 0.25 ', { min: 0, max: 1 }), 0.25);
  assert.deepEqual(parseNumberList('--v', '0.3,-0.2,0.71'), [0.3, -0.2, 0.71]);
  assert.deepEqual(parseIntegerRange('--n', '4,8:12:2,20', { min: 1, max: 40 }), [4, 8, 10, 12, 20]);
  assert.equal(parseChoice('--format', 'onnx', ['onnx', 'safetensors']), 'onnx');
  refuses(() => parseNumber('--x', 'abc'), /^--x: expected a finite number, got 'abc'$/);
  refuses(() => parseIntegerRange('--n', '5:3'), /^--n: range '5:3' runs backwards$/);
});

test('regression (fuzz): a range over integers past 2^53 is refused instead of looping forever', { timeout: 20_000 }, () => {
  // v += 1 does not change 2^53 or 1e20, so "A:B" with such ends never finished.
  refuses(() => parseIntegerRange('--n', '9007199254740992:9007199254740992'), /^--n: expected an integer of at most 2\^53 − 1 in size, got '9007199254740992'$/);
  refuses(() => parseIntegerRange('--n', '1e20:1e20'), /expected an integer of at most 2\^53/);
  refuses(() => parseNumber('--count', '1e300', { integer: true, min: 0 }), /^--count: expected an integer of at most 2\^53/);
  assert.deepEqual(parseIntegerRange('--n', '9007199254740990:9007199254740991'), [9007199254740990, 9007199254740991]);
});

test('regression (fuzz): at most maxCount values, counting single values and the last value of a range', () => {
  assert.equal(parseIntegerRange('--n', '1:100', {}, 100).length, 100);
  refuses(() => parseIntegerRange('--n', '1:101', {}, 100), /^--n: more than 100 values in '1:101'$/); // gave 101 values
  refuses(() => parseIntegerRange('--n', new Array(101).fill('1').join(','), {}, 100), /more than 100 values/); // single values were not counted
  refuses(() => parseIntegerRange('--n', '1:50,60:110', {}, 100), /more than 100 values/);
});

test('regression (fuzz): messages quote the value on one line, cut short', () => {
  refuses(() => parseNumber('--x', 'a\nb'.repeat(10_000)), /^--x: expected a finite number, got 'a\\nba\\nb.*…'$/);
  refuses(() => parseChoice('--format', 'x'.repeat(100_000), ['onnx']), /^--format: expected one of onnx, got 'x+…'$/);
  refuses(() => parseNumberList('--v', '1,\u0000'), /^--v: value 2 is not a finite number: '\\u0000'$/);
});

test('property: every parser returns values that satisfy the rule, or throws an InputError naming the flag', () => {
  const token = fc.constantFrom('0', '1', '7', '-', '.', 'e', ',', ':', ' ', '9007199254740993', '1e21', 'NaN', 'x', '\n', '40', '41');
  fc.assert(
    fc.property(fc.array(token, { maxLength: 12 }).map((t) => t.join('')), (text) => {
      const rule = { integer: true, min: 1, max: 40 };
      for (const run of [() => [parseNumber('--a', text, rule)], () => parseNumberList('--a', text, rule, 64), () => parseIntegerRange('--a', text, { min: 1, max: 40 }, 100)]) {
        try {
          const values = run();
          assert.ok(values.length >= 1 && values.length <= 100);
          for (const v of values) assert.ok(Number.isSafeInteger(v) && v >= 1 && v <= 40, `${v} from '${text}'`);
        } catch (error) {
          if (!(error instanceof InputError) || !error.message.startsWith('--a') || /\n/.test(error.message)) throw error;
        }
      }
    }),
    { seed: 4, numRuns: 2000 },
  );
});
