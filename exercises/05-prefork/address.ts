// Exercise 5.1: parse a bind address the way gunicorn takes them.
import { todo } from '../todo.ts';

export type Address =
  | { kind: 'tcp'; host: string; port: number; family: 4 | 6 }
  /* >>> chapters 5-9
  | { kind: 'unix'; path: string };
  <<< chapters 5-9 */
  // >>> chapter 10
  | { kind: 'unix'; path: string }
  | { kind: 'fd'; fd: number };
  // <<< chapter 10

/** Throw this for an address that cannot be used; say what is wrong with it. */
export class AddressError extends Error {}

export const DEFAULT_PORT = 8000;

/**
 * - "unix:/run/app.sock" (or "unix:///run/app.sock") -> { kind: 'unix', path }; an empty path: error.
// >>> chapters 5-9
 * - "fd://3": error (not supported).
// <<< chapters 5-9
// >>> chapter 10
 * - "fd://3" -> { kind: 'fd', fd: 3 } (chapter 10: a socket already open as fd 3); N must be a whole
 *   number from 3 on (0-2 are stdin, stdout, stderr), else error.
// <<< chapter 10
 * - An optional "tcp://" prefix is ignored.
 * - "[::1]:8000" -> IPv6 host "::1" (family 6); "[::1]" -> port 8000. A bare IPv6 address without
 *   brackets ("::1:8000") is ambiguous: error.
 * - "host:port", "host" (port 8000), ":8000" or "" -> host "0.0.0.0"; hosts are lower-cased; family 4
 *   unless the host contains ":".
 * - The port must be a whole number from 0 to 65535, else error.
 * Surrounding spaces are ignored.
 */
export function parseAddress(text: string): Address {
  return todo('5.1 (exercises/05-prefork/address.ts)');
}

/** As the logs show it: http://127.0.0.1:8000, http://[::1]:8000, unix:/run/app.sock (given). */
export function formatAddress(a: Address): string {
  if (a.kind === 'unix') return `unix:${a.path}`;
  // >>> chapter 10
  if (a.kind === 'fd') return `fd://${a.fd}`;
  // <<< chapter 10
  return a.family === 6 ? `http://[${a.host}]:${a.port}` : `http://${a.host}:${a.port}`;
}
