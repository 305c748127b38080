// @chapter 7
// One access log line: the parsed format (access-format.ts) filled in with the facts of one request and
// its response. The atoms are gunicorn's (glogging.py), which are Apache's with a few additions. This
// runs once per request, so it computes only the atoms the format names, and formats the time once a
// second.
import type { FormatPart } from './access-format.ts';
import { accessLogTime } from './logger.ts';

type HeaderList = readonly (readonly [string, string])[];

// #region exchange
/** What the server knows about one request once its response is done. */
export interface Exchange {
  /** The request's environ (REMOTE_ADDR, REQUEST_METHOD, RAW_URI, PATH_INFO, HTTP_REFERER, ...). */
  environ: Readonly<Record<string, unknown>>;
  /** The request headers, as the client sent them, in order. */
  requestHeaders: HeaderList;
  /** The status code sent; 0 if no response went out (the client left first). */
  status: number;
  /** The app's response headers. */
  responseHeaders: HeaderList;
  /** Bytes of body actually written (not counting the head, nor chunked framing). */
  sent: number;
  /** How long the request took, in microseconds. */
  micros: number;
  /** When the line is written, in milliseconds since the epoch. */
  now: number;
  pid: number;
}
// #endregion exchange

// #region format
export function formatAccessLog(parts: readonly FormatPart[], x: Exchange): string {
  let line = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      line += part;
      continue;
    }
    const value = atom(part.atom, x);
    if (value === undefined) line += '-';
    else if (typeof value === 'number') line += value;
    // A value can hold '"' (a User-Agent, a Referer): escaped, so a quoted field stays one field.
    else line += value.includes('"') ? value.replaceAll('"', '\\"') : value;
  }
  return line;
}
// #endregion format

// #region atoms
/** The value of one atom; undefined when there is none (printed as "-"). */
function atom(name: string, x: Exchange): string | number | undefined {
  const env = x.environ;
  switch (name) {
    case 'h': // remote address
      return (env.REMOTE_ADDR as string) || undefined;
    case 'l': // the identd user: nobody runs identd any more
      return '-';
    case 'u': // the user name of HTTP Basic authentication
      return basicUser(header(x.requestHeaders, 'authorization'));
    case 't': // [22/Nov/2026:09:34:50 +0000]
      return accessLogTime(x.now);
    case 'r': // the request line
      return `${env.REQUEST_METHOD} ${env.RAW_URI} ${env.SERVER_PROTOCOL}`;
    case 's':
      return x.status || undefined;
    case 'm':
      return env.REQUEST_METHOD as string | undefined;
    case 'U': // the path, decoded
      return env.PATH_INFO as string | undefined;
    case 'q':
      return env.QUERY_STRING as string | undefined;
    case 'H':
      return env.SERVER_PROTOCOL as string | undefined;
    case 'b':
    case 'B':
      return x.sent;
    case 'f':
      return env.HTTP_REFERER as string | undefined;
    case 'a':
      return env.HTTP_USER_AGENT as string | undefined;
    case 'T': // whole seconds
      return Math.floor(x.micros / 1_000_000);
    case 'M': // milliseconds
      return Math.floor(x.micros / 1000);
    case 'D': // microseconds
      return x.micros;
    case 'L': // seconds, with 6 decimals
      return `${Math.floor(x.micros / 1_000_000)}.${String(x.micros % 1_000_000).padStart(6, '0')}`;
    case 'p':
      return `<${x.pid}>`;
  }
  // {name}i, {name}o, {name}e: a request header, a response header, an environ variable. Any case.
  if (name.length > 3 && name[0] === '{' && name[name.length - 2] === '}') {
    const key = name.slice(1, -2).toLowerCase();
    switch (name[name.length - 1]) {
      case 'i':
        return header(x.requestHeaders, key);
      case 'o':
        return header(x.responseHeaders, key);
      case 'e':
        return environVar(env, key);
    }
  }
  return undefined;
}

/** The last header of that (lower-case) name: with duplicates, gunicorn's dict keeps the last. */
function header(headers: HeaderList, lower: string): string | undefined {
  for (let i = headers.length - 1; i >= 0; i--) {
    const [name, value] = headers[i]!;
    if (name.length === lower.length && name.toLowerCase() === lower) return value;
  }
  return undefined;
}

function environVar(env: Readonly<Record<string, unknown>>, lower: string): string | undefined {
  let value = env[lower] ?? env[lower.toUpperCase()];
  if (value === undefined) {
    for (const key in env) {
      if (key.toLowerCase() === lower) {
        value = env[key];
        break;
      }
    }
  }
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

/** "Basic dXNlcjpwYXNz" (user:pass) -> "user"; no ":", an empty user, another scheme -> undefined. */
function basicUser(authorization: string | undefined): string | undefined {
  if (!authorization || authorization.slice(0, 6).toLowerCase() !== 'basic ') return undefined;
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(0, colon) || undefined;
}
// #endregion atoms
