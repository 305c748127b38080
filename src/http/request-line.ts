// @chapter 3
// The request line (RFC 9112 section 3): method SP request-target SP HTTP-version, nothing more.
import { HEX, SP, TARGET, TOKEN } from './chars.ts';
import { HttpError, quote } from './errors.ts';

export interface RequestLine {
  /** Case-sensitive, as sent: GET and get are different methods. */
  method: string;
  /** The request-target exactly as sent: /path?query, http://host/path, host:port (CONNECT) or *. */
  target: string;
  version: [major: number, minor: number];
}

// #region parse
/**
 * Parses one request line, without its CRLF. `limit` is limit_request_line (0 = none). Throws an
 * HttpError: 414 over the limit, 505 for a well-formed version other than 1.0 and 1.1, 400 otherwise.
 */
export function parseRequestLine(line: Buffer, limit: number): RequestLine {
  const n = line.length;
  if (limit > 0 && n > limit) throw new HttpError(414, `Request line is too large (${n} > ${limit})`);
  const text = line.toString('latin1'); // decoded once; the parts below are slices of it

  // method: one or more token bytes, then exactly one SP
  let i = 0;
  while (i < n && TOKEN[line[i]!] === 1) i++;
  if (i === 0 || i === n || line[i] !== SP) {
    throw new HttpError(400, i === 0 || i < n ? `Invalid method ${quote(text.slice(0, i + 1))}` : `Invalid request line ${quote(text)}`);
  }
  const method = text.slice(0, i);

  // request-target: one or more visible bytes, then exactly one SP
  const start = ++i;
  while (i < n && TARGET[line[i]!] === 1) i++;
  if (i === start) throw new HttpError(400, `Invalid request line ${quote(text)}: expected single spaces`);
  if (i === n) throw new HttpError(400, `Invalid request line ${quote(text)}: no HTTP version`);
  if (line[i] !== SP) throw new HttpError(400, `Invalid request target: byte 0x${line[i]!.toString(16).padStart(2, '0')} in ${quote(text.slice(start, i + 1))}`);
  const target = text.slice(start, i);

  // HTTP-version: exactly "HTTP/" DIGIT "." DIGIT
  const v = i + 1;
  if (
    n - v !== 8 ||
    line[v] !== 0x48 || line[v + 1] !== 0x54 || line[v + 2] !== 0x54 || line[v + 3] !== 0x50 || line[v + 4] !== 0x2f ||
    HEX[line[v + 5]!]! > 9 || line[v + 6] !== 0x2e || HEX[line[v + 7]!]! > 9
  ) {
    throw new HttpError(400, `Invalid HTTP version ${quote(text.slice(v))}`);
  }
  const version: [number, number] = [line[v + 5]! - 0x30, line[v + 7]! - 0x30];
  if (version[0] !== 1 || version[1] > 1) throw new HttpError(505, `HTTP version ${text.slice(v)} is not supported`);

  checkTargetForm(method, target);
  return { method, target, version };
}
// #endregion parse

// #region forms
/** RFC 9112 3.2: which target forms a method may use. */
function checkTargetForm(method: string, target: string): void {
  const first = target.charCodeAt(0);
  if (method === 'CONNECT') {
    // authority-form, host:port, and nothing else
    const colon = target.lastIndexOf(':');
    const port = target.slice(colon + 1);
    if (colon <= 0 || port.length === 0 || port.length > 5 || !isDigits(port) || /[/?#@]/.test(target)) {
      throw new HttpError(400, `CONNECT needs a host:port target, got ${quote(target)}`);
    }
    return;
  }
  if (first === 0x2f) return; // origin-form: /path?query
  if (target === '*') {
    if (method === 'OPTIONS') return; // asterisk-form: the server as a whole
    throw new HttpError(400, `The * target is only for OPTIONS, not ${quote(method)}`);
  }
  // absolute-form: scheme "://" ...; a scheme is a letter, then letters, digits, "+", "-", "."
  const sep = target.indexOf('://');
  if (sep > 0 && isScheme(target, sep)) return;
  throw new HttpError(400, `Invalid request target ${quote(target)}`);
}
// #endregion forms

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return s.length > 0;
}

function isScheme(s: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i) | 0x20; // lower-cases letters, leaves digits and + - . as they are
    const letter = c >= 0x61 && c <= 0x7a;
    if (i === 0 ? !letter : !(letter || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)) return false;
  }
  return true;
}
