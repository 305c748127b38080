// Exercise 3.2: where does the body end? (RFC 9112, section 6.)
import type { HeaderPair } from '../../src/cgi/request.ts';
import { trimOws } from '../../src/http/chars.ts';
import { HttpError } from '../../src/http/errors.ts';
import type { BodyFraming } from '../../src/http/framing.ts';
import { todo } from '../todo.ts';

export type { BodyFraming };

/**
 * From the request's headers (names in any case) and version, decide how its body is delimited:
 * - no Content-Length and no Transfer-Encoding: { kind: 'none' } (never "read until the connection closes");
 * - Content-Length: { kind: 'length', length }. The value is 1 to 15 decimal digits and nothing else
 *   ("+5", "-1", "5, 5", "0x10", "" are 400). More than one Content-Length line: 400, even with equal values;
 * - Transfer-Encoding (several lines make one comma-separated list; trim each element with trimOws,
 *   compare without case): { kind: 'chunked' } when the list is exactly one "chunked" at its end.
 *   - together with Content-Length: 400 (the classic request smuggling setup);
 *   - on HTTP/1.0: 400;
 *   - an empty element, "chunked" twice, or "chunked" not last: 400;
 *   - any other coding (gzip, identity, ...): 501, we do not decode them.
 */
export function bodyFraming(headers: HeaderPair[], version: [number, number]): BodyFraming {
  void [trimOws, HttpError];
  return todo('3.2 (exercises/03-http/framing.ts)');
}
