// Exercise 7.2: read the access log format once, into parts.
import { todo } from '../todo.ts';

/** A piece of the format: literal text, or the name of an atom to put there. */
export type FormatPart = string | { atom: string };

/** gunicorn's default access_log_format (given). */
export const DEFAULT_ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"';

/** Throw this for a format that cannot be used; the message says where (the index of the "%"). */
export class AccessFormatError extends Error {
  override name = 'AccessFormatError';
}

/**
 * '%(h)s - "%(r)s" 100%%'  ->  [{ atom: 'h' }, ' - "', { atom: 'r' }, '" 100%']
 * - `%(name)s` is an atom. The name runs to the matching ")": parentheses inside it nest, as in
 *   Python, so `%({x-(y)}i)s` is the atom `{x-(y)}i`.
 * - `%%` is a literal "%".
 * - Text between atoms is one string; no empty strings in the result; '' gives [].
 * - Errors (AccessFormatError, with "index N" in the message, N the index of the "%"): a "%" followed
 *   by anything but "(" or "%", or by nothing; a name without its ")" ("no closing"); a name not
 *   followed by "s" ("must be followed by \"s\"").
 */
export function parseAccessFormat(format: string): FormatPart[] {
  return todo('7.2 (exercises/07-logging/access-format.ts)');
}
