import { describe, expect, it } from 'vitest';
import { buildEnviron } from '@answers/02-contract/environ.ts';
import { InputStream } from '../../../src/app/input.ts';
import type { ErrorStream } from '../../../src/app/types.ts';
import type { CgiRequest } from '../../../src/cgi/request.ts';

const req: CgiRequest = {
  method: 'POST',
  protocol: 'HTTP/1.1',
  scriptName: '',
  pathInfo: '/orders/42%21',
  query: 'verbose=1',
  headers: [
    ['Host', 'shop.test'],
    ['Content-Type', 'application/json'],
  ],
  bodyLength: 2,
  remoteAddr: '10.0.0.7',
  remotePort: 40000,
  serverName: '127.0.0.1',
  serverPort: 8000,
  serverSoftware: 'prefork-workbook/test',
};
const input = InputStream.from(Buffer.from('{}'));
const errors: ErrorStream = { write: () => {}, flush: () => {} };
const ctx = { input, errors, urlScheme: 'https' as const, multiprocess: true, multithread: false, runOnce: false };

describe('exercise 2.1: the environ', () => {
  it('carries the CGI meta-variables of chapter 1', () => {
    const env = buildEnviron(req, ctx);
    expect(env.REQUEST_METHOD, 'REQUEST_METHOD from the request').toBe('POST');
    expect(env.PATH_INFO, 'PATH_INFO decoded, as in chapter 1').toBe('/orders/42!');
    expect(env.QUERY_STRING).toBe('verbose=1');
    expect(env.CONTENT_TYPE, 'CONTENT_TYPE from the header').toBe('application/json');
    expect(env.CONTENT_LENGTH, 'CONTENT_LENGTH from bodyLength').toBe('2');
    expect(env.HTTP_HOST, 'headers as HTTP_*').toBe('shop.test');
    expect(env.GATEWAY_INTERFACE, 'every CGI variable is there, GATEWAY_INTERFACE too').toBe('CGI/1.1');
    expect(env.REMOTE_ADDR).toBe('10.0.0.7');
  });

  it('adds RAW_URI, the target as sent', () => {
    expect(buildEnviron(req, ctx).RAW_URI, 'RAW_URI = path + "?" + query, still encoded').toBe('/orders/42%21?verbose=1');
    expect(buildEnviron({ ...req, query: '' }, ctx).RAW_URI, 'no query: no "?"').toBe('/orders/42%21');
  });

  it('adds the wsgi.* keys from the server context', () => {
    const env = buildEnviron(req, ctx);
    expect(env['wsgi.version'], 'wsgi.version is [1, 0]').toEqual([1, 0]);
    expect(env['wsgi.url_scheme'], 'wsgi.url_scheme comes from the context').toBe('https');
    expect(env['wsgi.input'], 'wsgi.input is the stream given in the context (the same object)').toBe(input);
    expect(env['wsgi.errors'], 'wsgi.errors is the stream given in the context').toBe(errors);
    expect(env['wsgi.multiprocess'], 'wsgi.multiprocess from the context').toBe(true);
    expect(env['wsgi.multithread'], 'wsgi.multithread from the context').toBe(false);
    expect(env['wsgi.run_once'], 'wsgi.run_once from the context').toBe(false);
    expect(env['wsgi.input_terminated'], 'the server frames the body, so wsgi.input_terminated is true').toBe(true);
  });

  it('follows the context, not fixed values', () => {
    const env = buildEnviron(req, { ...ctx, urlScheme: 'http', multiprocess: false, multithread: true, runOnce: true });
    expect([env['wsgi.url_scheme'], env['wsgi.multiprocess'], env['wsgi.multithread'], env['wsgi.run_once']]).toEqual(['http', false, true, true]);
  });
});
