// The stage's application. Nothing in it knows about HTTP framing: the server parses the request,
// de-chunks the body, and frames the response (Content-Length, chunked, or nothing for HEAD).
import type { App } from '../../src/app/types.ts';

const plain: [string, string][] = [['Content-Type', 'text/plain; charset=utf-8']];

const routes: Record<string, App> = {
  /** Which client port asked: the same port twice means the connection was kept alive. */
  '/': (env, start) => {
    start('200 OK', plain);
    return [Buffer.from(`Hello from ${env.SERVER_PROTOCOL}, client port ${String(env.REMOTE_PORT)}\n`)];
  },
  /** The body as the app sees it (Content-Length or chunked makes no difference here). */
  '/echo': async (env, start) => {
    const body = await env['wsgi.input'].read();
    start('200 OK', [['Content-Type', env.CONTENT_TYPE ?? 'application/octet-stream'], ['X-Body-Bytes', String(body.length)]]);
    return [body];
  },
  /** No length given and several chunks: the server sends it chunked on HTTP/1.1. */
  '/stream': (_env, start) => {
    start('200 OK', plain);
    return (async function* () {
      for (let i = 1; i <= 3; i++) {
        yield Buffer.from(`part ${i}\n`);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
  },
  /** A response-splitting attempt: the server refuses to send it (500) and logs it. */
  '/bad-header': (env, start) => {
    start('200 OK', [['X-Name', `${env.QUERY_STRING}\r\nSet-Cookie: session=stolen`]]);
    return [Buffer.from('never sent\n')];
  },
};

export const app: App = (env, start) => {
  const route = routes[env.PATH_INFO];
  if (route) return route(env, start);
  start('404 Not Found', plain);
  return [Buffer.from(`No route ${env.PATH_INFO}. Try ${Object.keys(routes).join(', ')}\n`)];
};
