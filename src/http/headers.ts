// @chapter 3
// Header fields (RFC 9112 section 5): name ":" OWS value OWS CRLF, one per line, and nothing clever.
// Everything a front proxy might read differently from us is refused, not repaired.
import type { HeaderPair } from '../cgi/request.ts';
import { CR, FIELD_VALUE, HTAB, LF, SP, TOKEN } from './chars.ts';
import { HttpError, quote } from './errors.ts';
import type { Limits } from './limits.ts';

// #region parse
/**
 * Parses a header block: the lines after the request line, each ending in CRLF, without the empty
 * line that ends the block. Names keep their case; values lose the SP and HTAB around them; order
 * and repeats are kept. `what` names the block in errors ("header" or "trailer").
 */
export function parseHeaders(block: Buffer, limits: Limits, what = 'header'): HeaderPair[] {
  const text = block.toString('latin1'); // decoded once: names and values are slices of it
  const n = text.length;
  const headers: HeaderPair[] = [];
  let pos = 0;
  while (pos < n) {
    if (headers.length >= limits.fields) throw new HttpError(431, `More than ${limits.fields} ${what} fields`);
    let c = text.charCodeAt(pos);
    if (c === SP || c === HTAB) throw new HttpError(400, `Obsolete line folding in ${what} line ${quote(lineAt(text, pos))}`);

    // name: token bytes up to the colon, which must follow at once
    let i = pos;
    while (i < n && TOKEN[(c = text.charCodeAt(i))] === 1) i++;
    if (c !== 0x3a) throw new HttpError(400, nameProblem(text, pos, i, what));
    if (i === pos) throw new HttpError(400, `Empty ${what} name in ${quote(lineAt(text, pos))}`);
    const name = text.slice(pos, i);

    // value: skip the OWS on the left, take field bytes up to CRLF, drop the OWS on the right
    i++;
    while (i < n && ((c = text.charCodeAt(i)) === SP || c === HTAB)) i++;
    const start = i;
    while (i < n && FIELD_VALUE[(c = text.charCodeAt(i))] === 1) i++;
    if (c !== CR || text.charCodeAt(i + 1) !== LF) throw new HttpError(400, valueProblem(text, pos, i, name, what));
    let end = i;
    while (end > start && ((c = text.charCodeAt(end - 1)) === SP || c === HTAB)) end--;

    if (i + 2 - pos > limits.fieldSize) {
      throw new HttpError(431, `${what === 'header' ? 'Header' : 'Trailer'} line ${quote(name)} is too large (${i + 2 - pos} > ${limits.fieldSize})`);
    }
    headers.push([name, text.slice(start, end)]);
    pos = i + 2;
  }
  return headers;
}
// #endregion parse

function lineAt(text: string, pos: number): string {
  const end = text.indexOf('\r\n', pos);
  return text.slice(pos, end === -1 ? undefined : end);
}

function nameProblem(text: string, pos: number, i: number, what: string): string {
  const c = text.charCodeAt(i);
  if (c === SP || c === HTAB) return `Whitespace before the colon in ${what} ${quote(lineAt(text, pos))}`;
  if (c === CR || c === LF || i >= text.length) return `No colon in ${what} line ${quote(lineAt(text, pos))}`;
  return `Invalid ${what} name ${quote(text.slice(pos, i + 1))}`;
}

function valueProblem(text: string, pos: number, i: number, name: string, what: string): string {
  const c = text.charCodeAt(i);
  if (c === CR) return `Bare CR in ${what} ${quote(name)}`;
  if (c === LF) return `Bare LF in ${what} ${quote(name)}: lines must end with CRLF`;
  if (i >= text.length) return `${what} line ${quote(lineAt(text, pos))} does not end with CRLF`;
  return `Control byte 0x${c.toString(16).padStart(2, '0')} in ${what} ${quote(name)}`;
}
