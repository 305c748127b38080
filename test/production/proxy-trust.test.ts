// @chapter 10
// Proxy trust: which peers may set the scheme (forwarded_allow_ips), from which headers
// (secure_scheme_headers), and what a spoofed header from anyone else changes: nothing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type NetConnectOpts } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.ts';
import { ConfigError } from '../../src/config/settings.ts';
import { HttpError } from '../../src/http/errors.ts';
import { allowItemProblem, trustsPeer, urlScheme } from '../../src/http/proxy.ts';
import { killAll, startPrefork, type Server } from '../arbiter/server.ts';
import type { HeaderPair } from '../../src/cgi/request.ts';

// The servers below must start from gunicorn's default, whatever the shell running the tests says.
delete process.env.FORWARDED_ALLOW_IPS;

const fixture = (name: string): string => join(import.meta.dirname, 'fixtures', name);
const DEFAULTS = { 'X-FORWARDED-PROTOCOL': 'ssl', 'X-FORWARDED-PROTO': 'https', 'X-FORWARDED-SSL': 'on' };
const LOOPBACK = ['127.0.0.1', '::1'];

describe('forwarded_allow_ips items', () => {
  it('takes IPs, CIDR networks (v4 and v6) and *', () => {
    for (const item of ['127.0.0.1', '::1', '10.0.0.0/8', '0.0.0.0/0', 'fd00::/8', '2001:db8::/32', '::ffff:10.0.0.0/104', '*']) {
      expect(allowItemProblem(item), item).toBeNull();
    }
  });

  it('refuses names, bad prefixes and networks with host bits set, saying why', () => {
    expect(allowItemProblem('localhost')).toMatch(/not an IP address/);
    expect(allowItemProblem('10.0.0.0/33')).toMatch(/0 to 32/);
    expect(allowItemProblem('fd00::/129')).toMatch(/0 to 128/);
    expect(allowItemProblem('10.0.0.0/')).toMatch(/prefix/);
    expect(allowItemProblem('10.0.0/8')).toMatch(/not an IP address/);
    expect(allowItemProblem('10.0.0.1/8'), 'gunicorn (current) refuses it too').toMatch(/host bits are set: the network is 10\.0\.0\.0\/8/);
    expect(allowItemProblem('2001:db8:1::/32')).toMatch(/the network is 2001:db8::\/32/);
    expect(allowItemProblem('**')).not.toBeNull();
  });
});

describe('trustsPeer', () => {
  it('trusts the listed addresses only', () => {
    expect(trustsPeer(LOOPBACK, '127.0.0.1')).toBe(true);
    expect(trustsPeer(LOOPBACK, '::1')).toBe(true);
    expect(trustsPeer(LOOPBACK, '127.0.0.2'), 'an exact address is not a network').toBe(false);
    expect(trustsPeer(LOOPBACK, '10.0.0.1')).toBe(false);
    expect(trustsPeer([], '127.0.0.1'), 'an empty list trusts no TCP peer').toBe(false);
  });

  it('matches CIDR networks, IPv4 and IPv6', () => {
    const allow = ['10.0.0.0/8', 'fd00::/8', '192.168.1.0/24'];
    expect(trustsPeer(allow, '10.255.1.2')).toBe(true);
    expect(trustsPeer(allow, '11.0.0.1')).toBe(false);
    expect(trustsPeer(allow, '192.168.1.254')).toBe(true);
    expect(trustsPeer(allow, '192.168.2.1')).toBe(false);
    expect(trustsPeer(allow, 'fd12:3456::1')).toBe(true);
    expect(trustsPeer(allow, 'fe80::1')).toBe(false);
  });

  it('treats an IPv4-mapped IPv6 peer (a dual-stack socket) as the IPv4 host it is', () => {
    expect(trustsPeer(LOOPBACK, '::ffff:127.0.0.1')).toBe(true);
    expect(trustsPeer(['10.0.0.0/8'], '::ffff:10.1.2.3')).toBe(true);
    expect(trustsPeer(['10.0.0.0/8'], '::ffff:11.1.2.3')).toBe(false);
    expect(trustsPeer(['::ffff:10.0.0.1'], '10.0.0.1'), 'and the other way round').toBe(true);
  });

  it("always trusts a unix socket's peer, and trusts everyone under *", () => {
    expect(trustsPeer([], undefined)).toBe(true);
    expect(trustsPeer(['*'], '203.0.113.9')).toBe(true);
    expect(trustsPeer(['10.0.0.0/8', '*'], '::ffff:203.0.113.9')).toBe(true);
  });

  it('never trusts a TCP peer whose address is unknown, except under *', () => {
    expect(trustsPeer(LOOPBACK, '')).toBe(false);
    expect(trustsPeer(['*'], '')).toBe(true);
  });
});

describe('urlScheme', () => {
  const h = (...pairs: HeaderPair[]): HeaderPair[] => pairs;

  it('says https for each default header with its value, from a trusted peer', () => {
    expect(urlScheme(h(['X-Forwarded-Proto', 'https']), DEFAULTS, true)).toBe('https');
    expect(urlScheme(h(['X-Forwarded-Protocol', 'ssl']), DEFAULTS, true)).toBe('https');
    expect(urlScheme(h(['X-Forwarded-Ssl', 'on']), DEFAULTS, true)).toBe('https');
    expect(urlScheme(h(['X-Forwarded-Proto', 'http']), DEFAULTS, true)).toBe('http');
    expect(urlScheme(h(['Host', 'example.com']), DEFAULTS, true), 'no scheme header').toBe('http');
  });

  it('ignores every header from an untrusted peer, contradictions included', () => {
    expect(urlScheme(h(['X-Forwarded-Proto', 'https']), DEFAULTS, false)).toBe('http');
    expect(urlScheme(h(['X-Forwarded-Proto', 'https'], ['X-Forwarded-Ssl', 'off']), DEFAULTS, false)).toBe('http');
  });

  it('matches header names in any case, values exactly (as gunicorn)', () => {
    expect(urlScheme(h(['x-forwarded-proto', 'https']), DEFAULTS, true)).toBe('https');
    expect(urlScheme(h(['X-Forwarded-Proto', 'https']), { 'x-forwarded-proto': 'https' }, true), 'configured in lower case').toBe('https');
    expect(urlScheme(h(['X-Forwarded-Proto', 'HTTPS']), DEFAULTS, true), 'HTTPS is not https').toBe('http');
    expect(urlScheme(h(['X-Forwarded-Ssl', 'ON']), DEFAULTS, true)).toBe('http');
  });

  it('refuses contradictory scheme headers with a 400', () => {
    const contradict = (headers: HeaderPair[]): unknown => {
      try {
        urlScheme(headers, DEFAULTS, true);
        return null;
      } catch (err) {
        return err;
      }
    };
    // pitfalls 9.4: nginx's `X-Forwarded-Protocol $scheme` sends "https" where the table expects "ssl".
    const err = contradict(h(['X-Forwarded-Proto', 'https'], ['X-Forwarded-Protocol', 'https']));
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(400);
    expect((err as HttpError).message).toBe('Contradictory scheme headers');
    expect(contradict(h(['X-Forwarded-Proto', 'https'], ['X-Forwarded-Proto', 'http'])), 'the same header twice').toBeInstanceOf(HttpError);
    expect(contradict(h(['X-Forwarded-Proto', 'https'], ['X-Forwarded-Ssl', 'on'])), 'two that agree').toBeNull();
    expect(contradict(h(['X-Forwarded-Proto', 'http'], ['X-Forwarded-Ssl', 'off'])), 'two that agree on http').toBeNull();
  });

  it('uses only the configured headers', () => {
    const custom = { 'X-Scheme': 'https' };
    expect(urlScheme(h(['X-Scheme', 'https']), custom, true)).toBe('https');
    expect(urlScheme(h(['X-Forwarded-Proto', 'https']), custom, true), 'not configured any more').toBe('http');
    expect(urlScheme(h(['X-Forwarded-Proto', 'https']), {}, true), 'an empty table turns the headers off').toBe('http');
  });
});

describe('the settings', () => {
  let dir = '';
  beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'prefork-proxy-config-'))));
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));
  const withConfig = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const failure = async (argv: string[], env: NodeJS.ProcessEnv = {}): Promise<string> => {
    const err = await loadSettings(argv, env, dir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  };

  it("defaults to gunicorn's: loopback, and the three scheme headers", async () => {
    const { settings } = await loadSettings([], {}, dir);
    expect(settings.forwarded_allow_ips).toEqual(['127.0.0.1', '::1']);
    expect(settings.secure_scheme_headers).toEqual(DEFAULTS);
  });

  it('takes the default from FORWARDED_ALLOW_IPS, comma-separated; set but empty trusts no TCP peer', async () => {
    expect((await loadSettings([], { FORWARDED_ALLOW_IPS: ' 10.0.0.0/8 , 192.168.0.7' }, dir)).settings.forwarded_allow_ips).toEqual(['10.0.0.0/8', '192.168.0.7']);
    expect((await loadSettings([], { FORWARDED_ALLOW_IPS: '' }, dir)).settings.forwarded_allow_ips).toEqual([]);
    expect(await failure([], { FORWARDED_ALLOW_IPS: 'proxy.internal' })).toMatch(/forwarded_allow_ips .*from FORWARDED_ALLOW_IPS: "proxy.internal"/);
  });

  it('reads --forwarded-allow-ips as gunicorn does (commas), and repeated', async () => {
    const { settings } = await loadSettings(['--forwarded-allow-ips', '10.0.0.1,10.0.0.2', '--forwarded-allow-ips=*'], { FORWARDED_ALLOW_IPS: '192.168.0.1' }, dir);
    expect(settings.forwarded_allow_ips, 'the command line replaces the list').toEqual(['10.0.0.1', '10.0.0.2', '*']);
  });

  it('refuses a bad item, naming the setting and the forms allowed', async () => {
    const message = await failure(['--forwarded-allow-ips', '10.0.0.1,localhost']);
    expect(message).toMatch(/^Invalid value for forwarded_allow_ips \(--forwarded-allow-ips\) from the command line: "localhost": not an IP address/);
    expect(message).toMatch(/Allowed: an IP address .* CIDR .* or \*/);
  });

  it('takes secure_scheme_headers from a config file only, whole', async () => {
    const file = withConfig('custom.config.mjs', "export const secure_scheme_headers = { 'X-Scheme': 'https' };\n");
    const { settings } = await loadSettings(['-c', file], {}, dir);
    expect(settings.secure_scheme_headers, 'replaces the default object, not merged into it').toEqual({ 'X-Scheme': 'https' });
    expect(await failure(['--secure-scheme-headers', 'x'])).toMatch(/Unknown option --secure-scheme-headers/);
  });

  it('refuses a secure_scheme_headers that is not an object of header names to strings', async () => {
    const cases: [string, RegExp][] = [
      ["'https'", /secure_scheme_headers from the config file .*: "https": must be an object of string values/],
      ["['X-Forwarded-Proto']", /must be an object of string values/],
      ["{ 'X-Forwarded-Proto': true }", /must be an object of string values/],
      ["{ 'X Forwarded Proto': 'https' }", /key "X Forwarded Proto": not a header name/],
      ["{ 'X-Forwarded-Proto': 'https', 'x-forwarded-proto': 'on' }", /key "x-forwarded-proto": given twice/],
    ];
    for (const [i, [value, expected]] of cases.entries()) {
      const file = withConfig(`bad-${i}.config.mjs`, `export const secure_scheme_headers = ${value};\n`);
      expect(await failure(['-c', file]), value).toMatch(expected);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// The real server: a spoofed header from a trusted and from an untrusted peer.

interface Reply {
  status: number;
  body: string;
}

/**
 * Raw requests (so the headers go out exactly as written) on one connection, over TCP or a unix
 * socket, pipelined: the last one says Connection: close. The replies, read by their Content-Length.
 */
function requests(target: NetConnectOpts, ...headerSets: string[][]): Promise<Reply[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(target);
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const replies: Reply[] = [];
      while (data.length > 0) {
        const split = data.indexOf('\r\n\r\n');
        const head = split === -1 ? data : data.slice(0, split);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? data.length);
        replies.push({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0), body: split === -1 ? '' : data.slice(split + 4, split + 4 + length) });
        data = split === -1 ? '' : data.slice(split + 4 + length);
      }
      resolve(replies);
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('no reply within 10 s')));
    const last = headerSets.length - 1;
    socket.end(headerSets.map((headers, i) => ['GET /who HTTP/1.1', 'Host: app.example', ...headers, ...(i === last ? ['Connection: close'] : []), '', ''].join('\r\n')).join(''));
  });
}

const request = async (target: NetConnectOpts, headers: string[] = []): Promise<Reply> => (await requests(target, headers))[0] ?? { status: 0, body: '' };

interface Seen {
  scheme: string;
  remoteAddr: string;
  forwardedFor: string | null;
  pid: number;
}
const seen = (reply: Reply): Seen => {
  expect(reply.status, reply.body).toBe(200);
  return JSON.parse(reply.body) as Seen;
};

const SPOOFED = ['X-Forwarded-Proto: https', 'X-Forwarded-For: 6.6.6.6'];

/** Linux routes all of 127.0.0.0/8 to lo, so 127.0.0.2 is a second, untrusted, local peer. */
const secondLoopback = await new Promise<boolean>((resolve) => {
  const s = connect({ host: '127.0.0.1', port: 9, localAddress: '127.0.0.2' });
  s.on('connect', () => (s.destroy(), resolve(true)));
  s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
});
if (!secondLoopback) console.log('proxy-trust: skipping the untrusted-peer tests: this host cannot use 127.0.0.2 as a source address');

describe('prefork behind a proxy (default settings, async worker)', () => {
  let dir = '';
  let sock = '';
  let server: Server;
  let tcp: NetConnectOpts;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prefork-proxy-'));
    sock = join(dir, 'app.sock');
    server = await startPrefork([`${fixture('proxy-echo.ts')}:app`, '-b', '127.0.0.1:0', '-b', `unix:${sock}`, '-w', '1', '-k', 'async'], { workers: 1 });
    tcp = { host: '127.0.0.1', port: Number(new URL(server.url).port) };
  }, 40_000);
  afterAll(async () => {
    await server?.stop();
    await killAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('believes the scheme from a trusted peer (127.0.0.1), but REMOTE_ADDR stays the peer', async () => {
    const app = seen(await request(tcp, SPOOFED));
    expect(app.scheme).toBe('https');
    expect(app.remoteAddr, 'never X-Forwarded-For').toBe('127.0.0.1');
    expect(app.forwardedFor, 'the header reaches the app as it was sent').toBe('6.6.6.6');
  });

  it.skipIf(!secondLoopback)('ignores the same headers from an untrusted peer (127.0.0.2)', async () => {
    const app = seen(await request({ ...tcp, localAddress: '127.0.0.2' }, SPOOFED));
    expect(app.scheme).toBe('http');
    expect(app.remoteAddr).toBe('127.0.0.2');
    expect(app.forwardedFor).toBe('6.6.6.6');
  });

  it("trusts a unix socket's peer", async () => {
    const app = seen(await request({ path: sock }, SPOOFED));
    expect(app.scheme).toBe('https');
    expect(seen(await request({ path: sock })).scheme, 'no header: http').toBe('http');
  });

  it('decides the scheme per request on a kept-alive connection', async () => {
    const replies = await requests(tcp, ['X-Forwarded-Proto: https'], [], ['X-Forwarded-Ssl: on']);
    expect(replies.map((r) => seen(r).scheme)).toEqual(['https', 'http', 'https']);
  });

  it('compares the value exactly: X-Forwarded-Proto: HTTPS is not https', async () => {
    expect(seen(await request(tcp, ['X-Forwarded-Proto: HTTPS'])).scheme).toBe('http');
  });

  it('answers contradictory scheme headers with 400, and the worker goes on', async () => {
    const before = seen(await request(tcp)).pid;
    const reply = await request(tcp, ['X-Forwarded-Proto: https', 'X-Forwarded-Protocol: https']);
    expect(reply.status).toBe(400);
    expect(reply.body).toContain('Contradictory scheme headers');
    expect(seen(await request(tcp)).pid, 'the same worker answers next').toBe(before);
    expect(server.workerPids()).toEqual([before]);
    expect(server.log()).toMatch(/Invalid request from ip=127\.0\.0\.1: Contradictory scheme headers/);
  });

  it.skipIf(!secondLoopback)('does not even look at contradictory headers from an untrusted peer', async () => {
    const app = seen(await request({ ...tcp, localAddress: '127.0.0.2' }, ['X-Forwarded-Proto: https', 'X-Forwarded-Protocol: https']));
    expect(app.scheme).toBe('http');
  });
});

describe("prefork with --forwarded-allow-ips '*' and its own secure_scheme_headers (sync worker)", () => {
  let dir = '';
  let server: Server;
  let tcp: NetConnectOpts;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prefork-proxy-star-'));
    const config = join(dir, 'prefork.config.mjs');
    writeFileSync(config, "export const secure_scheme_headers = { 'X-Scheme': 'https' };\n");
    server = await startPrefork([`${fixture('proxy-fetch.ts')}:default`, '-c', config, '--forwarded-allow-ips', '*', '-b', '127.0.0.1:0', '-w', '1'], { workers: 1 });
    tcp = { host: '127.0.0.1', port: Number(new URL(server.url).port) };
  }, 40_000);
  afterAll(async () => {
    await server?.stop();
    await killAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const url = async (target: NetConnectOpts, headers: string[]): Promise<string> => {
    const reply = await request(target, headers);
    expect(reply.status, reply.body).toBe(200);
    return (JSON.parse(reply.body) as { url: string }).url;
  };

  it.skipIf(!secondLoopback)("trusts any peer: the fetch app's request.url is https", async () => {
    expect(await url({ ...tcp, localAddress: '127.0.0.2' }, ['X-Scheme: https'])).toBe('https://app.example/who');
  });

  it('reads only the configured header', async () => {
    expect(await url(tcp, ['X-Scheme: https'])).toBe('https://app.example/who');
    expect(await url(tcp, ['X-Forwarded-Proto: https']), 'not in this table').toBe('http://app.example/who');
  });
});

describe('a bad --forwarded-allow-ips', () => {
  afterEach(killAll);

  it('stops the server at start with exit 1, naming the setting', async () => {
    const server = await startPrefork([`${fixture('proxy-echo.ts')}:app`, '-b', '127.0.0.1:0', '--forwarded-allow-ips', '10.0.0.1/8'], { workers: 0 });
    expect(await server.exited).toBe(1);
    expect(server.log()).toMatch(/Invalid value for forwarded_allow_ips \(--forwarded-allow-ips\) from the command line: "10\.0\.0\.1\/8": host bits are set/);
  });
});
