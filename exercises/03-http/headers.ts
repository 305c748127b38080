// Exercise 3.4: parse a header block (RFC 9112, section 5). The parser (src/http/parser.ts) finds the
// block's end and counts its lines as they arrive; this function turns the block into [name, value]
// pairs and is the last word on what a header line may look like. Chunked trailers use it too.
//
//   field-line = field-name ":" OWS field-value OWS CRLF
import type { HeaderPair } from '../../src/cgi/request.ts';
import { CR, FIELD_VALUE, HTAB, LF, SP, TOKEN } from '../../src/http/chars.ts';
import { HttpError, quote } from '../../src/http/errors.ts';
import type { Limits } from '../../src/http/limits.ts';
import { todo } from '../todo.ts';

/**
 * `block` is the header block of one request: the lines after the request line, each ending in CRLF,
 * without the empty line that ends the block (so "" is a valid, empty block). Return one [name, value]
 * pair per line, in order: repeated names stay separate, names keep their case, values lose the SP and
 * HTAB (OWS) on both sides and keep everything in between. Throw new HttpError(status, message):
 * - more than limits.fields lines: 431;
 * - a line longer than limits.fieldSize bytes, counting its CRLF: 431 (a line of exactly
 *   limits.fieldSize bytes is fine);
 * - a line that starts with SP or HTAB (obs-fold, a folded continuation of the line above): 400;
 * - a name that is empty or not all token bytes (TOKEN[byte] === 1): 400;
 * - anything between the name and the colon, a space or a tab included ("Host : x"): 400;
 * - no colon at all: 400;
 * - a value byte that is not a field byte (FIELD_VALUE[byte] === 1: no control byte but HTAB, no DEL),
 *   a CR not followed by LF, an LF not preceded by CR, or a last line without its CRLF: 400.
 * Bytes 0x80-0xFF are valid in values (obs-text): decode the block with latin1, one character per byte.
 * `what` names the block in error messages: "header", or "trailer" for a chunked body's trailers.
 * Messages are for the log and the error page: pass client bytes through quote() before putting them in.
 */
export function parseHeaders(block: Buffer, limits: Limits, what = 'header'): HeaderPair[] {
  void [CR, FIELD_VALUE, HTAB, LF, SP, TOKEN, HttpError, quote];
  return todo('3.4 (exercises/03-http/headers.ts)');
}
