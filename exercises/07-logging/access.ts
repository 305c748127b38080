// Exercise 7.1: one access log line, from the parsed format and the facts of one request.
import type { FormatPart } from '../../src/log/access-format.ts';
import { accessLogTime } from '../../src/log/logger.ts';
import { todo } from '../todo.ts';

type HeaderList = readonly (readonly [string, string])[];

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
  /** Bytes of body actually written. */
  sent: number;
  /** How long the request took, in microseconds. */
  micros: number;
  /** When the line is written, in milliseconds since the epoch. */
  now: number;
  pid: number;
}

/**
 * `parts` is the format, already parsed: literal text (copy it) and `{ atom: name }` (put the atom's
 * value there). The atoms, as gunicorn has them:
 *   h   environ.REMOTE_ADDR ("-" when empty)        l   always "-"
 *   u   the user name of an "Authorization: Basic <base64 of user:password>" request header
 *   t   accessLogTime(x.now) (given: "[22/Nov/2026:09:34:50 +0000]")
 *   r   "REQUEST_METHOD RAW_URI SERVER_PROTOCOL" from the environ
 *   s   the status ("-" when 0)                     m U q H   REQUEST_METHOD PATH_INFO QUERY_STRING SERVER_PROTOCOL
 *   b, B   x.sent                                    f a   HTTP_REFERER, HTTP_USER_AGENT
 *   T M D   the request time in whole seconds, whole milliseconds, microseconds
 *   L   seconds with 6 decimals: 2034567 µs -> "2.034567"
 *   p   "<pid>"
 *   {name}i  a request header, {name}o  a response header, {name}e  an environ variable: names in
 *            any case ({User-Agent}i = {user-agent}i); with a repeated header, the last one wins.
 * Anything unknown or missing prints "-"; an empty string stays empty (except h). In string values,
 * every " becomes \" so that a quoted field stays one field.
 */
export function formatAccessLog(parts: readonly FormatPart[], x: Exchange): string {
  return todo('7.1 (exercises/07-logging/access.ts)');
}
