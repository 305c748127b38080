import { describe, expect, it } from 'vitest';
import { runApp } from '@answers/02-contract/run-app.ts';
import { buildEnviron } from '../../../src/app/environ.ts';
import { InputStream } from '../../../src/app/input.ts';
import type { App, Body, Environ, Headers } from '../../../src/app/types.ts';

function environ(): Environ {
  return buildEnviron(
    { method: 'GET', protocol: 'HTTP/1.1', scriptName: '', pathInfo: '/', query: '', headers: [], bodyLength: null, remoteAddr: '127.0.0.1', remotePort: 1, serverName: '127.0.0.1', serverPort: 80, serverSoftware: 'test' },
    { input: InputStream.from(Buffer.alloc(0)), errors: { write() {}, flush() {} }, urlScheme: 'http', multiprocess: false, multithread: false, runOnce: false },
  );
}
function recorder(): { events: string[]; sink: { sendHead(s: string, h: Headers): void; sendBody(c: Uint8Array): void } } {
  const events: string[] = [];
  return {
    events,
    sink: {
      sendHead: (status) => void events.push(`head ${status}`),
      sendBody: (chunk) => void events.push(`body ${Buffer.from(chunk).toString()}`),
    },
  };
}
/** A body that records whether close() was called. */
function closable(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): { body: Body; closed: () => boolean } {
  let closed = false;
  return { body: Object.assign(chunks, { close: () => void (closed = true) }), closed: () => closed };
}

describe('exercise 2.3: run an application', () => {
  it('sends a sync iterable body, head first', async () => {
    const { events, sink } = recorder();
    await runApp((_e, start) => (start('200 OK', []), [Buffer.from('a'), Buffer.from('b')]), environ(), sink);
    expect(events, 'head, then each chunk in order').toEqual(['head 200 OK', 'body a', 'body b']);
  });

  it('sends an async generator body and supports async apps', async () => {
    const { events, sink } = recorder();
    const app: App = async (_e, start) => {
      start('200 OK', []);
      return (async function* () {
        yield Buffer.from('x');
        yield Buffer.from('y');
      })();
    };
    await runApp(app, environ(), sink);
    expect(events, 'async apps and async iterables work too').toEqual(['head 200 OK', 'body x', 'body y']);
  });

  it('sends the head even when the body is empty', async () => {
    const { events, sink } = recorder();
    await runApp((_e, start) => (start('204 No Content', []), []), environ(), sink);
    expect(events, 'an empty body still sends the head').toEqual(['head 204 No Content']);
  });

  it('lets the app call startResponse lazily, from inside its body', async () => {
    const { events, sink } = recorder();
    await runApp(
      (_e, start) =>
        (function* () {
          start('201 Created', []);
          yield Buffer.from('made');
        })(),
      environ(),
      sink,
    );
    expect(events, 'startResponse may be called while the body is iterated').toEqual(['head 201 Created', 'body made']);
  });

  it('calls close() after a normal response', async () => {
    const b = closable([Buffer.from('ok')]);
    await runApp((_e, start) => (start('200 OK', []), b.body), environ(), recorder().sink);
    expect(b.closed(), 'close() is called when the body is done').toBe(true);
  });

  it('calls close() when the body fails half-way, and lets the error through', async () => {
    const b = closable(
      (function* () {
        yield Buffer.from('first');
        throw new Error('disk on fire');
      })(),
    );
    await expect(runApp((_e, start) => (start('200 OK', []), b.body), environ(), recorder().sink), 'the error propagates to the server').rejects.toThrow('disk on fire');
    expect(b.closed(), 'close() is called even when iteration throws').toBe(true);
  });

  it('calls close() when sending fails (the client went away)', async () => {
    const b = closable([Buffer.from('one'), Buffer.from('two')]);
    const sink = {
      sendHead() {},
      sendBody() {
        throw new Error('EPIPE');
      },
    };
    await expect(runApp((_e, start) => (start('200 OK', []), b.body), environ(), sink)).rejects.toThrow('EPIPE');
    expect(b.closed(), 'close() is called when the sink throws').toBe(true);
  });

  it('refuses a string body with a clear error', async () => {
    const app = ((_e: Environ, start: (s: string, h: Headers) => unknown) => (start('200 OK', []), 'hello')) as unknown as App;
    await expect(runApp(app, environ(), recorder().sink), 'a string is not an iterable of byte chunks').rejects.toThrow(/string/);
  });

  it('lets an error from the app itself through', async () => {
    const app: App = () => {
      throw new Error('app crashed');
    };
    await expect(runApp(app, environ(), recorder().sink), 'the app threw before returning: the error propagates').rejects.toThrow('app crashed');
  });
});
