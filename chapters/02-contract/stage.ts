// Stage 2: the same requests as chapter 1, answered by a function called in-process.
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppLoadError, loadApp } from '../../src/app/load-app.ts';
import { startAppServer } from '../../src/app/server.ts';
import { Checklist, heading, listenSomewhere, narrate, note, request, stageArgs, stopOnSignals } from '../tools/stage.ts';

const args = stageArgs();
const here = dirname(fileURLToPath(import.meta.url));
const spec = `${relative(process.cwd(), join(here, 'apps', 'demo.ts'))}:app`;
const loaded = await loadApp(spec);
const server = await listenSomewhere(
  (port) => startAppServer({ app: loaded.app, host: args.host, port, log: (line) => note(`    log: ${line}`) }),
  args.port,
);
const url = server.url;

if (args.once) process.exit(await scenario());

heading('Chapter 2 — A WSGI-style contract');
narrate([
  `Loaded ${spec} (a ${loaded.kind}-style app) into process ${process.pid}, listening on ${url}.`,
  'No process is started per request now: the server calls app(environ, startResponse) for each one.',
  '',
  'Try these in another terminal:',
  `$ curl -i ${url}/hello                     # run it twice: the same pid both times`,
  `$ curl -i '${url}/environ?x=1'             # the CGI names, plus wsgi.*`,
  `$ curl -i -d 'some body' ${url}/echo       # the body, read from wsgi.input`,
  `$ curl -N ${url}/stream                    # chunks as they come, then close() is logged here`,
  `$ curl -i ${url}/broken                    # the app threw: 500, and the stack in this log`,
  `$ curl -i '${url}/fetch/any/path?q=1'      # a fetch-style handler on the same contract`,
  '',
  'Press Ctrl-C to stop.',
]);
stopOnSignals(() => server.close());

async function scenario(): Promise<number> {
  heading(`Chapter 2 scenario against ${url}`);
  const list = new Checklist();
  list.check(`the loader found ${spec} and saw a two-parameter app`, loaded.kind === 'wsgi');
  const a = await request(`${url}/hello`);
  const b = await request(`${url}/hello`);
  list.check('/hello answers 200', a.status === 200, `status ${a.status}`);
  list.check('the same process served both requests', a.text === b.text && a.text.includes(`process ${process.pid}`));

  const env = await request(`${url}/environ?x=1`, { headers: { 'X-Demo': 'yes' } });
  for (const key of ['PATH_INFO = "/environ"', 'QUERY_STRING = "x=1"', 'HTTP_X_DEMO = "yes"', 'wsgi.input = <InputStream>', 'wsgi.url_scheme = "http"', 'wsgi.version = [1,0]']) {
    list.check(`the environ holds ${key}`, env.text.includes(`${key}\n`));
  }
  const echo = await request(`${url}/echo`, { method: 'POST', body: 'ping', headers: { 'content-type': 'text/plain' } });
  list.check('/echo read the body from wsgi.input', echo.status === 200 && echo.text === 'ping');

  const stream = await request(`${url}/stream`);
  list.check('/stream sent three chunks, chunked because it gave no length', stream.text.split('\n').filter(Boolean).length === 3 && stream.headers.get('transfer-encoding') === 'chunked');

  const broken = await request(`${url}/broken`);
  list.check('an app that throws gets a 500, and the server lives on', broken.status === 500 && (await request(`${url}/hello`)).status === 200);

  const fetched = await request(`${url}/fetch/any/path?q=1`);
  const json = fetched.status === 200 ? (JSON.parse(fetched.text) as { handler: string; path: string; query: string }) : null;
  list.check('a fetch-style handler runs on the same contract', json?.handler === 'fetch-style' && json.path === '/fetch/any/path' && json.query === '?q=1');

  const errors = await Promise.all(
    [`${spec.replace('demo.ts', 'nope.ts')}`, `${spec.replace(':app', ':nothing')}`, `${spec.replace(':app', ':routes')}`].map((s) =>
      loadApp(s).then(
        () => 'loaded',
        (err: unknown) => (err instanceof AppLoadError ? err.reason : 'unexpected error'),
      ),
    ),
  );
  list.check('bad specs fail with a reason: missing file, missing export, not an app', errors.join() === 'not-found,no-export,not-an-app', errors.join());
  await server.close();
  return list.finish();
}
