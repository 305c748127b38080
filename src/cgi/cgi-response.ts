// RFC 3875 section 6: what a script prints on stdout, turned into a response the gateway can send.
import type { HeaderPair } from './request.ts';

export type CgiResponse =
  /** A page: status, headers and body to send to the client. Client redirects are documents too. */
  | { type: 'document'; status: number; reason: string; headers: HeaderPair[]; body: Buffer }
  /** "Location: /other" and nothing else: the server serves /other instead, the client never knows. */
  | { type: 'local-redirect'; location: string };

/** The script broke the contract; the gateway answers 502 and logs this message. */
export class CgiResponseError extends Error {}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS = /^([1-5]\d\d)(?: (.*))?$/;

// #region parse
/** Parses a script's whole stdout. Throws CgiResponseError when it is not a CGI response. */
export function parseCgiResponse(output: Buffer): CgiResponse {
  const { lines, body } = splitHead(output);
  const headers: HeaderPair[] = [];
  let status: { code: number; reason: string } | null = null;
  let location: string | null = null;
  let contentType = false;
  for (const [i, line] of lines.entries()) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name)) throw new CgiResponseError(`header line ${i + 1} is not "Name: value": ${JSON.stringify(line)}`);
    const value = line.slice(colon + 1).trim();
    const lower = name.toLowerCase();
    if (lower === 'status') {
      const m = STATUS.exec(value);
      if (!m) throw new CgiResponseError(`Status must be a 3-digit code and a reason, got ${JSON.stringify(value)}`);
      if (status) throw new CgiResponseError('Status appears twice');
      status = { code: Number(m[1]), reason: m[2] ?? '' };
      continue; // a CGI field: it sets the status line and is not sent as a header
    }
    if (lower === 'location') {
      if (location !== null) throw new CgiResponseError('Location appears twice');
      location = value;
    }
    if (lower === 'content-type') contentType = true;
    headers.push([name, value]);
  }
  if (location?.startsWith('/')) {
    if (headers.length > 1 || status || body.length > 0) {
      throw new CgiResponseError('a local redirect (Location: /path) must come alone: no other header, no body');
    }
    return { type: 'local-redirect', location };
  }
  if (location !== null && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(location)) {
    throw new CgiResponseError(`Location must be a path starting with "/" or an absolute URL, got ${JSON.stringify(location)}`);
  }
  if (location === null && !contentType && body.length > 0) {
    throw new CgiResponseError('a response with a body needs a Content-Type header');
  }
  // A client redirect without a Status line is a 302 Found (RFC 3875 6.2.3).
  const final = status ?? (location !== null ? { code: 302, reason: 'Found' } : { code: 200, reason: 'OK' });
  return { type: 'document', status: final.code, reason: final.reason, headers, body };
}
// #endregion parse

/** Splits stdout at the first empty line; scripts may end lines with LF or CRLF (RFC 3875 6.3). */
function splitHead(output: Buffer): { lines: string[]; body: Buffer } {
  let start = 0;
  const lines: string[] = [];
  for (;;) {
    const nl = output.indexOf(0x0a, start);
    if (nl === -1) {
      const what = output.length === 0 ? 'printed nothing' : 'never printed the empty line that ends the headers';
      throw new CgiResponseError(`the script ${what}`);
    }
    const end = nl > start && output[nl - 1] === 0x0d ? nl - 1 : nl;
    if (end === start) return { lines, body: output.subarray(nl + 1) };
    lines.push(output.toString('latin1', start, end));
    start = nl + 1;
  }
}
