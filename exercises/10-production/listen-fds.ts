// Exercise 10.2: take the sockets systemd passes (sd_listen_fds(3)), and decide which sockets to serve on.
//
// systemd opens the sockets of a .socket unit itself and starts the service with them as file
// descriptors 3, 4, ... Three environment variables say what was passed: LISTEN_FDS (how many),
// LISTEN_PID (for which process: every child inherits the variables, so a process checks they are
// meant for it) and, optionally, LISTEN_FDNAMES (their names, separated by ':'). The master
// (src/arbiter/master.ts) calls:
//   const activation = listenFds(process.env, process.pid);
//   const plan = planSockets(settings.bind.map(parseAddress), activation.fds.map((s) => s.fd));
// then opens plan.fds as they are and binds plan.bind.
import { AddressError, type Address } from '../../src/sock/address.ts';
import { todo } from '../todo.ts';

/** The first fd systemd passes (SD_LISTEN_FDS_START). */
export const SD_LISTEN_FDS_START = 3;

/** The variables of the protocol; read once, then removed. */
export const LISTEN_ENV = ['LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES'] as const;

/** A malformed variable: the environment is not what systemd sets, and guessing could listen on a wrong fd. */
export class ListenFdsError extends AddressError {}

export interface ListenFd {
  fd: number;
  /** From LISTEN_FDNAMES; 'unknown' when it is not set, as sd_listen_fds_with_names(3) says. */
  name: string;
}

export interface Activation {
  /** The sockets passed to this process, in order (fd 3 first); none when it was not socket-activated. */
  fds: ListenFd[];
  /** Why LISTEN_FDS was set but not taken, for a warning; null otherwise. */
  ignored: string | null;
}

/**
 * The sockets passed to process `pid`, read from `env`.
 *
 * First, whatever happens next (a return or a throw): LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are
 * removed from `env` (the master's workers, and a new master started by USR2, inherit its environment
 * and must never take them). Other variables stay. Then, in this order:
 * - LISTEN_FDS not set: not socket-activated, { fds: [], ignored: null }.
 * - LISTEN_FDS set, LISTEN_PID not: { fds: [], ignored } with an `ignored` that names LISTEN_PID.
 * - LISTEN_PID not a whole number written in digits only ("nine", "-1", "1.5", ""): throw a
 *   ListenFdsError whose message names the variable and its value, e.g. LISTEN_PID="nine".
 * - LISTEN_PID another pid than `pid`: { fds: [], ignored } with an `ignored` that names both pids
 *   (the sockets were meant for another process; its LISTEN_FDS is not even checked).
 * - LISTEN_FDS not a whole number in digits only: throw a ListenFdsError naming it, e.g. LISTEN_FDS="two".
 * - Otherwise LISTEN_FDS = n sockets: fds 3 to 3 + n - 1, in order, and `ignored: null`. Their names:
 *   LISTEN_FDNAMES split at ':', one per fd, in order; when it names another number of sockets than n,
 *   throw a ListenFdsError that names LISTEN_FDNAMES; when it is not set, every name is 'unknown'.
 */
export function listenFds(env: NodeJS.ProcessEnv, pid: number): Activation {
  return todo('10.2 (exercises/10-production/listen-fds.ts)');
}

export interface SocketPlan {
  /** The inherited sockets to listen on: the fd:// binds first, then the activated ones; each fd once. */
  fds: number[];
  /** The addresses to bind: all of them when nothing is inherited, none otherwise. */
  bind: Address[];
  /** The addresses not bound because inherited sockets are present. */
  ignored: Address[];
}

/**
 * gunicorn's rule: if any socket is inherited, only inherited sockets are used.
 * - `fds`: the fd of each { kind: 'fd' } address of `addresses`, in their order, then each fd of
 *   `activated`, in its order; an fd already in the list is not added again.
 * - When `fds` is not empty: `bind` is [] and `ignored` holds the other addresses (tcp, unix), in order.
 * - When it is empty: `bind` holds all of `addresses`, and `ignored` is [].
 */
export function planSockets(addresses: Address[], activated: number[]): SocketPlan {
  return todo('10.2 (exercises/10-production/listen-fds.ts)');
}
