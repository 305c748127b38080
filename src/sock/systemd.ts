// @chapter 10
// Socket activation: the sockets systemd (or any launcher that speaks its protocol) opened for us.
//
// The protocol is sd_listen_fds(3): the sockets are file descriptors 3, 4, ... and the environment says
// how many (LISTEN_FDS), for which process (LISTEN_PID: the variables are inherited by every child, so a
// process must check they are meant for it), and optionally their names (LISTEN_FDNAMES, from the
// .socket unit's FileDescriptorName=). Pure decisions only: opening the fds is bind.ts's `adopt`.
import { AddressError, type Address } from './address.ts';

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

// #region listen-fds
/** sd_listen_fds_with_names(3), with unset_environment: the variables are gone afterwards, whatever the outcome. */
export function listenFds(env: NodeJS.ProcessEnv, pid: number): Activation {
  const { LISTEN_PID: pidText, LISTEN_FDS: countText, LISTEN_FDNAMES: namesText } = env;
  // Removed first: a worker, or a new master started by USR2, must never take them (they are not
  // its pid anyway, but a later process with a recycled pid could be).
  for (const name of LISTEN_ENV) delete env[name];
  if (countText === undefined) return { fds: [], ignored: null };
  if (pidText === undefined) return { fds: [], ignored: `LISTEN_FDS=${countText} without LISTEN_PID: not taken (set both, as systemd does)` };
  const listenPid = wholeNumber('LISTEN_PID', pidText);
  if (listenPid !== pid) {
    return { fds: [], ignored: `LISTEN_FDS=${countText} is for pid ${listenPid}, not this process (${pid}): not taken (did something fork between systemd and prefork, e.g. a daemonizing wrapper?)` };
  }
  const count = wholeNumber('LISTEN_FDS', countText);
  const names = namesText === undefined ? Array.from({ length: count }, () => 'unknown') : namesText.split(':');
  if (names.length !== count) throw new ListenFdsError(`LISTEN_FDNAMES=${JSON.stringify(namesText)} names ${names.length} sockets, LISTEN_FDS=${count}`);
  return { fds: names.map((name, i) => ({ fd: SD_LISTEN_FDS_START + i, name })), ignored: null };
}

/** Digits only: Number() alone would take '', ' 2' and '1e3'. */
function wholeNumber(name: string, text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new ListenFdsError(`${name}=${JSON.stringify(text)} is not a whole number`);
  return n;
}
// #endregion listen-fds

export interface SocketPlan {
  /** The inherited sockets to listen on: the fd:// binds first, then the activated ones; each fd once. */
  fds: number[];
  /** The addresses to bind: all of them when nothing is inherited, none otherwise. */
  bind: Address[];
  /** The addresses not bound because inherited sockets are present. */
  ignored: Address[];
}

// #region plan
/** gunicorn's rule (sock.create_sockets): if any socket is inherited, only inherited sockets are used. */
export function planSockets(addresses: Address[], activated: number[]): SocketPlan {
  const fds: number[] = [];
  for (const a of addresses) if (a.kind === 'fd' && !fds.includes(a.fd)) fds.push(a.fd);
  for (const fd of activated) if (!fds.includes(fd)) fds.push(fd);
  const others = addresses.filter((a) => a.kind !== 'fd');
  return fds.length === 0 ? { fds, bind: others, ignored: [] } : { fds, bind: [], ignored: others };
}
// #endregion plan
