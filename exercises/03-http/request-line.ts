// Exercise 3.1: parse the request line (RFC 9112, section 3).
import { HEX, SP, TARGET, TOKEN } from '../../src/http/chars.ts';
import { HttpError } from '../../src/http/errors.ts';
import type { RequestLine } from '../../src/http/request-line.ts';
import { todo } from '../todo.ts';

export type { RequestLine };

/**
 * `line` is one request line without its CRLF, e.g. "GET /a?b=1 HTTP/1.1"; `limit` is
 * limit_request_line (0 = no limit). Return { method, target, version: [major, minor] }, or throw
 * new HttpError(status, message):
 * - longer than `limit` bytes (when limit > 0): 414, checked before anything else;
 * - method SP target SP version, with exactly one SP between the parts: else 400;
 * - the method is one or more token bytes (TOKEN[byte] === 1): else 400. Keep its case;
 * - the target is one or more visible bytes (TARGET[byte] === 1, no space or control byte): else 400;
 * - the version is exactly "HTTP/" digit "." digit: else 400. A well-formed version other than
 *   HTTP/1.0 or HTTP/1.1 (HTTP/2.0, HTTP/0.9, HTTP/1.2): 505;
 * - target forms: "/..." for any method but CONNECT; "*" only with OPTIONS; "host:port" only (and
 *   always) with CONNECT; "scheme://..." (absolute-form) for any method but CONNECT; else 400.
 * Work on the bytes (line[i]); decode the line once with line.toString('latin1') for the strings.
 */
export function parseRequestLine(line: Buffer, limit: number): RequestLine {
  void [HEX, SP, TARGET, TOKEN, HttpError];
  return todo('3.1 (exercises/03-http/request-line.ts)');
}
