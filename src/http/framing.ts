// @chapter 3
// Where does the body end? (RFC 9112 section 6.) The one question that front proxy and server must
// answer the same way: if they disagree, the bytes one of them thinks are body, the other reads as a
// second request (request smuggling). So every doubtful case is refused.
import type { HeaderPair } from '../cgi/request.ts';
import { trimOws } from './chars.ts';
import { HttpError, quote } from './errors.ts';

export type BodyFraming = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };

// #region framing
/**
 * Decides how the body of a request is delimited, from its headers and HTTP version:
 * - Transfer-Encoding ending in chunked: chunked;
 * - Content-Length: exactly that many bytes;
 * - neither: no body at all (a request is never read until the connection closes).
 * Throws HttpError 400 for anything ambiguous, 501 for a transfer coding other than chunked.
 */
export function bodyFraming(headers: HeaderPair[], version: [number, number]): BodyFraming {
  let length: string | null = null;
  let codings: string[] | null = null;
  for (const [name, value] of headers) {
    if (name.length === 14 && name.toLowerCase() === 'content-length') {
      // Even a repeat with the same value is refused: RFC 9112 allows merging it, but nothing needs it.
      if (length !== null) throw new HttpError(400, 'More than one Content-Length');
      length = value;
    } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
      // Several Transfer-Encoding lines make one list, in order.
      codings = codings === null ? value.split(',') : codings.concat(value.split(','));
    }
  }

  if (codings !== null) {
    if (version[1] === 0) throw new HttpError(400, 'Transfer-Encoding in an HTTP/1.0 request');
    if (length !== null) throw new HttpError(400, 'Both Content-Length and Transfer-Encoding');
    let chunked = -1;
    let unknown: string | null = null;
    for (let i = 0; i < codings.length; i++) {
      const coding = trimOws(codings[i]!).toLowerCase();
      if (coding === '') throw new HttpError(400, 'Empty element in Transfer-Encoding');
      if (coding === 'chunked') {
        if (chunked !== -1) throw new HttpError(400, 'chunked appears twice in Transfer-Encoding');
        chunked = i;
      } else unknown ??= coding;
    }
    if (chunked !== -1 && chunked !== codings.length - 1) throw new HttpError(400, 'chunked is not the last transfer coding');
    if (unknown !== null) throw new HttpError(501, `Unsupported transfer coding ${quote(unknown)}`);
    return { kind: 'chunked' };
  }

  if (length !== null) {
    // 1*DIGIT and nothing else: no sign, no spaces, no list. Fifteen digits is past any real body.
    if (length.length === 0 || length.length > 15) throw new HttpError(400, `Invalid Content-Length ${quote(length)}`);
    let n = 0;
    for (let i = 0; i < length.length; i++) {
      const d = length.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) throw new HttpError(400, `Invalid Content-Length ${quote(length)}`);
      n = n * 10 + d;
    }
    return { kind: 'length', length: n };
  }
  return { kind: 'none' };
}
// #endregion framing

