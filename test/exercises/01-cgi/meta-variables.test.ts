import { describe, expect, it } from 'vitest';
import { buildMetaVariables } from '@answers/01-cgi/meta-variables.ts';
import type { CgiRequest } from '../../../src/cgi/request.ts';

const base: CgiRequest = {
  method: 'GET',
  protocol: 'HTTP/1.1',
  scriptName: '/cgi-bin/env.sh',
  pathInfo: '/a%20b/c',
  query: 'x=1&y=%41',
  headers: [
    ['Host', 'example.test:8000'],
    ['User-Agent', 'curl/8'],
  ],
  bodyLength: null,
  remoteAddr: '127.0.0.1',
  remotePort: 50000,
  serverName: '127.0.0.1',
  serverPort: 8000,
  serverSoftware: 'prefork-workbook/test',
};
const build = (over: Partial<CgiRequest> = {}): Record<string, string> => buildMetaVariables({ ...base, ...over });

describe('exercise 1.1: CGI meta-variables', () => {
  it('sets the server and request variables of RFC 3875', () => {
    const env = build();
    const expected: Record<string, string> = {
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_SOFTWARE: 'prefork-workbook/test',
      SERVER_NAME: '127.0.0.1',
      SERVER_PORT: '8000',
      SERVER_PROTOCOL: 'HTTP/1.1',
      REQUEST_METHOD: 'GET',
      SCRIPT_NAME: '/cgi-bin/env.sh',
      QUERY_STRING: 'x=1&y=%41',
      REMOTE_ADDR: '127.0.0.1',
      REMOTE_HOST: '127.0.0.1',
      REMOTE_PORT: '50000',
    };
    for (const [key, value] of Object.entries(expected)) {
      expect(env[key], `${key} should be ${JSON.stringify(value)}`).toBe(value);
    }
  });

  it('decodes PATH_INFO but leaves QUERY_STRING as sent', () => {
    const env = build();
    expect(env.PATH_INFO, 'PATH_INFO is percent-decoded: "/a%20b/c" becomes "/a b/c"').toBe('/a b/c');
    expect(env.QUERY_STRING, 'QUERY_STRING stays encoded: the script decodes it').toBe('x=1&y=%41');
  });

  it('turns headers into HTTP_ variables', () => {
    const env = build();
    expect(env.HTTP_HOST, 'Host becomes HTTP_HOST').toBe('example.test:8000');
    expect(env.HTTP_USER_AGENT, 'User-Agent becomes HTTP_USER_AGENT ("-" turns into "_")').toBe('curl/8');
  });

  it('joins repeated headers into one value', () => {
    const env = build({
      headers: [
        ['Accept', 'text/html'],
        ['accept', 'text/plain'],
        ['Cookie', 'a=1'],
        ['Cookie', 'b=2'],
      ],
    });
    expect(env.HTTP_ACCEPT, 'two Accept headers become "text/html, text/plain"').toBe('text/html, text/plain');
    expect(env.HTTP_COOKIE, 'two Cookie headers are joined with "; ", the cookie separator').toBe('a=1; b=2');
  });

  it('gives Content-Type and Content-Length their own names', () => {
    const env = build({
      method: 'POST',
      bodyLength: 5,
      headers: [
        ['Content-Type', 'text/plain'],
        ['Content-Length', '5'],
      ],
    });
    expect(env.CONTENT_TYPE, 'Content-Type becomes CONTENT_TYPE').toBe('text/plain');
    expect(env.CONTENT_LENGTH, 'CONTENT_LENGTH comes from bodyLength').toBe('5');
    expect(env.HTTP_CONTENT_TYPE, 'there is no HTTP_CONTENT_TYPE').toBeUndefined();
    expect(env.HTTP_CONTENT_LENGTH, 'there is no HTTP_CONTENT_LENGTH').toBeUndefined();
  });

  it('leaves CONTENT_LENGTH out when there is no body', () => {
    expect('CONTENT_LENGTH' in build(), 'bodyLength null means no CONTENT_LENGTH at all').toBe(false);
    expect(build({ bodyLength: 0 }).CONTENT_LENGTH, 'an empty body that was announced is "0"').toBe('0');
  });

  it('never passes a Proxy header (httpoxy) or credentials', () => {
    const env = build({
      headers: [
        ['Proxy', 'http://evil.example:3128'],
        ['Authorization', 'Basic dXNlcjpwYXNz'],
        ['Proxy-Authorization', 'Basic eDp5'],
      ],
    });
    expect(env.HTTP_PROXY, 'HTTP_PROXY would redirect the script\'s own HTTP calls: drop the Proxy header').toBeUndefined();
    expect(env.HTTP_AUTHORIZATION, 'credentials are not passed to scripts').toBeUndefined();
    expect(env.HTTP_PROXY_AUTHORIZATION, 'credentials are not passed to scripts').toBeUndefined();
  });

  it('drops header names with "_" so they cannot pose as names with "-"', () => {
    const env = build({ headers: [['X-User', 'alice'], ['X_User', 'mallory']] });
    expect(env.HTTP_X_USER, 'X_User must not overwrite or join X-User').toBe('alice');
  });

  it('returns only strings', () => {
    for (const [key, value] of Object.entries(build({ bodyLength: 3 }))) {
      expect(typeof value, `${key} must be a string: environment variables are strings`).toBe('string');
    }
  });
});
