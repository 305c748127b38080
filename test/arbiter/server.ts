// @chapter 5
// Runs the real `prefork` command for a test, and makes sure nothing it started outlives the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterExit } from '../../chapters/tools/stage.ts';
import { waitFor } from '../helpers.ts';

const repo = join(import.meta.dirname, '..', '..');
export const fixture = (name: string): string => join(import.meta.dirname, 'fixtures', name);

export interface Server {
  master: ChildProcess;
  /** Everything the server wrote to stderr and stdout so far. */
  log(): string;
  url: string;
  workerPids(): number[];
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/**
 * Starts prefork (the bin, by its path) with these arguments, in `cwd` (the repository by default);
 * resolves once `workers` workers have booted (0: don't wait).
 */
export async function startPrefork(args: string[], opts: { workers?: number; env?: Record<string, string>; nodeArgs?: string[]; cwd?: string } = {}): Promise<Server> {
  // detached: the master leads a process group, so teardown can kill it and every worker at once.
  const master = spawn(process.execPath, [...(opts.nodeArgs ?? []), join(repo, 'src', 'prefork.mjs'), ...args], {
    cwd: opts.cwd ?? repo,
    detached: true,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(master);
  let output = '';
  master.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  master.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  // The group stays listed after the master exits: its workers, or a new master started by USR2, may
  // live on in it, and killAll takes them too.
  const exited = afterExit(master).then(({ code, signal }) => code ?? signal ?? -1);
  const server: Server = {
    master,
    log: () => output,
    url: '',
    workerPids: () => [...output.matchAll(/Booting worker with pid: (\d+)/g)].map((m) => Number(m[1])),
    exited,
    stop: async () => {
      if (master.exitCode === null && master.signalCode === null) master.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000))]);
      if (!done) killGroup(master);
    },
  };
  const want = opts.workers ?? 1;
  if (want > 0) {
    let ended = false;
    void exited.then(() => (ended = true));
    await waitFor(() => ended || server.workerPids().length >= want, 20_000, `${want} workers to boot:\n${output}`);
    if (ended) throw new Error(`prefork exited early:\n${output}`);
    const listening = /Listening at: (\S+)/.exec(output)?.[1]?.split(',') ?? [''];
    server.url = listening[0]!;
    // "Booting worker" is logged before the worker listens on its copies of the sockets, one after the
    // other: ready means a connection goes through on every address.
    for (const address of listening.filter((a) => /^(http:|unix:)/.test(a))) await waitFor(() => canConnect(address), 10_000, `a connection to ${address}`);
  }
  return server;
}

function canConnect(address: string): Promise<boolean> {
  const target = address.startsWith('unix:') ? { path: address.slice(5) } : { port: Number(new URL(address).port), host: new URL(address).hostname };
  return new Promise((resolve) => {
    const sock = connect(target, () => {
      sock.destroy();
      resolve(true);
    });
    sock.on('error', () => resolve(false));
  });
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** For afterEach/afterAll: whatever a test left running goes, workers included. */
export async function killAll(): Promise<void> {
  for (const child of running) killGroup(child);
  running.clear();
}

export async function get(url: string): Promise<{ status: number; text: string; ms: number }> {
  const started = performance.now();
  const res = await fetch(url, { headers: { connection: 'close' } });
  return { status: res.status, text: await res.text(), ms: performance.now() - started };
}
