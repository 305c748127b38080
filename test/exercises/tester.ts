// @chapter 3
// The exercise tester: runs the real server with the learner's modules plugged in (as `--mine` does) and
// talks to it over loopback, the way a client would. When something is wrong, the message says in plain
// words what was sent, what was expected, what came back, and which stage shows it live.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chapters } from '../../chapters/index.ts';
import { afterExit, until } from '../../chapters/tools/stage.ts';
import { processAlive, waitFor } from '../helpers.ts';

export { until };

const repo = join(import.meta.dirname, '..', '..');
/** exercises/ (the learner's) or solutions/ (the reference), as the @answers alias resolves. */
const answers = process.env.PREFORK_ANSWERS === 'solutions' ? 'solutions' : 'exercises';

/** Seam URL -> answer file URL, for these exercise ids: what chapters/tools/mine-hooks.mjs reads. */
export function swapsFor(ids: string[]): Record<string, string> {
  const swaps: Record<string, string> = {};
  for (const id of ids) {
    const c = chapters.find((x) => x.exercises.some((e) => e.id === id));
    const ex = c?.exercises.find((e) => e.id === id);
    if (!c || !ex) throw new Error(`no exercise ${id} in chapters/index.ts`);
    swaps[pathToFileURL(join(repo, ex.seam)).href] = pathToFileURL(join(repo, answers, c.slug, `${ex.name}.ts`)).href;
  }
  return swaps;
}

export interface Running {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  log(): string;
  /** http://127.0.0.1:PORT, from its "Listening at:" line. */
  url: string;
  /** Worker pids from "Booting worker with pid:" lines, in order. */
  workerPids(): number[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal to the process (the master, or chapter 4's one-worker launcher). */
  signal(sig: NodeJS.Signals): void;
}

const running = new Set<ChildProcess>();

/**
 * Starts `node <file> ...args` with the learner's modules for `ids` swapped in, in its own process
 * group; resolves once it printed "Listening at:" and `workers` workers booted, and a connection goes through.
 */
export async function launch(ids: string[], file: string, args: string[], opts: { workers?: number; env?: Record<string, string>; cwd?: string } = {}): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', pathToFileURL(join(repo, 'chapters', 'tools', 'mine.mjs')).href, file, ...args], {
    cwd: opts.cwd ?? repo,
    detached: true,
    env: { ...process.env, ...opts.env, PREFORK_MINE: JSON.stringify(swapsFor(ids)) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = afterExit(child);
  let ended = false;
  void exited.then(() => (ended = true));
  const run: Running = {
    child,
    log: () => output,
    url: '',
    workerPids: () => [...output.matchAll(/Booting worker with pid: (\d+)/g)].map((m) => Number(m[1])),
    exited,
    signal: (sig) => {
      try {
        child.kill(sig);
      } catch {
        // gone
      }
    },
  };
  const want = opts.workers ?? 1;
  // A stub throws as soon as the server needs it: say so at once rather than wait for a boot that never comes.
  const stub = (): string | undefined => /Not implemented yet: exercise [^\n]*/.exec(output)?.[0];
  await waitFor(() => ended || stub() !== undefined || (/Listening at: \S+/.test(output) && run.workerPids().length >= want), 30_000, `the server to start:\n${output}`);
  if (stub() && run.workerPids().length < want) {
    throw new Expectation(`The server could not start: ${stub()!.replace(/ Open the file.*/, '')}`, { expected: `the server to start with your module and ${want} worker(s) to boot`, got: 'your stub threw while the server was starting', log: output });
  }
  if (ended) throw new Expectation('The server stopped while starting', { expected: `it to listen and ${want} worker(s) to boot`, got: 'it exited', log: output });
  run.url = /Listening at: (\S+)/.exec(output)![1]!.split(',')[0]!;
  // "Booting worker" comes before the worker listens: ready means a connection goes through. A worker
  // that dies while booting (a stub, say) ends the wait at once, with the log.
  let connected = false;
  await waitFor(async () => ended || stub() !== undefined || (connected = await canConnect(run.url)), 10_000, `a connection to ${run.url}:\n${output}`).catch(() => {});
  if (!connected) {
    throw new Expectation(stub() ? `The server could not serve: ${stub()!.replace(/ Open the file.*/, '')}` : 'The server started but nothing answers a connection', {
      expected: `a connection to ${run.url} to go through within 10 s`,
      got: ended ? 'the server exited' : 'no connection',
      log: output,
    });
  }
  return run;
}

/** For afterEach: every process a test started goes, workers included (they share its process group). */
export async function stopAll(): Promise<void> {
  for (const child of running) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  running.clear();
}

function canConnect(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = connect({ host: u.hostname, port: Number(u.port) }, () => {
      sock.destroy();
      resolve(true);
    });
    sock.on('error', () => resolve(false));
  });
}

export interface Reply {
  /** Every byte that came back, as latin1 text. */
  text: string;
  /** The status code of the first response, or null when none came. */
  status: number | null;
  /** The server closed the connection. */
  closed: boolean;
  /** Milliseconds from the first byte sent to the end of the exchange. */
  ms: number;
}

/**
 * Sends raw bytes on a new connection and collects the reply: until the server closes, or (with
 * `responses`) until that many whole responses arrived, or until `timeoutMs` (then `closed` is false).
 */
export function exchange(url: string, bytes: string | Buffer | (string | Buffer)[], opts: { responses?: number; timeoutMs?: number } = {}): Promise<Reply> {
  const u = new URL(url);
  const parts = Array.isArray(bytes) ? bytes : [bytes];
  return new Promise((resolve) => {
    const started = performance.now();
    let data = Buffer.alloc(0);
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const text = data.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ text, status: m ? Number(m[1]) : null, closed, ms: performance.now() - started });
    };
    const timer = setTimeout(() => finish(false), opts.timeoutMs ?? 10_000);
    const sock = connect({ host: u.hostname, port: Number(u.port) }, () => {
      for (const p of parts) sock.write(p);
    });
    sock.on('data', (c: Buffer) => {
      data = Buffer.concat([data, c]);
      if (opts.responses && countResponses(data.toString('latin1')) >= opts.responses) finish(false);
    });
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
  });
}

/** Whole responses in `text`: heads with a Content-Length body, or a chunked body up to its last chunk. */
export function countResponses(text: string): number {
  let n = 0;
  let at = 0;
  for (;;) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end < 0 || !text.startsWith('HTTP/', at)) return n;
    const head = text.slice(at, end).toLowerCase();
    const length = /\r\ncontent-length: *(\d+)/.exec(head);
    if (length) {
      const next = end + 4 + Number(length[1]);
      if (text.length < next) return n;
      at = next;
    } else if (/\r\ntransfer-encoding: *chunked/.test(head)) {
      const last = text.indexOf('\r\n0\r\n\r\n', end);
      if (last < 0) return n;
      at = last + 7;
    } else return n + 1; // delimited by the close
    n++;
  }
}

/** Bytes as a reader wants to see them: CR and LF spelled out, long text cut. */
export function show(bytes: string | Buffer, max = 300): string {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('latin1');
  const cut = text.length > max ? `${text.slice(0, max)}... (${text.length} bytes)` : text;
  return JSON.stringify(cut);
}

/** A failed expectation, in plain words; the first line is what `npm test exercises` prints. */
export class Expectation extends Error {
  constructor(summary: string, details: { sent?: string | Buffer | (string | Buffer)[]; expected?: string; got?: string; live?: string; log?: string }) {
    const lines = [summary];
    if (details.sent !== undefined) lines.push(`  sent:      ${Array.isArray(details.sent) ? details.sent.map((s) => show(s)).join(' then ') : show(details.sent)}`);
    if (details.expected) lines.push(`  expected:  ${details.expected}`);
    if (details.got) lines.push(`  got:       ${details.got}`);
    if (details.live) lines.push(`  see it live: ${details.live}`);
    if (details.log) lines.push(`  the server said:\n${indent(details.log.slice(-1500))}`);
    super(lines.join('\n'));
    this.name = 'Expectation';
  }
}

/** Throws an Expectation unless `ok`. */
export function check(ok: boolean, summary: string, details: ConstructorParameters<typeof Expectation>[1]): asserts ok {
  if (!ok) throw new Expectation(summary, details);
}

/** What a reply was, in a few words: its status line, or how the connection ended. */
export function describeReply(r: Reply): string {
  if (r.status !== null) return `${show(r.text.split('\r\n')[0] ?? '')}${r.closed ? ', then the connection closed' : ''} after ${Math.round(r.ms)} ms`;
  if (r.closed) return `no response: the connection was closed after ${Math.round(r.ms)} ms${r.text ? ` (bytes: ${show(r.text)})` : ''}`;
  return `no response within ${Math.round(r.ms)} ms, connection still open`;
}

const indent = (text: string): string => text.split('\n').map((l) => `    | ${l}`).join('\n');

/**
 * TERM to the master: it must exit with code 0 within 20 s and leave none of its workers alive.
 * `suspect`: the learner's likeliest mistake when it does not exit, for the first line of the message.
 */
export async function checkStopsOnTerm(run: Running, opts: { suspect: string; live: string }): Promise<void> {
  const pids = run.workerPids();
  run.signal('SIGTERM');
  const sent = `kill -TERM ${run.child.pid} (the master)`;
  const ended = await Promise.race([run.exited, new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
  check(ended !== null, `The master did not exit within 20 s of TERM: ${opts.suspect}`, {
    sent,
    expected: '"Handling signal: term", "Shutting down: Master", then exit code 0',
    got: 'the master still running after 20 s',
    live: `${opts.live}, then in another terminal: kill -TERM <the master's pid>`,
    log: run.log(),
  });
  check(ended.code === 0, 'The master did not exit with code 0 after TERM', { sent, expected: 'exit code 0', got: `exit code ${ended.code}, signal ${ended.signal}`, log: run.log() });
  const gone = await until(() => pids.every((p) => !processAlive(p)), 5_000);
  check(gone, 'The master exited but left workers running', { sent, expected: `workers ${pids.join(' and ')} gone`, got: `still alive: ${pids.filter(processAlive).join(', ')}`, log: run.log() });
}

/**
 * `kill -9` one worker: the master must log its death and boot a replacement. Returns the new pid.
 * `unnoticed`, `notReplaced`: the learner's likeliest mistake at each step, for the first line of the message.
 */
export async function checkKilledWorkerReplaced(run: Running, victim: number, opts: { live: string; unnoticed: string; notReplaced: string }): Promise<number> {
  process.kill(victim, 'SIGKILL');
  const sent = `kill -9 ${victim}`;
  const live = `${opts.live}, then in another terminal: kill -9 <a worker's pid>`;
  const noticed = await until(() => run.log().includes(`Worker (pid:${victim}) was sent SIGKILL!`), 10_000);
  check(noticed, opts.unnoticed, {
    sent,
    expected: `"Worker (pid:${victim}) was sent SIGKILL! Perhaps out of memory?" in the master's log`,
    got: 'no such line within 10 s',
    live,
    log: run.log(),
  });
  const respawned = await until(() => run.workerPids().length >= 3, 20_000);
  check(respawned, opts.notReplaced, { sent, expected: 'a third "Booting worker with pid: N" line', got: `workers seen: ${run.workerPids().join(', ')}`, live, log: run.log() });
  return run.workerPids()[2]!;
}
