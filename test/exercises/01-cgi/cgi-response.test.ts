import { describe, expect, it } from 'vitest';
import { CgiResponseError, parseCgiResponse } from '@answers/01-cgi/cgi-response.ts';

const parse = (text: string): ReturnType<typeof parseCgiResponse> => parseCgiResponse(Buffer.from(text, 'latin1'));
const broken = (text: string): unknown => {
  try {
    parse(text);
  } catch (err) {
    return err;
  }
  return 'no error';
};

describe('exercise 1.3: parse a CGI response', () => {
  it('parses a document: headers, an empty line, the body', () => {
    const r = parse('Content-Type: text/plain\nX-Run: 1\n\nhello\n');
    expect(r, 'a plain document: status 200 OK, headers in order, the bytes after the empty line').toEqual({
      type: 'document',
      status: 200,
      reason: 'OK',
      headers: [
        ['Content-Type', 'text/plain'],
        ['X-Run', '1'],
      ],
      body: Buffer.from('hello\n'),
    });
  });

  it('accepts CRLF line ends as well as LF', () => {
    const r = parse('Content-Type: text/html\r\n\r\n<p>hi</p>');
    expect(r.type === 'document' && r.body.toString(), 'with "\\r\\n" line ends the body starts after "\\r\\n\\r\\n"').toBe('<p>hi</p>');
  });

  it('takes the status from the Status header and does not send that header', () => {
    const r = parse('Status: 404 Not Found\nContent-Type: text/plain\n\nmissing');
    expect(r.type === 'document' && [r.status, r.reason], 'Status: 404 Not Found sets the status line').toEqual([404, 'Not Found']);
    expect(r.type === 'document' && r.headers.map(([n]) => n), 'Status is a CGI field, not an HTTP header').toEqual(['Content-Type']);
  });

  it('keeps the body as bytes, exactly', () => {
    const bytes = Buffer.concat([Buffer.from('Content-Type: application/octet-stream\n\n'), Buffer.from([0, 255, 10, 13])]);
    const r = parseCgiResponse(bytes);
    expect(r.type === 'document' && [...r.body], 'binary bodies pass through untouched').toEqual([0, 255, 10, 13]);
  });

  it('recognises a local redirect', () => {
    expect(parse('Location: /cgi-bin/hello.sh?x=1\n\n'), 'a lone Location with a path is a local redirect').toEqual({
      type: 'local-redirect',
      location: '/cgi-bin/hello.sh?x=1',
    });
  });

  it('turns an absolute Location into a client redirect, 302 by default', () => {
    const r = parse('Location: https://example.test/\n\n');
    expect(r.type === 'document' && [r.status, r.reason], 'a client redirect without Status is 302 Found').toEqual([302, 'Found']);
    expect(r.type === 'document' && r.headers, 'the Location header is sent to the client').toEqual([['Location', 'https://example.test/']]);
    const moved = parse('Status: 301 Moved Permanently\nLocation: https://example.test/new\n\n');
    expect(moved.type === 'document' && moved.status, 'a Status line wins over the 302 default').toBe(301);
  });

  it('throws CgiResponseError for output that breaks the contract', () => {
    const cases: [string, string][] = [
      ['', 'empty output'],
      ['Content-Type: text/plain\nhello', 'no empty line after the headers'],
      ['hello world\n\n', 'a line that is not "Name: value"'],
      [': no name\n\n', 'an empty header name'],
      ['Bad Name: x\n\n', 'a space inside a header name'],
      ['Status: OK\nContent-Type: text/plain\n\n', 'a Status without a 3-digit code'],
      ['Status: 200 OK\nStatus: 404 Not Found\nContent-Type: text/plain\n\n', 'two Status lines'],
      ['X-Thing: 1\n\nbody without a type', 'a body without Content-Type'],
      ['Location: relative/path\n\n', 'a Location that is neither a path nor a URL'],
      ['Location: /a\nX-Extra: 1\n\n', 'a local redirect with another header'],
    ];
    for (const [output, why] of cases) {
      expect(broken(output), `${why} must throw CgiResponseError`).toBeInstanceOf(CgiResponseError);
    }
  });

  it('allows an empty response with only a status', () => {
    const r = parse('Status: 204 No Content\n\n');
    expect(r.type === 'document' && r.status, 'no body, no Content-Type needed').toBe(204);
  });
});
