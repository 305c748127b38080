// @chapter 10
// Which proxy headers to believe. Behind nginx, the client talks TLS to nginx and nginx talks plain
// HTTP to us: only a header such as X-Forwarded-Proto says the request was https. Any client can send
// that header too, so it counts only when the peer of the connection is a proxy we were told to
// trust (forwarded_allow_ips), as in gunicorn:
//   - the trust is decided once per connection, from the socket's peer: an IP or CIDR in the list,
//     '*' (everyone), or a unix socket (always: only local processes can reach it);
//   - the scheme is decided per request, from the secure_scheme_headers the trusted peer sent; two of
//     them that disagree are a 400, headers from an untrusted peer change nothing.
// REMOTE_ADDR is not decided here: it is always the socket's peer, never X-Forwarded-For (gunicorn
// does the same). The client's address behind a proxy is for the app to read from X-Forwarded-For,
// knowing how many proxies it sits behind.
import { BlockList, isIP, isIPv4 } from 'node:net';
import type { HeaderPair } from '../cgi/request.ts';
import { HttpError } from './errors.ts';

export type Scheme = 'http' | 'https';

// #region allow-item
/**
 * What is wrong with one forwarded_allow_ips item, or null when it is usable: an IP address, a network
 * in CIDR form (10.0.0.0/8, fd00::/8) or '*'. A network with host bits set (10.0.0.1/8) is refused,
 * as current gunicorn does: it is a typo more often than a network.
 */
export function allowItemProblem(item: string): string | null {
  if (item === '*' || isIP(item) !== 0) return null;
  const slash = item.indexOf('/');
  if (slash === -1) return 'not an IP address (names are not looked up)';
  const address = item.slice(0, slash);
  const prefix = item.slice(slash + 1);
  const family = isIP(address);
  if (family === 0 || address.includes('%')) return `${JSON.stringify(address)} is not an IP address`;
  const width = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > width) return `the prefix length must be a number from 0 to ${width}`;
  const hostBits = (1n << BigInt(width - Number(prefix))) - 1n;
  const bits = toBits(address);
  if ((bits & hostBits) !== 0n) return `host bits are set: the network is ${fromBits(bits & ~hostBits, family)}/${prefix}`;
  return null;
}
// #endregion allow-item

/** The rules of one allow list, built once per list (the worker's list lives as long as the worker). */
const rules = new WeakMap<readonly string[], BlockList>();

// #region trusts-peer
/**
 * Whether the connection's peer may tell us the scheme. `peer` is the socket's remote address, or
 * undefined for a unix socket (always trusted). An empty or unreadable address (a TCP peer that has
 * already gone) is trusted only under '*'. An IPv4 peer seen on a dual-stack socket
 * (::ffff:127.0.0.1) is the same host as 127.0.0.1 and matches it, both ways.
 */
export function trustsPeer(allow: readonly string[], peer: string | undefined): boolean {
  if (peer === undefined || allow.includes('*')) return true;
  const family = isIP(peer);
  if (family === 0) return false;
  let list = rules.get(allow);
  if (!list) {
    list = new BlockList();
    for (const item of allow) {
      const [address = '', prefix] = item.split('/');
      const type = isIPv4(address) ? 'ipv4' : 'ipv6';
      if (prefix === undefined) list.addAddress(address, type);
      else list.addSubnet(address, Number(prefix), type);
    }
    rules.set(allow, list);
  }
  // BlockList compares an IPv4 address with an IPv4-mapped IPv6 one as the same host.
  return list.check(peer, family === 4 ? 'ipv4' : 'ipv6');
}
// #endregion trusts-peer

// #region url-scheme
/**
 * wsgi.url_scheme for one request. Only from a trusted peer: each header named in `secureSchemeHeaders`
 * (names in any case) says https when its value is exactly the configured one (case matters: 'HTTPS' is
 * not 'https'), http otherwise. Two such headers that disagree (the same one twice included) are a 400,
 * "Contradictory scheme headers", as in gunicorn. No such header, or an untrusted peer: http.
 */
export function urlScheme(headers: readonly HeaderPair[], secureSchemeHeaders: Readonly<Record<string, string>>, trusted: boolean): Scheme {
  if (!trusted) return 'http';
  const wanted = new Map(Object.entries(secureSchemeHeaders).map(([name, value]) => [name.toLowerCase(), value]));
  let scheme: Scheme | null = null;
  for (const [name, value] of headers) {
    const secure = wanted.get(name.toLowerCase());
    if (secure === undefined) continue;
    const said: Scheme = value === secure ? 'https' : 'http';
    if (scheme !== null && said !== scheme) throw new HttpError(400, 'Contradictory scheme headers');
    scheme = said;
  }
  return scheme ?? 'http';
}
// #endregion url-scheme

/** An IP address as a number (IPv6 with '::' and a dotted IPv4 tail included). */
function toBits(ip: string): bigint {
  if (isIPv4(ip)) return ip.split('.').reduce((n, part) => (n << 8n) | BigInt(part), 0n);
  let text = ip;
  const v4 = /\d+\.\d+\.\d+\.\d+$/.exec(text)?.[0];
  if (v4) {
    const n = toBits(v4);
    text = `${text.slice(0, -v4.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [left = '', right] = text.split('::');
  const groups = (s: string): string[] => (s ? s.split(':') : []);
  const head = groups(left);
  const tail = right === undefined ? [] : groups(right);
  const all = right === undefined ? head : [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  return all.reduce((n, group) => (n << 16n) | BigInt(`0x${group}`), 0n);
}

function fromBits(bits: bigint, family: number): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((bits >> shift) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((bits >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // The URL parser writes an IPv6 address in its short form (RFC 5952).
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}
