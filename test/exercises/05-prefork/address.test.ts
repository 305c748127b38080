import { describe, expect, it } from 'vitest';
import { AddressError, parseAddress } from '@answers/05-prefork/address.ts';

const fails = (text: string): unknown => {
  try {
    parseAddress(text);
  } catch (err) {
    return err;
  }
  return 'no error';
};

describe('exercise 5.1: bind addresses', () => {
  it('reads host:port', () => {
    expect(parseAddress('127.0.0.1:9000'), 'host and port').toEqual({ kind: 'tcp', host: '127.0.0.1', port: 9000, family: 4 });
    expect(parseAddress('LocalHost:80'), 'hosts are lower-cased').toEqual({ kind: 'tcp', host: 'localhost', port: 80, family: 4 });
    expect(parseAddress(' tcp://0.0.0.0:1 '), 'tcp:// and spaces are ignored').toEqual({ kind: 'tcp', host: '0.0.0.0', port: 1, family: 4 });
  });

  it('defaults the port to 8000 and the host to 0.0.0.0', () => {
    expect(parseAddress('example.test'), 'a host alone: port 8000').toEqual({ kind: 'tcp', host: 'example.test', port: 8000, family: 4 });
    expect(parseAddress(':5000'), 'a port alone: all interfaces').toEqual({ kind: 'tcp', host: '0.0.0.0', port: 5000, family: 4 });
    expect(parseAddress(''), 'nothing: 0.0.0.0:8000').toEqual({ kind: 'tcp', host: '0.0.0.0', port: 8000, family: 4 });
  });

  it('reads IPv6 in brackets', () => {
    expect(parseAddress('[::1]:8080'), '[::1]:8080').toEqual({ kind: 'tcp', host: '::1', port: 8080, family: 6 });
    expect(parseAddress('[::]'), '[::] alone: port 8000').toEqual({ kind: 'tcp', host: '::', port: 8000, family: 6 });
  });

  it('reads unix sockets', () => {
    expect(parseAddress('unix:/run/app.sock'), 'unix:PATH').toEqual({ kind: 'unix', path: '/run/app.sock' });
    expect(parseAddress('unix:///run/app.sock'), 'unix://PATH').toEqual({ kind: 'unix', path: '/run/app.sock' });
  });

  it('refuses what it cannot bind', () => {
    /* >>> chapters 5-9
    for (const text of ['127.0.0.1:http', '127.0.0.1:70000', '127.0.0.1:-1', '127.0.0.1:', '::1:8000', '[::1', '[::1]8000', 'unix:', 'fd://3']) {
    <<< chapters 5-9 */
    // >>> chapter 10
    for (const text of ['127.0.0.1:http', '127.0.0.1:70000', '127.0.0.1:-1', '127.0.0.1:', '::1:8000', '[::1', '[::1]8000', 'unix:', 'fd://', 'fd://x', 'fd://2', 'fd://-3']) {
    // <<< chapter 10
      expect(fails(text), `${JSON.stringify(text)} must throw AddressError`).toBeInstanceOf(AddressError);
    }
  });
  // >>> chapter 10

  it('reads fd://N, a socket already open as file descriptor N (chapter 10)', () => {
    expect(parseAddress('fd://3'), 'fd://3').toEqual({ kind: 'fd', fd: 3 });
    expect(parseAddress(' fd://12 '), 'fd://12, spaces ignored').toEqual({ kind: 'fd', fd: 12 });
  });
  // <<< chapter 10

  it('says what is wrong with a port', () => {
    const err = fails('127.0.0.1:99999') as Error;
    expect(err.message, 'the message names the bad port').toMatch(/99999/);
  });
});
