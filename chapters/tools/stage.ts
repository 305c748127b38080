// What every stage shares: its command-line flags, narration, the --once checklist, and a clean stop.
import { once } from 'node:events';
import { appendFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
// >>> chapter 5
import { recordStage, startRecording } from './record.ts';
// <<< chapter 5

export interface StageArgs {
  /** Run the scripted scenario, check it, exit 0 only if everything showed what it should. */
  once: boolean;
  host: string;
  /** 0 picks a free port. */
  port: number;
}

export function stageArgs(defaultPort = 8000): StageArgs {
  const { values } = parseArgs({
    options: {
      once: { type: 'boolean', default: false },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string' },
      // >>> chapter 5
      record: { type: 'string' },
      // <<< chapter 5
    },
    allowPositionals: true,
    strict: false,
  });
  const once = values.once === true;
  const port = typeof values.port === 'string' ? Number(values.port) : once ? 0 : defaultPort;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a number from 0 to 65535, got ${String(values.port)}`);
    process.exit(2);
  }
  // >>> chapter 5
  // --record FILE: set up before any server starts, so that every one of them inherits PREFORK_TRACE.
  if (values.record !== undefined) {
    if (typeof values.record !== 'string' || values.record === '' || values.record.startsWith('-')) {
      console.error('--record needs a file name after it, e.g. --record run.json');
      process.exit(2);
    }
    startRecording(values.record);
  }
  // <<< chapter 5
  return { once, host: typeof values.host === 'string' ? values.host : '127.0.0.1', port };
}

/** Tries the preferred port first; if it is taken, takes any free one rather than failing. */
export async function listenSomewhere<T>(start: (port: number) => Promise<T>, port: number): Promise<T> {
  try {
    return await start(port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw err;
    console.log(`(port ${port} is in use, taking a free one instead)`);
    return start(0);
  }
}

/**
 * The repository's own copy of a path that a stage finds in its cut (.cuts/NN/x -> x), for files the
 * learner adds or runs by hand: every `npm run chapter` brings the cuts up to date and removes from them
 * whatever has no source, and the repository's paths are the short ones to type.
 */
export function outsideCut(path: string): string {
  return path.replace(/[\\/]\.cuts[\\/]\d+(?=[\\/])/, '');
}

const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string): string => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

export function heading(text: string): void {
  console.log(`\n${bold(text)}\n${'─'.repeat(Math.min(text.length, 72))}`);
  // >>> chapter 5
  recordStage(text);
  // <<< chapter 5
}
// >>> chapter 5

/** A sub-step of a scripted scenario: a line of its own, and in a recording, the name of what follows. */
export function section(text: string): void {
  console.log(`\n${text}`);
  recordStage(text);
}
// <<< chapter 5

/** Prints a walkthrough: paragraphs of text and `$ command` lines to try. */
export function narrate(lines: string[]): void {
  for (const line of lines) console.log(line.startsWith('$ ') ? `  ${bold(line)}` : line ? `${line}` : '');
}

export const note = (line: string): void => console.log(dim(line));

/** The checklist of a --once run. */
export class Checklist {
  private failed: string[] = [];
  private passed = 0;

  check(what: string, ok: boolean, detail = ''): boolean {
    if (ok) this.passed++;
    else this.failed.push(`${what}${detail ? ` (${detail})` : ''}`.replace(/\s*\n\s*/g, ' / '));
    console.log(`  ${ok ? '✓' : '✗'} ${what}${detail ? dim(`  (${detail})`) : ''}`);
    return ok;
  }

  /** Prints the totals and returns the exit code; CI collects them from $PREFORK_TOTALS_FILE and $PREFORK_FAILURES_FILE. */
  finish(): number {
    console.log(`\nstage checks: ${this.passed} passed, ${this.failed.length} failed`);
    const totals = process.env.PREFORK_TOTALS_FILE;
    if (totals) appendFileSync(totals, `${this.passed} ${this.failed.length}\n`);
    const named = process.env.PREFORK_FAILURES_FILE;
    if (named) appendFileSync(named, this.failed.map((f) => `stage check: ${f}\n`).join(''));
    return this.failed.length === 0 ? 0 : 1;
  }
}

/** Runs cleanup on Ctrl-C or TERM, then exits: a stopped stage leaves no process behind. */
export function stopOnSignals(cleanup: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal} received: stopping.`);
    cleanup().then(
      // A scripted run (--once) that was interrupted did not show what it should: it fails.
      () => process.exit(process.argv.includes('--once') ? 130 : 0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** GET/POST a URL; returns status, headers and text. Keep-alive off so nothing lingers. */
export async function request(
  url: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; text: string; ms: number }> {
  const started = performance.now();
  const res = await fetch(url, { ...init, headers: { connection: 'close', ...init.headers }, redirect: 'manual' });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, ms: performance.now() - started };
}

/**
 * Waits until a `prefork` that a stage started is ready: its log says where it listens, `workers`
 * workers have booted, and a connection goes through ("Booting worker" is logged before the worker
 * listens). Resolves with the first address, or null if the server exited first.
 */
export function whenReady(log: string[], workers: number, exited: Promise<unknown>): Promise<string | null> {
  let probing = false;
  return new Promise((resolve) => {
    const check = setInterval(() => {
      const listening = log.map((l) => /Listening at: (\S+)/.exec(l)?.[1]).find(Boolean);
      const booted = log.filter((l) => l.includes('Booting worker with pid:')).length;
      if (!listening || booted < workers || probing) return;
      probing = true;
      const url = listening.split(',')[0]!;
      const { hostname, port } = new URL(url);
      const sock = connect(Number(port), hostname, () => {
        sock.destroy();
        clearInterval(check);
        resolve(url);
      });
      sock.on('error', () => (probing = false));
    }, 50);
    void exited.then(() => {
      clearInterval(check);
      resolve(null);
    });
  });
}

/** A `prefork` master that a stage started, and what its stderr said so far. */
export interface StageServer {
  pid: number;
  /** The first address it listens on; '' if it exited before it was ready. */
  url: string;
  log: string[];
  /** When each log line arrived (ms, Date.now()). */
  at: number[];
  exited: Promise<number>;
  /** Worker pids in the order they booted ("Booting worker with pid: N"). */
  workerPids(): number[];
}

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'prefork.mjs');

/**
 * Runs the `prefork` command with `args` in a process group of its own, which `groups` kills however the
 * stage ends; with --mine, with this process's module hooks (the master passes them on to workers).
 * Each stderr line goes to `echo`; resolves once `workers` workers serve, or the master exited.
 */
export async function startPrefork(
  groups: ProcessGroups,
  args: string[],
  opts: { workers: number; env?: NodeJS.ProcessEnv; echo?: (line: string) => void },
): Promise<StageServer> {
  const loader = process.env.PREFORK_MINE ? process.execArgv : [];
  const child = spawn(process.execPath, [...loader, cli, ...args], {
    stdio: ['ignore', 'inherit', 'pipe'],
    detached: true,
    env: { ...process.env, ...opts.env },
  });
  groups.add(child);
  const log: string[] = [];
  const at: number[] = [];
  const exited = afterExit(child).then(({ code }) => code ?? 1);
  let buffered = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      log.push(line);
      at.push(Date.now());
      opts.echo?.(line);
    }
  });
  const url = await whenReady(log, opts.workers, exited);
  return {
    pid: child.pid!,
    url: url ?? '',
    log,
    at,
    exited,
    workerPids: () => log.flatMap((l) => /Booting worker with pid: (\d+)/.exec(l)?.[1] ?? []).map(Number),
  };
}

/**
 * The exit of a child whose output is piped, once its last lines have been read: 'exit' can come while
 * they are still in the pipe. Waits for the pipes to end, or a second at most when something else (a
 * worker, a master started by USR2) still holds them open.
 */
export function afterExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const ended = (stream: NodeJS.ReadableStream | null): Promise<unknown> => (stream ? new Promise((r) => stream.once('end', r).once('close', r)) : Promise.resolve());
  const drained = Promise.all([ended(child.stdout), ended(child.stderr)]);
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => void Promise.race([drained, new Promise((r) => setTimeout(r, 1000))]).then(() => resolve({ code, signal }))),
  );
}

/** Polls until `condition` holds or `ms` pass; says which. */
export async function until(condition: () => boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * Servers a stage started in their own process groups (spawned with `detached: true`): all of them,
 * workers included, are killed when the stage exits, however it exits.
 */
export class ProcessGroups {
  private readonly children = new Set<ChildProcess>();

  constructor() {
    process.on('exit', () => this.killAll());
    // Ctrl-C or TERM before the stage set up its own graceful stop (stopOnSignals) would end this
    // process without an 'exit' event: kill the groups here, unless another listener takes care of it.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (process.listenerCount(signal) > 1) return;
        this.killAll();
        process.exit(130);
      });
    }
  }

  /** A group stays listed after its leader exits: workers, or a new master started by USR2, may live on in it. */
  add(child: ChildProcess): void {
    this.children.add(child);
  }

  /** Sends `signal` to the child's whole process group (nothing if the group is gone). */
  signal(child: ChildProcess, signal: NodeJS.Signals): void {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  }

  /**
   * TERM to the whole group, then KILL after `graceMs`; resolves when the group leader has exited, and
   * then KILLs what is left of the group (workers that outlived their master: the group still names them).
   */
  async stop(child: ChildProcess, graceMs = 5000): Promise<void> {
    if (child.pid === undefined) return;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      this.signal(child, 'SIGTERM');
      const timer = setTimeout(() => this.signal(child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    this.signal(child, 'SIGKILL');
    this.children.delete(child);
  }

  killAll(): void {
    for (const child of this.children) this.signal(child, 'SIGKILL');
    this.children.clear();
  }
}

/**
 * An interactive stage that runs a `prefork` master: Ctrl-C (or TERM) here stops the master gracefully
 * and waits for it; a master that exits on its own (a `kill -TERM` from the learner) ends the stage,
 * after `onExit` has said what happened.
 */
export function followMaster(master: { pid: number; exited: Promise<number> }, onExit: (code: number) => void): void {
  stopOnSignals(async () => {
    try {
      process.kill(master.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await master.exited;
  });
  void master.exited.then((code) => {
    onExit(code);
    process.exit(0);
  });
}
