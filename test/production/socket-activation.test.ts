// @chapter 10
// Socket activation: the protocol (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES) read by src/sock/systemd.ts,
// fd://N binds, and prefork started the way systemd starts it: by Debian's systemd-socket-activate (where
// installed) and by our launcher, chapters/10-production/socket-activate.ts. Also: the unit files and the
// supervisor config agree with the graceful_timeout they pass to prefork.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/config/load.ts';
import { byName } from '../../src/config/settings.ts';
import { AddressError, parseAddress } from '../../src/sock/address.ts';
import { adopt, BindError } from '../../src/sock/bind.ts';
import { LISTEN_ENV, listenFds, ListenFdsError, planSockets } from '../../src/sock/systemd.ts';
import { processAlive, waitFor } from '../helpers.ts';

const repo = join(import.meta.dirname, '..', '..');
const prefork = join(repo, 'src', 'prefork.mjs');
const launcher = join(repo, 'chapters', '10-production', 'socket-activate.ts');
const app = `${join(import.meta.dirname, 'fixtures', 'activation-app.ts')}:default`;
const deploy = join(repo, 'chapters', '10-production', 'deploy');
const SYSTEMD_ACTIVATE = '/usr/bin/systemd-socket-activate';

// ---- the protocol, as a pure function ----------------------------------------------------------------

describe('listenFds (sd_listen_fds)', () => {
  it('takes the fds from 3 on when LISTEN_PID is this process', () => {
    expect(listenFds({ LISTEN_PID: '4242', LISTEN_FDS: '2' }, 4242)).toEqual({
      fds: [{ fd: 3, name: 'unknown' }, { fd: 4, name: 'unknown' }],
      ignored: null,
    });
  });

  it('names them from LISTEN_FDNAMES', () => {
    expect(listenFds({ LISTEN_PID: '7', LISTEN_FDS: '2', LISTEN_FDNAMES: 'web:api' }, 7).fds).toEqual([{ fd: 3, name: 'web' }, { fd: 4, name: 'api' }]);
  });

  it('ignores sockets meant for another process, and says why', () => {
    const r = listenFds({ LISTEN_PID: '100', LISTEN_FDS: '1' }, 200);
    expect(r.fds).toEqual([]);
    expect(r.ignored).toMatch(/pid 100.*\(200\)/);
    const noPid = listenFds({ LISTEN_FDS: '1' }, 200);
    expect(noPid.fds).toEqual([]);
    expect(noPid.ignored).toMatch(/without LISTEN_PID/);
  });

  it('finds nothing where nothing was passed', () => {
    expect(listenFds({ PATH: '/bin' }, 1)).toEqual({ fds: [], ignored: null });
    expect(listenFds({ LISTEN_PID: '1' }, 1)).toEqual({ fds: [], ignored: null });
  });

  it('refuses a malformed value with an error that names it', () => {
    for (const [env, what] of [
      [{ LISTEN_PID: '9', LISTEN_FDS: 'two' }, /LISTEN_FDS="two"/],
      [{ LISTEN_PID: '9', LISTEN_FDS: '-1' }, /LISTEN_FDS="-1"/],
      [{ LISTEN_PID: '9', LISTEN_FDS: '1.5' }, /LISTEN_FDS="1.5"/],
      [{ LISTEN_PID: '9', LISTEN_FDS: '' }, /LISTEN_FDS=""/],
      [{ LISTEN_PID: 'nine', LISTEN_FDS: '1' }, /LISTEN_PID="nine"/],
      [{ LISTEN_PID: '9', LISTEN_FDS: '2', LISTEN_FDNAMES: 'web' }, /LISTEN_FDNAMES="web" names 1 .*LISTEN_FDS=2/],
    ] as const) {
      let err: unknown = null;
      try {
        listenFds({ ...env }, 9);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(env)).toBeInstanceOf(ListenFdsError);
      expect(err, 'the master reports it as a bad address, and exits 1').toBeInstanceOf(AddressError);
      expect((err as Error).message).toMatch(what);
    }
  });

  it('clears the variables whatever the outcome, so workers and a USR2 master never take them', () => {
    const cases: NodeJS.ProcessEnv[] = [
      { LISTEN_PID: '5', LISTEN_FDS: '1', LISTEN_FDNAMES: 'x' }, // taken
      { LISTEN_PID: '6', LISTEN_FDS: '1', LISTEN_FDNAMES: 'x' }, // another process's
      { LISTEN_PID: '5', LISTEN_FDS: 'x', LISTEN_FDNAMES: 'x' }, // malformed
      { LISTEN_FDS: '1' },
    ];
    for (const env of cases) {
      try {
        listenFds(env, 5);
      } catch {
        // the malformed one
      }
      expect(LISTEN_ENV.filter((name) => name in env), JSON.stringify(env)).toEqual([]);
    }
    const others = { LISTEN_PID: '5', LISTEN_FDS: '1', PATH: '/bin' };
    listenFds(others, 5);
    expect(others, 'other variables stay').toEqual({ PATH: '/bin' });
  });
});

describe('planSockets (gunicorn: any inherited socket, and only inherited sockets are used)', () => {
  const a = (text: string) => parseAddress(text);

  it('binds the addresses when nothing is inherited', () => {
    expect(planSockets([a('127.0.0.1:8000'), a('unix:/tmp/x.sock')], [])).toEqual({ fds: [], bind: [a('127.0.0.1:8000'), a('unix:/tmp/x.sock')], ignored: [] });
  });

  it('with LISTEN_FDS, binds nothing and says what it ignores', () => {
    expect(planSockets([a('127.0.0.1:8000')], [3, 4])).toEqual({ fds: [3, 4], bind: [], ignored: [a('127.0.0.1:8000')] });
  });

  it('with fd://N, the same; fd:// binds first, each fd once', () => {
    expect(planSockets([a('unix:/tmp/x.sock'), a('fd://4'), a('fd://5')], [3, 4])).toEqual({ fds: [4, 5, 3], bind: [], ignored: [a('unix:/tmp/x.sock')] });
  });
});

describe('adopt', () => {
  it('refuses an fd that is not a socket', () => {
    const fd = openSync(import.meta.filename, 'r');
    try {
      expect(() => adopt(fd)).toThrow(BindError);
      expect(() => adopt(fd)).toThrow(new RegExp(`fd://${fd}: it is not a socket`));
    } finally {
      closeSync(fd);
    }
  });
});

// ---- prefork, socket-activated --------------------------------------------------------------------------

interface Run {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const runs: Run[] = [];
let dir = '';

/** Starts a command in a process group of its own, so teardown takes everything it started. */
function start(command: string, args: string[], extraFds: number[] = []): Run {
  const child = spawn(command, args, { cwd: repo, detached: true, stdio: ['ignore', 'pipe', 'pipe', ...extraFds] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const run = { child, output: () => out, exited };
  runs.push(run);
  return run;
}

const launch = (args: string[]): Run => start(process.execPath, ['--import', 'tsx', launcher, ...args]);

/** GET / over a unix socket ({ socketPath }) or TCP ({ port }). */
function get(target: { socketPath: string } | { port: number }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ ...target, host: '127.0.0.1', path: '/', agent: false, headers: { connection: 'close' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.setTimeout(15_000, () => req.destroy(new Error('no response in 15 s')));
    req.on('error', reject);
    req.end();
  });
}

const booted = (run: Run): number[] => [...run.output().matchAll(/Booting worker with pid: (\d+)/g)].map((m) => Number(m[1]));
const listeningAt = (run: Run): { names: string[]; pid: number } | null => {
  const m = /Listening at: (\S+) \((\d+)\)/.exec(run.output());
  return m ? { names: m[1]!.split(','), pid: Number(m[2]) } : null;
};

async function workersUp(run: Run, count: number): Promise<void> {
  await waitFor(() => booted(run).length >= count || run.child.exitCode !== null, 20_000, `${count} workers to boot:\n${run.output()}`);
  expect(run.child.exitCode, run.output()).toBeNull();
}

/** HUP: new workers for the old ones; resolves once every old worker is gone. */
async function hangUp(run: Run, workers: number): Promise<void> {
  const old = booted(run);
  process.kill(run.child.pid!, 'SIGHUP');
  await waitFor(() => booted(run).length >= old.length + workers, 20_000, `new workers after HUP:\n${run.output()}`);
  await waitFor(() => old.every((pid) => !processAlive(pid)), 20_000, `the old workers to exit after HUP:\n${run.output()}`);
}

/** TERM: a clean stop, exit code 0. */
async function stop(run: Run, pid = run.child.pid!): Promise<void> {
  process.kill(pid, 'SIGTERM');
  const result = await Promise.race([run.exited, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
  expect(result, `a stop within 15 s after TERM:\n${run.output()}`).toEqual({ code: 0, signal: null });
  expect(run.output()).toContain('Shutting down: Master');
}

/** Reads a process's environment from /proc (null where it cannot). */
function environOf(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  } catch {
    return null;
  }
}

describe('prefork, socket-activated', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'prefork-activation-'));
  });
  afterEach(() => {
    for (const run of runs.splice(0)) {
      try {
        process.kill(-run.child.pid!, 'SIGKILL');
      } catch {
        // the group is gone
      }
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const hasSystemdActivate = existsSync(SYSTEMD_ACTIVATE);
  if (!hasSystemdActivate) console.log(`skipping the systemd-socket-activate test: ${SYSTEMD_ACTIVATE} is not installed (Debian: apt-get install systemd)`);

  it.skipIf(!hasSystemdActivate)('under systemd-socket-activate: serves on the passed socket, ignores -b, keeps serving through HUP, and TERM leaves the socket file', async () => {
    const socket = join(dir, 'sd.sock');
    const configured = join(dir, 'sd-configured.sock');
    const run = start(SYSTEMD_ACTIVATE, ['-l', socket, process.execPath, prefork, '-w', '2', '-b', `unix:${configured}`, app]);
    await waitFor(() => run.output().includes(`Listening on ${socket} as 3.`), 15_000, `systemd-socket-activate to listen:\n${run.output()}`);
    // systemd-socket-activate execs prefork on the first connection: this request waits in the
    // socket's queue while prefork starts, and is answered by its first worker.
    const first = await get({ socketPath: socket });
    expect(first.status, run.output()).toBe(200);
    const at = listeningAt(run);
    expect(at, run.output()).toEqual({ names: [`unix:${socket}`], pid: run.child.pid });
    expect(run.output()).toContain('Socket activation (LISTEN_FDS): fd 3 (unknown)');
    expect(run.output()).toContain(`Not binding unix:${configured}: inherited sockets are used instead`);
    expect(existsSync(configured), 'nothing is bound at the configured -b').toBe(false);
    await workersUp(run, 2);
    for (const pid of booted(run)) {
      const env = environOf(pid);
      if (env) expect(env.filter((v) => v.startsWith('LISTEN_')), `worker ${pid}'s environment`).toEqual([]);
    }

    await hangUp(run, 2);
    const after = await get({ socketPath: socket });
    expect(after.status).toBe(200);
    expect(booted(run).slice(2).map((pid) => `served by ${pid}\n`), 'a new worker answers').toContain(after.text);

    await stop(run);
    expect(existsSync(socket), 'the socket file is systemd\'s: prefork leaves it').toBe(true);
  }, 90_000);

  it('under our launcher: a unix and a TCP socket, named in "Listening at", -b ignored, HUP, TERM through the launcher', async () => {
    const socket = join(dir, 'ours.sock');
    const configured = join(dir, 'ours-configured.sock');
    const run = launch(['-l', `unix:${socket}`, '-l', '127.0.0.1:0', '--fdname', 'web:api', '--', process.execPath, prefork, '-w', '1', '-b', `unix:${configured}`, app]);
    await workersUp(run, 1);
    const tcp = /socket-activate: (http:\/\/127\.0\.0\.1:(\d+)) as fd 4/.exec(run.output());
    expect(tcp, run.output()).not.toBeNull();
    const at = listeningAt(run)!;
    expect(at.names).toEqual([`unix:${socket}`, tcp![1]]);
    expect(at.pid, 'LISTEN_PID was the master\'s own pid: the master is not the launcher').not.toBe(run.child.pid);
    expect(run.output()).toContain('Socket activation (LISTEN_FDS): fd 3 (web), fd 4 (api)');
    expect(existsSync(configured)).toBe(false);
    // "Booting worker" comes before the worker listens: wait for an answer on each socket.
    await waitFor(async () => (await get({ socketPath: socket }).catch(() => ({ status: 0 }))).status === 200, 10_000, `an answer on ${socket}`);
    await waitFor(async () => (await get({ port: Number(tcp![2]) }).catch(() => ({ status: 0 }))).status === 200, 10_000, `an answer on ${tcp![1]}`);

    await hangUp(run, 1); // sent to the launcher, which passes it on
    expect((await get({ socketPath: socket })).status).toBe(200);
    expect((await get({ port: Number(tcp![2]) })).status).toBe(200);

    await stop(run); // to the launcher: it passes TERM on, and exits with the master's code
    expect(existsSync(socket)).toBe(true);
  }, 60_000);

  it('a fork between the launcher and prefork (pitfall 9.7): LISTEN_FDS is not ours, a warning; -b fd://3 still names the socket', async () => {
    const socket = join(dir, 'fd.sock');
    const configured = join(dir, 'fd-configured.sock');
    // `; exit $?` keeps the shell: prefork runs as its child, with another pid than LISTEN_PID (what a
    // daemonizing wrapper does). The fd is inherited all the same, and fd://3 says to take it.
    const run = launch(['-l', `unix:${socket}`, '--', 'sh', '-c', '"$0" "$@"; exit $?', process.execPath, prefork, '-w', '1', '-b', 'fd://3', '-b', `unix:${configured}`, app]);
    await workersUp(run, 1);
    expect(run.output()).toMatch(/\[WARNING\] LISTEN_FDS=1 is for pid \d+, not this process \(\d+\): not taken/);
    expect(run.output()).not.toContain('Socket activation (LISTEN_FDS)');
    const at = listeningAt(run)!;
    expect(at.names).toEqual([`unix:${socket}`]);
    expect(run.output()).toContain(`Not binding unix:${configured}`);
    await waitFor(async () => (await get({ socketPath: socket }).catch(() => ({ status: 0 }))).status === 200, 10_000, `an answer on ${socket}`);
    await stop(run, at.pid); // the master, behind the shell
    expect(existsSync(socket)).toBe(true);
    expect(existsSync(configured)).toBe(false);
  }, 60_000);

  it('a malformed LISTEN_FDS, or an fd:// that is no socket: a clear error and exit 1', async () => {
    const bad = start('sh', ['-c', 'LISTEN_PID=$$ LISTEN_FDS=two exec "$@"', 'sh', process.execPath, prefork, app]);
    expect(await bad.exited).toEqual({ code: 1, signal: null });
    expect(bad.output()).toMatch(/\[ERROR\] LISTEN_FDS="two" is not a whole number/);

    const file = openSync(import.meta.filename, 'r');
    try {
      const notSocket = start(process.execPath, [prefork, '-b', 'fd://3', app], [file]);
      expect(await notSocket.exited, notSocket.output()).toEqual({ code: 1, signal: null });
      expect(notSocket.output()).toMatch(/\[ERROR\] cannot listen on fd:\/\/3: it is not a socket/);
    } finally {
      closeSync(file);
    }
  }, 30_000);
});

// ---- the deployment files agree with what they pass to prefork -----------------------------------------

/** `Key=value` lines of a systemd unit or an INI file (the last one wins, as systemd reads most keys). */
function keys(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_]+)\s*=\s*(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!.trim());
  }
  return out;
}

/** prefork's arguments in a command line, parsed by prefork's own parser: unknown flags throw. */
function preforkArgs(command: string): ReturnType<typeof parseCommandLine> {
  const words = command.split(/\s+/);
  const at = words.findIndex((w) => w.endsWith('/prefork') || w.endsWith('prefork.mjs'));
  expect(at, `prefork in ${command}`).toBeGreaterThan(-1);
  return parseCommandLine(words.slice(at + 1));
}

const gracefulTimeout = (cmd: ReturnType<typeof parseCommandLine>): number => Number(cmd.values.get('graceful_timeout') ?? byName.get('graceful_timeout')!.default);

describe('deployment files', () => {
  const service = keys(readFileSync(join(deploy, 'systemd', 'prefork.service'), 'utf8'));
  const socket = keys(readFileSync(join(deploy, 'systemd', 'prefork.socket'), 'utf8'));
  const supervisor = keys(readFileSync(join(deploy, 'supervisor', 'prefork.conf'), 'utf8'));

  it('prefork.service: TERM, and systemd waits longer than graceful_timeout before its SIGKILL', () => {
    const cmd = preforkArgs(service.get('ExecStart')!);
    const graceful = gracefulTimeout(cmd);
    expect(service.get('KillSignal')).toBe('SIGTERM');
    expect(service.get('KillMode'), 'TERM to the master only').toBe('mixed');
    expect(Number(service.get('TimeoutStopSec')), `TimeoutStopSec > graceful_timeout (${graceful})`).toBeGreaterThan(graceful);
    expect(service.get('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(service.get('Restart')).toBe('on-failure');
    expect(cmd.values.has('bind'), 'no --bind: the socket comes from prefork.socket').toBe(false);
    expect(service.get('RuntimeDirectory'), 'not the socket\'s directory: systemd removes it at stop').not.toBe('prefork');
  });

  it('prefork.socket: the path nginx connects to, writable by its group', () => {
    expect(socket.get('ListenStream')).toBe('/run/prefork/prefork.sock');
    expect(socket.get('SocketGroup')).toBe('www-data');
    expect(socket.get('SocketMode')).toBe('0660');
    const nginx = join(deploy, 'nginx', 'prefork.conf');
    if (existsSync(nginx)) expect(readFileSync(nginx, 'utf8')).toContain(`server unix:${socket.get('ListenStream')}`);
  });

  const analyze = '/usr/bin/systemd-analyze';
  if (!existsSync(analyze)) console.log(`skipping the unit file syntax check: ${analyze} is not installed (Debian: apt-get install systemd)`);
  it.skipIf(!existsSync(analyze))('systemd-analyze verify finds no unknown key or bad value in the units', () => {
    const copy = mkdtempSync(join(tmpdir(), 'prefork-units-'));
    try {
      for (const f of ['prefork.service', 'prefork.socket']) copyFileSync(join(deploy, 'systemd', f), join(copy, f));
      const r = spawnSync(analyze, ['verify', '--man=no', join(copy, 'prefork.socket'), join(copy, 'prefork.service')], { encoding: 'utf8', timeout: 15_000 });
      // Only the units' own syntax: whether /usr/bin/node or the user exist here is not the point.
      const problems = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /Unknown key|Unknown section|Failed to parse|Invalid|bad-setting/i.test(l));
      expect(problems).toEqual([]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('supervisor: TERM to the master, SIGKILL to the group, and a wait longer than graceful_timeout', () => {
    const cmd = preforkArgs(supervisor.get('command')!);
    const graceful = gracefulTimeout(cmd);
    expect(supervisor.get('stopsignal')).toBe('TERM');
    expect(Number(supervisor.get('stopwaitsecs')), `stopwaitsecs > graceful_timeout (${graceful})`).toBeGreaterThan(graceful);
    expect(supervisor.get('stopasgroup')).toBe('false');
    expect(supervisor.get('killasgroup')).toBe('true');
    expect(cmd.values.get('bind'), 'the socket nginx and the systemd unit use').toEqual([`unix:${socket.get('ListenStream')}`]);
  });
});
