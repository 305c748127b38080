import { afterEach, describe, expect, it } from 'vitest';
import { parseHeaders } from '@answers/03-http/headers.ts';
import { HttpError } from '../../../src/http/errors.ts';
import { DEFAULT_LIMITS, normaliseLimits, type Limits } from '../../../src/http/limits.ts';
import { httpStatus } from '../../http/helpers.ts';
import { check, stopAll } from '../tester.ts';
import { live, Wire } from './wire.ts';

const parse = (block: string, limits: Limits = DEFAULT_LIMITS): ReturnType<typeof parseHeaders> => parseHeaders(Buffer.from(block, 'latin1'), limits);
const status = (block: string, limits?: Limits): number | 'ok' => httpStatus(() => parse(block, limits));

describe('exercise 3.4: parse the header block', () => {
  it('splits the block into [name, value] pairs, in order, names as sent', () => {
    expect(parse('Host: x\r\nX-A: 1\r\nx-a: 2\r\nAccept: */*\r\n'), 'one pair per line; repeats stay separate; case kept').toEqual([
      ['Host', 'x'],
      ['X-A', '1'],
      ['x-a', '2'],
      ['Accept', '*/*'],
    ]);
    expect(parse(''), 'an empty block (a request with no header at all) is no pairs').toEqual([]);
    expect(parse("A-b_C.d!#$%&'*+^`|~9: v\r\n")[0]![0], 'every tchar may be in a name').toBe("A-b_C.d!#$%&'*+^`|~9");
  });

  it('trims SP and HTAB around values, and keeps everything else', () => {
    expect(parse('A:  \t v  a l \t \r\n'), 'OWS goes on both sides, inner spaces stay').toEqual([['A', 'v  a l']]);
    expect(parse('B:\r\nC: \t \r\n'), 'an empty value, or one of OWS only, is ""').toEqual([['B', ''], ['C', '']]);
    expect(parse('D: a:b\tc\r\n'), 'colons and tabs inside a value are part of it').toEqual([['D', 'a:b\tc']]);
    expect(parse('E: caf\xe9 \xa0x\xa0\r\n'), 'bytes 0x80-0xFF pass, one character each (latin1); 0xA0 is not whitespace').toEqual([['E', 'caf\xe9 \xa0x\xa0']]);
  });

  it('refuses a folded line (obs-fold) with 400', () => {
    expect(status('A: 1\r\n 2\r\n'), 'a line that starts with a space continues the one above: 400').toBe(400);
    expect(status('A: 1\r\n\t2\r\n'), 'or with a tab: 400').toBe(400);
    expect(status(' A: 1\r\n'), 'even on the first line: 400').toBe(400);
  });

  it('wants a token name with the colon right after it', () => {
    for (const bad of ['A : 1\r\n', 'A\t: 1\r\n', ': 1\r\n', 'A B: 1\r\n', 'A@b: 1\r\n', 'A(b): 1\r\n', '\xc4: 1\r\n', 'NoColon\r\n', 'NoColon']) {
      expect(status(bad), `${JSON.stringify(bad)}: the name is empty, not a token, or not followed at once by ":": 400`).toBe(400);
    }
  });

  it('ends lines at CRLF only, and refuses control bytes in values', () => {
    for (const bad of ['A: 1\n', 'A: 1\nB: 2\r\n', 'A: 1\rB: 2\r\n', 'A: 1\r', 'A: 1', 'A: a\x00b\r\n', 'A: a\x7fb\r\n', 'A: a\x1bb\r\n', 'A: \x0bchunked\r\n']) {
      expect(status(bad), `${JSON.stringify(bad)}: a bare LF or CR, no CRLF at the end, or a control byte other than HTAB: 400`).toBe(400);
    }
  });

  it('answers 431 past limits.fields', () => {
    const three = normaliseLimits({ fields: 3 });
    expect(status('A: 1\r\nB: 2\r\nC: 3\r\n', three), 'exactly limits.fields lines are fine').toBe('ok');
    expect(status('A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n', three), 'one more: 431').toBe(431);
  });

  it('answers 431 past limits.fieldSize, counting the CRLF', () => {
    const line = 'X-Long: 12345\r\n'; // 15 bytes with its CRLF
    expect(status(`A: 1\r\n${line}`, normaliseLimits({ fieldSize: 15 })), 'a line of exactly limits.fieldSize bytes, CRLF included, is fine').toBe('ok');
    expect(status(`A: 1\r\n${line}`, normaliseLimits({ fieldSize: 14 })), 'one byte more: 431').toBe(431);
  });

  it('says which block it was in its messages, and never echoes raw control bytes', () => {
    const trailer = catchHttpError(() => parseHeaders(Buffer.from(' folded\r\n'), DEFAULT_LIMITS, 'trailer'));
    expect(trailer.message.toLowerCase(), 'what = "trailer": the message says trailer').toContain('trailer');
    for (const bad of ['A\r\x00: 1\r\n', 'A: x\r\ny\r\n', 'A: \x00\x1b[31m\r\n', 'B\nC: 1\r\n']) {
      const message = catchHttpError(() => parse(bad)).message;
      expect(/[\x00-\x1f\x7f]/.test(message), `the message for ${JSON.stringify(bad)} goes to the log and the error page: ${JSON.stringify(message)} must not hold CR, LF or another control byte (quote() the client's bytes)`).toBe(false);
    }
  });
});

function catchHttpError(run: () => unknown): HttpError {
  try {
    run();
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error('expected an HttpError, nothing was thrown');
}

// On the wire: chapter 3's server with your parseHeaders plugged in, driven over real sockets.
const wire = new Wire(['3.4']);

describe('exercise 3.4 on the wire: our server with your parseHeaders', () => {
  afterEach(stopAll);

  it('hands valid header fields to the app, trimmed, repeats joined, case folded into HTTP_ names', async () => {
    await wire.start();
    const request = 'GET /h HTTP/1.1\r\nHost: x\r\nX-Trim: \t padded  value \t\r\nX-Empty:\r\nX-Repeat: a\r\nx-repeat: b\r\nX-Latin: caf\xe9\r\nX-Tab: a\tb\r\n\r\n';
    const [echo] = await wire.served(request, 'A request with valid header fields did not reach the app');
    const want = { HTTP_HOST: 'x', HTTP_X_TRIM: 'padded  value', HTTP_X_EMPTY: '', HTTP_X_REPEAT: 'a, b', HTTP_X_LATIN: 'caf\xe9', HTTP_X_TAB: 'a\tb' };
    check(JSON.stringify(echo!.headers) === JSON.stringify(want), 'The app did not get the header values the client sent', {
      sent: request,
      expected: `the environ's headers ${JSON.stringify(want)}`,
      got: JSON.stringify(echo!.headers),
      live: live(request),
    });
  }, 30_000);

  it('refuses a folded header line (obs-fold) with 400, and goes on serving', async () => {
    await wire.start();
    await wire.refused('GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  continued\r\n\r\n', 400, 'A folded header line (obs-fold) was not refused with 400');
  }, 30_000);

  it('refuses whitespace before the colon and names that are not tokens with 400, and goes on serving', async () => {
    await wire.start();
    await wire.refused('GET / HTTP/1.1\r\nHost: x\r\nX-A : 1\r\n\r\n', 400, 'A space between a header name and its colon was not refused with 400');
    await wire.refused('GET / HTTP/1.1\r\nHost: x\r\nX(A): 1\r\n\r\n', 400, 'A header name with a byte that is not a token byte was not refused with 400');
    await wire.refused('GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n', 400, 'A header line without a colon was not refused with 400');
  }, 30_000);

  it('refuses a bare CR, a bare LF or a control byte in a header line with 400, and goes on serving', async () => {
    await wire.start();
    await wire.refused('GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\rX-B: 2\r\n\r\n', 400, 'A bare CR inside a header line was not refused with 400');
    await wire.refused('GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\nX-B: 2\r\n\r\n', 400, 'A header line ended by a bare LF was not refused with 400');
    await wire.refused('GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n', 400, 'A NUL byte in a header value was not refused with 400');
  }, 30_000);

  it('serves exactly 100 header fields and answers 431 to 101, and goes on serving', async () => {
    await wire.start();
    const fields = (n: number): string => `GET / HTTP/1.1\r\nHost: x\r\n${Array.from({ length: n - 1 }, (_, i) => `X-${i + 1}: ${i + 1}\r\n`).join('')}\r\n`;
    const shell = (n: number): string => `(printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\n'; for i in $(seq ${n - 1}); do printf 'X-%s: %s\\r\\n' $i $i; done; printf '\\r\\n')`;
    const [echo] = await wire.served(fields(100), '100 header fields (the default limit_request_fields) did not reach the app', { shell: shell(100) });
    check(echo!.headers.HTTP_X_99 === '99', 'With 100 header fields, the app did not get the last one', { sent: fields(100), expected: 'HTTP_X_99 "99"', got: JSON.stringify(echo!.headers).slice(0, 300) });
    await wire.refused(fields(101), 431, '101 header fields (one over limit_request_fields) were not refused with 431', shell(101));
  }, 30_000);

  it('serves a header line of exactly 8190 bytes and answers 431 to 8191, and goes on serving', async () => {
    await wire.start();
    // "X-Big: " + value + CRLF: 8190 bytes, the default limit_request_field_size, counts the CRLF
    const big = (size: number): string => `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'v'.repeat(size - 9)}\r\n\r\n`;
    const shell = (size: number): string => `printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\nX-Big: %s\\r\\n\\r\\n' $(head -c ${size - 9} /dev/zero | tr '\\0' v)`;
    const [echo] = await wire.served(big(8190), 'A header line of 8190 bytes with its CRLF (the default limit_request_field_size) did not reach the app', { shell: shell(8190) });
    check(echo!.headers.HTTP_X_BIG?.length === 8181, 'The app did not get the whole 8181-byte value', { sent: big(8190), expected: 'HTTP_X_BIG of 8181 bytes', got: `${echo!.headers.HTTP_X_BIG?.length ?? 'no'} bytes` });
    await wire.refused(big(8191), 431, 'A header line of 8191 bytes (one over limit_request_field_size) was not refused with 431', shell(8191));
  }, 30_000);
});
