// @chapter 10
// Two readings of the same bytes, in one shape, for the differential test: our RequestParser's, and
// llhttp's through a node:http server with its default options (no insecureHTTPParser).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { HttpError } from '../../src/http/errors.ts';
import { DEFAULT_LIMITS } from '../../src/http/limits.ts';
import { RequestParser } from '../../src/http/parser.ts';

export interface Message {
  method: string;
  target: string;
  version: string;
  /** [name, value] in order, duplicates kept, names as sent. */
  headers: [string, string][];
  body: string;
}

/** What a parser made of the bytes: the requests it accepted, then how the bytes ended. */
export interface Reading {
  messages: Message[];
  /** 'end': on a message boundary; 'incomplete': cut short; else why the request was refused. */
  end: 'end' | 'incomplete' | { refused: string };
}

// #region ours
/**
 * Our reading, as the connection reads: heads and whole bodies, until the bytes run out, an error,
 * or a request after which the connection closes (the rest is never read).
 */
export function ourReading(bytes: Buffer): Reading {
  const p = new RequestParser(DEFAULT_LIMITS);
  p.feed(bytes);
  const messages: Message[] = [];
  try {
    for (;;) {
      const head = p.nextHead();
      if (head === null) return { messages, end: p.midRequest ? 'incomplete' : 'end' };
      const body: Buffer[] = [];
      for (;;) {
        const out = p.readBody();
        body.push(...out.data);
        if (out.done) break;
        if (p.buffered === 0) return { messages, end: 'incomplete' };
      }
      messages.push({ method: head.method, target: head.target, version: head.version.join('.'), headers: head.headers, body: Buffer.concat(body).toString('latin1') });
      if (!head.keepAlive) return { messages, end: 'end' };
    }
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    return { messages, end: { refused: `${err.status} ${normalise(err.message)}` } };
  }
}

/** An error message without the parts that name the request (quoted bytes, sizes): its kind. */
export function normalise(message: string): string {
  return message
    .replace(/"(?:[^"\\]|\\.)*"(\.\.\.)?/g, '')
    .replace(/\([^)]*\)/g, '')
    .replace(/\b0x[0-9a-f]{2}\b/g, 'X')
    .replace(/\d+/g, 'N')
    .replace(/\s+/g, ' ')
    .replace(/ :/g, ':')
    .replace(/(,? (got|in|not))?[\s:,]*$/, '')
    .trim();
}
// #endregion ours

// #region llhttp
interface Pending {
  /** Messages and node:http's own refusals, in the order they came. */
  events: (Message | { refused: string })[];
  /** Bodies still arriving. */
  open: number;
  /** The parse error, if llhttp found one. */
  error: string | null;
}

/**
 * A node:http server with default options that records, per connection (keyed by the client's port),
 * what llhttp parsed, and answers each request with an empty 200 so that pipelined ones go on.
 */
export class LlhttpReader {
  private server: Server = createServer();
  private port = 0;
  private pending = new Map<number, Pending>();

  async start(): Promise<void> {
    const s = this.server;
    const recordOf = (req: IncomingMessage): Pending | undefined => this.pending.get(req.socket.remotePort ?? -1);
    const messageOf = (req: IncomingMessage): Message => ({ method: req.method ?? '', target: req.url ?? '', version: req.httpVersion, headers: pairs(req.rawHeaders), body: '' });
    s.on('request', (req: IncomingMessage, res) => {
      const rec = recordOf(req);
      const m = messageOf(req);
      rec?.events.push(m);
      if (rec) rec.open++;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        m.body = Buffer.concat(chunks).toString('latin1');
        if (rec) rec.open--;
        // With a length, node:http keeps an HTTP/1.0 keep-alive connection open, as we do.
        res.writeHead(200, { 'content-length': '0' }).end();
      });
    });
    // CONNECT goes to 'connect', not 'request': record it the same way (it has no body). node:http
    // hands the socket over there, so nothing after it is parsed.
    s.on('connect', (req: IncomingMessage, socket) => {
      recordOf(req)?.events.push(messageOf(req));
      socket.destroy();
    });
    // A refusal node:http makes itself, above llhttp: an Expect it does not know.
    s.on('checkExpectation', (req: IncomingMessage, res) => {
      recordOf(req)?.events.push({ refused: 'node:http 417 (Expect)' });
      res.writeHead(417, { connection: 'close' }).end();
    });
    s.on('clientError', (err: NodeJS.ErrnoException & { reason?: string }, socket) => {
      const rec = this.pending.get((socket as Socket).remotePort ?? -1);
      if (rec) rec.error ??= `${err.code ?? 'error'}${err.reason ? `: ${err.reason}` : ''}`;
      socket.destroy();
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    this.port = (s.address() as AddressInfo).port;
  }

  /** Sends the bytes, half-closes, and waits for the server to close: llhttp's reading. */
  read(bytes: Buffer, timeoutMs = 5000): Promise<Reading> {
    return new Promise((resolve, reject) => {
      const sock = connect({ port: this.port, host: '127.0.0.1' });
      let received = '';
      let key = -1;
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`llhttp reading did not end within ${timeoutMs} ms`));
      }, timeoutMs);
      sock.on('connect', () => {
        key = sock.localPort!;
        this.pending.set(key, { events: [], open: 0, error: null });
        sock.end(bytes);
      });
      sock.on('data', (c: Buffer) => (received += c.toString('latin1')));
      sock.on('error', () => {});
      sock.on('close', () => {
        clearTimeout(timer);
        // The server may still be finishing its side: give its events a turn to land.
        setImmediate(() => {
          const rec = this.pending.get(key) ?? { events: [], open: 0, error: null };
          this.pending.delete(key);
          resolve(readingOf(rec, received));
        });
      });
    });
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

function readingOf(rec: Pending, received: string): Reading {
  // node:http answers HTTP/1.1 without Host with a 400 of its own, and no event: find it among the
  // answers (ours are all 200, or the 417 above), in order, and put it where it happened.
  const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
  const noHost = statuses.indexOf('400');
  if (noHost !== -1) rec.events.splice(noHost, rec.events.length, { refused: 'node:http 400 (no Host)' });
  const messages: Message[] = [];
  for (const e of rec.events) {
    if ('refused' in e) return { messages, end: { refused: e.refused } };
    messages.push(e);
  }
  // A message whose body did not end (cut short, or refused half-way) was not accepted.
  if (rec.open > 0) messages.pop();
  if (rec.error === 'HPE_INVALID_EOF_STATE: Invalid EOF state' || (rec.open > 0 && rec.error === null)) return { messages, end: 'incomplete' };
  // Bytes after a message that ends the connection: llhttp calls them an error, our connection never
  // reads them. Neither serves them, so both readings end there.
  if (rec.error === null || rec.error.startsWith('HPE_CLOSED_CONNECTION')) return { messages, end: 'end' };
  return { messages, end: { refused: rec.error } };
}
// #endregion llhttp

function pairs(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

// #region compare
/**
 * Where two readings part, as a key for the kind of disagreement ("accepted / refused: HPE_..."), or
 * null if they agree. Both refusing, for whatever reason and with whatever status, is agreement; so
 * is one refusing where the other finds the bytes cut short: neither serves a request. The key names the first place they part, not how many
 * messages came before it, so one listed difference covers every request that shows it.
 */
export function disagreement(ours: Reading, theirs: Reading): string | null {
  const n = Math.min(ours.messages.length, theirs.messages.length);
  for (let i = 0; i < n; i++) {
    const a = ours.messages[i]!;
    const b = theirs.messages[i]!;
    for (const field of ['method', 'target', 'version', 'body'] as const) if (a[field] !== b[field]) return `both accept, ${field} differs`;
    const lines = (m: Message): string => m.headers.map(([k, v]) => `${k.toLowerCase()}: ${v}`).join('\n');
    if (lines(a) !== lines(b)) return 'both accept, headers differ';
  }
  const a = at(ours, n);
  const b = at(theirs, n);
  // Neither serves a request from here: one refused, the other waits for the rest of the line or
  // body, which never comes (a parser may check a line when its end arrives, or byte by byte).
  const stops = (x: string): boolean => x.startsWith('refused') || x === 'incomplete';
  if (a === b || (stops(a) && stops(b))) return null;
  return `${a} / ${b}`;
}

/** What a reading did at message i: "accepted", "refused: <why>", "incomplete" or "nothing more". */
function at(r: Reading, i: number): string {
  if (i < r.messages.length) return 'accepted';
  if (r.end === 'end') return 'nothing more';
  if (r.end === 'incomplete') return 'incomplete';
  return `refused: ${r.end.refused}`;
}
// #endregion compare

/** A reading in a few words, for messages: "2 accepted, then refused: 400 Invalid method". */
export function summary(r: Reading): string {
  const end = r.end === 'end' ? '' : r.end === 'incomplete' ? 'incomplete' : `refused: ${r.end.refused}`;
  if (r.messages.length === 0) return end || 'nothing';
  const accepted = `${r.messages.length} accepted`;
  return end ? `${accepted}, then ${end}` : accepted;
}
