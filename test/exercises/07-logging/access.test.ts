import { describe, expect, it } from 'vitest';
import { formatAccessLog, type Exchange } from '@answers/07-logging/access.ts';
import { accessLogTime } from '../../../src/log/logger.ts';

const NOW = Date.UTC(2026, 10, 22, 9, 34, 50);

function exchange(over: Partial<Exchange> = {}): Exchange {
  return {
    environ: {
      REMOTE_ADDR: '10.0.0.7',
      REQUEST_METHOD: 'POST',
      RAW_URI: '/caf%C3%A9?x=1',
      PATH_INFO: '/café',
      QUERY_STRING: 'x=1',
      SERVER_PROTOCOL: 'HTTP/1.0',
      HTTP_REFERER: 'https://example.com/',
      HTTP_USER_AGENT: 'curl/8.5.0',
      'wsgi.url_scheme': 'http',
    },
    requestHeaders: [['Host', 'example.com'], ['X-Id', 'first'], ['x-id', 'second']],
    status: 201,
    responseHeaders: [['Content-Type', 'text/plain'], ['Location', '/things/7']],
    sent: 27,
    micros: 1_002_003,
    now: NOW,
    pid: 4242,
    ...over,
  };
}
/** Parts for "h=%(h)s|l=%(l)s|...", built by hand: this exercise does not need 7.2. */
const fields = (...atoms: string[]) => atoms.flatMap((a, i) => [i === 0 ? `${a}=` : `|${a}=`, { atom: a }]);
const fmt = (atoms: string[], over: Partial<Exchange> = {}): string[] => formatAccessLog(fields(...atoms), exchange(over)).split('|');

describe('exercise 7.1: an access log line', () => {
  it('copies the text and fills in the atoms of the default format', () => {
    const parts = [{ atom: 'h' }, ' ', { atom: 'l' }, ' ', { atom: 'u' }, ' ', { atom: 't' }, ' "', { atom: 'r' }, '" ', { atom: 's' }, ' ', { atom: 'b' }, ' "', { atom: 'f' }, '" "', { atom: 'a' }, '"'];
    expect(formatAccessLog(parts, exchange()), "gunicorn's default format").toBe(
      `10.0.0.7 - - ${accessLogTime(NOW)} "POST /caf%C3%A9?x=1 HTTP/1.0" 201 27 "https://example.com/" "curl/8.5.0"`,
    );
    expect(formatAccessLog(['just text, 100%'], exchange()), 'text alone is copied as it is').toBe('just text, 100%');
  });

  it('has the request atoms m U q H, and l always "-"', () => {
    expect(fmt(['m', 'U', 'q', 'H', 'l']), 'method, decoded path, query, protocol, identd user').toEqual(['m=POST', 'U=/café', 'q=x=1', 'H=HTTP/1.0', 'l=-']);
  });

  it('has the response atoms s b B, and the pid as <pid>', () => {
    expect(fmt(['s', 'b', 'B', 'p']), 'status, bytes sent (twice), pid').toEqual(['s=201', 'b=27', 'B=27', 'p=<4242>']);
    expect(fmt(['s', 'b'], { status: 0, sent: 0 }), 'no response: status "-", and 0 bytes is "0"').toEqual(['s=-', 'b=0']);
  });

  it('has the request time as T M D L', () => {
    expect(fmt(['T', 'M', 'D', 'L']), '1,002,003 microseconds').toEqual(['T=1', 'M=1002', 'D=1002003', 'L=1.002003']);
    expect(fmt(['T', 'M', 'D', 'L'], { micros: 42 }), '42 microseconds: L keeps six decimals').toEqual(['T=0', 'M=0', 'D=42', 'L=0.000042']);
  });

  it('takes the user of Basic authentication for u', () => {
    const auth = (value: string) => fmt(['u'], { requestHeaders: [['Authorization', value]] })[0];
    expect(auth(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`), 'alice:s3cret in base64').toBe('u=alice');
    expect(auth('Bearer abc.def'), 'not Basic: no user').toBe('u=-');
    expect(fmt(['u'])[0], 'no Authorization header: no user').toBe('u=-');
  });

  it('reads {name}i, {name}o and {name}e, whatever the case of the name', () => {
    expect(fmt(['{host}i', '{HOST}i', '{x-id}i']), 'request headers; a repeated one: the last').toEqual(['{host}i=example.com', '{HOST}i=example.com', '{x-id}i=second']);
    expect(fmt(['{location}o', '{content-type}o']), 'response headers').toEqual(['{location}o=/things/7', '{content-type}o=text/plain']);
    expect(fmt(['{REMOTE_ADDR}e', '{wsgi.url_scheme}e']), 'environ variables').toEqual(['{REMOTE_ADDR}e=10.0.0.7', '{wsgi.url_scheme}e=http']);
  });

  it('prints "-" for anything missing or unknown', () => {
    expect(fmt(['f', 'a', 'zzz', '{x-nope}i', '{x-nope}o', '{NOPE}e'], { environ: { REQUEST_METHOD: 'GET' } }), 'no Referer, no User-Agent, unknown atoms').toEqual(['f=-', 'a=-', 'zzz=-', '{x-nope}i=-', '{x-nope}o=-', '{NOPE}e=-']);
    expect(fmt(['h'], { environ: { REMOTE_ADDR: '' } }), 'a unix socket: no remote address').toEqual(['h=-']);
  });

  it('escapes " inside values', () => {
    const parts = ['"', { atom: 'a' }, '" "', { atom: '{x-note}i' }, '"'];
    const line = formatAccessLog(parts, exchange({ environ: { HTTP_USER_AGENT: 'a "quoted" agent' }, requestHeaders: [['X-Note', '"']] }));
    expect(line, 'each " in a value becomes \\"').toBe('"a \\"quoted\\" agent" "\\""');
  });

  it('formats the time with accessLogTime', () => {
    expect(fmt(['t'], { now: NOW + 3_600_000 }), 'one hour later').toEqual([`t=${accessLogTime(NOW + 3_600_000)}`]);
  });
});
