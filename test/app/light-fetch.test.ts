// @chapter 5
// The cheap Request and Response of fetch-style apps in workers behave like the real ones.
import { afterAll, describe, expect, it } from 'vitest';
import { installLightResponse, lazyRequest, lightParts } from '../../src/app/light-fetch.ts';

const Native = globalThis.Response;
installLightResponse();
afterAll(() => {
  globalThis.Response = Native;
});

describe('LightResponse', () => {
  it('counts as a Response, and real Responses still do', () => {
    expect(new Response('x')).toBeInstanceOf(Response);
    expect(new Native('x')).toBeInstanceOf(Response);
    expect(Response.json({ a: 1 })).toBeInstanceOf(Response);
    expect(new Response('x')).toBeInstanceOf(Native);
  });

  it('gives its parts without building a real Response', () => {
    const parts = lightParts(new Response('hi', { status: 201, statusText: 'Made', headers: [['set-cookie', 'a=1'], ['set-cookie', 'b=2']] }));
    expect(parts).toEqual({
      status: 201,
      statusText: 'Made',
      headers: [['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['content-type', 'text/plain;charset=UTF-8']],
      body: Buffer.from('hi'),
    });
    expect(lightParts(new Response(new Uint8Array([1, 2]), { headers: { 'Content-Type': 'x/y' } }))).toMatchObject({ status: 200, headers: [['Content-Type', 'x/y']], body: Buffer.from([1, 2]) });
    expect(lightParts(new Response(null, { status: 204 }))?.body.length).toBe(0);
  });

  it('becomes a real Response when asked for more, and then gives no parts', async () => {
    const r = new Response('{"a":1}', { status: 202, headers: { 'x-a': 'b' } });
    expect(r.status).toBe(202);
    expect(r.headers.get('x-a')).toBe('b');
    expect(await r.clone().json()).toEqual({ a: 1 });
    expect(await r.text()).toBe('{"a":1}');
    expect(lightParts(r)).toBeNull();
  });

  it('leaves streams and real Responses to the slow path', () => {
    expect(lightParts(new Response(new ReadableStream()))).toBeNull();
    expect(lightParts(new Native('x'))).toBeNull();
    expect(lightParts('not a response')).toBeNull();
  });
});

describe('lazyRequest', () => {
  it('answers method, url and headers without building a Request, and builds one for the rest', async () => {
    let built = 0;
    let urls = 0;
    const req = lazyRequest(
      'POST',
      () => (urls++, 'http://x.test/p?q=1'),
      () => new Headers({ 'x-a': 'b' }),
      (headers) => (built++, new Request('http://x.test/p?q=1', { method: 'POST', headers, body: 'payload' })),
    );
    expect(req).toBeInstanceOf(Request);
    expect([req.method, req.url, req.url, req.headers.get('x-a')]).toEqual(['POST', 'http://x.test/p?q=1', 'http://x.test/p?q=1', 'b']);
    expect([built, urls]).toEqual([0, 1]);
    req.headers.set('x-added', 'yes'); // a change the handler makes...
    expect(await req.text()).toBe('payload');
    expect(built).toBe(1);
    expect(req.headers.get('x-added')).toBe('yes'); // ...is still there on the real Request
  });
});
