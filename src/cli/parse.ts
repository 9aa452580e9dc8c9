/** Parsing of CLI number and list arguments; every failure is an InputError naming the flag and value. */
import { InputError } from '../core/errors.js';
import { quoteText } from '../core/describe.js';

export interface NumberRule {
  /** A whole number that float64 holds exactly (|value| ≤ 2^53 − 1). */
  integer?: boolean;
  min?: number;
  max?: number;
  /** Exclusive bounds. */
  above?: number;
  below?: number;
}

/** The value as typed, for a message: one line, at most 60 characters. */
function shown(text: string): string {
  return quoteText(text, 60);
}

export function parseNumber(flag: string, text: string, rule: NumberRule = {}): number {
  const trimmed = text.trim();
  const value = trimmed === '' ? NaN : Number(trimmed);
  if (!Number.isFinite(value)) throw new InputError(`${flag}: expected a finite number, got '${shown(text)}'`);
  checkRule(flag, value, rule, text);
  return value;
}

function checkRule(flag: string, value: number, rule: NumberRule, text: string): void {
  // Beyond 2^53 integers are not exact (2^53 + 1 reads as 2^53), and counting loops over them never end.
  if (rule.integer && !Number.isSafeInteger(value)) {
    throw new InputError(`${flag}: expected an integer${Number.isInteger(value) ? ' of at most 2^53 − 1 in size' : ''}, got '${shown(text)}'`);
  }
  if (rule.min !== undefined && value < rule.min) throw new InputError(`${flag}: must be ≥ ${rule.min}, got ${shown(text)}`);
  if (rule.max !== undefined && value > rule.max) throw new InputError(`${flag}: must be ≤ ${rule.max}, got ${shown(text)}`);
  if (rule.above !== undefined && !(value > rule.above)) throw new InputError(`${flag}: must be > ${rule.above}, got ${shown(text)}`);
  if (rule.below !== undefined && !(value < rule.below)) throw new InputError(`${flag}: must be < ${rule.below}, got ${shown(text)}`);
}

/** Comma-separated numbers, e.g. "0.3,-0.2,0.71". */
export function parseNumberList(flag: string, text: string, rule: NumberRule = {}, maxCount = 1_000_000): number[] {
  if (text.trim() === '') throw new InputError(`${flag}: expected a comma-separated list of numbers, got an empty value`);
  const parts = text.split(',');
  if (parts.length > maxCount) throw new InputError(`${flag}: at most ${maxCount} values, got ${parts.length}`);
  return parts.map((part, i) => {
    const value = part.trim() === '' ? NaN : Number(part);
    if (!Number.isFinite(value)) throw new InputError(`${flag}: value ${i + 1} is not a finite number: '${shown(part)}'`);
    checkRule(`${flag} (value ${i + 1})`, value, rule, part);
    return value;
  });
}

/** Integers given as a list and/or ranges: "8:24" (inclusive), "8:24:2" (step), "4,8,12"; at most maxCount values. */
export function parseIntegerRange(flag: string, text: string, rule: NumberRule = {}, maxCount = 10_000): number[] {
  const out: number[] = [];
  const tooMany = (): InputError => new InputError(`${flag}: more than ${maxCount} values in '${shown(text)}'`);
  for (const part of text.split(',')) {
    const pieces = part.split(':');
    if (pieces.length === 1) {
      if (out.length >= maxCount) throw tooMany();
      out.push(parseNumber(flag, pieces[0]!, { ...rule, integer: true }));
    } else if (pieces.length === 2 || pieces.length === 3) {
      const from = parseNumber(flag, pieces[0]!, { ...rule, integer: true });
      const to = parseNumber(flag, pieces[1]!, { ...rule, integer: true });
      const step = pieces.length === 3 ? parseNumber(flag, pieces[2]!, { integer: true, min: 1 }) : 1;
      if (to < from) throw new InputError(`${flag}: range '${shown(part)}' runs backwards`);
      // from, to and step are safe integers, so v += step is exact and the loop ends.
      if (Math.floor((to - from) / step) + 1 + out.length > maxCount) throw tooMany();
      for (let v = from; v <= to; v += step) out.push(v);
    } else {
      throw new InputError(`${flag}: expected N, A:B or A:B:STEP, got '${shown(part)}'`);
    }
  }
  if (out.length === 0) throw new InputError(`${flag}: no values in '${shown(text)}'`);
  return out;
}

export function parseChoice<T extends string>(flag: string, text: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw new InputError(`${flag}: expected one of ${choices.join(', ')}, got '${shown(text)}'`);
}
