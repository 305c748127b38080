// @chapter 4
// Listening sockets that the master holds but never polls, so that it never accepts a connection itself.
//
// Node's public API (net.Server.listen) binds, listens and starts accepting in one step. A pre-fork
// master must own the socket without accepting on it, so we use what node:cluster uses internally:
// net._createServerHandle binds a socket and returns its raw handle, unpolled. Workers receive copies of
// the handle over IPC and listen on them. Two consequences, both documented in chapter 5:
//   - the socket starts listening when the first worker listens (gunicorn's master calls listen(2)
//     itself), so connections in the first ~100 ms after start are refused rather than queued;
//   - libuv defers "address in use" to listen time, and that deferred error stays in the master's handle:
//     a worker listening on its copy would get an unbound socket and a random port. So bind() checks
//     the address the socket really got.
import { lstatSync, unlinkSync } from 'node:fs';
// >>> chapter 10
import { readFileSync, readlinkSync } from 'node:fs';
// <<< chapter 10
import net from 'node:net';
import { getSystemErrorName } from 'node:util';
import { formatAddress, type Address } from './address.ts';

/** A raw libuv handle (TCP or Pipe wrap); only passed around, sent to workers, and closed. */
export interface RawHandle {
  close(cb?: () => void): void;
  getsockname?(out: Record<string, unknown>): number;
  // >>> chapter 9
  /** The file descriptor (Unix), to pass the socket to a new master (USR2). */
  readonly fd?: number;
  // <<< chapter 9
}

declare module 'node:net' {
  function _createServerHandle(address: string | null, port: number, addressType: number, fd?: number, flags?: number): RawHandle | number;
}

export interface Listener {
  address: Address;
  /** The address actually bound (port 0 resolved), as the logs show it. */
  name: string;
  handle: RawHandle;
}

export class BindError extends Error {}

// #region bind
export function bind(address: Address, opts: { umask?: number } = {}): Listener {
  if (address.kind === 'unix') return bindUnix(address, opts.umask ?? 0);
  // >>> chapter 10
  if (address.kind === 'fd') return adopt(address.fd);
  // <<< chapter 10
  const handle = net._createServerHandle(address.host, address.port, address.family);
  if (typeof handle === 'number') throw new BindError(`cannot bind ${formatAddress(address)}: ${errnoName(handle)}`);
  const out: { port?: number } = {};
  handle.getsockname?.(out);
  if (!out.port || (address.port !== 0 && out.port !== address.port)) {
    handle.close();
    throw new BindError(`Connection in use: ${formatAddress(address)} (EADDRINUSE)`);
  }
  const bound: Address = { ...address, port: out.port };
  return { address: bound, name: formatAddress(bound), handle };
}
// #endregion bind

// #region unix
function bindUnix(address: Extract<Address, { kind: 'unix' }>, umask: number): Listener {
  // A stale socket file from a previous run is removed; any other file in the way is an error.
  try {
    if (!lstatSync(address.path).isSocket()) throw new BindError(`cannot bind unix:${address.path}: the file exists and is not a socket`);
    unlinkSync(address.path);
  } catch (err) {
    if (err instanceof BindError) throw err;
  }
  // gunicorn applies umask only around this bind; so do we.
  const previous = process.umask(umask);
  let handle: RawHandle | number;
  try {
    handle = net._createServerHandle(address.path, -1, -1);
  } finally {
    process.umask(previous);
  }
  if (typeof handle === 'number') throw new BindError(`cannot bind unix:${address.path}: ${errnoName(handle)}`);
  return { address, name: formatAddress(address), handle };
}
// #endregion unix

/** Closes the handles; removes unix socket files unless another master still uses them (USR2). */
export function closeListeners(listeners: Listener[], unlink = true): void {
  for (const l of listeners) {
    // >>> chapter 9
    // libuv removes a unix socket's file when the handle that bound it is closed. While another master
    // serves on that file, leave the handle open: the kernel closes it when this process exits.
    if (!unlink && l.address.kind === 'unix') continue;
    // <<< chapter 9
    // >>> chapter 10
    // An adopted socket (kind 'fd') is never unlinked: its file belongs to whoever made it (systemd's
    // .socket unit keeps it for the next start). Closing our handle leaves the path alone (libuv unlinks
    // only the paths it bound itself).
    // <<< chapter 10
    l.handle.close();
    if (unlink && l.address.kind === 'unix') {
      try {
        unlinkSync(l.address.path);
      } catch {
        // already gone
      }
    }
  }
}

// >>> chapter 10
// #region adopt
/**
 * A socket made by someone else (systemd, a launcher) and open here as `fd`: taken as it is, neither
 * bound nor, later, unlinked by us. Its name in the logs is what it is bound to, as gunicorn shows it.
 */
export function adopt(fd: number): Listener {
  const inode = socketInode(fd);
  if (inode === '') throw new BindError(`cannot listen on fd://${fd}: it is not a socket`);
  const handle = net._createServerHandle(null, 0, 0, fd);
  if (typeof handle === 'number') throw new BindError(`cannot listen on fd://${fd}: ${errnoName(handle)} (not an open stream socket)`);
  return { address: { kind: 'fd', fd }, name: socketName(fd, handle, inode), handle };
}

/** TCP: http://host:port (getsockname). Unix: unix:PATH, from /proc on Linux. Otherwise fd://N. */
function socketName(fd: number, handle: RawHandle, inode: string | null): string {
  const out: { address?: string; port?: number; family?: string } = {};
  if (handle.getsockname?.(out) === 0 && out.address !== undefined && out.port !== undefined) {
    return formatAddress({ kind: 'tcp', host: out.address, port: out.port, family: out.family === 'IPv6' ? 6 : 4 });
  }
  // libuv's pipe handle has no getsockname; /proc/net/unix lists each unix socket's inode and path.
  const path = inode === null ? undefined : unixSocketPaths().get(inode);
  return path ? `unix:${path}` : formatAddress({ kind: 'fd', fd });
}

/** The socket's inode from /proc/self/fd (Linux); '' when the fd is open but not a socket; null when unknown. */
function socketInode(fd: number): string | null {
  try {
    const target = readlinkSync(`/proc/self/fd/${fd}`);
    return /^socket:\[(\d+)\]$/.exec(target)?.[1] ?? '';
  } catch {
    return null; // no /proc (not Linux), or not open: the handle says which
  }
}

function unixSocketPaths(): Map<string, string> {
  const paths = new Map<string, string>();
  try {
    // "Num RefCount Protocol Flags Type St Inode Path": the path is optional (unnamed sockets).
    for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n')) {
      const m = /^\S+:\s+(?:\S+\s+){5}(\d+) (.+)$/.exec(line);
      if (m) paths.set(m[1]!, m[2]!);
    }
  } catch {
    // no /proc
  }
  return paths;
}
// #endregion adopt
// <<< chapter 10

function errnoName(code: number): string {
  try {
    return getSystemErrorName(code);
  } catch {
    return `error ${code}`;
  }
}
