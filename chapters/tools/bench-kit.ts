// What the chapters' benchmarks (chapters/NN-*/bench.ts) share: the tools and the machine they run on,
// servers started in process groups of their own and killed however the benchmark ends, prefork's and
// gunicorn's startup and readiness checks on the hello page, wrk runs read into numbers, the CPU time
// of a server's processes, and the printing of the results. Each bench.ts keeps its own scenario: which
// servers, which rounds, which tables. BENCH_QUICK=1 asks every benchmark for a short run that checks
// the script and writes nothing to docs/data (writeData below).
//
// Importing this module installs the exit handling: SIGINT, SIGTERM and SIGHUP end the benchmark, and
// every process group it started is killed on the way out.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import os from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcessGroups } from './stage.ts';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'src', 'prefork.mjs');
/** Chapter 2's hello world as a WSGI-style app, the page every benchmark serves. */
export const helloApp = join(root, 'chapters', '02-contract', 'apps', 'hello.ts') + ':app';
const EXPECTED_BODY = 'Hello, world!\n';

/** BENCH_QUICK=1: a short run to check that the script works; nothing is written to docs/data. */
export const QUICK = Boolean(process.env.BENCH_QUICK && process.env.BENCH_QUICK !== '0');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

// ---------------------------------------------------------------------------------------------------
// Tools on this machine

export function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() || null : null;
}
export const wrk = which('wrk');
/** "wrk 4.1.0", or null without wrk. */
export const wrkName = wrk ? `wrk ${spawnSync(wrk, ['-v'], { encoding: 'utf8' }).stdout.match(/wrk (\S+)/)?.[1] ?? ''}`.trim() : null;
export const gunicorn = which('gunicorn');
/** "gunicorn 20.1.0", or null without gunicorn. */
export const gunicornVersion = gunicorn ? spawnSync(gunicorn, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^gunicorn \(version (.*)\)$/, 'gunicorn $1') : null;

/** The version of the Python that gunicorn runs on (from its script's #! line). */
export function pythonVersion(): string {
  if (!gunicorn) return '?';
  const shebang = /^#!\s*(\S+)/.exec(spawnSync('head', ['-1', gunicorn], { encoding: 'utf8' }).stdout)?.[1] ?? 'python3';
  return spawnSync(shebang, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^Python /, '') || '?';
}

const cpus = os.cpus();
export const machine = `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(os.totalmem() / 2 ** 30)} GB, ${os.type()} ${os.release()}, Node ${process.version}`;

// ---------------------------------------------------------------------------------------------------
// Processes: every one in its own process group, killed as a group on any way out.

const groups = new ProcessGroups(); // SIGKILLs every group still listed when this process exits
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => process.exit(130));

/** Starts a process in a process group of its own. stdin stays a pipe: servers that watch it stop when we die. */
export function start(cmd: string, args: string[], cwd = root): ChildProcess {
  const child = spawn(cmd, args, { cwd, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  child.on('error', () => {}); // reported through the exit / readiness checks
  groups.add(child);
  return child;
}

/** TERM to the whole group, then KILL after 5 s; resolves when the group leader has exited. */
export const stop = (child: ChildProcess): Promise<void> => groups.stop(child);

// ---------------------------------------------------------------------------------------------------
// Servers

export interface Server {
  name: string;
  child: ChildProcess;
  url: string;
  /** Worker pids, when the server tells them (prefork's and gunicorn's log, or the server's JSON line). */
  workers: () => number[];
  /** Everything the server logged so far (stdout + stderr). */
  output: () => string;
}

/** Collects a child's stdout+stderr; resolves the first `match` found in it. */
export function watch(child: ChildProcess, what: string, match: (text: string) => string | null, seconds = 30): { text: () => string; found: Promise<string> } {
  let text = '';
  const found = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not ready within ${seconds} s\n${text.slice(-2000)}`)), seconds * 1000);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const m = match(text);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${signal ?? `code ${code}`}) before it was ready\n${text.slice(-2000)}`));
    });
  });
  found.catch(() => {});
  return { text: () => text, found };
}

/** Worker pids in a log ("Booting worker with pid: N", the same line in prefork and gunicorn). */
export const bootedPids = (text: string): number[] => [...text.matchAll(/Booting worker with pid: (\d+)/g)].map((m) => Number(m[1]));

/** `prefork APP -w N -k CLASS -b 127.0.0.1:0`: the URL from its "Listening at:" line. */
export async function startPrefork(name: string, app: string, workerClass: 'sync' | 'async', workers: number): Promise<Server> {
  const child = start(process.execPath, [cli, app, '-w', String(workers), '-k', workerClass, '-b', '127.0.0.1:0']);
  const out = watch(child, name, (t) => /Listening at: (http:\/\/\S+)/.exec(t)?.[1] ?? null);
  const url = await out.found;
  return { name, child, url, workers: () => bootedPids(out.text()), output: out.text };
}

/** `gunicorn -w N -b 127.0.0.1:0 hello_wsgi:app`, run in `dir`; it logs the port it got. */
export async function startGunicorn(name: string, dir: string, workers: number): Promise<Server> {
  const child = start(gunicorn!, ['-w', String(workers), '-b', '127.0.0.1:0', 'hello_wsgi:app'], dir);
  const out = watch(child, name, (t) => {
    const url = /Listening at: (http:\/\/\S+)/.exec(t)?.[1];
    return url && (t.match(/Booting worker with pid/g)?.length ?? 0) >= workers ? url : null;
  });
  const url = await out.found;
  return { name, child, url, workers: () => bootedPids(out.text()), output: out.text };
}

/** One GET on a fresh connection; the server must serve the hello page. */
export function fetchPage(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 && body === EXPECTED_BODY ? resolve() : reject(new Error(`${url} answered ${res.statusCode} ${JSON.stringify(body.slice(0, 200))}, not the hello page`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 5 s`)));
    req.on('error', reject);
  });
}

/**
 * Waits until the server answers with the hello page five times in a row (every worker may not have
 * booted on "Listening"; prefork's workers boot in parallel).
 */
export async function ready(server: { url: string }): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      for (let i = 0; i < 5; i++) await fetchPage(`${server.url}/`);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

/** Starts each server in turn and checks that it serves the page; a failure is added to `failures`. */
export async function startAll(starters: [string, () => Promise<Server>][], servers: Map<string, Server>, failures: string[]): Promise<void> {
  for (const [key, startOne] of starters) {
    try {
      const server = await startOne();
      servers.set(key, server);
      await ready(server);
    } catch (err) {
      failures.push(`starting ${key}: ${errorText(err)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Load: wrk

export interface WrkErrors {
  connect: number;
  read: number;
  write: number;
  timeout: number;
  non2xx: number;
}

export interface WrkResult {
  rps: number; // 2xx/3xx responses per second
  p50: number; // ms
  p99: number; // ms
  max: number; // ms
  requests: number;
  errors: WrkErrors;
  /** wrk's whole output, with whatever a `-s` script printed (chapter 9's per-bucket counts). */
  output: string;
}

/** A wrk duration ("850.12us", "1.20ms", "2.00s", "1.00m") in ms. */
function wrkMs(value: string | undefined, unit: string | undefined): number {
  if (value === undefined) return NaN;
  const scale: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return Number(value) * (scale[unit ?? ''] ?? NaN);
}

/**
 * `wrk -t1 -cN -dSs --latency` on URL/ (with `Connection: close` when `close`; with `-s script`, a Lua
 * script that picks each request, when given), in its own process group.
 */
export async function runWrk(url: string, seconds: number, connections: number, close: boolean, script?: string): Promise<WrkResult> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '10s', ...(close ? ['-H', 'Connection: close'] : []), ...(script ? ['-s', script] : []), `${url}/`];
  const child = start(wrk!, args);
  let text = '';
  child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (text += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`wrk ${args.join(' ')} failed (code ${code}):\n${text}`);

  const m = /(\d+) requests in ([\d.]+)(ms|s|m)/.exec(text);
  if (!m) throw new Error(`cannot read wrk's output:\n${text}`);
  const requests = Number(m[1]);
  const duration = Number(m[2]) * (m[3] === 'ms' ? 0.001 : m[3] === 'm' ? 60 : 1);
  const pct = (p: string): number => {
    const r = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm').exec(text);
    return wrkMs(r?.[1], r?.[2]);
  };
  const maxM = /^\s*Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m|h)/m.exec(text);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const errors: WrkErrors = {
    connect: Number(sock?.[1] ?? 0),
    read: Number(sock?.[2] ?? 0),
    write: Number(sock?.[3] ?? 0),
    timeout: Number(sock?.[4] ?? 0),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0),
  };
  return { rps: (requests - errors.non2xx) / duration, p50: pct('50'), p99: pct('99'), max: wrkMs(maxM?.[1], maxM?.[2]), requests, errors, output: text };
}

// ---------------------------------------------------------------------------------------------------
// The machine

/** /proc/PID/stat's fields after the command name (which may hold spaces and parentheses): state ppid pgrp ...; null once the process is gone. Linux only. */
export function procStat(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/**
 * CPU time (user + system, ms) used so far by a process group: every live process's own time, plus
 * the time of the children they reaped (cutime, cstime). Workers retired or replaced are reaped by the
 * master, so their time stays in the sum after they exit. Divided by the requests served, it says what
 * a request costs the server whatever else the machine was doing, which requests/s alone cannot on a
 * shared box. Linux only (NaN elsewhere).
 */
const tick = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
export function groupCpuMs(pgid: number): number {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return NaN;
  }
  let ticks = 0;
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const f = procStat(e); // null: exited meanwhile
    // state ppid pgrp ... utime(11) stime(12) cutime(13) cstime(14).
    if (f && Number(f[2]) === pgid) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return (ticks * 1000) / tick;
}

/** How busy the machine's cores were over the next `ms`, in percent. */
export async function cpuBusy(ms: number): Promise<number> {
  const sum = (): { idle: number; total: number } =>
    os.cpus().reduce((a, c) => ({ idle: a.idle + c.times.idle, total: a.total + Object.values(c.times).reduce((x, y) => x + y, 0) }), { idle: 0, total: 0 });
  const before = sum();
  await sleep(ms);
  const after = sum();
  return 100 * (1 - (after.idle - before.idle) / Math.max(1, after.total - before.total));
}

/** Measures and prints how busy the machine is before a benchmark starts (over 1 s), with a warning if it is. */
export async function reportBusy(): Promise<number> {
  const busy = await cpuBusy(1000);
  console.log(`CPU busy before starting: ${busy.toFixed(0)}% (over 1 s, all cores)`);
  if (busy > 25) console.log('WARNING: the machine is busy; expect lower, noisier numbers than on an idle machine.');
  return busy;
}

// ---------------------------------------------------------------------------------------------------
// Results

export const fmt = (n: number): string => (!Number.isFinite(n) ? '-' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
export const round = (n: number, digits = 2): number => (Number.isFinite(n) ? Number(n.toFixed(digits)) : 0);
/** "2025-01-31 12:34 UTC". */
export const measuredAt = (): string => `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** The median round by req/s (the lower one of the middle two for an even count); undefined for none. */
export function medianRound<T extends { rps: number }>(rounds: T[]): T | undefined {
  if (rounds.length === 0) return undefined;
  const sorted = [...rounds].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export function printTable(title: string, head: string[], body: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((s, i) => (i === 0 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join('  ');
  console.log(`\n${title}\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const r of body) console.log(line(r));
}

/** Writes a docs/data JSON file; with BENCH_QUICK, prints what it would have written and leaves the file alone. */
export function writeData(file: string, data: unknown): void {
  const name = `docs/data/${basename(file)}`;
  if (QUICK) {
    console.log(`BENCH_QUICK: ${name} left unchanged; it would have been:`);
    console.log(JSON.stringify(data, null, 2));
  } else {
    writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
    console.log(`wrote ${name}`);
  }
}

/** The last lines of every benchmark: how long it took, and its failures (exit code 1 if any). */
export function finish(startedAt: number, failures: string[]): void {
  console.log(`Took ${((Date.now() - startedAt) / 1000).toFixed(0)} s.`);
  if (failures.length) {
    for (const f of failures) console.error(`FAILED ${f}`);
    process.exitCode = 1;
  }
}
