// @chapter 4
// Starting a worker process, and the master's side of the conversation with it: the worker asks for
// copies of the listening sockets, says when it has booted, and reports a socket it cannot listen on.
import { fork, type ChildProcess } from 'node:child_process';
import type { Listener } from '../sock/bind.ts';
import { BOOT_ENV, type WorkerBoot } from './boot.ts';
import type { WorkerEntry } from './entry.ts';
import type { ToMaster, ToWorker } from './main.ts';

export interface WorkerEvents {
  booted(pid: number): void;
  // >>> chapter 8
  beat?(pid: number): void;
  // <<< chapter 8
  listenError(pid: number, message: string): void;
  exit(pid: number, code: number | null, signal: NodeJS.Signals | null): void;
}

// #region title
/**
 * Extra arguments for the worker's command line, so that its process title fits: Linux keeps
 * `process.title` within the bytes of the original command line (measured on Node 20, a longer title
 * is cut), so a short command line gets a padding argument that the worker ignores.
 */
function titleRoom(entry: WorkerEntry, boot: WorkerBoot): string[] {
  const title = `prefork: worker [${boot.procName}]`;
  const argvBytes = [process.execPath, ...entry.execArgv, entry.file].reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
  const titleBytes = Buffer.byteLength(title);
  return titleBytes >= argvBytes ? [`--title-room=${'x'.repeat(titleBytes - argvBytes + 1)}`] : [];
}
// #endregion title

// #region spawn
export function spawnWorker(entry: WorkerEntry, boot: WorkerBoot, listeners: () => Listener[], events: WorkerEvents): ChildProcess {
  const child = fork(entry.file, titleRoom(entry, boot), {
    execArgv: entry.execArgv,
    env: { ...process.env, [BOOT_ENV]: JSON.stringify(boot) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  });
  const pid = child.pid ?? -1;
  child.on('message', (m: ToMaster) => {
    if (m.cmd === 'handles') {
      // Copies of one listening socket for the worker's accept gate (accept-gate.ts). Sending a handle
      // duplicates the file descriptor into the worker; ours stays open.
      const listener = listeners()[m.listener];
      if (!listener) return;
      for (let i = 0; i < m.count && child.connected; i++) child.send({ cmd: 'handle', listener: m.listener } satisfies ToWorker, listener.handle as never);
    } else if (m.cmd === 'booted') events.booted(pid);
    // >>> chapter 8
    else if (m.cmd === 'beat') events.beat?.(pid);
    // <<< chapter 8
    else if (m.cmd === 'listen-error') events.listenError(pid, m.message);
  });
  // A send to a worker that just died fails with EPIPE; its exit event tells the rest.
  child.on('error', () => {});
  child.on('exit', (code, signal) => events.exit(pid, code, signal));
  return child;
}
// #endregion spawn
