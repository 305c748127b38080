// Stage 5: the real thing. `prefork` runs as its own process: a master that binds, forks, reaps and
// respawns, and workers that accept on the shared socket. The stage shows the process tree and which
// worker answered each request.
import { execFileSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Checklist, heading, narrate, note, outsideCut, request, stageArgs, followMaster, startPrefork, ProcessGroups, type StageServer } from '../tools/stage.ts';

const args = stageArgs();
const here = dirname(fileURLToPath(import.meta.url));
const app = relative(process.cwd(), join(here, '..', '04-worker', 'app.ts'));
const workers = 3;

type Running = StageServer;

// The server runs in its own process group: whatever ends this stage, nothing it started outlives it.
const groups = new ProcessGroups();

/** Starts `prefork` and resolves once its workers have booted; its log lines are echoed, dimmed. */
function prefork(extra: string[], quietly = false): Promise<Running> {
  return startPrefork(groups, extra, { workers, echo: quietly ? undefined : (line) => note(`    ${line}`) });
}

/** Resident memory of a process in MB, from ps (Linux and macOS). */
function rssMb(pid: number): number {
  try {
    return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) / 1024;
  } catch {
    return NaN;
  }
}

function tree(server: Running): string[] {
  const live = server.workerPids().filter((p) => !Number.isNaN(rssMb(p)));
  return [
    `prefork: master [${app}]  pid ${server.pid}  ${rssMb(server.pid).toFixed(0)} MB  (holds the sockets, never accepts)`,
    ...live.map((p, i) => `${i === live.length - 1 ? '└──' : '├──'} prefork: worker [${app}]  pid ${p}  ${rssMb(p).toFixed(0)} MB`),
  ];
}

let server = await prefork([app, '-w', String(workers), '-b', `${args.host}:${args.once ? 0 : args.port}`], args.once);
if (!server.url && !args.once && args.port !== 0 && server.log.some((l) => l.includes('Connection in use'))) {
  console.log(`(port ${args.port} is in use, taking a free one instead)`);
  server = await prefork([app, '-w', String(workers), '-b', `${args.host}:0`]);
}
if (!server.url) {
  if (args.once) for (const line of server.log) console.error(`    ${line}`);
  console.error(`prefork did not start (exit code ${await server.exited}).`);
  process.exit(1);
}

if (args.once) process.exit(await scenario());

heading('Chapter 5 — Pre-fork: master and workers');
narrate([...tree(server), '']);
narrate([
  'Each request is answered by whichever worker accepted it; the app replies with that worker\'s pid:',
  `$ for i in 1 2 3 4 5 6; do curl -s ${server.url}/; echo; done`,
  '',
  'Kill a worker the hard way; the master notices, logs it, and starts a new one:',
  `$ kill -9 ${server.workerPids()[0]}`,
  '',
  'Stop the whole server gracefully, as a process manager would (or press Ctrl-C here):',
  `$ kill -TERM ${server.pid}`,
  '',
  'The same server, outside this stage, once it has stopped (the repository\'s copy of the app):',
  `$ npx prefork ${relative(process.cwd(), outsideCut(join(here, '..', '04-worker', 'app.ts')))}:app -w 4 -b ${args.host}:${new URL(server.url).port}`,
]);
followMaster(server, (code) => console.log(`\nThe master exited with code ${code}.`));

async function scenario(): Promise<number> {
  heading('Chapter 5 scenario');
  const list = new Checklist();
  for (const line of tree(server)) console.log(`  ${line}`);
  const answered = new Map<string, number>();
  for (let i = 0; i < 60 && answered.size < workers; i++) {
    const r = await request(server.url);
    answered.set(r.text, (answered.get(r.text) ?? 0) + 1);
  }
  list.check(`the ${workers} workers all answered requests on the one socket`, answered.size === workers, [...answered].map(([pid, n]) => `${pid}: ${n}`).join(', '));
  const memory = server.workerPids().map(rssMb);
  // Idle, a bundled worker takes about 50 MB and one on the TypeScript loader about 85: 70 tells them apart.
  list.check('each worker runs plain JavaScript: under 70 MB resident', memory.every((m) => m < 70), memory.map((m) => `${m.toFixed(0)} MB`).join(', '));

  const victim = server.workerPids()[0]!;
  process.kill(victim, 'SIGKILL');
  const deadline = Date.now() + 10_000;
  while (server.workerPids().length < workers + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  list.check('a worker killed with kill -9 is replaced', server.workerPids().length === workers + 1, `new pid ${server.workerPids().at(-1)}`);
  const after = await Promise.all(Array.from({ length: 10 }, () => request(server.url)));
  list.check('requests keep being answered', after.every((r) => r.status === 200));

  process.kill(server.pid, 'SIGTERM');
  list.check('TERM stops the master with exit code 0', (await server.exited) === 0);

  const broken = await prefork([join(here, 'broken-app.ts'), '-b', '127.0.0.1:0'], true);
  const code = await broken.exited;
  list.check('a broken app stops the master with exit code 3 and says why', code === 3 && broken.log.some((l) => l.includes('Worker failed to boot')), `exit code ${code}`);
  return list.finish();
}
