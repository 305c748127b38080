// Exercise 1.3: parse what a CGI script printed on stdout (RFC 3875, section 6).
import type { HeaderPair } from '../../src/cgi/request.ts';
import { todo } from '../todo.ts';

export type CgiResponse =
  | { type: 'document'; status: number; reason: string; headers: HeaderPair[]; body: Buffer }
  | { type: 'local-redirect'; location: string };

/** Throw this when the output is not a CGI response; the gateway then answers 502. */
export class CgiResponseError extends Error {}

/**
 * - The header block ends at the first empty line; lines end with "\n" or "\r\n". No empty line: error.
 * - Each header line is "Name: value" (name: letters, digits and !#$%&'*+-.^_`|~); anything else: error.
 * - "Status: 404 Not Found" sets status and reason and is not kept as a header; default 200 OK.
 * - "Location: /path" alone (no other header, no body): { type: 'local-redirect', location }.
 * - "Location: https://..." is a client redirect: a document with status 302 Found unless Status says else.
 * - A Location that is neither: error. A body without Content-Type: error.
 * - Keep the other headers in order, with their original names; the body is the bytes after the empty line.
 */
export function parseCgiResponse(output: Buffer): CgiResponse {
  return todo('1.3 (exercises/01-cgi/cgi-response.ts)');
}
