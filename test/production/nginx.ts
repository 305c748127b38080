// @chapter 10
// A real nginx for a test, running the config the repository ships (chapters/10-production/deploy/nginx/
// prefork.conf): the file is wrapped in a minimal nginx.conf whose paths all lie in a temp dir, and
// only the addresses and the directives a test names are replaced. A replacement that matches nothing
// throws, so the shipped file cannot drift away from what the tests run.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterExit } from '../../chapters/tools/stage.ts';
import { waitFor } from '../helpers.ts';

export const SHIPPED_CONFIG = join(import.meta.dirname, '..', '..', 'chapters', '10-production', 'deploy', 'nginx', 'prefork.conf');

/** nginx's path: on PATH, or in the sbin folders a non-root PATH often lacks; null when absent. */
export function nginxBinary(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin'];
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(join(dir, 'nginx'), constants.X_OK);
      return join(dir, 'nginx');
    } catch {
      // not here
    }
  }
  return null;
}

export const nginxAvailable = (): boolean => nginxBinary() !== null;
export const NGINX_MISSING = 'nginx is not installed (Debian: apt-get install nginx-light): the tests behind nginx are skipped';

/** A temp dir that nginx's worker processes can enter: run as root, they run as `nobody` (pitfalls 9.1). */
export function openTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

export interface RenderOptions {
  /** The upstream's `server` lines, without `server` and `;`: 'unix:/x.sock', '127.0.0.1:8001 max_fails=1'. */
  servers: string[];
  /**
   * Directives of the shipped file to change, by the words that name them, to new arguments:
   * { proxy_read_timeout: '1s', 'proxy_set_header X-Forwarded-Proto': '$http_x_forwarded_proto' }.
   * Each must name exactly one live line of the file.
   */
  directives?: Record<string, string>;
}

/** The shipped file with this test's upstream servers, port and directives (the text of an http-level include). */
export function renderSite(port: number, opts: RenderOptions): string {
  let text = readFileSync(SHIPPED_CONFIG, 'utf8');
  text = replaceOnce(text, /^(\s*)listen [^;]*;/gm, (indent) => `${indent}listen 127.0.0.1:${port};`, 'listen');
  // Every live `server ADDRESS ...;` line of the upstream block goes; the test's take the first one's place.
  const upstream = /^upstream prefork \{[\s\S]*?^\}/m.exec(text);
  if (!upstream) throw new Error(`${SHIPPED_CONFIG}: no "upstream prefork { }" block`);
  let first = true;
  const block = upstream[0].replace(/^(\s*)server [^;]*;\n/gm, (_line, indent: string) => {
    if (!first) return '';
    first = false;
    return opts.servers.map((s) => `${indent}server ${s};\n`).join('');
  });
  if (first) throw new Error(`${SHIPPED_CONFIG}: the upstream block has no server line`);
  text = text.replace(upstream[0], block);
  for (const [name, args] of Object.entries(opts.directives ?? {})) {
    const words = name.split(' ').map(escape).join('\\s+');
    text = replaceOnce(text, new RegExp(`^(\\s*)${words}\\s[^;]*;`, 'gm'), (indent) => `${indent}${name} ${args};`, name);
  }
  return text;
}

/** The whole nginx.conf of a test: a foreground master, and every path (pid, logs, temp files) in `dir`. */
export function renderMain(dir: string, site: string): string {
  return [
    '# Written by test/production/nginx.ts: the shipped prefork.conf (as rendered in site.conf), run in a temp dir.',
    'daemon off;',
    'master_process on;',
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    'error_log stderr notice;',
    'events { worker_connections 512; }',
    'http {',
    // Which server answered, and every server tried (a retry shows as "502, 200"), for the tests to count.
    "    log_format tests '$status $request_method $request_uri upstream=$upstream_addr upstream_status=$upstream_status';",
    `    access_log ${join(dir, 'access.log')} tests;`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${join(dir, t)};`),
    `    include ${site};`,
    '}',
    '',
  ].join('\n');
}

export interface Nginx {
  process: ChildProcess;
  port: number;
  url: string;
  /** Everything nginx wrote to stderr (its error log) so far. */
  log(): string;
  /** The messages of the error log's [error] and [crit] lines, without time, pid and the request's details. */
  errors(): string[];
  /** Waits until the error log has a line matching `pattern` (it may arrive just after the reply it explains). */
  waitForLog(pattern: RegExp | string, ms?: number): Promise<void>;
  /** The access log lines so far (the `tests` format above). */
  accessLog(): string[];
  /** QUIT (finish the requests in flight), then KILL on the deadline. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();

/**
 * Starts nginx on a free loopback port in front of `opts.servers`; resolves once it accepts connections.
 * nginx cannot listen on port 0, so a port is found by binding 0 in Node and closing it; another
 * process may take it in between, and then nginx fails with EADDRINUSE and we try another.
 */
export async function startNginx(opts: RenderOptions & { dir?: string }): Promise<Nginx> {
  const binary = nginxBinary();
  if (!binary) throw new Error(NGINX_MISSING);
  const dir = opts.dir ?? openTempDir('prefork-nginx-');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const site = join(dir, 'site.conf');
    const conf = join(dir, 'nginx.conf');
    writeFileSync(site, renderSite(port, opts));
    writeFileSync(conf, renderMain(dir, site));
    // Its own process group: stop() and killAllNginx() reach the master and its workers at once.
    const child = spawn(binary, ['-p', dir, '-c', conf, '-e', 'stderr'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = afterExit(child);
    let ended = false;
    void exited.then(() => (ended = true));
    await waitFor(() => ended || /start worker process/.test(output), 10_000, `nginx to start:\n${output}`);
    if (ended) {
      running.delete(child);
      if (/Address already in use/.test(output) && attempt < 5) continue;
      throw new Error(`nginx exited at start:\n${output}`);
    }
    await waitFor(() => canConnect(port), 10_000, `nginx to accept on port ${port}`);
    const nginx: Nginx = {
      process: child,
      port,
      url: `http://127.0.0.1:${port}`,
      log: () => output,
      errors: () => [...output.matchAll(/\[(?:error|crit)\] \d+#\d+: (?:\*\d+ )?(.*?)(?:, client: .*)?$/gm)].map((m) => m[1]!),
      waitForLog: (pattern, ms = 5000) =>
        waitFor(() => (typeof pattern === 'string' ? output.includes(pattern) : pattern.test(output)), ms, `nginx's error log to say ${String(pattern)}:\n${output}`),
      accessLog: () => {
        try {
          return readFileSync(join(dir, 'access.log'), 'utf8').split('\n').filter(Boolean);
        } catch {
          return [];
        }
      },
      stop: async (graceMs = 5000) => {
        if (!ended) {
          signalGroup(child, 'SIGQUIT');
          const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        }
        signalGroup(child, 'SIGKILL');
        running.delete(child);
      },
    };
    return nginx;
  }
}

/** For afterEach/afterAll: every nginx a test started, with its workers. */
export async function killAllNginx(): Promise<void> {
  for (const child of running) signalGroup(child, 'SIGKILL');
  running.clear();
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // gone
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: '127.0.0.1' }, () => {
      sock.destroy();
      resolve(true);
    });
    sock.on('error', () => resolve(false));
  });
}

/** Replaces the one match of `pattern` (whose first group is the line's indent); throws unless there is exactly one. */
function replaceOnce(text: string, pattern: RegExp, line: (indent: string) => string, what: string): string {
  const found = text.match(pattern)?.length ?? 0;
  if (found !== 1) throw new Error(`${SHIPPED_CONFIG}: expected one live "${what}" line, found ${found}`);
  return text.replace(pattern, (_match, indent: string) => line(indent));
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/**
 * One request on a connection of its own (node:http, no agent), with headers fetch() would not let us
 * set (Host, X-Forwarded-*). A body given as an array of chunks goes out chunked, one write per chunk.
 */
export function send(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: Buffer | Buffer[]; socketPath?: string; timeoutMs?: number } = {},
): Promise<Reply> {
  const { hostname, port, pathname, search } = new URL(url);
  const headers: Record<string, string> = { connection: 'close', ...opts.headers };
  if (Buffer.isBuffer(opts.body)) headers['content-length'] = String(opts.body.length);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { ...(opts.socketPath ? { socketPath: opts.socketPath } : { host: hostname, port }), path: pathname + search, method: opts.method ?? 'GET', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString() });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 15_000, () => req.destroy(new Error(`no answer from ${url} in ${opts.timeoutMs ?? 15_000} ms`)));
    req.on('error', reject);
    if (Array.isArray(opts.body)) for (const chunk of opts.body) req.write(chunk);
    else if (opts.body) req.write(opts.body);
    req.end();
  });
}
