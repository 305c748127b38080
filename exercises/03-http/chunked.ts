// Exercise 3.3: decode a chunked body as it arrives (RFC 9112, section 7.1).
//
//   chunked-body = *( chunk-size [ chunk-ext ] CRLF chunk-data CRLF )
//                  "0" [ chunk-ext ] CRLF *( trailer-field CRLF ) CRLF
import type { HeaderPair } from '../../src/cgi/request.ts';
import { CR, HEX, HTAB, LF, SP, TOKEN } from '../../src/http/chars.ts';
import type { ChunkedOutput } from '../../src/http/chunked.ts';
import { HttpError } from '../../src/http/errors.ts';
import { parseHeaders } from '../../src/http/headers.ts';
import { DEFAULT_LIMITS, headerBlockCap, type Limits } from '../../src/http/limits.ts';
import { todo } from '../todo.ts';

export type { ChunkedOutput };

/**
 * push() gets the body's bytes in pieces of any size (one byte, or the whole body plus the next
 * request). It returns the body bytes decoded from them (subarrays of the input: no copying), and
 * done: true once the last chunk and the trailer section are through, with `rest` = the bytes after
 * the body. Keep your state between pushes. Throw new HttpError(400, ...) for:
 * - a chunk size that is not 1 to 16 hex digits (no "0x", no sign, no spaces), or too big for a number;
 * - a line that ends in a bare LF, or a bare CR anywhere in a size line;
 * - chunk data not followed by CRLF;
 * - a chunk extension (";name", ";name=token", ';name="quoted"', spaces allowed around ; and =) that
 *   does not parse. Extensions are checked, then ignored;
 * - a size or trailer line longer than limits.fieldSize (431 for a trailer line).
 * Trailers: collect the lines after the "0" line up to the empty line, then parse them with
 * parseHeaders(block, limits, 'trailer') into `trailers` (431 if the section is over headerBlockCap).
 * They are never merged into the request: a trailer would be a way to smuggle a header in.
 */
export class ChunkedDecoder {
  trailers: HeaderPair[] = [];

  constructor(private readonly limits: Limits = DEFAULT_LIMITS) {
    void [CR, HEX, HTAB, LF, SP, TOKEN, HttpError, parseHeaders, headerBlockCap];
  }

  /** True once the whole body (trailers included) has been read. */
  get done(): boolean {
    return todo('3.3 (exercises/03-http/chunked.ts)');
  }

  push(input: Buffer): ChunkedOutput {
    void this.limits;
    return todo('3.3 (exercises/03-http/chunked.ts)');
  }
}
