// @chapter 7
// The access log line: every gunicorn atom, the escaping, headers in and out, the environ, the format parser.
import { describe, expect, it } from 'vitest';
import { AccessFormatError, DEFAULT_ACCESS_LOG_FORMAT, parseAccessFormat } from '../../src/log/access-format.ts';
import { formatAccessLog, type Exchange } from '../../src/log/access.ts';
import { accessLogTime } from '../../src/log/logger.ts';

const NOW = Date.UTC(2026, 10, 22, 9, 34, 50, 123);

function exchange(over: Partial<Exchange> = {}): Exchange {
  return {
    environ: {
      REMOTE_ADDR: '10.0.0.7',
      REQUEST_METHOD: 'GET',
      RAW_URI: '/caf%C3%A9?x=1&y=2',
      PATH_INFO: '/café',
      QUERY_STRING: 'x=1&y=2',
      SERVER_PROTOCOL: 'HTTP/1.1',
      HTTP_REFERER: 'https://example.com/',
      HTTP_USER_AGENT: 'curl/8.5.0',
      'wsgi.url_scheme': 'http',
      'wsgi.multiprocess': true,
    },
    requestHeaders: [['Host', 'example.com'], ['User-Agent', 'curl/8.5.0'], ['X-Id', 'first'], ['x-id', 'second']],
    status: 200,
    responseHeaders: [['Content-Type', 'text/plain'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']],
    sent: 14,
    micros: 2_034_567,
    now: NOW,
    pid: 4242,
    ...over,
  };
}
const line = (format: string, over: Partial<Exchange> = {}): string => formatAccessLog(parseAccessFormat(format), exchange(over));

describe('access log atoms', () => {
  it('renders the default format as gunicorn does', () => {
    expect(line(DEFAULT_ACCESS_LOG_FORMAT)).toBe(`10.0.0.7 - - ${accessLogTime(NOW)} "GET /caf%C3%A9?x=1&y=2 HTTP/1.1" 200 14 "https://example.com/" "curl/8.5.0"`);
  });

  it('has every atom', () => {
    const atoms = 'h l u t r s m U q H b B f a T M D L p'.split(' ');
    const format = atoms.map((a) => `${a}=%(${a})s`).join('|');
    expect(line(format).split('|')).toEqual([
      'h=10.0.0.7',
      'l=-',
      'u=-',
      `t=${accessLogTime(NOW)}`,
      'r=GET /caf%C3%A9?x=1&y=2 HTTP/1.1',
      's=200',
      'm=GET',
      'U=/café',
      'q=x=1&y=2',
      'H=HTTP/1.1',
      'b=14',
      'B=14',
      'f=https://example.com/',
      'a=curl/8.5.0',
      'T=2',
      'M=2034',
      'D=2034567',
      'L=2.034567',
      'p=<4242>',
    ]);
  });

  it('formats the time as [dd/Mon/yyyy:HH:MM:SS +zzzz], local time, once a second', () => {
    expect(accessLogTime(NOW)).toMatch(/^\[22\/Nov\/2026:\d\d:\d\d:50 [+-]\d{4}\]$/);
    expect(accessLogTime(NOW + 500), 'the same second: the same text').toBe(accessLogTime(NOW));
    expect(accessLogTime(NOW + 1000)).toMatch(/:51 [+-]\d{4}\]$/);
  });

  it('prints "-" for a missing value, and keeps an empty one empty', () => {
    expect(line('%(f)s %(a)s %(nope)s %({x-none}i)s', { environ: { REQUEST_METHOD: 'GET' } })).toBe('- - - -');
    expect(line('[%(q)s]', { environ: { QUERY_STRING: '' } })).toBe('[]');
    expect(line('%(h)s', { environ: { REMOTE_ADDR: '' } }), 'a unix socket has no remote address').toBe('-');
    expect(line('%(s)s %(b)s', { status: 0, sent: 0 }), 'no response went out').toBe('- 0');
  });

  it('takes the Basic-auth user name', () => {
    const basic = (value: string): string => line('%(u)s', { requestHeaders: [['Authorization', value]] });
    expect(basic(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`)).toBe('alice');
    expect(basic(`basic ${Buffer.from('bob:x:y').toString('base64')}`)).toBe('bob');
    expect(basic(`Basic ${Buffer.from(':nouser').toString('base64')}`)).toBe('-');
    expect(basic(`Basic ${Buffer.from('nocolon').toString('base64')}`), 'no ":": no user, as in gunicorn').toBe('-');
    expect(basic('Bearer abc.def')).toBe('-');
  });

  it('escapes " in values, so a quoted field stays one field', () => {
    const ua = 'evil" 200 0 "x';
    expect(line('"%(a)s"', { environ: { HTTP_USER_AGENT: ua } })).toBe('"evil\\" 200 0 \\"x"');
    expect(line('"%({x-note}i)s"', { requestHeaders: [['X-Note', 'say "hi"']] })).toBe('"say \\"hi\\""');
  });

  it('reads request headers, response headers and environ variables by name, in any case', () => {
    expect(line('%({host}i)s %({HOST}i)s %({User-Agent}i)s')).toBe('example.com example.com curl/8.5.0');
    expect(line('%({x-id}i)s'), 'with a repeated header, the last one wins').toBe('second');
    expect(line('%({content-type}o)s %({set-cookie}o)s %({date}o)s')).toBe('text/plain b=2 -');
    expect(line('%({REMOTE_ADDR}e)s %({remote_addr}e)s %({wsgi.url_scheme}e)s %({WSGI.MULTIPROCESS}e)s %({nope}e)s')).toBe('10.0.0.7 10.0.0.7 http true -');
  });

  it('counts the request time in whole seconds, milliseconds and microseconds', () => {
    expect(line('%(T)s %(M)s %(D)s %(L)s', { micros: 999 })).toBe('0 0 999 0.000999');
    expect(line('%(T)s %(M)s %(D)s %(L)s', { micros: 61_000_001 })).toBe('61 61000 61000001 61.000001');
  });
});

describe('access log format', () => {
  it('parses once into text and atoms; %% is a "%"', () => {
    expect(parseAccessFormat('%(h)s - "%(r)s" 100%% %({x-(y)}i)s')).toEqual([{ atom: 'h' }, ' - "', { atom: 'r' }, '" 100% ', { atom: '{x-(y)}i' }]);
    expect(parseAccessFormat('')).toEqual([]);
    expect(parseAccessFormat('plain')).toEqual(['plain']);
  });

  it('refuses what Python would refuse, saying where', () => {
    expect(() => parseAccessFormat('%(h)s %s')).toThrow(/index 6/);
    expect(() => parseAccessFormat('100%')).toThrow(AccessFormatError);
    expect(() => parseAccessFormat('%(h')).toThrow(/no closing/);
    expect(() => parseAccessFormat('%(h)d')).toThrow(/must be followed by "s"/);
    expect(() => parseAccessFormat('%(h)')).toThrow(/not nothing/);
  });
});
