// The stage's application: a few small apps behind a router. The router is itself an app that calls
// other apps, which is all "middleware" means in this contract.
import type { App, Body, Environ, StartResponse } from '../../../src/app/types.ts';
import { fromFetch } from '../../../src/app/fetch-adapter.ts';

const text = (s: string): Buffer[] => [Buffer.from(s)];
const plain: [string, string][] = [['Content-Type', 'text/plain; charset=utf-8']];

/** GET /hello: the whole contract in three lines. */
const hello: App = (_environ, startResponse) => {
  startResponse('200 OK', plain);
  return text(`Hello from process ${process.pid}: the same process answers every request.\n`);
};

/** GET /environ: what the server passed in. */
const environ: App = (env, startResponse) => {
  startResponse('200 OK', plain);
  const lines = Object.keys(env)
    .sort()
    .map((k) => `${k} = ${describe(env[k])}`);
  return text(`${lines.join('\n')}\n`);
};

function describe(value: unknown): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return `<${value.constructor.name}>`;
  return JSON.stringify(value);
}

/** POST /echo: reads wsgi.input to the end and sends it back. */
const echo: App = async (env, startResponse) => {
  const body = await env['wsgi.input'].read();
  startResponse('200 OK', [['Content-Type', env.CONTENT_TYPE ?? 'application/octet-stream']]);
  return [body];
};

/** GET /stream: an async generator; the server sends each chunk as it comes and calls close() at the end. */
const stream: App = (_env, startResponse) => {
  startResponse('200 OK', plain);
  async function* count(): AsyncGenerator<Buffer> {
    for (let i = 1; i <= 3; i++) {
      yield Buffer.from(`chunk ${i} at ${new Date().toISOString()}\n`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  const body: Body = Object.assign(count(), {
    close: () => console.log('    /stream: close() was called, as it always is'),
  });
  return body;
};

/** GET /broken: throws before starting the response, so the server can still answer 500. */
const broken: App = () => {
  throw new Error('the database is down (a demo error)');
};

/** /fetch/...: a web-standard handler, adapted to the same contract. */
const fetchStyle = fromFetch(async (request) => {
  const url = new URL(request.url);
  return Response.json({ handler: 'fetch-style', method: request.method, path: url.pathname, query: url.search });
});

export const routes: Record<string, App> = { '/hello': hello, '/environ': environ, '/echo': echo, '/stream': stream, '/broken': broken };

/** The router: picks an app by the first path segment, and moves that segment to SCRIPT_NAME. */
export function app(env: Environ, startResponse: StartResponse): Body | Promise<Body> {
  const path = env.PATH_INFO;
  if (path === '/fetch' || path.startsWith('/fetch/')) {
    return fetchStyle({ ...env, SCRIPT_NAME: `${env.SCRIPT_NAME}/fetch`, PATH_INFO: path.slice(6) }, startResponse);
  }
  const route = routes[path];
  if (route) return route(env, startResponse);
  startResponse('404 Not Found', plain);
  return text(`No app at ${path}. Try ${Object.keys(routes).join(', ')} or /fetch/anything\n`);
}
