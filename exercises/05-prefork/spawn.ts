// Exercise 5.4: start a worker process, and be the master's side of the conversation with it.
import type { ChildProcess } from 'node:child_process';
import type { Listener } from '../../src/sock/bind.ts';
import { BOOT_ENV, type WorkerBoot } from '../../src/worker/boot.ts';
import type { WorkerEntry } from '../../src/worker/entry.ts';
import type { ToMaster, ToWorker } from '../../src/worker/main.ts';
import { todo } from '../todo.ts';

/** What the master hears about one worker; every callback gets the worker's pid. */
export interface WorkerEvents {
  /** The worker loaded the app and listens on every socket: message { cmd: 'booted' }. */
  booted(pid: number): void;
  // >>> chapter 8
  /** The worker's heartbeat: message { cmd: 'beat' }. Optional: call it only when given. */
  beat?(pid: number): void;
  // <<< chapter 8
  /** The worker could not listen on its copy of a socket: message { cmd: 'listen-error', message }. */
  listenError(pid: number, message: string): void;
  /**
   * The worker process has ended: its exit code, or the signal that killed it (the other one is
   * null). The master reaps the worker here, and decides whether to replace it.
   */
  exit(pid: number, code: number | null, signal: NodeJS.Signals | null): void;
}

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

/**
 * Starts one worker: a new `node` process running `entry.file` with the node options
 * `entry.execArgv`, the arguments `titleRoom(entry, boot)` (given above), and an IPC channel for JSON
 * messages. Its stdout and stderr are the master's (it logs there); its stdin is not needed.
 *
 * - The boot goes in the worker's environment, as JSON under the name BOOT_ENV, next to everything in
 *   the master's own environment: the worker reads it at once, before any message can arrive.
 * - The worker asks for copies of a listening socket with { cmd: 'handles', listener, count }: send
 *   it `count` messages { cmd: 'handle', listener }, each with that listener's `handle` attached.
 *   Read `listeners()` when the request comes, not before (the master closes its sockets when it
 *   stops; then there is nothing to send); an index with no listener gets nothing. Stop sending if the
 *   channel closes.
 * - The worker's other messages become `events` calls (see WorkerEvents), with the worker's pid.
 * - The worker's end becomes `events.exit`, once. A send to a worker that has just died fails: that
 *   must not crash the master (the exit event tells the rest).
 *
 * Returns the child process (the master reads its pid).
 */
export function spawnWorker(entry: WorkerEntry, boot: WorkerBoot, listeners: () => Listener[], events: WorkerEvents): ChildProcess {
  return todo('5.4 (exercises/05-prefork/spawn.ts)');
}
