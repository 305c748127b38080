// Stage 10: production. One app, two servers: a "dev server" (node:http in one process, devserver.ts) and
// prefork with two workers. The stage puts both through a crash, a slow request, a deploy and a burst of
// load, and prints what it measured. Then what production adds around prefork: which proxy headers it
// trusts, a socket handed over by systemd, --reload surviving a broken import, and nginx in front.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
// The nginx tests' helper: it runs the shipped config, with only the addresses changed, in a temp dir.
import { nginxAvailable, startNginx, type Nginx } from '../../test/production/nginx.ts';
import { afterExit, Checklist, heading, narrate, note, outsideCut, stageArgs, stopOnSignals, until, whenReady, ProcessGroups } from '../tools/stage.ts';

const args = stageArgs();
const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', '..', 'src', 'prefork.mjs');
const devserver = join(here, 'devserver.ts');
// Both servers serve one copy of the app, in a temp dir: the deploy step edits it. The master writes a
// worker bundle per version of the app into the nearest node_modules: this one, so they go with the dir.
const tmp = mkdtempSync(join(tmpdir(), 'prefork-ch10-'));
mkdirSync(join(tmp, 'node_modules'));
const appFile = join(tmp, 'app.ts');
const configFile = join(tmp, 'prefork.config.ts');
copyFileSync(join(here, 'app.ts'), appFile);
copyFileSync(join(here, 'prefork.config.ts'), configFile);
const appSource = readFileSync(appFile, 'utf8');
// With nginx installed, ours also listens on a unix socket, for nginx in front of it (the last step).
// nginx's workers run as another user when nginx starts as root: every directory up to the socket must let them in.
const nginxDir = join(tmp, 'nginx');
const nginxSocket = join(nginxDir, 'prefork.sock');
const withNginx = nginxAvailable();
if (withNginx) {
  mkdirSync(nginxDir, { mode: 0o755 });
  chmodSync(tmp, 0o755);
}
const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string): string => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const msText = (ms: number): string => `${Math.round(ms)} ms`;
/** A file of the repository, as the learner types it: relative, and outside the cut the stage runs from. */
const repoPath = (path: string): string => relative(process.cwd(), outsideCut(path)) || '.';

const groups = new ProcessGroups();
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const running = new Set<Proc>();
// Ctrl-C (or TERM) at any point: stop every server the stage started, then exit (ProcessGroups kills
// whatever is left when this process exits).
stopOnSignals(async () => {
  await Promise.all([frontNginx?.stop(), ...[...running].map((p) => stop(p))]);
});
/** nginx, while the stage runs one. */
let frontNginx: Nginx | null = null;

// ---- servers and their logs --------------------------------------------------------------------------

interface Proc {
  /** "dev" or "ours": the tag in front of its log lines. */
  name: string;
  child: ChildProcess;
  pid: number;
  /** Where it listens ('' if it exited before it was ready). */
  url: string;
  log: string[];
  exited: Promise<number>;
  /** Keep its log lines but do not echo them (during the load test: one line per /cpu). */
  quiet: boolean;
}

const INTERESTING = /Listening at|exited with code|Booting worker|Handling signal|Hang up|Error|Cannot find|reload|Reload|Shutting down|\[app\]/;

/**
 * Starts `node ARGV` in a process group of its own and reads its log; resolves once it listens and
 * `workers` workers booted (0 for the dev server), or it exited. On pipes, not this terminal: the
 * stage reads every line, and a master on a terminal would take a window resize (WINCH) for itself.
 */
async function launch(name: string, argv: string[], workers: number): Promise<Proc> {
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  groups.add(child);
  const log: string[] = [];
  const exited = afterExit(child).then(({ code, signal }) => code ?? (signal ? 128 : 1));
  const read = (stream: Readable): void => {
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        log.push(line);
        if (proc.quiet) continue;
        if (/^\s+at |^\s*$|^Node\.js v/.test(line)) continue; // a crash's stack: its first lines say enough
        const short = line.replace(/^\[\d{4}-[^\]]+\] /, ''); // the date: the stage's own lines give the order
        if (INTERESTING.test(line)) console.log(`    ${name}: ${bold(short)}`);
        else note(`    ${name}: ${short}`);
      }
    });
  };
  const proc: Proc = { name, child, pid: child.pid!, url: '', log, exited, quiet: false };
  read(child.stdout!);
  read(child.stderr!);
  running.add(proc);
  void exited.then(() => running.delete(proc));
  proc.url = (await whenReady(log, workers, exited)) ?? '';
  return proc;
}

/** For a TypeScript entry (the dev server, the launcher): tsx, or with --mine this process's module hooks (tsx among them). */
const loader = (): string[] => (process.env.PREFORK_MINE ? process.execArgv : ['--import', 'tsx']);
/** For prefork (src/prefork.mjs loads tsx itself): with --mine, this process's hooks, which the master passes on to its workers. */
const mineHooks = (): string[] => (process.env.PREFORK_MINE ? process.execArgv : []);

/** The dev server on host:port, serving the app copy. */
const startDev = (port: number): Promise<Proc> => launch('dev', [...loader(), devserver, `${appFile}:app`, '-b', `${args.host}:${port}`], 0);

/** prefork with the chapter's config (2 sync workers, or `workers`) on the app copy; resolves once they all serve. */
async function startOurs(port: number, opts: { extra?: string[]; app?: string; name?: string; workers?: number } = {}): Promise<Proc> {
  const { extra = [], app = appFile, name = 'ours', workers = 2 } = opts;
  const p = await launch(name, [...mineHooks(), cli, '-c', configFile, `${app}:app`, '-b', `${args.host}:${port}`, '-w', String(workers), ...extra], workers);
  if (p.url && !(await until(() => serving(p).length === workers, 30_000))) p.url = '';
  return p;
}

/** TERM to the server's whole group, KILL after 10 s; resolves once it is gone. */
async function stop(p: Proc): Promise<void> {
  await groups.stop(p.child, 10_000);
  running.delete(p);
}

/** Started on `port`; in the walkthrough, on a free port if that one is taken. */
async function startOn(port: number, start: (port: number) => Promise<Proc>): Promise<Proc> {
  const p = await start(port);
  if (p.url || args.once || port === 0 || !p.log.some((l) => /in use|EADDRINUSE/.test(l))) return p;
  console.log(`(port ${port} is in use, taking a free one instead)`);
  return start(0);
}

function failedToStart(p: Proc): never {
  for (const line of p.log) console.error(`    ${line}`);
  console.error(`${p.name === 'dev' ? 'the dev server' : 'prefork'} did not start.`);
  process.exit(1);
}

const READY = /\[hook\] post_worker_init: worker (\d+) of master (\d+) ready/;
const GONE = /Worker exiting \(pid: (\d+)\)|Worker \(pid:(\d+)\) (?:was sent|exited with)/;

/** The workers that serve now: ready (post_worker_init ran) and not gone since. */
function serving(p: Proc): number[] {
  const live = new Set<number>();
  for (const line of p.log) {
    const ready = READY.exec(line);
    if (ready) live.add(Number(ready[1]));
    const gone = GONE.exec(line);
    if (gone) live.delete(Number(gone[1] ?? gone[2]));
  }
  return [...live];
}

/** The first match of `re` in the log from line `from` on. */
const found = (p: Proc, re: RegExp, from = 0): RegExpExecArray | null => {
  for (let i = from; i < p.log.length; i++) {
    const m = re.exec(p.log[i]!);
    if (m) return m;
  }
  return null;
};

/** Resident memory of each of these processes, in MB, in their order (`ps`, so on Linux and macOS alike; NaN: gone). */
function rssMb(pids: number[]): number[] {
  const out = spawnSync('ps', ['-o', 'pid=,rss=', '-p', pids.join(',')], { encoding: 'utf8' }).stdout;
  const kb = new Map(out.split('\n').map((l) => l.trim().split(/\s+/).map(Number) as [number, number]));
  return pids.map((pid) => (kb.get(pid) ?? NaN) / 1024);
}

// ---- requests ------------------------------------------------------------------------------------------

interface Hit {
  status: number;
  text: string;
  /** What went wrong instead of an answer: ECONNREFUSED, ECONNRESET, ... ('' for an answer). */
  error: string;
  ms: number;
  /** When the answer (or the error) came: Date.now(). */
  done: number;
}

/**
 * One GET on a new connection (node:http, not fetch: it can choose the local address, and it tells a
 * refused connection from a reset one). Never rejects.
 */
function hit(url: string, opts: { headers?: Record<string, string>; localAddress?: string } = {}): Promise<Hit> {
  const started = performance.now();
  return new Promise((resolve) => {
    const finish = (status: number, text: string, error: string): void => resolve({ status, text, error, ms: performance.now() - started, done: Date.now() });
    const req = httpGet(url, { agent: false, headers: opts.headers, localAddress: opts.localAddress, timeout: 15_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => finish(res.statusCode ?? 0, text, ''));
      res.on('error', (err: NodeJS.ErrnoException) => finish(0, text, err.code ?? err.message));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer within 15 s'), { code: 'TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => finish(0, '', err.code ?? err.message));
  });
}

/** `200 "hello from v1, pid 4312"`, or `failed: ECONNREFUSED`. */
const said = (h: Hit): string => (h.error ? `failed: ${h.error}` : `${h.status} "${h.text.trim()}"`);
/** The pid and the version in a hello answer. */
const hello = (h: Hit): { version: string; pid: number } | null => {
  const m = /^hello from (v\d+), pid (\d+)/.exec(h.text);
  return h.status === 200 && m ? { version: m[1]!, pid: Number(m[2]) } : null;
};

interface WhoAmI {
  pid?: number;
  scheme?: string;
  remoteAddr?: string;
  forwardedFor?: string;
}

/** The fields of a /whoami answer; none for anything else. */
function whoami(h: Hit): WhoAmI {
  try {
    return h.status === 200 ? (JSON.parse(h.text) as WhoAmI) : {};
  } catch {
    return {};
  }
}

interface Answer extends Hit {
  sent: number;
}

/** A small constant load: a few loops, one request after another, 20 ms apart; keeps every answer. */
class Load {
  readonly answers: Answer[] = [];
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(url: string, loops = 3) {
    this.loops = Array.from({ length: loops }, async () => {
      while (this.running) {
        const sent = Date.now();
        this.answers.push({ ...(await hit(url)), sent });
        await new Promise((r) => setTimeout(r, 20));
      }
    });
  }

  async stop(): Promise<Answer[]> {
    this.running = false;
    await Promise.all(this.loops);
    return this.answers;
  }

  sentSince(t: number): Answer[] {
    return this.answers.filter((a) => a.sent >= t);
  }
}

const failed = (answers: Hit[]): Hit[] => answers.filter((a) => !hello(a));

/** As many requests as `clients` loops can send in `seconds`, each on a new connection; `pick` names the path of the i-th. */
async function throughput(url: string, seconds: number, pick: (i: number) => string, clients = 8): Promise<{ rps: number; ok: number; failed: number }> {
  const end = Date.now() + seconds * 1000;
  let i = 0;
  let ok = 0;
  let bad = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < end) {
        const h = await hit(`${url}${pick(i++)}`);
        if (hello(h)) ok++;
        else bad++;
      }
    }),
  );
  return { rps: ok / ((performance.now() - started) / 1000), ok, failed: bad };
}

// ---- the scenario ----------------------------------------------------------------------------------

/** The app's copy, at one version. */
function writeApp(version: string): void {
  writeFileSync(appFile, appSource.replace(/const VERSION = '[^']*';/, `const VERSION = '${version}';`));
}

let stepNumber = 0;
const stageStarted = Date.now();
/** A step's title; in the walkthrough, also why it matters. */
function step(title: string, why: string[]): void {
  stepNumber += 1;
  // The time since the start, in a scripted run: where a slow machine spends it.
  if (args.once) console.log(`\n${stepNumber}. ${title}  ${dim(`(at ${secs(Date.now() - stageStarted)})`)}`);
  else {
    heading(`${stepNumber}. ${title}`);
    narrate(why);
  }
}

/** A result line, in both modes. */
const result = (line: string): void => console.log(`  ${bold(line)}`);

function table(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((s, i) => (i === 0 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join('   ');
  console.log(`  ${bold(line(head))}`);
  for (const r of rows) console.log(`  ${line(r)}`);
}

type Check = (what: string, ok: boolean, detail?: string) => void;

interface Servers {
  dev: Proc;
  ours: Proc;
  /** nginx in front of ours, in the walkthrough when nginx is installed. */
  nginx?: Nginx | null;
}

/** A request that takes a while (/slow or /cpu, 2 s) in flight; then how long a GET / takes meanwhile. */
async function meanwhile(p: Proc, path: '/slow' | '/cpu'): Promise<{ probe: Hit; long: Hit }> {
  const mark = p.log.length;
  const long = hit(`${p.url}${path}?ms=2000`);
  // The app logs when it starts on it: from then on the server is busy with it.
  await until(() => found(p, new RegExp(`^\\[app\\] ${path}:`), mark) !== null, 10_000);
  const probe = await hit(`${p.url}/`);
  return { probe, long: await long };
}

/** Section (a): the same app on the dev server and on prefork, under a crash, a slow request, a deploy and load. */
async function devVsOurs(check: Check): Promise<Servers> {
  step('One app, two servers', [
    `The app (${repoPath(join(here, 'app.ts'))}) is copied to ${appFile}; both servers serve that copy:`,
    `$ node --import tsx ${repoPath(devserver)} ${appFile}:app -b ${args.host}:${args.port === 0 ? 0 : args.port + 1}`,
    '  the dev server: node:http in one process, as `flask run`, `next dev` or http.createServer(app) would;',
    `$ npx prefork -c ${configFile} ${appFile}:app -b ${args.host}:${args.port}${withNginx ? ` -b unix:${nginxSocket}` : ''}`,
    `  ours: a master and 2 sync workers${withNginx ? ' (the unix socket is for nginx, at the end)' : ''}.`,
  ]);
  // Side by side: two processes that share nothing, started at once.
  const both = await Promise.all([
    startOn(args.port === 0 ? 0 : args.port + 1, startDev),
    startOn(args.port, (port) => startOurs(port, { extra: withNginx ? ['-b', `unix:${nginxSocket}`] : [] })),
  ]);
  let dev = both[0];
  const ours = both[1];
  if (!dev.url) failedToStart(dev);
  if (!ours.url) failedToStart(ours);
  result(`dev server: pid ${dev.pid} at ${dev.url}`);
  result(`ours: master ${ours.pid}, workers ${serving(ours).join(' and ')}, at ${ours.url}`);

  // A crash -----------------------------------------------------------------------------------------
  step('A crash: GET /crash, then GET /', [
    'GET /crash runs a bug: a timer callback reads a field of undefined. The exception is uncaught, and',
    'Node\'s default for an uncaught exception is to print it and exit: the whole process goes.',
  ]);
  const devCrash = await hit(`${dev.url}/crash`);
  const devCode = await Promise.race([dev.exited, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
  const devAfter = await hit(`${dev.url}/`);
  result(`dev server: GET /crash ${said(devCrash)}; the process exited (code ${devCode ?? 'none: still running'}); GET / ${said(devAfter)}`);
  check('dev server: one bad request took the whole server down, and the next GET / was refused', devCode !== null && devAfter.error === 'ECONNREFUSED', said(devAfter));

  let mark = ours.log.length;
  const before = serving(ours);
  const oursCrash = await hit(`${ours.url}/crash`);
  const oursAfter = await hit(`${ours.url}/`);
  await until(() => found(ours, /Worker \(pid:(\d+)\) exited with code/, mark) !== null, 10_000);
  const crashed = Number(found(ours, /Worker \(pid:(\d+)\) exited with code/, mark)?.[1] ?? 0);
  const replaced = await until(() => serving(ours).length === 2 && !serving(ours).includes(crashed), 20_000);
  const replacement = serving(ours).filter((pid) => !before.includes(pid));
  result(`ours: GET /crash ${said(oursCrash)}; GET / ${said(oursAfter)}; worker ${crashed || '?'} exited, ${replacement.join(', ') || 'no worker'} booted in its place`);
  check('ours: GET / right after the crash was answered (200) by the other worker', hello(oursAfter) !== null && hello(oursAfter)!.pid !== crashed, said(oursAfter));
  check('ours: the master logged the crash ("exited with code 1") and booted a replacement', crashed > 0 && replaced && replacement.length === 1, `worker ${crashed} -> ${replacement.join(', ')}`);
  if (!args.once) {
    narrate([
      '',
      'The dev server waits for someone to restart it (or for a process manager, systemd\'s Restart=, to do',
      'it after a gap). Ours lost one worker, and one request: the one that hit the bug.',
    ]);
  }
  dev = await startDev(Number(new URL(dev.url).port));
  if (!dev.url) failedToStart(dev);
  note(`  (the dev server restarted by hand, pid ${dev.pid})`);

  // A slow request -----------------------------------------------------------------------------------
  step('A slow request in flight: how long does GET / take meanwhile?', [
    '/slow?ms=2000 waits on a timer (as on a database): the event loop is free meanwhile. /cpu?ms=2000',
    'keeps the CPU busy (a big JSON, a regex, a report): the event loop is blocked, and one process is',
    'one event loop. With two workers, the other one answers.',
  ]);
  // Both servers at once: they are separate processes, and each is asked the same thing.
  const [devSlow, oursSlow] = await Promise.all([meanwhile(dev, '/slow'), meanwhile(ours, '/slow')]);
  const [devCpu, oursCpu] = await Promise.all([meanwhile(dev, '/cpu'), meanwhile(ours, '/cpu')]);
  table(
    ['GET / while another request...', 'dev server', 'ours'],
    [
      ['/slow?ms=2000 waits (I/O)', msText(devSlow.probe.ms), msText(oursSlow.probe.ms)],
      ['/cpu?ms=2000 computes (CPU)', msText(devCpu.probe.ms), msText(oursCpu.probe.ms)],
    ],
  );
  // Order, not speed: an answer that came before the long request ended did not wait for it.
  const first = (m: { probe: Hit; long: Hit }): boolean => hello(m.probe) !== null && m.probe.done < m.long.done;
  check('dev server: GET / answered while /slow waited (the event loop is free during I/O)', first(devSlow), `${msText(devSlow.probe.ms)}`);
  check('dev server: GET / waited until /cpu was over (the event loop was blocked)', hello(devCpu.probe) !== null && hello(devCpu.long) !== null && devCpu.probe.done >= devCpu.long.done, `${msText(devCpu.probe.ms)}`);
  check('ours: GET / answered while /slow and while /cpu ran (the other worker)', first(oursSlow) && first(oursCpu), `${msText(oursSlow.probe.ms)}, ${msText(oursCpu.probe.ms)}`);

  // A deploy ------------------------------------------------------------------------------------------
  step('A deploy: v2 of the app, under a small constant load', [
    'Three loops send requests one after another. The dev server has to be stopped and started again to',
    'load the new code; ours is sent HUP: new workers boot on v2, then the old ones finish and go.',
  ]);
  writeApp('v2');
  let load = new Load(ours.url);
  await until(() => load.answers.length >= 10, 10_000);
  const old = serving(ours);
  mark = ours.log.length;
  const hupAt = Date.now();
  process.kill(ours.pid, 'SIGHUP');
  const reloaded = await until(() => serving(ours).length === 2 && serving(ours).every((pid) => !old.includes(pid)) && load.sentSince(hupAt).slice(-10).filter((a) => hello(a)?.version === 'v2').length === 10, 30_000);
  const oursDeploy = await load.stop();
  const oursFailed = failed(oursDeploy);
  result(`ours: HUP; workers ${old.join(', ')} -> ${serving(ours).join(', ')}; ${oursDeploy.length} requests, ${oursFailed.length} failed${oursFailed.length ? ` (${said(oursFailed[0]!)})` : ''}`);
  check('ours: HUP replaced both workers with v2 ones', reloaded, serving(ours).join(', '));
  check('ours: 0 failed requests during the deploy', oursFailed.length === 0 && oursDeploy.length > 0, `${oursFailed.length} of ${oursDeploy.length}`);

  load = new Load(dev.url);
  await until(() => load.answers.length >= 10, 10_000);
  const port = Number(new URL(dev.url).port);
  const stopAt = Date.now();
  await stop(dev);
  dev = await startDev(port);
  if (!dev.url) failedToStart(dev);
  const upAt = Date.now();
  await until(() => load.sentSince(upAt).filter((a) => hello(a)?.version === 'v2').length >= 10, 10_000);
  const devDeploy = await load.stop();
  const devFailed = failed(devDeploy);
  const refused = devFailed.filter((a) => a.error === 'ECONNREFUSED').length;
  const reset = devFailed.filter((a) => a.error === 'ECONNRESET').length;
  const gap = devFailed.length ? Math.max(...devFailed.map((a) => a.done)) - Math.min(...devFailed.map((a) => a.done)) : 0;
  result(`dev server: stopped and started again (${secs(upAt - stopAt)}); ${devDeploy.length} requests, ${devFailed.length} failed over ${secs(gap)}: ${refused} refused, ${reset} cut off (in flight at the stop)`);
  check(
    'dev server: requests failed while it restarted (refused, or cut off in flight)',
    devFailed.length > 0 && refused + reset === devFailed.length,
    `${devFailed.length} of ${devDeploy.length}${refused + reset < devFailed.length ? `; also: ${said(devFailed.find((a) => a.error !== 'ECONNREFUSED' && a.error !== 'ECONNRESET')!)}` : ''}`,
  );
  check('dev server: then it served v2', hello(await hit(`${dev.url}/`))?.version === 'v2');

  // Load ----------------------------------------------------------------------------------------------
  step('Load: requests/s, a few seconds each', [
    '8 clients at once, a new connection per request, from this process (so on the same 2 cores: the',
    'numbers say what this machine did this time, nothing more). "mix": 1 request in 10 is /cpu?ms=10.',
  ]);
  const seconds = 1.5;
  const rows: string[][] = [];
  for (const [name, p, pids] of [
    ['dev server (1 process)', dev, () => [dev.pid]],
    ['ours (master + 2 workers)', ours, () => [ours.pid, ...serving(ours)]],
  ] as const) {
    p.quiet = true;
    const plain = await throughput(p.url, seconds, () => '/');
    const mix = await throughput(p.url, seconds, (i) => (i % 10 === 0 ? '/cpu?ms=10' : '/'));
    p.quiet = false;
    const mb = rssMb(pids());
    const sum = mb.reduce((a, b) => a + b, 0);
    rows.push([name, plain.rps.toFixed(0), mix.rps.toFixed(0), String(plain.failed + mix.failed), mb.length > 1 ? `${sum.toFixed(0)} (${mb.map((x) => x.toFixed(0)).join(' + ')})` : sum.toFixed(0)]);
    check(`${name.replace(/ \(.*/, '')}: no request failed under load`, plain.failed + mix.failed === 0 && plain.ok > 0 && mix.ok > 0, `${plain.ok + mix.ok} answered`);
  }
  table(['server', '/ req/s', 'mix req/s', 'failed', 'RSS MB (master + workers)'], rows);
  if (!args.once) {
    narrate([
      '',
      'Memory is the price of the pool: every worker is a whole Node.js process with its own heap, and the',
      'master carries the TypeScript loader (it reads the config file and the app\'s sources).',
    ]);
  }
  return { dev, ours };
}

/** Section (b): X-Forwarded-Proto believed from a trusted peer only (forwarded_allow_ips). */
async function proxyTrust(check: Check, ours: Proc): Promise<void> {
  step('Proxy headers: whom to believe', [
    'Behind nginx, the client talks HTTPS to nginx and nginx plain HTTP to us: only X-Forwarded-Proto',
    'says the request was https. Any client can send that header, so prefork believes it only from a',
    'peer in forwarded_allow_ips (default: 127.0.0.1 and ::1; a unix socket peer always). REMOTE_ADDR is',
    'always the peer itself; X-Forwarded-For is passed on for the app to read.',
    `$ curl -s ${ours.url}/whoami -H 'X-Forwarded-Proto: https' -H 'X-Forwarded-For: 203.0.113.7'`,
    `$ curl -s --interface 127.0.0.2 ${ours.url}/whoami -H 'X-Forwarded-Proto: https'    # Linux`,
  ]);
  const spoof = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.7' };
  const who = whoami;
  const shown = (h: Hit): string => (h.error ? `failed: ${h.error}` : h.status === 200 ? `scheme ${who(h).scheme}, REMOTE_ADDR ${who(h).remoteAddr}, X-Forwarded-For ${who(h).forwardedFor}` : `${h.status} ${h.text.trim()}`);
  const trusted = await hit(`${ours.url}/whoami`, { headers: spoof });
  result(`from 127.0.0.1 (trusted): ${shown(trusted)}`);
  check('from a trusted peer (127.0.0.1), X-Forwarded-Proto: https makes the scheme https', who(trusted).scheme === 'https' && who(trusted).remoteAddr === '127.0.0.1', shown(trusted));
  // Linux routes all of 127.0.0.0/8 to loopback; macOS has only 127.0.0.1 unless an alias is added.
  const untrusted = await hit(`${ours.url}/whoami`, { headers: spoof, localAddress: '127.0.0.2' });
  if (untrusted.error === 'EADDRNOTAVAIL') {
    note('  (127.0.0.2 is not configured here, as on macOS: the untrusted peer is skipped. `sudo ifconfig lo0 alias 127.0.0.2 up` adds it.)');
  } else {
    result(`from 127.0.0.2 (not in forwarded_allow_ips): ${shown(untrusted)}`);
    check('from an untrusted peer (127.0.0.2), the same header is ignored: scheme http', who(untrusted).scheme === 'http' && who(untrusted).remoteAddr === '127.0.0.2', shown(untrusted));
  }
  // Pitfall 9.4: nginx sending X-Forwarded-Protocol $scheme ("https", where "ssl" is expected).
  const mark = ours.log.length;
  const contradictory = await hit(`${ours.url}/whoami`, { headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Protocol': 'https' } });
  await until(() => found(ours, /Contradictory scheme headers/, mark) !== null, 5000); // its log line, before the next step's
  result(`X-Forwarded-Proto: https with X-Forwarded-Protocol: https: ${contradictory.error ? `failed: ${contradictory.error}` : `${contradictory.status} ${contradictory.text.trim().split('\n').at(-1)}`}`);
  check('two scheme headers that disagree: 400 (X-Forwarded-Protocol expects "ssl")', contradictory.status === 400, String(contradictory.status || contradictory.error));
}

/** Section (d): --reload on a copy of the app: an edit, a broken import, a fix. */
async function reload(check: Check): Promise<void> {
  const dir = join(tmp, 'reload');
  mkdirSync(dir);
  const file = join(dir, 'app.ts');
  const write = (version: string, brokenImport = false): void =>
    writeFileSync(file, `${brokenImport ? `import '${MISSING}';\n` : ''}${appSource.replace(/const VERSION = '[^']*';/, `const VERSION = '${version}';`)}`);
  write('v1');
  step('--reload: edit the app, break it, fix it', [
    'For development: the master watches the files the app is built from, and a change starts the',
    'reload a HUP starts: new workers first, the old ones go once the new ones serve. The seeds\' outage',
    'was a `git pull` that brought an import of a package not installed yet: the reloader restarted the',
    'workers, they could not import the app, and the server went down. Here the old worker stays.',
    `$ npx prefork -c ${configFile} ${file}:app --reload -w 1 -b ${args.host}:0`,
    'One worker is enough to see it (and boots faster on every change).',
  ]);
  const p = await startOurs(0, { extra: ['--reload'], app: file, name: 'reload', workers: 1 });
  if (!p.url) {
    check('prefork --reload started', false, p.log.slice(-3).join(' / '));
    await stop(p);
    return;
  }
  const answer = async (): Promise<{ version: string; pid: number } | null> => hello(await hit(`${p.url}/`));
  /** Waits until the worker serving is a new one (not in `old`) and answers `version`. */
  const replaced = async (old: number[], version: string): Promise<boolean> =>
    until(() => serving(p).length === 1 && serving(p).every((pid) => !old.includes(pid)), 30_000).then(async (ok) => ok && (await answer())?.version === version);

  try {
    // An edit.
    let old = serving(p);
    let mark = p.log.length;
    write('v2');
    const edited = await replaced(old, 'v2');
    result(`edited VERSION to v2: ${found(p, /Reloading: .*/, mark)?.[0] ?? 'no "Reloading" line'}; worker ${old.join(', ')} -> ${serving(p).join(', ')}`);
    check('an edit: a new worker serves v2, the old one is gone', edited && found(p, /Reloading: /, mark) !== null, serving(p).join(', '));

    // A broken import: the new worker cannot boot; the old one keeps serving.
    old = serving(p);
    mark = p.log.length;
    write('v3', true);
    const failedReload = await until(() => found(p, /Reload failed/, mark) !== null, 30_000);
    // "Cannot find package" from a bundle; "Cannot find module" from the sources (--mine runs them through tsx).
    const named = p.log.slice(mark).find((l) => l.includes(`Cannot find package '${MISSING}'`) || l.includes(`Cannot find module '${MISSING}'`));
    const still = await answer();
    result(`imported ${MISSING}: ${failedReload ? '"Reload failed"' : 'no "Reload failed" line'}; still serving ${serving(p).join(', ')}: ${still ? `${still.version} from ${still.pid}` : 'no answer'}`);
    check('a broken import: the log names the missing package, and the reload fails', failedReload && named !== undefined, named ? named.slice(0, 100) : 'not named');
    check('the old worker kept serving v2', still?.version === 'v2' && serving(p).length === 1 && serving(p).every((pid) => old.includes(pid)), serving(p).join(', '));

    // The fix.
    mark = p.log.length;
    write('v3');
    const fixed = await replaced(old, 'v3');
    result(`import removed: worker ${old.join(', ')} -> ${serving(p).join(', ')}, serving ${(await answer())?.version ?? '?'}`);
    check('the fix: a new worker serves v3', fixed, serving(p).join(', '));
  } finally {
    await stop(p);
  }
  if (!args.once) narrate(['', 'Still not for production: every save of a file restarts the workers, and a deploy is a HUP you choose to send.']);
}

/** Section (c): prefork started on a socket that a launcher opened, the way systemd hands one over. */
async function socketActivation(check: Check): Promise<void> {
  const launcher = join(here, 'socket-activate.ts');
  const command = [process.execPath, ...mineHooks(), cli, '-c', configFile, `${appFile}:app`, '-w', '1'];
  step('Socket activation: a socket handed over, as systemd does', [
    'With a .socket unit, systemd binds the address itself and starts the service with the socket as fd 3,',
    'LISTEN_FDS=1 and LISTEN_PID=<its pid> in the environment. The socket outlives the service: a restart',
    'loses no connection. socket-activate.ts does the same without systemd (Debian also ships',
    'systemd-socket-activate, which starts the command on the first connection):',
    `$ node --import tsx ${repoPath(launcher)} -l ${args.host}:0 -- npx prefork -c ${configFile} ${appFile}:app -w 1`,
  ]);
  const p = await launch('activated', [...loader(), launcher, '-l', `${args.host}:0`, '--', ...command], 1);
  try {
    const ready = p.url !== '' && (await until(() => serving(p).length === 1, 30_000));
    const handed = found(p, /socket-activate: (\S+) as fd 3/)?.[1];
    const taken = found(p, /Socket activation \(LISTEN_FDS\): (.*)/)?.[1];
    const listening = found(p, /Listening at: (\S+)/)?.[1];
    const answer = ready ? await hit(`${p.url}/`) : null;
    result(`the launcher bound ${handed ?? '?'} as fd 3; prefork: "${taken ?? 'no Socket activation line'}", Listening at: ${listening ?? '?'}; GET / ${answer ? said(answer) : '-'}`);
    check('prefork took the inherited fd 3 ("Socket activation (LISTEN_FDS): fd 3") and listens on the launcher\'s address', taken?.startsWith('fd 3') === true && handed !== undefined && listening === handed, `${handed} / ${listening}`);
    check('it bound nothing of its own (its -b default was not used) and served GET /', found(p, /Not binding .*inherited sockets are used instead/) !== null && answer !== null && hello(answer) !== null);
    process.kill(p.pid, 'SIGTERM');
    const code = await Promise.race([p.exited, new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
    result(`TERM to the launcher: passed on to the master; "${found(p, /Shutting down: Master/)?.[0] ?? 'no Shutting down line'}"; exit code ${code ?? '(still running)'}`);
    check('TERM to the launcher reached the master: it shut down, exit code 0', code === 0 && found(p, /\[INFO\] Shutting down: Master/) !== null, `code ${code}`);
  } finally {
    await stop(p);
  }
}

/** Section (e): one request through a real nginx running the shipped config, to ours over its unix socket. */
async function behindNginx(check: Check, ours: Proc): Promise<Nginx | null> {
  const conf = join(here, 'deploy', 'nginx', 'prefork.conf');
  step('Behind nginx', [
    `${repoPath(conf)} is the config to copy to a server: an upstream on prefork's unix socket, the`,
    'proxy headers (Host, X-Real-IP, X-Forwarded-For, X-Forwarded-Proto) and timeouts set against ours.',
  ]);
  if (!withNginx) {
    note('  (nginx is not installed here: skipped. To try it, install it (Debian: apt-get install nginx-light; macOS: brew install nginx),');
    note(`  start prefork with -b unix:/run/prefork/prefork.sock, and include ${repoPath(conf)} in nginx's http { } block.)`);
    return null;
  }
  let nginx: Nginx;
  try {
    nginx = frontNginx = await startNginx({ servers: [`unix:${nginxSocket}`], dir: nginxDir });
  } catch (err) {
    check('nginx started with the shipped config', false, (err as Error).message.split('\n').slice(0, 3).join(' / '));
    return null;
  }
  groups.add(nginx.process);
  result(`nginx (pid ${nginx.process.pid}) at ${nginx.url}, in front of ours at unix:${nginxSocket}`);
  // The client claims https and an address of its own; nginx replaces the first and appends to the second.
  const h = await hit(`${nginx.url}/whoami`, { headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.7' } });
  const who = whoami(h);
  result(`GET /whoami with X-Forwarded-Proto: https, X-Forwarded-For: 203.0.113.7, through nginx: ${h.error ? `failed: ${h.error}` : h.status === 200 ? h.text.trim() : String(h.status)}`);
  check(
    'through nginx: ours answered; nginx replaced the client\'s X-Forwarded-Proto ($scheme: http) and appended the client\'s address to X-Forwarded-For',
    who.pid !== undefined && serving(ours).includes(who.pid) && who.scheme === 'http' && who.forwardedFor === '203.0.113.7, 127.0.0.1',
    h.status === 200 ? `scheme ${who.scheme}, X-Forwarded-For ${who.forwardedFor}, REMOTE_ADDR ${JSON.stringify(who.remoteAddr)}` : said(h),
  );
  if (!args.once) {
    narrate([
      '',
      `REMOTE_ADDR is ${JSON.stringify(who.remoteAddr ?? '')}: a unix socket has no peer address. The client's address is the last entry`,
      'of X-Forwarded-For, the only one nginx vouches for; the ones before it are what the client sent.',
    ]);
  }
  if (!args.once) return nginx;
  await nginx.stop();
  frontNginx = null;
  return null;
}

/** A package that is not installed, as after a `git pull` that added it to package.json. */
const MISSING = '@prefork-workbook/not-installed-yet';

async function scenario(check: Check): Promise<Servers> {
  const servers = await devVsOurs(check);
  await proxyTrust(check, servers.ours);
  await socketActivation(check);
  await reload(check);
  return { ...servers, nginx: await behindNginx(check, servers.ours) };
}

// ---- --once --------------------------------------------------------------------------------------

if (args.once) {
  heading('Chapter 10 scenario');
  const list = new Checklist();
  const started = Date.now();
  const { dev, ours } = await scenario((what, ok, detail) => list.check(what, ok, detail));
  await Promise.all([stop(dev), stop(ours)]);
  console.log(`\n(${secs(Date.now() - started)})`);
  process.exit(list.finish());
}

// ---- walkthrough -------------------------------------------------------------------------------------

heading('Chapter 10 — Production');
narrate([
  'A framework\'s dev server and prefork, side by side, on the same app; then what production puts',
  'around prefork. The servers\' logs are shown as they go (dimmed; the interesting lines in bold).',
]);
const { dev, ours, nginx } = await scenario((what, ok, detail) => {
  if (!ok) note(`  (not as expected: ${what}${detail ? `; ${detail}` : ''})`);
});
heading('Your turn');
narrate([
  `Still running: the dev server at ${dev.url} (pid ${dev.pid}), prefork at ${ours.url} (master ${ours.pid})` +
    `${nginx ? `, and nginx at ${nginx.url} in front of prefork's unix socket` : ''}.`,
  'Try these in another terminal:',
  '',
  `$ curl -s ${dev.url}/crash; curl -s ${dev.url}/     # the second one is refused: the process is gone`,
  `$ curl -s ${ours.url}/crash; curl -s ${ours.url}/   # another worker answers; the master boots a new one`,
  `$ curl -s '${dev.url}/cpu?ms=5000' & sleep 0.5; curl -s -w '(%{time_total} s)\\n' ${dev.url}/    # waits for /cpu`,
  `$ curl -s '${ours.url}/cpu?ms=5000' & sleep 0.5; curl -s -w '(%{time_total} s)\\n' ${ours.url}/  # the other worker answers`,
  `$ curl -s ${ours.url}/whoami -H 'X-Forwarded-Proto: https'`,
  ...(nginx ? [`$ curl -s ${nginx.url}/whoami -H 'X-Forwarded-Proto: https'     # nginx replaces the header`] : []),
  `Edit VERSION in ${appFile}, then deploy without a gap:`,
  `$ kill -HUP ${ours.pid}`,
  '',
  'Ctrl-C here stops them all.',
]);
void ours.exited.then((code) => console.log(`\nprefork's master exited with code ${code}.`));
