import { afterEach, describe, expect, it } from 'vitest';
import { bodyFraming } from '@answers/03-http/framing.ts';
import type { HeaderPair } from '../../../src/cgi/request.ts';
import { httpStatus } from '../../http/helpers.ts';
import { check, countResponses, show, stopAll } from '../tester.ts';
import { live, Wire } from './wire.ts';

const status = (headers: HeaderPair[], version: [number, number] = [1, 1]): number | 'ok' => httpStatus(() => bodyFraming(headers, version));

describe('exercise 3.2: body framing', () => {
  it('no Content-Length and no Transfer-Encoding: no body', () => {
    expect(bodyFraming([['Host', 'x']], [1, 1]), 'a request without either has no body, on HTTP/1.1').toEqual({ kind: 'none' });
    expect(bodyFraming([], [1, 0]), 'nor on HTTP/1.0').toEqual({ kind: 'none' });
  });

  it('Content-Length gives the length; names are case-insensitive', () => {
    expect(bodyFraming([['Content-Length', '42']], [1, 1]), 'Content-Length: 42').toEqual({ kind: 'length', length: 42 });
    expect(bodyFraming([['content-length', '0']], [1, 0]), 'content-length: 0 (any case)').toEqual({ kind: 'length', length: 0 });
  });

  it('refuses a Content-Length that is not plain digits', () => {
    for (const v of ['', '+5', '-1', '3.0', '0x10', '1 2', '5, 5', 'abc', '9'.repeat(16)]) {
      expect(status([['Content-Length', v]]), `Content-Length ${JSON.stringify(v)}: 400`).toBe(400);
    }
  });

  it('refuses more than one Content-Length, even with the same value', () => {
    expect(status([['Content-Length', '5'], ['Content-Length', '6']]), 'two different lengths: 400').toBe(400);
    expect(status([['Content-Length', '5'], ['content-length', '5']]), 'the same length twice: 400 too').toBe(400);
  });

  it('Transfer-Encoding: chunked, in any case and with spaces around', () => {
    expect(bodyFraming([['Transfer-Encoding', 'chunked']], [1, 1]), 'chunked').toEqual({ kind: 'chunked' });
    expect(bodyFraming([['transfer-encoding', ' Chunked\t']], [1, 1]), 'codings compare without case; SP and HTAB are trimmed').toEqual({ kind: 'chunked' });
  });

  it('refuses the framings that enable request smuggling', () => {
    expect(status([['Content-Length', '5'], ['Transfer-Encoding', 'chunked']]), 'Content-Length and Transfer-Encoding together: 400').toBe(400);
    expect(status([['Transfer-Encoding', 'chunked'], ['Content-Length', '0']]), 'in either order: 400').toBe(400);
    expect(status([['Transfer-Encoding', 'chunked']], [1, 0]), 'Transfer-Encoding on HTTP/1.0: 400').toBe(400);
    expect(status([['Transfer-Encoding', 'chunked, chunked']]), 'chunked twice: 400').toBe(400);
    expect(status([['Transfer-Encoding', 'chunked'], ['Transfer-Encoding', 'chunked']]), 'chunked twice, on two lines: 400').toBe(400);
    expect(status([['Transfer-Encoding', 'chunked, gzip']]), 'chunked not last: 400').toBe(400);
    expect(status([['Transfer-Encoding', 'chunked,']]), 'an empty element: 400').toBe(400);
  });

  it('answers 501 to codings it does not implement', () => {
    for (const te of ['gzip', 'gzip, chunked', 'identity', 'x-custom']) expect(status([['Transfer-Encoding', te]]), `Transfer-Encoding: ${te}: 501`).toBe(501);
    expect(status([['Transfer-Encoding', '\xa0chunked']]), 'only SP and HTAB are trimmed: a non-breaking space (0xA0) makes it another coding: 501').toBe(501);
  });
});

describe('exercise 3.2 on the wire: our server with your bodyFraming', () => {
  const wire = new Wire(['3.2']);
  afterEach(stopAll);

  it('hands the app a Content-Length body, a chunked body and no body, on one connection', async () => {
    await wire.start();
    const three =
      'POST /length HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' +
      'POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n' +
      'GET /none HTTP/1.1\r\nHost: x\r\n\r\n';
    const got = await wire.served(three, 'Three pipelined requests (a length, chunked, no body) did not each get a 200 from the app', { responses: 3 });
    const bodies = got.map((e) => `${e.path} ${JSON.stringify(e.body)}`).join(', ');
    const want = '/length "hello", /chunked "hello world", /none ""';
    check(bodies === want, 'The app did not get each body as framed, or a request was read from the wrong place', { sent: three, expected: want, got: bodies, live: live(three) });
  }, 30_000);

  it('a request smuggling probe: Content-Length with Transfer-Encoding is one 400, and the request hidden in the body is never served', async () => {
    await wire.start();
    const hidden = '0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
    const probe = `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${hidden.length}\r\nTransfer-Encoding: chunked\r\n\r\n${hidden}`;
    const reply = await wire.refused(probe, 400, 'A request with both Content-Length and Transfer-Encoding (the classic smuggling setup) was not refused with 400');
    check(countResponses(reply.text) === 1 && !reply.text.includes('/smuggled'), 'After the 400, the server went on reading the connection and answered the request hidden in the body', {
      sent: probe,
      expected: 'one response (the 400), then the connection closed',
      got: show(reply.text, 600),
      live: live(probe),
    });
  }, 30_000);

  it('answers 501 to a coding it does not decode, 400 to two lengths, and goes on serving', async () => {
    await wire.start();
    await wire.refused('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', 501, 'Transfer-Encoding: gzip (a coding we do not decode) was not refused with 501');
    await wire.refused('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx', 400, 'Two Content-Length headers (even equal ones) were not refused with 400');
    await wire.refused('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\nx', 400, 'Content-Length: +1 (not plain digits) was not refused with 400');
  }, 30_000);
});
