import { describe, expect, it } from 'vitest';
import { allowItemProblem, trustsPeer, urlScheme } from '@answers/10-production/proxy.ts';
import type { HeaderPair } from '../../../src/cgi/request.ts';
import { HttpError } from '../../../src/http/errors.ts';

/** gunicorn's default secure_scheme_headers. */
const TABLE = { 'X-FORWARDED-PROTOCOL': 'ssl', 'X-FORWARDED-PROTO': 'https', 'X-FORWARDED-SSL': 'on' };
const LOOPBACK = ['127.0.0.1', '::1'];

/** What urlScheme threw, or null. */
function thrown(headers: HeaderPair[], trusted = true): unknown {
  try {
    urlScheme(headers, TABLE, trusted);
    return null;
  } catch (err) {
    return err;
  }
}

describe('exercise 10.1: which proxy headers to believe', () => {
  describe('allowItemProblem', () => {
    it('accepts IP addresses, CIDR networks and *', () => {
      for (const item of ['127.0.0.1', '::1', '*', '10.0.0.0/8', '0.0.0.0/0', '192.168.1.0/24', 'fd00::/8', '2001:db8::/32', '::/0']) {
        expect(allowItemProblem(item), `${item} is usable: the answer should be null`).toBeNull();
      }
    });

    it('refuses what is not an address, a network or *', () => {
      for (const item of ['localhost', 'proxy.internal', '', '10.0.0', '**', '10.0.0.0/', '10.0.0.0/x', '10.0.0.0/33', 'fd00::/129', 'nonsense/8']) {
        const problem = allowItemProblem(item);
        expect(typeof problem === 'string' && problem.length > 0, `${JSON.stringify(item)} is not usable: the answer should be a reason`).toBe(true);
      }
    });

    it('refuses a network whose host bits are set, naming the network meant', () => {
      expect(allowItemProblem('10.0.0.1/8'), '10.0.0.1/8: host bits set').toContain('10.0.0.0/8');
      expect(allowItemProblem('192.168.1.77/24'), '192.168.1.77/24: host bits set').toContain('192.168.1.0/24');
      expect(allowItemProblem('10.0.0.1/32'), 'a /32 has no host bits: usable').toBeNull();
      expect(typeof allowItemProblem('fd00::1/8'), 'fd00::1/8: host bits set (IPv6)').toBe('string');
      expect(allowItemProblem('fd00::1/128'), 'a /128 has no host bits: usable').toBeNull();
    });
  });

  describe('trustsPeer', () => {
    it('trusts the addresses of the list, and no other', () => {
      expect(trustsPeer(LOOPBACK, '127.0.0.1'), '127.0.0.1 is listed').toBe(true);
      expect(trustsPeer(LOOPBACK, '::1'), '::1 is listed').toBe(true);
      expect(trustsPeer(LOOPBACK, '127.0.0.2'), '127.0.0.2 is not: an address is not a network').toBe(false);
      expect(trustsPeer(LOOPBACK, '203.0.113.9'), 'a stranger').toBe(false);
      expect(trustsPeer([], '127.0.0.1'), 'an empty list trusts no TCP peer').toBe(false);
    });

    it('trusts the peers inside a listed network', () => {
      const allow = ['10.0.0.0/8', '192.168.1.0/24', 'fd00::/8'];
      expect(trustsPeer(allow, '10.200.3.4'), '10.200.3.4 is in 10.0.0.0/8').toBe(true);
      expect(trustsPeer(allow, '11.0.0.1'), '11.0.0.1 is not').toBe(false);
      expect(trustsPeer(allow, '192.168.1.200'), '192.168.1.200 is in 192.168.1.0/24').toBe(true);
      expect(trustsPeer(allow, '192.168.2.1'), '192.168.2.1 is not').toBe(false);
      expect(trustsPeer(allow, 'fd12::7'), 'fd12::7 is in fd00::/8').toBe(true);
      expect(trustsPeer(allow, 'fe80::7'), 'fe80::7 is not').toBe(false);
    });

    it('matches an IPv4 peer seen as ::ffff:a.b.c.d with its IPv4 entry', () => {
      expect(trustsPeer(LOOPBACK, '::ffff:127.0.0.1'), '::ffff:127.0.0.1 is 127.0.0.1').toBe(true);
      expect(trustsPeer(['10.0.0.0/8'], '::ffff:10.1.1.1'), '::ffff:10.1.1.1 is in 10.0.0.0/8').toBe(true);
      expect(trustsPeer(['10.0.0.0/8'], '::ffff:11.1.1.1'), '::ffff:11.1.1.1 is not').toBe(false);
      expect(trustsPeer(['::ffff:10.0.0.1'], '10.0.0.1'), 'a ::ffff: entry matches the plain IPv4 peer').toBe(true);
    });

    it("always trusts a unix socket's peer (undefined), and everyone under *", () => {
      expect(trustsPeer([], undefined), 'a unix socket, even with an empty list').toBe(true);
      expect(trustsPeer(LOOPBACK, undefined), 'a unix socket').toBe(true);
      expect(trustsPeer(['*'], '203.0.113.9'), "'*' trusts any peer").toBe(true);
    });

    it('does not trust a peer that is not an IP address', () => {
      expect(trustsPeer(LOOPBACK, ''), "'' (the address could not be read)").toBe(false);
      expect(trustsPeer(LOOPBACK, 'localhost'), 'a name').toBe(false);
    });
  });

  describe('urlScheme', () => {
    it('is https when a trusted peer sends a listed header with its value', () => {
      expect(urlScheme([['X-Forwarded-Proto', 'https']], TABLE, true), 'X-Forwarded-Proto: https').toBe('https');
      expect(urlScheme([['X-Forwarded-Protocol', 'ssl']], TABLE, true), 'X-Forwarded-Protocol: ssl').toBe('https');
      expect(urlScheme([['X-Forwarded-Ssl', 'on']], TABLE, true), 'X-Forwarded-Ssl: on').toBe('https');
      expect(urlScheme([['Host', 'a'], ['x-forwarded-proto', 'https']], TABLE, true), 'header names match in any case').toBe('https');
      expect(urlScheme([['X-Forwarded-Proto', 'https']], { 'x-forwarded-proto': 'https' }, true), 'table names too').toBe('https');
    });

    it('is http otherwise', () => {
      expect(urlScheme([['X-Forwarded-Proto', 'http']], TABLE, true), 'another value').toBe('http');
      expect(urlScheme([['X-Forwarded-Proto', 'HTTPS']], TABLE, true), 'values are compared exactly: HTTPS is not https').toBe('http');
      expect(urlScheme([['Host', 'a']], TABLE, true), 'no listed header').toBe('http');
      expect(urlScheme([['X-Forwarded-Proto', 'https']], {}, true), 'an empty table').toBe('http');
      expect(urlScheme([['X-Forwarded-Proto', 'https']], TABLE, false), 'an untrusted peer').toBe('http');
    });

    it('refuses two listed headers that disagree, with a 400', () => {
      const err = thrown([['X-Forwarded-Proto', 'https'], ['X-Forwarded-Protocol', 'https']]);
      expect(err, 'X-Forwarded-Proto: https says https, X-Forwarded-Protocol: https says http (ssl expected)').toBeInstanceOf(HttpError);
      expect((err as HttpError).status, 'the status').toBe(400);
      expect((err as HttpError).message, 'the message').toBe('Contradictory scheme headers');
      expect(thrown([['X-Forwarded-Proto', 'https'], ['X-Forwarded-Proto', 'http']]), 'the same header twice, disagreeing').toBeInstanceOf(HttpError);
    });

    it('lets headers that agree through, and never refuses an untrusted peer', () => {
      expect(urlScheme([['X-Forwarded-Proto', 'https'], ['X-Forwarded-Ssl', 'on']], TABLE, true), 'two that say https').toBe('https');
      expect(urlScheme([['X-Forwarded-Proto', 'http'], ['X-Forwarded-Ssl', 'off']], TABLE, true), 'two that say http').toBe('http');
      expect(thrown([['X-Forwarded-Proto', 'https'], ['X-Forwarded-Protocol', 'https']], false), 'untrusted: the headers are not even read').toBeNull();
    });
  });
});
