// @chapter 7
// The access log's format, read once. gunicorn's access_log_format is a Python %-format over a dict of
// "atoms": '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'. Python parses that string
// again for every line it logs. We parse it once, when the worker starts, into literal text and atom
// names; a request then only walks a short array.

/** A piece of the format: literal text, or the name of an atom to put there. */
export type FormatPart = string | { atom: string };

/** gunicorn's default access_log_format (Apache's combined log format, without the virtual host). */
export const DEFAULT_ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"';

/** The format string is not one we can use; says where and why. Raised at start-up, never per request. */
export class AccessFormatError extends Error {
  override name = 'AccessFormatError';
}

// #region parse
/**
 * `%(name)s` is an atom, `%%` is a literal "%", anything else is text. As in Python, the name runs to
 * the matching ")" (parentheses nest), so `%({x-(y)}i)s` names the atom `{x-(y)}i`. Adjacent text is
 * one part. Only the `s` conversion is accepted: every atom is printed as text.
 */
export function parseAccessFormat(format: string): FormatPart[] {
  const parts: FormatPart[] = [];
  let text = '';
  let i = 0;
  for (;;) {
    const pct = format.indexOf('%', i);
    if (pct === -1) break;
    text += format.slice(i, pct);
    const next = format[pct + 1];
    if (next === '%') {
      text += '%';
      i = pct + 2;
      continue;
    }
    if (next !== '(') {
      const what = next === undefined ? 'the format ends after it' : `it is followed by ${JSON.stringify(next)}`;
      throw new AccessFormatError(`"%" at index ${pct} starts no atom: ${what}. Write %(name)s for an atom, %% for a "%".`);
    }
    let depth = 1;
    let j = pct + 2;
    for (; j < format.length; j++) {
      const c = format[j];
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) break;
    }
    if (j >= format.length) throw new AccessFormatError(`the atom at index ${pct} has no closing ")"`);
    if (format[j + 1] !== 's') {
      const got = format[j + 1] === undefined ? 'nothing' : JSON.stringify(format[j + 1]);
      throw new AccessFormatError(`the atom %(${format.slice(pct + 2, j)}) at index ${pct} must be followed by "s", not ${got}`);
    }
    if (text) parts.push(text);
    text = '';
    parts.push({ atom: format.slice(pct + 2, j) });
    i = j + 2;
  }
  text += format.slice(i);
  if (text) parts.push(text);
  return parts;
}
// #endregion parse
