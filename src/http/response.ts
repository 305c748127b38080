// @chapter 3
// The response writer: the status line and headers the app gave, checked, plus the framing the server
// owns (Content-Length or chunked, Connection, Date, Server), then the body, with backpressure.
import type { Writable } from 'node:stream';
import type { ResponseSink } from '../app/start-response.ts';
import type { Headers } from '../app/types.ts';
import { TOKEN } from './chars.ts';
import { ClientDisconnected, quote } from './errors.ts';

/** The app produced a response that cannot be sent (a header with CR/LF, a bad name...): its bug, a 500. */
export class InvalidResponse extends Error {
  override name = 'InvalidResponse';
}

// #region prepare
/**
 * Headers the server owns: the app's copies are dropped (as gunicorn does). They describe the
 * connection, not the resource, and an app that set them could contradict the real framing.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'server', 'date']);

export interface PreparedHead {
  status: number;
  /** "HTTP/1.1 200 OK\r\n" */
  statusLine: string;
  /** The app's headers that are sent, each "Name: value\r\n". */
  lines: string;
  /** The app's Content-Length, or null. */
  length: number | null;
  /** A response that never has a body: to HEAD, or 1xx, 204, 304. */
  noBody: boolean;
  /** The app said "Connection: close". */
  close: boolean;
}

/** Checks the app's status and headers; throws InvalidResponse. Nothing is written. */
export function prepareHead(status: string, headers: Headers, method: string): PreparedHead {
  const code = (status.charCodeAt(0) - 0x30) * 100 + (status.charCodeAt(1) - 0x30) * 10 + (status.charCodeAt(2) - 0x30);
  if (!(code >= 200 && code <= 999) || status.charCodeAt(3) !== 0x20) throw new InvalidResponse(`Invalid final status ${quote(status)}`);
  checkValue(status, 'status');
  const noBody = method === 'HEAD' || code === 204 || code === 304;
  let lines = '';
  let length: number | null = null;
  let close = false;
  for (const [name, value] of headers) {
    if (name.length === 0) throw new InvalidResponse('Empty header name');
    for (let i = 0; i < name.length; i++) {
      if (TOKEN[name.charCodeAt(i)] !== 1) throw new InvalidResponse(`Invalid header name ${quote(name)}`);
    }
    checkValue(value, name);
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      if (lower === 'connection' && /(^|,)[ \t]*close[ \t]*(,|$)/i.test(value)) close = true;
      continue;
    }
    if (lower === 'content-length') {
      const n = digits(value);
      if (n < 0 || (length !== null && length !== n)) throw new InvalidResponse(`Invalid Content-Length ${quote(value)}`);
      if (length !== null) continue; // the same value twice: send it once
      length = n;
      if (code === 204) continue; // RFC 9110 8.6: never on a 204
    }
    lines += `${name}: ${value}\r\n`;
  }
  return { status: code, statusLine: `HTTP/1.1 ${status}\r\n`, lines, length, noBody, close };
}

/** The value of a string of 1 to 15 decimal digits, or -1. */
function digits(s: string): number {
  if (s.length === 0 || s.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** A header value (or the status's reason) goes out as latin1 text: no CR, LF, NUL or other control byte but HTAB. */
function checkValue(value: string, what: string): void {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) {
      throw new InvalidResponse(`Invalid character 0x${c.toString(16).padStart(2, '0')} in ${what === 'status' ? 'the status' : `the value of header ${quote(what)}`}`);
    }
  }
}
// #endregion prepare

// #region render
export type Framing = { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' } | { kind: 'none' };

/** The head as it goes on the wire: the server's headers first, then the app's. Always HTTP/1.1. */
export function renderHead(head: PreparedHead, framing: Framing, keepAlive: boolean, date: string, server: string): string {
  let out = `${head.statusLine}Server: ${server}\r\nDate: ${date}\r\nConnection: ${keepAlive ? 'keep-alive' : 'close'}\r\n`;
  if (framing.kind === 'chunked') out += 'Transfer-Encoding: chunked\r\n';
  // The app's own Content-Length is among its lines; we add one only when we measured the body.
  else if (framing.kind === 'length' && head.length === null) out += `Content-Length: ${framing.length}\r\n`;
  return `${out}${head.lines}\r\n`;
}

/** A complete response for a request we refuse (or a 500): small, plain text, and the connection closes. */
export function errorResponse(status: number, reason: string, message: string, date: string, server: string): Buffer {
  const body = Buffer.from(`${status} ${reason}\n${message}\n`, 'utf8');
  const head = `HTTP/1.1 ${status} ${reason}\r\nServer: ${server}\r\nDate: ${date}\r\nConnection: close\r\n` +
    `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}
// #endregion render

export interface WriterRequest {
  method: string;
  /** For log lines. */
  target: string;
  version: [number, number];
  /** Asked when the head is written: may this connection stay open after the response? */
  keepAlive: () => boolean;
}

export interface WriterOptions {
  server: string;
  date: () => string;
  warn: (message: string) => void;
}

/** Writes below this size are copied into one buffer: one write, one syscall. Above, cork and writev. */
const COPY_LIMIT = 16 * 1024;
const CRLF = '\r\n';
const LAST_CHUNK = '0\r\n\r\n';

// #region writer
/**
 * A ResponseSink over a socket. The head is held back until the first body byte, and that first chunk
 * until the next one or the end: a response whose whole body is one chunk (most of them) goes out as
 * one write with a Content-Length, not chunked. Streamed bodies go out chunked on HTTP/1.1, and end with
 * the connection on HTTP/1.0.
 */
export class ResponseWriter implements ResponseSink {
  private head: PreparedHead | null = null;
  private framing: Framing | null = null;
  private held: Uint8Array | null = null;
  private written = 0;
  private warned = false;
  /** The head is on the wire: from now on, an error can only cut the connection. */
  committed = false;
  /** After this response the connection must close. Final once end() returned. */
  close = false;
  /** The status code, once the app set it. */
  status = 0;
  // >>> chapter 7
  /** The app's headers, as it gave them: the access log's %({name}o)s. */
  headers: Headers = [];
  // <<< chapter 7

  constructor(
    private readonly out: Writable,
    private readonly req: WriterRequest,
    private readonly opts: WriterOptions,
  ) {}

  sendHead(status: string, headers: Headers): void {
    this.head = prepareHead(status, headers, this.req.method);
    this.status = this.head.status;
    // >>> chapter 7
    this.headers = headers;
    // <<< chapter 7
  }

  sendBody(chunk: Uint8Array): void | Promise<void> {
    const head = this.head!;
    if (head.noBody) {
      // Apps answer HEAD like GET and leave it to the server to drop the body. A 204 or 304 with a body is a bug.
      if (this.req.method !== 'HEAD') this.warnOnce(`Dropped the body of a ${head.status} response: it must have none`);
      return;
    }
    if (!this.out.writable) throw new ClientDisconnected('the client closed the connection');
    if (!this.committed) {
      if (head.length === null && this.held === null) {
        // Hold the first chunk: if the body ends with it, its length is known and no chunking is needed.
        this.held = chunk;
        process.nextTick(flushHeld, this);
        return;
      }
      const first = this.held;
      this.held = null;
      this.commit(head.length !== null ? { kind: 'length', length: head.length } : this.streamFraming(), first ? [first, chunk] : [chunk]);
    } else this.writeBody([chunk]);
    return this.drained();
  }

  /** The app is done: send what is still held, then the end of the body. */
  end(): void {
    const head = this.head!;
    if (!this.committed) {
      const body = this.held ? [this.held] : [];
      this.held = null;
      if (head.noBody) this.commit({ kind: 'none' }, []);
      else if (head.length !== null) this.commit({ kind: 'length', length: head.length }, body);
      else this.commit({ kind: 'length', length: body[0]?.length ?? 0 }, body);
    } else if (this.framing!.kind === 'chunked') this.send([LAST_CHUNK]);
    if (this.framing!.kind === 'length' && head.length !== null && this.written < head.length) {
      this.warnOnce(`The app sent ${this.written} bytes of a ${head.length}-byte Content-Length; closing the connection`);
      this.close = true;
    }
  }

  // >>> chapter 7
  /** Bytes of body written so far (none for HEAD, 204 and 304): the access log's %(b)s. */
  get sent(): number {
    return this.written;
  }
  // <<< chapter 7

  /** Forgets a head and a chunk not written yet, so the connection can answer 500 instead. */
  discard(): void {
    this.head = null;
    this.held = null;
  }

  /** The app did not follow its first chunk up at once: send it, chunked (it is streaming). */
  flushHeld(): void {
    if (this.committed || this.held === null || !this.out.writable) return;
    const chunk = this.held;
    this.held = null;
    this.commit(this.streamFraming(), [chunk]);
  }

  /** A body of unknown length: chunked on HTTP/1.1; on HTTP/1.0, delimited by closing the connection. */
  private streamFraming(): Framing {
    return this.req.version[1] >= 1 ? { kind: 'chunked' } : { kind: 'close' };
  }

  private commit(framing: Framing, body: Uint8Array[]): void {
    const head = this.head!;
    this.framing = framing;
    this.committed = true;
    const keepAlive = framing.kind !== 'close' && !head.close && this.req.keepAlive();
    this.close = !keepAlive;
    const text = renderHead(head, framing, keepAlive, this.opts.date(), this.opts.server);
    this.writeBody(body, text);
  }

  private writeBody(chunks: Uint8Array[], head?: string): void {
    const parts: (string | Uint8Array)[] = head === undefined ? [] : [head];
    const framing = this.framing!;
    for (let chunk of chunks) {
      if (framing.kind === 'length') {
        const room = framing.length - this.written;
        if (chunk.length > room) {
          this.warnOnce(`The app wrote more than its Content-Length of ${framing.length} bytes; the rest was dropped`);
          chunk = chunk.subarray(0, room);
        }
        if (chunk.length === 0) continue;
      }
      this.written += chunk.length;
      if (framing.kind === 'chunked') parts.push(`${chunk.length.toString(16)}${CRLF}`, chunk, CRLF);
      else parts.push(chunk);
    }
    if (parts.length > 0) this.send(parts);
  }

  /** One write for small output, corked writes (one writev) for large. */
  private send(parts: (string | Uint8Array)[]): void {
    const out = this.out;
    if (!out.writable) return; // the client is gone: the connection notices on its own
    if (parts.length === 1) {
      const p = parts[0]!;
      out.write(typeof p === 'string' ? Buffer.from(p, 'latin1') : p);
      return;
    }
    let total = 0;
    for (const p of parts) total += p.length; // strings here are latin1: one byte per character
    if (total <= COPY_LIMIT) {
      const buf = Buffer.allocUnsafe(total);
      let at = 0;
      for (const p of parts) {
        if (typeof p === 'string') at += buf.write(p, at, 'latin1');
        else {
          buf.set(p, at);
          at += p.length;
        }
      }
      out.write(buf);
      return;
    }
    out.cork();
    for (const p of parts) out.write(typeof p === 'string' ? Buffer.from(p, 'latin1') : p);
    out.uncork();
  }

  /** Resolves once the socket can take more (backpressure); rejects if the client went away meanwhile. */
  drained(): Promise<void> | void {
    const out = this.out;
    if (!out.writableNeedDrain) return;
    return new Promise((resolve, reject) => {
      const done = (): void => {
        out.off('drain', done);
        out.off('close', done);
        if (out.destroyed) reject(new ClientDisconnected('the client closed the connection'));
        else resolve();
      };
      out.on('drain', done);
      out.on('close', done);
    });
  }

  private warnOnce(message: string): void {
    if (this.warned) return;
    this.warned = true;
    this.opts.warn(`${message} (${this.req.method} ${this.req.target})`);
  }
}
// #endregion writer

function flushHeld(writer: ResponseWriter): void {
  writer.flushHeld();
}
