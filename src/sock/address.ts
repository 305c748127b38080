// @chapter 4
// Bind addresses, written the way gunicorn takes them: host:port, [v6]:port, host, unix:PATH.
// >>> chapter 10
// Also fd://N: a socket that is already open (and usually listening) as file descriptor N, made by
// whoever started us: systemd, or a launcher (chapters/10-production/socket-activate.ts).
// <<< chapter 10

export type Address =
  | { kind: 'tcp'; host: string; port: number; family: 4 | 6 }
  /* >>> chapters 4-9
  | { kind: 'unix'; path: string };
  <<< chapters 4-9 */
  // >>> chapter 10
  | { kind: 'unix'; path: string }
  | { kind: 'fd'; fd: number };
  // <<< chapter 10

export class AddressError extends Error {}

export const DEFAULT_PORT = 8000;

// #region parse
export function parseAddress(text: string): Address {
  const spec = text.trim();
  if (spec.startsWith('unix:')) {
    const path = spec.slice(spec.startsWith('unix://') ? 7 : 5);
    if (!path) throw new AddressError(`${JSON.stringify(text)}: unix: needs a path, e.g. unix:/run/app.sock`);
    return { kind: 'unix', path };
  }
  /* >>> chapters 4-9
  if (spec.startsWith('fd://')) throw new AddressError(`${JSON.stringify(text)}: fd:// addresses are not supported`);
  <<< chapters 4-9 */
  // >>> chapter 10
  // #region fd
  if (spec.startsWith('fd://')) {
    // gunicorn: "%r is not a valid file descriptor." 0-2 are stdin, stdout and stderr, never a socket we listen on.
    const fd = /^\d+$/.test(spec.slice(5)) ? Number(spec.slice(5)) : NaN;
    if (!Number.isSafeInteger(fd) || fd < 3) throw new AddressError(`${JSON.stringify(text)}: not a valid file descriptor (fd://N, N from 3 on)`);
    return { kind: 'fd', fd };
  }
  // #endregion fd
  // <<< chapter 10
  const rest = spec.startsWith('tcp://') ? spec.slice(6) : spec;
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1) throw new AddressError(`${JSON.stringify(text)}: missing "]" after the IPv6 address`);
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after && !after.startsWith(':')) throw new AddressError(`${JSON.stringify(text)}: expected ":port" after "]"`);
    portText = after ? after.slice(1) : undefined;
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon !== -1 && rest.indexOf(':') !== colon) {
      throw new AddressError(`${JSON.stringify(text)}: write IPv6 addresses in brackets, e.g. [::1]:8000`);
    }
    host = colon === -1 ? rest : rest.slice(0, colon);
    portText = colon === -1 ? undefined : rest.slice(colon + 1);
  }
  const port = portText === undefined ? DEFAULT_PORT : Number(portText);
  if (portText === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AddressError(`${JSON.stringify(text)}: ${JSON.stringify(portText)} is not a valid port number (0 to 65535)`);
  }
  const family = host.includes(':') ? 6 : 4;
  return { kind: 'tcp', host: (host || '0.0.0.0').toLowerCase(), port, family };
}
// #endregion parse

/** As the logs show it: http://127.0.0.1:8000, http://[::1]:8000, unix:/run/app.sock */
export function formatAddress(a: Address): string {
  if (a.kind === 'unix') return `unix:${a.path}`;
  // >>> chapter 10
  if (a.kind === 'fd') return `fd://${a.fd}`;
  // <<< chapter 10
  return a.family === 6 ? `http://[${a.host}]:${a.port}` : `http://${a.host}:${a.port}`;
}
