import { afterEach, describe, expect, it } from 'vitest';
import { ChunkedDecoder } from '@answers/03-http/chunked.ts';
import { normaliseLimits } from '../../../src/http/limits.ts';
import { httpStatus, decodeChunks } from '../../http/helpers.ts';
import { check, stopAll } from '../tester.ts';
import { live, Wire } from './wire.ts';

const decode = (pieces: string[], decoder = new ChunkedDecoder()): ReturnType<typeof decodeChunks> => decodeChunks(decoder, pieces);
const status = (input: string, decoder?: ChunkedDecoder): number | 'ok' => httpStatus(() => decode([input], decoder));

describe('exercise 3.3: decode a chunked body', () => {
  it('decodes the chunks and stops after the last one, leaving the rest', () => {
    expect(decode(['5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET / HTTP/1.1\r\n']), 'body "hello world", done, and the next request left over').toEqual({
      body: 'hello world',
      done: true,
      rest: 'GET / HTTP/1.1\r\n',
    });
  });

  it('gives the same result when the bytes arrive one at a time', () => {
    const input = 'a;name=value\r\n0123456789\r\n1\r\nX\r\n0\r\nTrailer: yes\r\n\r\nNEXT';
    expect(decode(input.split('')), 'state must survive between pushes of any size').toEqual({ body: '0123456789X', done: true, rest: 'NEXT' });
  });

  it('is not done before the empty line that ends the trailer section', () => {
    expect(decode(['3\r\nabc\r\n0\r\n']).done, 'the last chunk alone is not the end: the empty line is still to come').toBe(false);
    expect(decode(['3\r\nabc\r\n0\r\nX: 1\r\n']).done, 'nor after a trailer line').toBe(false);
  });

  it('reads sizes as hex digits in either case, leading zeros allowed', () => {
    expect(decode(['A\r\n0123456789\r\n00a\r\n0123456789\r\n000\r\n\r\n']).body, '"A" and "00a" are both 10').toBe('0123456789'.repeat(2));
  });

  it('refuses chunk sizes that are not plain hex', () => {
    for (const bad of ['0x5\r\n', '+5\r\n', '-1\r\n', ' 5\r\n', '5 \r\n', '\r\n', 'g\r\n', `${'1'.repeat(17)}\r\n`]) {
      expect(status(bad), `size line ${JSON.stringify(bad)}: 400`).toBe(400);
    }
  });

  it('wants CRLF after sizes and after data', () => {
    for (const bad of ['5\nhello\r\n', '5\r\nhelloX\r\n', '5\r\nhello\n0\r\n\r\n', '0\r\n\n']) {
      expect(status(bad), `${JSON.stringify(bad)}: a missing CRLF or a bare LF: 400`).toBe(400);
    }
  });

  it('checks chunk extensions, then ignores them', () => {
    for (const ok of ['1;a\r\nx\r\n0\r\n\r\n', '1;a=b\r\nx\r\n0\r\n\r\n', '1 ; a = "q \\" s"\r\nx\r\n0\r\n\r\n']) {
      expect(status(ok), `${JSON.stringify(ok)} has valid extensions`).toBe('ok');
    }
    for (const bad of ['1;\r\nx\r\n', '1;=b\r\nx\r\n', '1;a="open\r\nx\r\n', '1;a b\r\nx\r\n', '1;a\rb\r\nx\r\n']) {
      expect(status(bad), `${JSON.stringify(bad)} has a malformed extension: 400`).toBe(400);
    }
  });

  it('parses trailers with the header rules into `trailers`, within the limits', () => {
    const decoder = new ChunkedDecoder();
    decode(['0\r\nX-Checksum: abc\r\n\r\n'], decoder);
    expect(decoder.trailers, 'the trailer fields, as [name, value] pairs').toEqual([['X-Checksum', 'abc']]);
    expect(status('0\r\nBad Name: 1\r\n\r\n'), 'a trailer is a header line: a space in the name is 400').toBe(400);
    const small = normaliseLimits({ fields: 1, fieldSize: 20 });
    expect(status('0\r\nA: 1\r\nB: 2\r\n\r\n', new ChunkedDecoder(small)), 'more trailer fields than limits.fields: 431').toBe(431);
  });

  it('hands out views of the input, not copies', () => {
    const input = Buffer.from('5\r\nhello\r\n');
    expect(new ChunkedDecoder().push(input).data[0]!.buffer, 'use input.subarray(), which shares memory').toBe(input.buffer);
  });
});

describe('exercise 3.3 on the wire: our server with your ChunkedDecoder', () => {
  const wire = new Wire(['3.3']);
  afterEach(stopAll);

  it('hands the app the body de-chunked, keeps the trailers out of its headers, and serves the request after it', async () => {
    await wire.start();
    const parts = ['POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', 'lo\r\n6;note=x\r\n world\r\n0\r\nX-Trailer: t\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n'];
    const [up, next] = await wire.served(parts, 'A chunked upload followed by a pipelined GET did not get two 200s from the app', { responses: 2 });
    const got = `${JSON.stringify(up!.body)}, trailer in the headers: ${'HTTP_X_TRAILER' in up!.headers}, then ${next!.path}`;
    const want = '"hello world", trailer in the headers: false, then /next';
    check(got === want, 'The app did not get the de-chunked body, or the request after it, as sent', { sent: parts, expected: want, got, live: live(parts.join('')) });
  }, 30_000);

  it('answers 400 to a bad chunk size or a chunk without its CRLF, and goes on serving', async () => {
    await wire.start();
    const head = 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
    await wire.refused(`${head}0x5\r\nhello\r\n0\r\n\r\n`, 400, 'A chunk size of "0x5" (hex digits only) was not refused with 400');
    await wire.refused(`${head}5\r\nhelloX\r\n0\r\n\r\n`, 400, 'Chunk data longer than its size (no CRLF after it) was not refused with 400');
  }, 30_000);
});
