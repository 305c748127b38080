// @chapter 9
// USR2: start a new master, running the same command, on the same sockets.
//
// gunicorn forks and then execs itself. Node cannot fork, so the master spawns `node` again with its own
// command line (and Node options, such as the TypeScript loader): a new process that reads the code
// and the config from disk again, which is the point of USR2 (upgrading the server without a gap).
import { spawn, type ChildProcess } from 'node:child_process';
import type { Listener } from '../sock/bind.ts';
import { FD_ENV, handOver, PID_ENV } from '../sock/inherit.ts';

// #region reexec
export function startNewMaster(listeners: Listener[], cwd: string): ChildProcess {
  const { stdio, env } = handOver(listeners);
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    cwd,
    env: { ...process.env, [FD_ENV]: env, [PID_ENV]: String(process.pid) },
    // Same stdout and stderr (so the same log destinations); the sockets as fds 3, 4, ...
    stdio: ['inherit', 'inherit', 'inherit', ...stdio],
  });
  // The new master outlives this one: it must not keep this one's event loop running.
  child.unref();
  return child;
}
// #endregion reexec
