import { describe, expect, it } from 'vitest';
import { listenFds, ListenFdsError, planSockets } from '@answers/10-production/listen-fds.ts';
import { AddressError, type Address } from '../../../src/sock/address.ts';

const tcp = (port: number): Address => ({ kind: 'tcp', host: '127.0.0.1', port, family: 4 });
const unix = (path: string): Address => ({ kind: 'unix', path });
const fd = (n: number): Address => ({ kind: 'fd', fd: n });

/** The error listenFds throws for `env` (as seen by pid 9), or 'no error'. */
function thrown(env: NodeJS.ProcessEnv): unknown {
  try {
    listenFds(env, 9);
  } catch (err) {
    return err;
  }
  return 'no error';
}

describe('exercise 10.2: the sockets systemd passes', () => {
  it('takes LISTEN_FDS sockets from fd 3 on when LISTEN_PID is this process', () => {
    expect(listenFds({ LISTEN_PID: '4242', LISTEN_FDS: '1' }, 4242), 'one socket: fd 3').toEqual({ fds: [{ fd: 3, name: 'unknown' }], ignored: null });
    expect(listenFds({ LISTEN_PID: '4242', LISTEN_FDS: '3' }, 4242).fds.map((s) => s.fd), 'three sockets: fds 3, 4, 5').toEqual([3, 4, 5]);
  });

  it('names them from LISTEN_FDNAMES, or "unknown"', () => {
    expect(listenFds({ LISTEN_PID: '7', LISTEN_FDS: '2', LISTEN_FDNAMES: 'web:api' }, 7).fds, 'LISTEN_FDNAMES=web:api').toEqual([
      { fd: 3, name: 'web' },
      { fd: 4, name: 'api' },
    ]);
    expect(listenFds({ LISTEN_PID: '7', LISTEN_FDS: '2' }, 7).fds.map((s) => s.name), 'no LISTEN_FDNAMES').toEqual(['unknown', 'unknown']);
  });

  it('finds nothing when nothing was passed', () => {
    expect(listenFds({ HOME: '/root' }, 1), 'no LISTEN_ variable').toEqual({ fds: [], ignored: null });
    expect(listenFds({ LISTEN_PID: '1' }, 1), 'LISTEN_PID without LISTEN_FDS').toEqual({ fds: [], ignored: null });
  });

  it('ignores sockets meant for another process, and says why', () => {
    const other = listenFds({ LISTEN_PID: '100', LISTEN_FDS: '1' }, 200);
    expect(other.fds, 'LISTEN_PID=100 seen by pid 200: no sockets').toEqual([]);
    expect(other.ignored, '`ignored` names both pids').toMatch(/100[\s\S]*200|200[\s\S]*100/);
    expect(listenFds({ LISTEN_PID: '100', LISTEN_FDS: 'x' }, 200).fds, 'another process\'s LISTEN_FDS is not even checked').toEqual([]);
    const noPid = listenFds({ LISTEN_FDS: '1' }, 200);
    expect(noPid.fds, 'LISTEN_FDS without LISTEN_PID: no sockets').toEqual([]);
    expect(noPid.ignored, '`ignored` names LISTEN_PID').toContain('LISTEN_PID');
  });

  it('throws ListenFdsError (an AddressError) for a malformed value, naming it', () => {
    for (const [env, named] of [
      [{ LISTEN_PID: '9', LISTEN_FDS: 'two' }, 'LISTEN_FDS="two"'],
      [{ LISTEN_PID: '9', LISTEN_FDS: '-1' }, 'LISTEN_FDS="-1"'],
      [{ LISTEN_PID: '9', LISTEN_FDS: '1.5' }, 'LISTEN_FDS="1.5"'],
      [{ LISTEN_PID: '9', LISTEN_FDS: '' }, 'LISTEN_FDS=""'],
      [{ LISTEN_PID: '9', LISTEN_FDS: ' 2' }, 'LISTEN_FDS=" 2"'],
      [{ LISTEN_PID: 'nine', LISTEN_FDS: '1' }, 'LISTEN_PID="nine"'],
    ] as const) {
      const err = thrown({ ...env });
      expect(err, `${JSON.stringify(env)} must throw ListenFdsError`).toBeInstanceOf(ListenFdsError);
      expect(err, 'ListenFdsError extends AddressError (the master stops with exit 1)').toBeInstanceOf(AddressError);
      expect((err as Error).message, 'the message names the variable and its value').toContain(named);
    }
    const names = thrown({ LISTEN_PID: '9', LISTEN_FDS: '2', LISTEN_FDNAMES: 'web' });
    expect(names, 'LISTEN_FDNAMES names 1 socket, LISTEN_FDS says 2').toBeInstanceOf(ListenFdsError);
    expect((names as Error).message, 'the message names LISTEN_FDNAMES').toContain('LISTEN_FDNAMES');
  });

  it('removes the three variables from env, whatever the outcome, and nothing else', () => {
    const outcomes: [string, NodeJS.ProcessEnv][] = [
      ['taken', { LISTEN_PID: '5', LISTEN_FDS: '1', LISTEN_FDNAMES: 'a', PATH: '/bin' }],
      ['another process\'s', { LISTEN_PID: '6', LISTEN_FDS: '1', LISTEN_FDNAMES: 'a', PATH: '/bin' }],
      ['malformed (thrown)', { LISTEN_PID: '5', LISTEN_FDS: 'x', LISTEN_FDNAMES: 'a', PATH: '/bin' }],
      ['no LISTEN_PID', { LISTEN_FDS: '1', PATH: '/bin' }],
    ];
    for (const [what, env] of outcomes) {
      listenFdsQuietly(env, 5);
      expect(env, `${what}: only PATH is left`).toEqual({ PATH: '/bin' });
    }
  });
});

/** Calls listenFds and swallows a ListenFdsError (the malformed case); any other error fails the test. */
function listenFdsQuietly(env: NodeJS.ProcessEnv, pid: number): void {
  try {
    listenFds(env, pid);
  } catch (err) {
    if (!(err instanceof ListenFdsError)) throw err;
  }
}

describe('exercise 10.2: which sockets to serve on', () => {
  it('binds every address when nothing is inherited', () => {
    expect(planSockets([tcp(8000), unix('/tmp/a.sock')], []), 'no fd').toEqual({ fds: [], bind: [tcp(8000), unix('/tmp/a.sock')], ignored: [] });
  });

  it('with activated sockets, binds nothing and lists what it ignores', () => {
    expect(planSockets([tcp(8000), unix('/tmp/a.sock')], [3, 4]), 'LISTEN_FDS=2').toEqual({ fds: [3, 4], bind: [], ignored: [tcp(8000), unix('/tmp/a.sock')] });
  });

  it('fd:// addresses count as inherited: first, then the activated ones, each fd once', () => {
    expect(planSockets([unix('/tmp/a.sock'), fd(5)], []), '-b fd://5 alone').toEqual({ fds: [5], bind: [], ignored: [unix('/tmp/a.sock')] });
    expect(planSockets([fd(4), tcp(1), fd(6), fd(4)], [3, 4]), 'fd://4, fd://6 and LISTEN_FDS=2 (3, 4)').toEqual({ fds: [4, 6, 3], bind: [], ignored: [tcp(1)] });
  });
});
