// Stage 1: a CGI server. Every request starts a new process; the stage prints each one's pid.
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCgiServer } from '../../src/cgi/server.ts';
import { Checklist, heading, listenSomewhere, narrate, note, outsideCut, request, stageArgs, stopOnSignals } from '../tools/stage.ts';

const args = stageArgs();
// The repository's cgi-bin, not the cut's copy: a script the learner drops in must stay there.
const scriptsDir = outsideCut(join(dirname(fileURLToPath(import.meta.url)), 'cgi-bin'));
const runs: { script: string; pid: number | undefined }[] = [];

const server = await listenSomewhere(
  (port) =>
    startCgiServer({
      scriptsDir,
      host: args.host,
      port,
      // Short, so slow.sh shows the 504 soon, yet 3x more than form.ts needs on a busy machine: a
      // TypeScript script boots Node and its loader on every request (0.5 s idle, 2 s under load).
      timeoutMs: 6000,
      log: (line) => note(`    log: ${line}`),
      onRun: (run) => {
        runs.push(run);
        console.log(`  → ${run.script}  ran as process ${run.pid}  ${run.outcome}  ${run.ms.toFixed(1)} ms`);
      },
    }),
  args.port,
);
const url = server.url;

if (args.once) process.exit(await scenario());

heading('Chapter 1 — CGI: a process per request');
narrate([
  `A CGI server is listening on ${url} (server process ${process.pid}).`,
  `Scripts live in ${relative(process.cwd(), scriptsDir) || '.'}; each request runs one in a brand-new process`,
  'whose environment is the request (meta-variables), whose stdin is the body, and whose stdout is the response.',
  'Drop a script of your own in there (.sh, .py, .ts, .js, or any executable file): it is live at once, and stays.',
  '',
  'Try these in another terminal, and watch this one: every request prints a new process id.',
  `$ curl -i ${url}/cgi-bin/hello.sh`,
  `$ curl -i '${url}/cgi-bin/env.py/extra/path?name=ada'`,
  `$ curl -i -d 'name=ada&lang=ts' ${url}/cgi-bin/form.ts`,
  `$ curl -i ${url}/cgi-bin/redirect.sh        # a local redirect: you get hello.sh's page`,
  `$ curl -i ${url}/cgi-bin/broken.sh          # 502, and the script's stderr in this log`,
  `$ curl -i ${url}/cgi-bin/slow.sh            # 504 after 6 s, the script is killed`,
  `$ curl -i -H 'Proxy: http://evil.example' ${url}/cgi-bin/env.py   # no HTTP_PROXY (httpoxy)`,
  '',
  'Compare the times: sh starts in a few ms, Python in tens, TypeScript through tsx in hundreds.',
  'Press Ctrl-C to stop.',
]);
stopOnSignals(() => server.close());

async function scenario(): Promise<number> {
  heading(`Chapter 1 scenario against ${url}`);
  const list = new Checklist();
  const a = await request(`${url}/cgi-bin/hello.sh`);
  const b = await request(`${url}/cgi-bin/hello.sh`);
  const pidOf = (text: string): string | undefined => /process (\d+)/.exec(text)?.[1];
  list.check('hello.sh answers 200 with its text', a.status === 200 && a.text.startsWith('Hello from a shell script'));
  list.check('each request ran in a new process', pidOf(a.text) !== undefined && pidOf(a.text) !== pidOf(b.text), `pids ${pidOf(a.text)} and ${pidOf(b.text)}`);

  const env = await request(`${url}/cgi-bin/env.py/extra/path?name=ada`, { headers: { 'X-Demo': 'yes', Proxy: 'http://evil.example' } });
  list.check('env.py (Python) answers 200', env.status === 200, `status ${env.status}`);
  for (const line of ['SCRIPT_NAME=/cgi-bin/env.py', 'PATH_INFO=/extra/path', 'QUERY_STRING=name=ada', 'REQUEST_METHOD=GET', 'GATEWAY_INTERFACE=CGI/1.1', 'HTTP_X_DEMO=yes']) {
    list.check(`the script saw ${line}`, env.text.includes(`  ${line}\n`));
  }
  list.check('a Proxy header did not become HTTP_PROXY', !env.text.includes('HTTP_PROXY'));

  const form = await request(`${url}/cgi-bin/form.ts`, {
    method: 'POST',
    body: 'name=ada&lang=ts',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const json = form.status === 201 ? (JSON.parse(form.text) as { fields: Record<string, string>; contentLength: string }) : null;
  list.check('form.ts (TypeScript) read the body from stdin and set Status: 201', json?.fields.lang === 'ts' && json.contentLength === '16', `status ${form.status}`);

  const redirect = await request(`${url}/cgi-bin/redirect.sh`);
  list.check('a local redirect is served in place, with no 302', redirect.status === 200 && redirect.text.startsWith('Hello from a shell script'));

  const broken = await request(`${url}/cgi-bin/broken.sh`);
  list.check('a script that prints garbage gets 502', broken.status === 502, `status ${broken.status}`);

  const slow = await request(`${url}/cgi-bin/slow.sh`);
  list.check('a script that runs too long gets 504 after the timeout', slow.status === 504, `status ${slow.status} after ${slow.ms.toFixed(0)} ms`);

  const missing = await request(`${url}/cgi-bin/nope.sh`);
  const escape = await request(`${url}/cgi-bin/..%2f..%2fpackage.json`);
  list.check('unknown scripts and escapes from cgi-bin get 404', missing.status === 404 && escape.status === 404);

  list.check('the stage saw one process per script run', new Set(runs.map((r) => r.pid)).size === runs.length, `${runs.length} runs`);
  await server.close();
  return list.finish();
}
