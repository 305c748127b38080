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

function errnoName(code: number): string {
  try {
    return getSystemErrorName(code);
  } catch {
    return `error ${code}`;
  }
}
