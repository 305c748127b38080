// @chapter 3
// The request parser: bytes from the socket go in (feed), request heads and body bytes come out. It
// keeps whatever it has not handed out yet, so a pipelined request waits in the buffer until the
// connection asks for it, and it checks the limits while a head is still arriving, so a request line
// or a header block that never ends is refused at its limit instead of filling memory.
import type { HeaderPair } from '../cgi/request.ts';
import { CR, LF, trimOws } from './chars.ts';
import { ChunkedDecoder } from './chunked.ts';
import { HttpError } from './errors.ts';
import { bodyFraming, type BodyFraming } from './framing.ts';
import { parseHeaders } from './headers.ts';
import { headerBlockCap, type Limits } from './limits.ts';
import { parseRequestLine } from './request-line.ts';

export interface RequestHead {
  method: string;
  /** The request-target as sent. */
  target: string;
  /** The path, still percent-encoded ("/" for an absolute-form target without one, "*" for OPTIONS *). */
  path: string;
  /** The query without its "?", still encoded; "" when there is none. */
  query: string;
  version: [number, number];
  headers: HeaderPair[];
  framing: BodyFraming;
  /** What the client asked for: HTTP/1.1 unless "Connection: close", HTTP/1.0 only with "Connection: keep-alive". */
  keepAlive: boolean;
  /** HTTP/1.1 "Expect: 100-continue" on a request with a body: the client waits for "100 Continue". */
  expectContinue: boolean;
}

export interface BodyBytes {
  data: Buffer[];
  /** The whole body has been handed out; the parser is ready for the next head. */
  done: boolean;
}

const EMPTY = Buffer.alloc(0);
const enum Phase {
  Line,
  Fields,
  Body,
}

// #region feed
export class RequestParser {
  /** Bytes not handed out yet are store[start, end). */
  private store: Buffer = EMPTY;
  private start = 0;
  private end = 0;
  /** store is our own copy (we may append in place), not a chunk the socket gave us. */
  private owned = false;

  private phase = Phase.Line;
  /** Where to resume looking for LF in the head, relative to start. */
  private scan = 0;
  private fieldsAt = 0;
  private fieldCount = 0;
  private line: ReturnType<typeof parseRequestLine> | null = null;
  private remaining = 0;
  private decoder: ChunkedDecoder | null = null;
  private readonly headCap: number;

  constructor(private readonly limits: Limits) {
    this.headCap = headerBlockCap(limits);
  }

  /** Adds bytes from the socket. Nothing is parsed until nextHead() or readBody() asks. */
  feed(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const kept = this.end - this.start;
    if (kept === 0) {
      // The common case: nothing left over, so keep the socket's chunk as it is, without a copy.
      this.store = chunk;
      this.start = 0;
      this.end = chunk.length;
      this.owned = false;
    } else if (this.owned && this.store.length - this.end >= chunk.length) {
      chunk.copy(this.store, this.end);
      this.end += chunk.length;
    } else {
      // Grow by doubling, so a head that arrives a byte at a time costs linear time, not quadratic.
      // Bytes already handed out are never overwritten: the app may still hold them.
      const next = Buffer.allocUnsafe(Math.max(2 * (kept + chunk.length), 16384));
      this.store.copy(next, 0, this.start, this.end);
      chunk.copy(next, kept);
      this.store = next;
      this.start = 0;
      this.end = kept + chunk.length;
      this.owned = true;
    }
  }

  /** Bytes received and not handed out yet. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** True between a head and the end of its body. */
  get inBody(): boolean {
    return this.phase === Phase.Body;
  }

  /** Part of a request has arrived but not all of its head or body: an EOF now cuts a request short. */
  get midRequest(): boolean {
    return this.phase !== Phase.Line || this.end > this.start;
  }

  /** Body bytes still to come when the length is known; null for chunked. */
  get bodyRemaining(): number | null {
    if (this.phase !== Phase.Body) return 0;
    return this.decoder ? null : this.remaining;
  }
  // #endregion feed

  // #region head
  /**
   * The next request head once all of it has arrived, else null. Throws HttpError for a bad or
   * over-limit head (the connection cannot go on after that: close it).
   */
  nextHead(): RequestHead | null {
    if (this.phase === Phase.Body) throw new Error('the body of the previous request has not been read');
    if (this.phase === Phase.Line && !this.readRequestLine()) return null;
    const view = this.store.subarray(this.start, this.end);
    const { fields, fieldSize } = this.limits;
    // Find the empty line that ends the block, checking each line as it completes.
    for (;;) {
      const lf = view.indexOf(LF, this.scan);
      if (lf === -1) {
        if (view.length - this.scan + 1 > fieldSize) throw new HttpError(431, `Header line is too large (> ${fieldSize})`);
        if (view.length - this.fieldsAt > this.headCap) throw new HttpError(431, 'Header block is too large');
        return null;
      }
      // The size first, as when the LF has not arrived yet: the answer must not depend on where a read ended.
      if (lf + 1 - this.scan > fieldSize) throw new HttpError(431, `Header line is too large (${lf + 1 - this.scan} > ${fieldSize})`);
      if (lf === this.scan || view[lf - 1] !== CR) throw new HttpError(400, 'Bare LF in the header block: lines must end with CRLF');
      if (lf === this.scan + 1) break; // CRLF alone: the end of the block
      if (++this.fieldCount > fields) throw new HttpError(431, `More than ${fields} header fields`);
      this.scan = lf + 1;
    }
    const headers = parseHeaders(view.subarray(this.fieldsAt, this.scan), this.limits);
    const { method, target, version } = this.line!;
    this.start += this.scan + 2;
    const head = describe(method, target, version, headers);
    this.startBody(head.framing);
    return head;
  }

  private readRequestLine(): boolean {
    // RFC 9112 2.2: empty lines before a request line are ignored (some clients send one after a body).
    while (this.end - this.start >= 2 && this.store[this.start] === CR && this.store[this.start + 1] === LF) {
      this.start += 2;
      this.scan = 0;
    }
    const view = this.store.subarray(this.start, this.end);
    const lf = view.indexOf(LF, this.scan);
    // limit_request_line, or with none of its own (0) the head cap: the same bound whether or not the
    // LF came in the same read, so how the bytes were split never changes the answer.
    const limit = this.limits.requestLine > 0 ? this.limits.requestLine : this.headCap;
    if (lf === -1) {
      // The line is at least view.length - 1 bytes long (the last byte may be its CR).
      if (view.length - 1 > limit) throw new HttpError(414, `Request line is too large (> ${limit})`);
      this.scan = view.length;
      return false;
    }
    if (lf - 1 > limit) throw new HttpError(414, `Request line is too large (${lf - 1} > ${limit})`);
    if (lf === 0 || view[lf - 1] !== CR) throw new HttpError(400, 'Bare LF in the request line: it must end with CRLF');
    this.line = parseRequestLine(view.subarray(0, lf - 1), limit);
    this.phase = Phase.Fields;
    this.scan = this.fieldsAt = lf + 1;
    this.fieldCount = 0;
    return true;
  }
  // #endregion head

  // #region body
  /** The body bytes of the current request that have arrived, without framing. Throws HttpError for a bad chunked body. */
  readBody(): BodyBytes {
    if (this.phase !== Phase.Body) return { data: [], done: true };
    if (this.end === this.start) return { data: [], done: false };
    if (this.decoder) {
      const out = this.decoder.push(this.store.subarray(this.start, this.end));
      this.start = out.rest ? this.end - out.rest.length : this.end;
      if (out.done) this.endBody();
      else this.release();
      return { data: out.data, done: out.done };
    }
    const take = Math.min(this.remaining, this.end - this.start);
    const data = this.store.subarray(this.start, this.start + take);
    this.start += take;
    this.remaining -= take;
    if (this.remaining === 0) this.endBody();
    else this.release();
    return { data: [data], done: this.remaining === 0 };
  }

  private startBody(framing: BodyFraming): void {
    this.line = null;
    this.scan = 0;
    if (framing.kind === 'chunked') {
      this.decoder = new ChunkedDecoder(this.limits);
      this.phase = Phase.Body;
    } else if (framing.kind === 'length' && framing.length > 0) {
      this.remaining = framing.length;
      this.phase = Phase.Body;
    } else this.endBody();
  }

  private endBody(): void {
    this.phase = Phase.Line;
    this.decoder = null;
    this.remaining = 0;
    this.release();
  }

  /** Drops the reference to a store that has been handed out entirely. */
  private release(): void {
    if (this.start === this.end) {
      this.store = EMPTY;
      this.start = this.end = 0;
      this.owned = false;
    }
  }
  // #endregion body
}

// #region describe
/** The head as the connection needs it: path and query split, framing decided, the rules of RFC 9112 applied. */
function describe(method: string, target: string, version: [number, number], headers: HeaderPair[]): RequestHead {
  let hosts = 0;
  let contentTypes = 0;
  let close = false;
  let keepAlive = false;
  let expect: string | null = null;
  for (const [name, value] of headers) {
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') hosts++;
        break;
      case 6:
        if (name.toLowerCase() === 'expect') expect = expect === null ? value : `${expect},${value}`;
        break;
      case 10:
        if (name.toLowerCase() === 'connection') {
          for (const option of value.toLowerCase().split(',')) {
            const o = trimOws(option);
            if (o === 'close') close = true;
            else if (o === 'keep-alive') keepAlive = true;
          }
        }
        break;
      case 12:
        if (name.toLowerCase() === 'content-type') contentTypes++;
        break;
    }
  }
  // RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without Host, or with more than one.
  if (hosts > 1 || (hosts === 0 && version[1] === 1)) throw new HttpError(400, hosts > 1 ? 'More than one Host header' : 'Missing Host header');
  if (contentTypes > 1) throw new HttpError(400, 'More than one Content-Type header');
  const framing = bodyFraming(headers, version);
  let expectContinue = false;
  // RFC 9110 10.1.1: expectations in an HTTP/1.0 request are ignored.
  if (expect !== null && version[1] === 1) {
    if (!expect.split(',').every((e) => trimOws(e).toLowerCase() === '100-continue')) throw new HttpError(417, 'Expectation other than 100-continue');
    expectContinue = framing.kind !== 'none';
  }
  const { path, query } = splitTarget(method, target);
  return { method, target, path, query, version, headers, framing, keepAlive: version[1] === 1 ? !close : keepAlive && !close, expectContinue };
}

/** /path?query#fragment -> path, query (the fragment is dropped, as gunicorn does). */
function splitTarget(method: string, target: string): { path: string; query: string } {
  if (method === 'CONNECT') return { path: '', query: '' };
  let from = 0;
  if (target.charCodeAt(0) !== 0x2f && target !== '*') {
    // absolute-form: skip scheme://authority
    const authority = target.indexOf('://') + 3;
    from = authority;
    while (from < target.length && !'/?#'.includes(target[from]!)) from++;
  }
  const hash = target.indexOf('#', from);
  const end = hash === -1 ? target.length : hash;
  const q = target.indexOf('?', from);
  const pathEnd = q === -1 || q > end ? end : q;
  const path = target.slice(from, pathEnd);
  return { path: path === '' ? '/' : path, query: pathEnd < end ? target.slice(pathEnd + 1, end) : '' };
}
// #endregion describe
