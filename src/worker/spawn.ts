// @chapter 4
// Starting a worker process, and the master's side of the conversation with it: the worker asks for
// copies of the listening sockets, says when it has booted, and reports a socket it cannot listen on.
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Listener } from '../sock/bind.ts';
import { BOOT_ENV, type WorkerBoot } from './boot.ts';
import type { ToMaster, ToWorker } from './main.ts';

/** What `node` runs for a worker. */
export interface WorkerEntry {
  file: string;
  /** Node options: none needed for a plain JavaScript bundle; the TypeScript loader for sources. */
  execArgv: string[];
}

/**
 * The worker on its TypeScript sources: simple, but every worker pays for the TypeScript loader.
 * Module hooks this process was started with (`--import ...`, as `--mine` adds) are passed on too.
 */
export function sourceEntry(): WorkerEntry {
  const imports = process.execArgv.flatMap((arg, i, all) => (arg === '--import' && all[i + 1] ? ['--import', all[i + 1]!] : arg.startsWith('--import=') ? [arg] : []));
  const tsx = imports.some((a) => a.includes('tsx')) ? [] : ['--import', import.meta.resolve('tsx')];
  return { file: join(dirname(fileURLToPath(import.meta.url)), 'start.ts'), execArgv: [...tsx, ...imports] };
}

export interface WorkerEvents {
  booted(pid: number): void;
  // >>> chapter 8
  beat?(pid: number): void;
  // <<< chapter 8
  listenError(pid: number, message: string): void;
  exit(pid: number, code: number | null, signal: NodeJS.Signals | null): void;
}

// #region spawn
export function spawnWorker(entry: WorkerEntry, boot: WorkerBoot, listeners: () => Listener[], events: WorkerEvents): ChildProcess {
  // #region title
  // process.title can only be as long as the original command line (Linux truncates a longer title,
  // measured on Node 20): make room for it.
  const title = `prefork: worker [${boot.procName}]`;
  const argvBytes = [process.execPath, ...entry.execArgv, entry.file].reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
  const titleBytes = Buffer.byteLength(title);
  const room = titleBytes >= argvBytes ? [`--title-room=${'x'.repeat(titleBytes - argvBytes + 1)}`] : [];
  // #endregion title
  const child = fork(entry.file, room, {
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
