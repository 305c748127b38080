// Chapter 3's exercises on the wire: the chapter's server (test/exercises/targets/http.ts, echo app) with
// the learner's parser modules plugged in, and the two questions every test asks it: is this good request
// served as sent, and is this bad one refused with the right status, without harm to the next client?
import { check, describeReply, exchange, launch, type Reply, type Running } from '../tester.ts';

/** What the echo app answers: the request as the app saw it. */
export interface Echo {
  method: string;
  path: string;
  query: string;
  protocol: string;
  headers: Record<string, string>;
  body: string;
}

/** Every echo in a reply, in order: each response's body, by its Content-Length, parsed as JSON (UTF-8). */
export function echoes(reply: Reply): Echo[] {
  const bytes = Buffer.from(reply.text, 'latin1');
  const found: Echo[] = [];
  let at = 0;
  for (;;) {
    const end = bytes.indexOf('\r\n\r\n', at);
    if (end < 0) return found;
    const length = /\r\ncontent-length: *(\d+)/i.exec(bytes.subarray(at, end).toString('latin1'));
    if (!length) return found;
    at = end + 4 + Number(length[1]);
    try {
      found.push(JSON.parse(bytes.subarray(end + 4, at).toString('utf8')) as Echo);
    } catch {
      return found; // not the echo app's answer: an error page
    }
  }
}

/** A shell command that prints these bytes: printf with octal escapes, which every sh understands. */
export function printf(bytes: string): string {
  const esc = (c: string): string => {
    if (c === '\r') return '\\r';
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '%') return '%%';
    if (c === '\\') return '\\\\';
    if (c === "'") return "'\\''";
    if (c < ' ' || c > '~') return `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`;
    return c;
  };
  return `printf '${[...bytes].map(esc).join('')}'`;
}

const send = 'node chapters/tools/send-bytes.mjs 127.0.0.1 8000';

/** How to see it yourself; `shell` prints the bytes when they are too long to spell out. */
export const live = (bytes: string, shell = printf(bytes)): string => `npm run chapter 3 -- --mine, then in another terminal: ${shell} | ${send}`;

export class Wire {
  private srv: Running | null = null;

  /** `ids`: the exercises whose modules are plugged in (the others run the reference). */
  constructor(private readonly ids: string[]) {}

  async start(): Promise<void> {
    this.srv = await launch(this.ids, 'test/exercises/targets/http.ts', []);
  }

  private get server(): Running {
    if (!this.srv) throw new Error('start() the server first');
    return this.srv;
  }

  /** What came back, plus the server's own words when it failed on our side (a stub, or a throw that is not an HttpError). */
  private got(reply: Reply): string {
    const ours = /(Error parsing request[^\n]*|Error handling request[^\n]*|Not implemented yet[^\n]*)/.exec(this.server.log());
    return `${describeReply(reply)}${reply.status === 500 && ours ? `\n             the server log says: ${ours[1]}` : ''}`;
  }

  /** Sends a good request (or `responses` pipelined ones): each must get a 200 from the echo app. Returns the echoes. */
  async served(request: string | string[], summary: string, opts: { shell?: string; responses?: number } = {}): Promise<Echo[]> {
    const parts = Array.isArray(request) ? request : [request];
    const responses = opts.responses ?? 1;
    const reply = await exchange(this.server.url, parts.map((p) => Buffer.from(p, 'latin1')), { responses, timeoutMs: 5000 });
    const got = echoes(reply);
    check(reply.status === 200 && got.length === responses, summary, {
      sent: parts,
      expected: `${responses === 1 ? 'a 200' : `${responses} responses, each a 200`} with the echo app's JSON (the request was parsed, the app ran)`,
      got: this.got(reply),
      live: live(parts.join(''), opts.shell),
      log: this.server.log(),
    });
    return got;
  }

  /**
   * Sends a bad request: it must get `want`, then the connection must close. Then a good request on a
   * new connection must still be served: one client's bad bytes never cost the next client anything.
   */
  async refused(request: string | string[], want: number, summary: string, shell?: string): Promise<Reply> {
    const parts = Array.isArray(request) ? request : [request];
    const reply = await exchange(this.server.url, parts.map((p) => Buffer.from(p, 'latin1')), { timeoutMs: 5000 });
    check(reply.status === want && reply.closed, summary, {
      sent: parts,
      expected: `${want}, then the connection closed (one warning line in the log)`,
      got: this.got(reply),
      live: live(parts.join(''), shell),
      log: this.server.log(),
    });
    const [after] = await this.served('GET /after HTTP/1.1\r\nHost: x\r\nX-After: 1\r\n\r\n', `After the ${want}, the server did not serve a good request on a new connection`);
    check(after!.path === '/after' && after!.headers.HTTP_X_AFTER === '1', `After the ${want}, a good request did not reach the app intact`, {
      expected: 'path "/after" and HTTP_X_AFTER "1" in the echo',
      got: JSON.stringify(after),
    });
    return reply;
  }

  log(): string {
    return this.server.log();
  }
}
