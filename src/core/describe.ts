/** Values from files and command lines, quoted in error messages: one line, bounded length, safe at any depth. */

/**
 * A JSON value as a short one-line text for error messages: at most `maxLength` characters (longer text ends
 * in "..."), control characters escaped, and depth-safe — nesting below 8 levels prints as […] or {…}, so a
 * value nested 100,000 deep (which JSON.stringify would overflow the stack on) costs nothing.
 */
export function describeJson(value: unknown, maxLength = 60): string {
  let out = '';
  const budget = maxLength + 1;
  const visit = (v: unknown, depth: number): void => {
    if (out.length > budget) return;
    if (typeof v === 'string') out += JSON.stringify(v.length > budget ? v.slice(0, budget) : v);
    else if (typeof v === 'number') out += Number.isFinite(v) ? JSON.stringify(v) : String(v);
    else if (typeof v === 'bigint') out += `${v}n`;
    else if (v === null || typeof v !== 'object') out += String(v);
    else if (depth >= 8) out += Array.isArray(v) ? '[…]' : '{…}';
    else if (Array.isArray(v)) {
      out += '[';
      for (let i = 0; i < v.length && out.length <= budget; i++) {
        if (i > 0) out += ',';
        visit(v[i], depth + 1);
      }
      out += ']';
    } else {
      out += '{';
      let first = true;
      for (const key in v) {
        if (!Object.hasOwn(v, key)) continue;
        if (out.length > budget) break;
        if (!first) out += ',';
        first = false;
        out += `${JSON.stringify(key.length > budget ? key.slice(0, budget) : key)}:`;
        visit((v as Record<string, unknown>)[key], depth + 1);
      }
      out += '}';
    }
  };
  visit(value, 0);
  return out.length > maxLength ? out.slice(0, Math.max(0, maxLength - 3)) + '...' : out;
}

/** Text from a file or the command line, for quoting in an error message: one line, at most `maxLength` characters. */
export function quoteText(text: string, maxLength = 60): string {
  const cut = text.length > maxLength ? text.slice(0, Math.max(0, maxLength - 1)) + '…' : text;
  return cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
