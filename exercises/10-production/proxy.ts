// Exercise 10.1: which proxy headers to believe (gunicorn's forwarded_allow_ips and secure_scheme_headers).
//
// Behind nginx, the client speaks https to nginx and nginx speaks plain http to us: only a header such
// as X-Forwarded-Proto tells the app the request was https. Any client can send that header too, so it
// counts only when the connection comes from a peer we were told to trust. The server calls
// trustsPeer once per connection and urlScheme once per request; allowItemProblem checks the setting
// when the server starts. REMOTE_ADDR is not yours to decide: it stays the socket's peer.
import type { HeaderPair } from '../../src/cgi/request.ts';
import { HttpError } from '../../src/http/errors.ts';
import { todo } from '../todo.ts';

export type Scheme = 'http' | 'https';

/**
 * What is wrong with one forwarded_allow_ips item (a short reason), or null when it is usable:
 * - '*', an IPv4 address or an IPv6 address: usable;
 * - a network ADDRESS/PREFIX (CIDR): ADDRESS an IP address, PREFIX a whole number from 0 to 32 (IPv4)
 *   or 0 to 128 (IPv6); the address's host bits (those after the first PREFIX bits) must all be zero:
 *   10.0.0.0/8 is usable, 10.0.0.1/8 is not, and its reason names the network meant, 10.0.0.0/8;
 * - anything else (a host name such as localhost, an empty prefix...): not usable.
 */
export function allowItemProblem(item: string): string | null {
  return todo('10.1 (exercises/10-production/proxy.ts)');
}

/**
 * Whether the connection's peer may tell us the scheme. `allow` holds usable items only (see above);
 * `peer` is the socket's remote address, or undefined for a unix socket.
 * - a unix socket's peer is always trusted; with '*' in the list, every peer is;
 * - otherwise the peer must be one of the addresses or inside one of the networks of the list;
 * - a peer that is not an IP address ('' when the address could not be read) is not trusted;
 * - an IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d: it is the host a.b.c.d, and
 *   matches the IPv4 entries (and a ::ffff: entry matches the plain IPv4 peer).
 */
export function trustsPeer(allow: readonly string[], peer: string | undefined): boolean {
  return todo('10.1 (exercises/10-production/proxy.ts)');
}

/**
 * wsgi.url_scheme for one request.
 * - from an untrusted peer: 'http', whatever the headers say (and never an error);
 * - from a trusted one: each request header whose name is a key of `secureSchemeHeaders` (names match
 *   in any case) says 'https' when its value equals that key's value exactly (case matters), else 'http';
 * - no such header: 'http';
 * - two such headers (or one header twice) that say different schemes: throw
 *   new HttpError(400, 'Contradictory scheme headers').
 */
export function urlScheme(headers: readonly HeaderPair[], secureSchemeHeaders: Readonly<Record<string, string>>, trusted: boolean): Scheme {
  void HttpError;
  return todo('10.1 (exercises/10-production/proxy.ts)');
}
