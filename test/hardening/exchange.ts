// @chapter 10
// One fuzz exchange over a real socket: send the bytes, read what comes back, judge it.
//
// "Incomplete" must be told apart from "hung". The request parser itself (in this process) says what
// the bytes are: complete requests (then the server owes an answer without any more bytes from us),
// an error (it owes the error's status and a close), or a request cut short (it cannot answer yet).
// We send our FIN at once only in the last case, or once the answers we are owed have arrived; after
// our FIN the server owes a close. So every wait has a reason, and a deadline turns a wait that never
// ends into a reported hang, with the bytes that caused it.
import { connect } from 'node:net';
import { decodePath } from '../../src/cgi/decode-path.ts';
import { HttpError } from '../../src/http/errors.ts';
import { normaliseLimits, type Limits } from '../../src/http/limits.ts';
import { RequestParser } from '../../src/http/parser.ts';

/** What the server owes for a request: its status, and whether the response carries a body. */
export interface Owed {
  status: number;
  /** The app's answer to HEAD: no body even though it may say Content-Length. */
  head: boolean;
}

export interface Expectation {
  owed: Owed[];
  /** The bytes end on a request boundary or at an error: the answers come without our FIN. */
  complete: boolean;
}

/** Mirrors test/hardening/fixtures/app.ts: which routes read the body before they answer. */
const ignoresBody = (path: string): boolean => path.startsWith('/ignore');
const DRAIN_CAP = 64 * 1024; // src/http/connection.ts

// #region oracle
/** What the server must answer to `bytes`, worked out by our own parser in this process. */
export function expectFor(bytes: Buffer, limits: Limits = normaliseLimits()): Expectation {
  const p = new RequestParser(limits);
  p.feed(bytes);
  const owed: Owed[] = [];
  const refused = (err: unknown): Expectation => {
    if (!(err instanceof HttpError)) throw err;
    owed.push({ status: err.status, head: false });
    return { owed, complete: true };
  };
  for (;;) {
    let head;
    try {
      head = p.nextHead();
    } catch (err) {
      return refused(err);
    }
    if (head === null) return { owed, complete: !p.midRequest };
    const isHead = head.method === 'HEAD';
    const path = decodePath(head.path); // PATH_INFO, which the app routes on
    let keepAlive = head.keepAlive;
    if (ignoresBody(path)) {
      // The app answers first; the server then drains the body (a small one) to keep the connection.
      owed.push({ status: 200, head: isHead });
      if (p.inBody && (head.expectContinue || (p.bodyRemaining ?? 0) > DRAIN_CAP)) return { owed, complete: true };
      if (!keepAlive) return { owed, complete: true };
      let dropped = 0;
      for (;;) {
        let out;
        try {
          out = p.readBody();
        } catch (err) {
          return refused(err);
        }
        for (const d of out.data) dropped += d.length;
        if (out.done) break;
        if (dropped > DRAIN_CAP) return { owed, complete: true };
        if (p.buffered === 0) return { owed, complete: false };
      }
      continue;
    }
    for (;;) {
      let out;
      try {
        out = p.readBody();
      } catch (err) {
        return refused(err);
      }
      if (out.done) break;
      if (p.buffered === 0) return { owed, complete: false };
    }
    owed.push({ status: 200, head: isHead });
    // A streamed body on HTTP/1.0 is delimited by the close.
    if (path.startsWith('/stream') && head.version[1] === 0 && !isHead) keepAlive = false;
    if (!keepAlive) return { owed, complete: true };
  }
}
// #endregion oracle

export interface Parsed {
  statuses: number[];
  /** Interim (1xx) responses seen. */
  interim: number;
  /** What is wrong with the bytes, if anything. */
  error: string | null;
  /** Bytes after the last complete response (a response still arriving). */
  pending: number;
}

const STATUS_LINE = /^HTTP\/1\.1 (\d{3}) [^\r\n]*$/;
const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+): ?([^\r\n]*)$/;

// #region responses
/**
 * Parses responses off `buf`. `owed[i].head` says whether the i-th final response answers HEAD.
 * With `atEof`, what is left must be nothing, or the body of a response delimited by the close.
 */
export function parseResponses(buf: Buffer, owed: Owed[], atEof: boolean): Parsed {
  const statuses: number[] = [];
  let interim = 0;
  let at = 0;
  const fail = (error: string): Parsed => ({ statuses, interim, error, pending: buf.length - at });
  while (at < buf.length) {
    const end = buf.indexOf('\r\n\r\n', at, 'latin1');
    if (end === -1) return atEof ? fail(`a response head cut short: ${JSON.stringify(buf.toString('latin1', at, at + 80))}`) : { statuses, interim, error: null, pending: buf.length - at };
    const lines = buf.toString('latin1', at, end).split('\r\n');
    const m = STATUS_LINE.exec(lines[0]!);
    if (!m) return fail(`bad status line ${JSON.stringify(lines[0])}`);
    const status = Number(m[1]);
    let length: number | null = null;
    let chunked = false;
    let close = false;
    for (const line of lines.slice(1)) {
      const h = HEADER_LINE.exec(line);
      if (!h) return fail(`bad header line ${JSON.stringify(line)}`);
      const name = h[1]!.toLowerCase();
      if (name === 'content-length') {
        if (length !== null || !/^\d+$/.test(h[2]!)) return fail(`bad or repeated Content-Length ${JSON.stringify(h[2])}`);
        length = Number(h[2]);
      } else if (name === 'transfer-encoding') {
        if (h[2] !== 'chunked') return fail(`Transfer-Encoding ${JSON.stringify(h[2])}`);
        chunked = true;
      } else if (name === 'connection' && /close/i.test(h[2]!)) close = true;
    }
    if (length !== null && chunked) return fail('both Content-Length and chunked');
    let next = end + 4;
    if (status < 200) {
      interim++;
      at = next;
      continue;
    }
    const answersHead = owed[statuses.length]?.head ?? false;
    if (answersHead || status === 204 || status === 304) {
      // no body
    } else if (chunked) {
      for (;;) {
        const lf = buf.indexOf('\r\n', next, 'latin1');
        if (lf === -1) return atEof ? fail('chunked body cut short') : { statuses, interim, error: null, pending: buf.length - at };
        const sizeText = buf.toString('latin1', next, lf);
        if (!/^[0-9a-fA-F]+$/.test(sizeText)) return fail(`bad chunk size ${JSON.stringify(sizeText)}`);
        const size = parseInt(sizeText, 16);
        const after = lf + 2 + size;
        if (buf.length < after + 2) return atEof ? fail('chunk cut short') : { statuses, interim, error: null, pending: buf.length - at };
        if (buf[after] !== 0x0d || buf[after + 1] !== 0x0a) return fail('chunk data not followed by CRLF');
        next = after + 2;
        if (size === 0) break; // we never send trailers: the last chunk is followed by the empty line
      }
    } else if (length !== null) {
      if (buf.length < next + length) return atEof ? fail(`body cut short (${buf.length - next} of ${length})`) : { statuses, interim, error: null, pending: buf.length - at };
      next += length;
    } else {
      // Delimited by the close: only legal with Connection: close, and only as the last response.
      if (!close) return fail('a body with neither Content-Length nor chunked, on a connection kept alive');
      if (!atEof) return { statuses, interim, error: null, pending: buf.length - at };
      next = buf.length;
    }
    statuses.push(status);
    at = next;
  }
  return { statuses, interim, error: null, pending: 0 };
}
// #endregion responses

export interface Outcome {
  kind: 'answered' | 'closed' | 'hang' | 'malformed' | 'mismatch' | 'reset';
  statuses: number[];
  /** The connection ended with a RST (ECONNRESET) rather than a FIN, after every answer owed. */
  reset?: boolean;
  detail: string;
}

// #region exchange
/** Sends `bytes` on a fresh connection and judges what comes back (see the top of this file). */
export function exchange(port: number, bytes: Buffer, expected: Expectation, deadlineMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let received = 0;
    let finSent = false;
    let error: NodeJS.ErrnoException | null = null;
    const fin = (): void => {
      if (!finSent) {
        finSent = true;
        sock.end();
      }
    };
    const timer = setTimeout(() => {
      const got = Buffer.concat(chunks);
      sock.destroy();
      finish({ kind: 'hang', statuses: parseResponses(got, expected.owed, false).statuses, detail: `no close after ${deadlineMs} ms (our FIN sent: ${finSent}); received ${JSON.stringify(got.toString('latin1', 0, 300))}` });
    }, deadlineMs);
    let done = false;
    const finish = (o: Outcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(o);
    };
    sock.on('connect', () => {
      sock.setNoDelay(true);
      sock.write(bytes);
      if (!expected.complete || expected.owed.length === 0) fin();
    });
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      received += c.length;
      if (!finSent && parseResponses(Buffer.concat(chunks, received), expected.owed, false).statuses.length >= expected.owed.length) fin();
    });
    sock.on('error', (err: NodeJS.ErrnoException) => (error = err));
    sock.on('close', () => {
      const got = Buffer.concat(chunks, received);
      const parsed = parseResponses(got, expected.owed, true);
      const want = expected.owed.map((o) => o.status);
      if (error && error.code !== 'EPIPE') {
        // A reset is only acceptable once every answer we are owed is in.
        if (parsed.statuses.length < want.length || parsed.error) return finish({ kind: 'reset', statuses: parsed.statuses, detail: `${error.code}; received ${JSON.stringify(got.toString('latin1', 0, 300))}` });
        return finish({ kind: parsed.statuses.length > 0 ? 'answered' : 'closed', statuses: parsed.statuses, reset: true, detail: error.code ?? '' });
      }
      if (parsed.error) return finish({ kind: 'malformed', statuses: parsed.statuses, detail: `${parsed.error}; received ${JSON.stringify(got.toString('latin1', 0, 300))}` });
      if (parsed.statuses.join() !== want.join()) return finish({ kind: 'mismatch', statuses: parsed.statuses, detail: `expected [${want}], got [${parsed.statuses}]; received ${JSON.stringify(got.toString('latin1', 0, 300))}` });
      finish({ kind: parsed.statuses.length > 0 ? 'answered' : 'closed', statuses: parsed.statuses, detail: '' });
    });
  });
}
// #endregion exchange
