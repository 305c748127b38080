// @chapter 10
// Two prefork instances behind one nginx upstream, and a steady load through nginx while instance A is
// stopped and started again: how many requests fail, with and without nginx's retries
// (proxy_next_upstream). nginx runs the shipped chapters/10-production/deploy/nginx/prefork.conf with
// both instances in its upstream block.
//
//   node --import tsx chapters/10-production/upstream.ts [--clients 6] [--down 3000]
//
// test/production/upstream.test.ts runs the same measurement, smaller, and checks it.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { killAll, startPrefork, type Server } from '../../test/arbiter/server.ts';
import { processAlive, waitFor } from '../../test/helpers.ts';
import { load } from '../../test/signals/load.ts';
import { killAllNginx, NGINX_MISSING, nginxAvailable, openTempDir, send, startNginx, type Nginx } from '../../test/production/nginx.ts';

export const APP = `${join(import.meta.dirname, 'app.ts')}:app`;

/** One prefork instance on a unix socket of its own, which can be stopped and started again. */
export class Instance {
  server: Server | null = null;
  readonly socket: string;

  constructor(
    readonly name: string,
    dir: string,
    private readonly args: string[] = ['-w', '2'],
    private readonly app = APP,
  ) {
    this.socket = join(dir, `${name}.sock`);
  }

  /** The upstream's `server` line for it: out of the rotation for `failTimeout` after one failure. */
  upstream(failTimeout: string): string {
    return `unix:${this.socket} max_fails=1 fail_timeout=${failTimeout}`;
  }

  async start(): Promise<void> {
    this.server = await startPrefork([this.app, ...this.args, '-b', `unix:${this.socket}`], { workers: Number(this.args[this.args.indexOf('-w') + 1] ?? 1) });
  }

  /** TERM: the master closes the socket, its workers finish the requests they hold, and it exits. */
  async term(): Promise<void> {
    await this.server?.stop();
  }

  /** kill -9 of the master and its workers at once (the process group): requests in flight are cut. */
  async kill(): Promise<void> {
    const server = this.server;
    if (!server) return;
    process.kill(-server.master.pid!, 'SIGKILL');
    await server.exited;
  }

  log(): string {
    return this.server?.log() ?? '';
  }
}

export type Action = 'term' | 'kill' | 'restart' | 'hup';

export const ACTIONS: Record<Action, (downMs: number) => string> = {
  term: (ms) => `graceful TERM, down ${ms / 1000} s, start`,
  kill: (ms) => `kill -9, down ${ms / 1000} s, start`,
  restart: () => 'restart (TERM, start at once)',
  hup: () => 'HUP (new workers, same master)',
};

export interface Outcome {
  action: Action;
  retries: boolean;
  ok: number;
  failed: number;
  /** Why each failed request failed, counted: { 'status 502': 3 }. */
  why: Record<string, number>;
  /** Requests nginx sent to a second server after the first failed (its access log says "502, 200"). */
  retried: number;
  /** What went wrong between nginx and A, from nginx's error log: { 'refused': 4 } (retried or not). */
  upstreamErrors: Record<string, number>;
  /** How long the load ran, ms. */
  ms: number;
}

/** nginx's error log lines about an upstream, by cause (the errno nginx names). */
const CAUSES: [RegExp, string][] = [
  [/\(2: No such file or directory\) while connecting/, 'no socket file'],
  [/\(111: Connection refused\) while connecting/, 'refused'],
  [/\(11: Resource temporarily unavailable\) while connecting/, 'backlog full'],
  [/prematurely closed connection/, 'closed mid-request'],
  [/\(104: Connection reset by peer\)|\(32: Broken pipe\)/, 'reset mid-request'],
  [/upstream timed out/, 'timed out'],
];

export function upstreamErrors(errorLog: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of errorLog.split('\n')) {
    // Anything else nginx blames on an upstream is counted under its own message.
    const other = /\[(?:error|crit)\] \d+#\d+: (?:\*\d+ )?(.*?upstream.*?)(?:, client: |$)/.exec(line)?.[1];
    const cause = CAUSES.find(([re]) => re.test(line))?.[1] ?? (other ? `"${other}"` : null);
    if (cause) out[cause] = (out[cause] ?? 0) + 1;
  }
  return out;
}

/** { a: 2, b: 1 } as "2 a, 1 b". */
export const counts = (c: Record<string, number>): string =>
  Object.entries(c)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');

/**
 * One scenario: `action` on instance A, seen through two nginx in front of the same `a` and `b` at once,
 * one with the shipped `proxy_next_upstream error timeout http_502 http_503` and one with it `off`, each
 * with `clients` loops of GET /. Once A answers through both again, the loads stop and the failures are
 * counted: [without retries, with retries].
 */
export async function measure(a: Instance, b: Instance, opts: { action: Action; clients: number; downMs: number; failTimeout: string; dir: string }): Promise<[Outcome, Outcome]> {
  const fronts: Nginx[] = [];
  try {
    for (const retries of [false, true]) {
      const dir = join(opts.dir, retries ? 'retries' : 'no-retries');
      fronts.push(await startNginx({ servers: [a.upstream(opts.failTimeout), b.upstream(opts.failTimeout)], directives: retries ? {} : { proxy_next_upstream: 'off' }, dir }));
    }
    const started = Date.now();
    const streams = fronts.map((nginx) => load(`${nginx.url}/`, opts.clients));
    await waitFor(() => streams.every((s) => s.result.ok >= 30), 20_000, 'requests through nginx before the action');
    const marks = fronts.map((nginx) => nginx.accessLog().length);
    await act(a, opts.action, opts.downMs);
    // A is back when each nginx got a 200 from it after the action.
    await waitFor(
      () => fronts.every((nginx, i) => nginx.accessLog().slice(marks[i]).some((l) => l.startsWith('200 ') && servedBy(l, a))),
      30_000,
      `instance ${a.name} to serve through nginx again`,
    );
    const seen = streams.map((s) => s.result.ok);
    await waitFor(() => streams.every((s, i) => s.result.ok >= seen[i]! + 30), 20_000, 'requests after the action');
    const results = await Promise.all(streams.map((s) => s.stop()));
    const ms = Date.now() - started;
    return fronts.map((nginx, i): Outcome => {
      const why: Record<string, number> = {};
      for (const e of results[i]!.errors) why[e] = (why[e] ?? 0) + 1;
      return {
        action: opts.action,
        retries: i === 1,
        ok: results[i]!.ok,
        failed: results[i]!.failed,
        why,
        retried: nginx.accessLog().filter((l) => /upstream_status=\S+, /.test(l)).length,
        upstreamErrors: upstreamErrors(nginx.log()),
        ms,
      };
    }) as [Outcome, Outcome];
  } finally {
    await Promise.all(fronts.map((nginx) => nginx.stop()));
  }
}

async function act(a: Instance, action: Action, downMs: number): Promise<void> {
  if (action === 'hup') {
    const old = a.server!.workerPids();
    process.kill(a.server!.master.pid!, 'SIGHUP');
    await waitFor(() => old.every((pid) => !processAlive(pid)), 30_000, `instance ${a.name}'s old workers to exit`);
    return;
  }
  if (action === 'kill') await a.kill();
  else await a.term();
  if (action !== 'restart') await new Promise((r) => setTimeout(r, downMs));
  await a.start();
}

/** Whether an access log line's final answer came from instance `i` (the last of its upstream addresses). */
const servedBy = (line: string, i: Instance): boolean => (/upstream=(.*) upstream_status=/.exec(line)?.[1] ?? '').split(', ').at(-1) === `unix:${i.socket}`;

export interface InFlight {
  method: string;
  status: number;
  /** The upstream addresses nginx tried, in order, from its access log. */
  tried: string[];
}

/**
 * A slow request in flight on one instance when that instance is killed -9; nginx's retries on. A GET is
 * sent again to the other instance; a POST is not (nginx does not repeat a request that is not
 * idempotent once it was sent, unless `non_idempotent` is listed). Leaves the killed instance stopped.
 */
export async function killInFlight(instances: Instance[], method: 'GET' | 'POST', dir: string): Promise<InFlight & { killed: Instance }> {
  const nginx: Nginx = await startNginx({ servers: instances.map((i) => i.upstream('10s')), dir });
  try {
    const before = instances.map((i) => slowLines(i));
    const reply = send(`${nginx.url}/slow?ms=2000`, { method, ...(method === 'POST' ? { body: Buffer.from('order=42') } : {}), timeoutMs: 20_000 });
    let holder: Instance | undefined;
    await waitFor(() => (holder = instances.find((i, n) => slowLines(i) > before[n]!)) !== undefined, 10_000, 'the slow request to reach an instance');
    await holder!.kill();
    const { status } = await reply;
    await waitFor(() => nginx.accessLog().some((l) => l.includes(` ${method} /slow`)), 5000, 'the access log line');
    const line = nginx.accessLog().find((l) => l.includes(` ${method} /slow`))!;
    return { method, status, tried: (/upstream=(.*) upstream_status=/.exec(line)?.[1] ?? '').split(', '), killed: holder! };
  } finally {
    await nginx.stop();
  }
}

const slowLines = (i: Instance): number => i.log().split('\n').filter((l) => l.includes('/slow')).length;

// ---- the script ------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { clients: { type: 'string', default: '6' }, down: { type: 'string', default: '3000' } } });
  const clients = Number(values.clients);
  const downMs = Number(values.down);
  if (!nginxAvailable()) {
    console.error(NGINX_MISSING);
    return 1;
  }
  const root = openTempDir('prefork-upstream-');
  const cleanup = (): void => {
    void killAllNginx();
    void killAll();
    rmSync(root, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

  console.log('Two prefork instances (2 sync workers each), A and B, behind two nginx with the same upstream block:');
  console.log('one with proxy_next_upstream off, one with the shipped "error timeout http_502 http_503".');
  console.log(`${clients} clients send GET / in a loop through each nginx while A goes away and comes back.`);
  console.log('nginx leaves a server out for 1 s after a failure (max_fails=1 fail_timeout=1s).\n');
  const a = new Instance('a', root);
  const b = new Instance('b', root);
  await Promise.all([a.start(), b.start()]);
  const rows: string[][] = [];
  let n = 0;
  for (const action of Object.keys(ACTIONS) as Action[]) {
    const dir = join(root, `run-${n++}`);
    const outcomes = await measure(a, b, { action, clients, downMs, failTimeout: '1s', dir });
    const cells = [ACTIONS[action](downMs)];
    for (const o of outcomes) {
      cells.push(`${o.failed} of ${o.ok + o.failed}`);
      console.log(
        `  ${cells[0]}, retries ${o.retries ? 'on ' : 'off'}: ${o.failed} failed of ${o.ok + o.failed} in ${(o.ms / 1000).toFixed(1)} s` +
          `${o.failed ? ` (${counts(o.why)})` : ''}; nginx: ${counts(o.upstreamErrors) || 'no upstream error'}, ${o.retried} retried`,
      );
    }
    rows.push(cells);
  }
  console.log('\nFailed requests (of all sent) while instance A goes away and comes back:\n');
  table(['instance A', 'proxy_next_upstream off', 'error timeout http_502 http_503'], rows);

  console.log('\nA slow request in flight on the instance that is killed -9 (retries on):');
  for (const method of ['GET', 'POST'] as const) {
    const dir = join(root, `inflight-${method}`);
    mkdirSync(dir);
    const r = await killInFlight([a, b], method, dir);
    console.log(`  ${method}: ${r.status}, nginx tried ${r.tried.length === 1 ? 'one server' : `${r.tried.length} servers`} (${r.tried.map((t) => (t === `unix:${a.socket}` ? 'A' : t === `unix:${b.socket}` ? 'B' : t)).join(', ')})`);
    await r.killed.start();
  }
  console.log('  A GET is sent again to the other instance; a POST is not: it may have done its work before the connection broke.');
  await Promise.all([a.term(), b.term()]);
  return 0;
}

function table(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
