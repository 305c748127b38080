// Stage 9: signals. One server, a stream of requests that never stops, and the signals one at a time:
// TTIN and TTOU change the number of workers; HUP reloads a new version of the app with no gap, and
// rolls back when the new version cannot boot; WINCH stops the workers and keeps the master; USR2
// starts a new master on the same sockets, and TERM to the old one promotes it; TERM last, with a slow
// request in flight. The stage counts the requests that fail at every step: none should.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterExit, Checklist, heading, narrate, note, request, section, stageArgs, stopOnSignals, until, whenReady, ProcessGroups } from '../tools/stage.ts';

const args = stageArgs();
const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', '..', 'src', 'prefork.mjs');
// The server runs on copies, in a temp dir, that the stage edits between signals.
const tmp = mkdtempSync(join(tmpdir(), 'prefork-ch9-'));
const appFile = join(tmp, 'app.ts');
const configFile = join(tmp, 'prefork.config.ts');
const pidfile = join(tmp, 'app.pid');
copyFileSync(join(here, 'app.ts'), appFile);
copyFileSync(join(here, 'prefork.config.ts'), configFile);
// The master writes a worker bundle per version of the app into the nearest node_modules: this one,
// so that they go with the temp dir.
mkdirSync(join(tmp, 'node_modules'));
const appSource = readFileSync(appFile, 'utf8');
const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

const groups = new ProcessGroups();
process.on('exit', () => {
  rmSync(tmp, { recursive: true, force: true });
});
// Ctrl-C (or TERM) at any point: TERM every master the stage started, wait for them and their workers,
// then exit (which kills whatever is left, above and in start()).
let current: Server | null = null;
stopOnSignals(async () => {
  if (!current) return;
  for (const { m } of matches(current, LISTENING)) {
    try {
      process.kill(Number(m[2]), 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await Promise.race([current.ended, new Promise((r) => setTimeout(r, 35_000))]);
});

// ---- the server and its log ----------------------------------------------------------------------

interface Line {
  text: string;
  /** When it arrived (Date.now()). */
  at: number;
  /** The process that wrote it: `[pid]` in the line. */
  pid: number | null;
}

interface Server {
  /** The master the stage started; a master started by USR2 is its child, in its process group. */
  first: number;
  url: string;
  lines: Line[];
  /** The first master's exit code. */
  exited: Promise<number>;
  /** Every process that shares the log pipe (all masters and workers) is gone. */
  ended: Promise<void>;
}

const LOG_LINE = /^\[[^\]]+\] \[(\d+)\] \[\w+\] /;
const LISTENING = /Listening at: (\S+) \((\d+)\)/;
const READY = /\[hook\] post_worker_init: worker (\d+) of master (\d+) ready/;
const GONE = /Worker exiting \(pid: (\d+)\)|Worker \(pid:(\d+)\) (?:was sent|exited with)/;
const INTERESTING =
  /Handling signal|Hang up|Reload failed|graceful stop|ignored|Master has been promoted|Listening at|Shutting down|exited with code|SIGKILL|\[hook\] (?:nworkers_changed|on_reload|pre_exec|pre_request)/;

/** Starts `prefork` on the temp copies; resolves once its 2 workers serve (url '' if it exited first). */
async function start(port: number): Promise<Server> {
  // With --mine, the master needs this process's module hooks (it passes them on to the workers).
  const loader = process.env.PREFORK_MINE ? process.execArgv : [];
  // Pipes, not this terminal: a master on a terminal ignores WINCH (window resizes send it).
  const child = spawn(process.execPath, [...loader, cli, '-c', configFile, `${appFile}:app`, '-b', `${args.host}:${port}`, '-p', pidfile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  // The group outlives its leader when a master started by USR2 lives on: ProcessGroups still kills it.
  groups.add(child);
  const lines: Line[] = [];
  const texts: string[] = [];
  const exited = afterExit(child).then(({ code }) => code ?? 1);
  const read = (stream: Readable): Promise<void> => {
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const text of parts) {
        const pid = LOG_LINE.exec(text)?.[1];
        lines.push({ text, at: Date.now(), pid: pid ? Number(pid) : null });
        texts.push(text);
        if (/^\s+at /.test(text)) continue; // the stack of an app that throws: its first line says enough
        if (INTERESTING.test(text)) console.log(`    ${bold(text)}`);
        else note(`    ${text}`);
      }
    });
    return new Promise((r) => stream.on('close', r));
  };
  const ended = Promise.all([read(child.stdout!), read(child.stderr!)]).then(() => undefined);
  const url = (await whenReady(texts, 2, exited)) ?? '';
  const server: Server = { first: child.pid!, url, lines, exited, ended };
  if (url && !(await until(() => serving(server).length === 2, 30_000))) server.url = '';
  return server;
}

/** Indexes and matches of the lines from `from` on that match `re` (and were written by `pid`). */
function matches(s: Server, re: RegExp, from = 0, pid?: number): { m: RegExpExecArray; line: Line; i: number }[] {
  const out: { m: RegExpExecArray; line: Line; i: number }[] = [];
  for (let i = from; i < s.lines.length; i++) {
    const line = s.lines[i]!;
    const m = re.exec(line.text);
    if (m && (pid === undefined || line.pid === pid)) out.push({ m, line, i });
  }
  return out;
}

/**
 * The workers that serve after the first `upTo` lines: ready (post_worker_init ran) and not gone (they
 * said "Worker exiting", or the master saw them die). `onStep` sees the count after every line.
 */
function serving(s: Server, master?: number, upTo = s.lines.length, onStep?: (i: number, count: number) => void): number[] {
  const live = new Map<number, number>();
  for (let i = 0; i < upTo; i++) {
    const text = s.lines[i]!.text;
    const ready = READY.exec(text);
    if (ready) live.set(Number(ready[1]), Number(ready[2]));
    const gone = GONE.exec(text);
    if (gone) live.delete(Number(gone[1] ?? gone[2]));
    onStep?.(i, [...live.values()].filter((m) => master === undefined || m === master).length);
  }
  return [...live].filter(([, m]) => master === undefined || m === master).map(([pid]) => pid);
}

/** The fewest workers serving at any moment between two lines of the log. */
function fewestServing(s: Server, from: number, to: number): number {
  let fewest = Infinity;
  serving(s, undefined, to, (i, count) => {
    if (i >= from) fewest = Math.min(fewest, count);
  });
  return fewest;
}

/** Still running? A process that exited but was not reaped yet (a zombie) answers `kill -0` too. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return !existsSync('/proc/self/stat'); // no /proc (macOS): kill -0 has to do
  }
}

const readPid = (path: string): number | null => (existsSync(path) ? Number.parseInt(readFileSync(path, 'utf8'), 10) : null);
const sameSet = (a: number[], b: number[]): boolean => a.length === b.length && a.every((x) => b.includes(x));

// ---- the stream of requests ------------------------------------------------------------------------

interface Answer {
  sent: number;
  done: number;
  ok: boolean;
  version: string;
  worker: number;
  master: number;
  error: string;
}

/** A few loops that send requests one after another, and keep every answer (or failure). */
class Load {
  readonly answers: Answer[] = [];
  private readonly inFlight = new Set<number>();
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly url: string) {}

  start(loops = 3): void {
    this.running = true;
    this.loops = Array.from({ length: loops }, () => this.loop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.race([Promise.all(this.loops), new Promise((r) => setTimeout(r, 15_000))]);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const sent = Date.now();
      this.inFlight.add(sent);
      const answer: Answer = { sent, done: 0, ok: false, version: '', worker: 0, master: 0, error: '' };
      try {
        const r = await request(this.url);
        const m = /^(v\d+) from worker (\d+) of master (\d+)/.exec(r.text);
        answer.ok = r.status === 200 && m !== null;
        if (m) Object.assign(answer, { version: m[1], worker: Number(m[2]), master: Number(m[3]) });
        if (!answer.ok) answer.error = `status ${r.status}`;
      } catch (err) {
        answer.error = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      }
      answer.done = Date.now();
      this.inFlight.delete(sent);
      this.answers.push(answer);
      // A steady stream, not a flood: the machine also has to boot workers and masters meanwhile.
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The answers to requests sent from `from` (ms) up to `to`. */
  sentBetween(from: number, to = Infinity): Answer[] {
    return this.answers.filter((a) => a.sent >= from && a.sent < to);
  }

  /** How long the oldest request still waiting has waited (0: none waits). */
  longestWait(): number {
    return this.inFlight.size ? Date.now() - Math.min(...this.inFlight) : 0;
  }

  waitingSince(t: number): boolean {
    return [...this.inFlight].some((sent) => sent < t);
  }
}

/** "0 of 250 failed", with what the first failure said. */
function failures(answers: Answer[]): { failed: number; detail: string } {
  const failed = answers.filter((a) => !a.ok);
  return { failed: failed.length, detail: `${failed.length} of ${answers.length} failed${failed.length ? `: ${failed[0]!.error}` : ''}` };
}

const count = (answers: Answer[], pick: (a: Answer) => boolean): number => answers.filter(pick).length;

// ---- the scenario ----------------------------------------------------------------------------------

/** The app's copy, at one version: v1, v2, v3; `broken`: it throws when imported. */
function writeApp(version: string, broken = false): void {
  let text = appSource.replace(/const VERSION = '[^']*';/, `const VERSION = '${version}';`);
  if (broken) text = text.replace(/^const VERSION/m, `throw new Error('${version} is broken: it throws while loading');\nconst VERSION`);
  writeFileSync(appFile, text);
}

let stepNumber = 0;
/** A step's title; in the walkthrough, also why it matters. */
function step(title: string, why: string[]): void {
  stepNumber += 1;
  if (args.once) section(`${stepNumber}. ${title}`);
  else {
    heading(`${stepNumber}. ${title}`);
    narrate(why);
  }
}

/** A result line, in both modes. */
const result = (line: string): void => console.log(`  ${bold(line)}`);

interface Handover {
  server: Server;
  /** The master serving now (the one USR2 started, promoted). */
  master: number;
}

/**
 * Runs the steps; with a checklist (--once) it checks them, and step 7 stops the server. Without one
 * (the walkthrough) the server is left running after step 6, for the learner.
 */
async function scenario(list: Checklist | null): Promise<Handover | null> {
  const check = (what: string, ok: boolean, detail = ''): void => {
    if (list) list.check(what, ok, detail);
    else if (!ok) note(`  (not as expected: ${what}${detail ? `; ${detail}` : ''})`);
  };

  // 1. start --------------------------------------------------------------------------------------------
  step('Start: 2 sync workers, and a stream of requests', [
    `The app and the config file are copies in ${tmp}: the stage edits them between signals.`,
    `$ npx prefork -c ${configFile} ${appFile}:app -b ${args.host}:${args.port} -p ${pidfile}`,
  ]);
  let server = await start(args.port);
  if (!server.url && !args.once && server.lines.some((l) => l.text.includes('Connection in use'))) {
    console.log(`(port ${args.port} is in use, taking a free one instead)`);
    server = await start(0);
  }
  if (!server.url) {
    for (const line of server.lines) console.error(`    ${line.text}`);
    console.error('prefork did not start.');
    process.exit(1);
  }
  const s = server;
  current = s;
  const master = Number(matches(s, LISTENING)[0]!.m[2]);
  const load = new Load(s.url);
  load.start();
  result(`master ${master}, workers ${serving(s).join(' and ')}, at ${s.url}; pid file ${pidfile}: ${readPid(pidfile)}`);
  if (!args.once) {
    narrate([
      '',
      `Signals go to the master: ${bold(String(master))}, in the pid file and in the "Listening at" line. Not to npm's`,
      'pid: `npm run`, the stage runner and tsx stand between you and the master, and they pass on INT and',
      'TERM at most, never HUP, TTIN or USR2. Three loops now send requests to it, and count the failures.',
    ]);
  }
  check('the pid file and "Listening at" both name the master, the process the stage started', readPid(pidfile) === master && master === s.first, `pid ${master}`);
  await until(() => load.answers.length >= 10, 10_000);

  // 2. TTIN and TTOU ----------------------------------------------------------------------------------
  step('TTIN, TTOU: one worker more, one fewer', [
    'No restart and no new configuration: the master only changes the number of workers it keeps, and',
    'runs nworkers_changed. TTOU never goes below one worker (WINCH is the way to zero).',
  ]);
  let t = Date.now();
  let mark = s.lines.length;
  const counts: number[] = [];
  let refused = false;
  for (const [signal, want] of [['SIGTTIN', 3], ['SIGTTOU', 2], ['SIGTTOU', 1], ['SIGTTOU', 1], ['SIGTTIN', 2]] as const) {
    const before = s.lines.length;
    process.kill(master, signal);
    if (signal === 'SIGTTOU' && want === 1 && counts.at(-1) === 1) refused = await until(() => matches(s, /SIGTTOU ignored/, before).length > 0, 10_000);
    else await until(() => serving(s).length === want, 20_000);
    counts.push(serving(s).length);
  }
  const changes = matches(s, /\[hook\] nworkers_changed\((\d+), (\d+)\)/, mark).map(({ m }) => `(${m[1]}, ${m[2]})`);
  let answers = load.sentBetween(t);
  let f = failures(answers);
  result(`TTIN, TTOU, TTOU, TTOU, TTIN: workers ${counts.join(', ')}; nworkers_changed${changes.join(' ')}; requests ${f.detail}`);
  check('workers after TTIN, TTOU, TTOU, TTOU, TTIN: 3, 2, 1, 1, 2', counts.join() === '3,2,1,1,2', counts.join(', '));
  check('the third TTOU was refused at one worker ("SIGTTOU ignored")', refused && counts[3] === 1);
  check('nworkers_changed ran for each change: (3, 2) (2, 3) (1, 2) (2, 1)', changes.join(' ') === '(3, 2) (2, 3) (1, 2) (2, 1)', changes.join(' '));
  check('TTIN/TTOU: 0 failed requests', f.failed === 0 && answers.length > 0, f.detail);

  // 3. HUP: v2 -------------------------------------------------------------------------------------
  step('HUP: a new version of the app, with no gap', [
    'The app\'s copy now says v2. HUP: the master reads its configuration again (command line,',
    'PREFORK_CMD_ARGS, the config file) and rebuilds the app, then starts new workers BEFORE it lets old',
    'ones go: each new worker that boots retires one old worker, oldest first. Old ones first would leave',
    'the socket with fewer workers, or none, for as long as the new ones take to boot.',
  ]);
  writeApp('v2');
  const old = serving(s);
  t = Date.now();
  mark = s.lines.length;
  process.kill(master, 'SIGHUP');
  await until(() => old.every((pid) => !serving(s).includes(pid)) && serving(s).length === 2, 30_000);
  const oldGone = matches(s, GONE, mark).filter(({ m }) => old.includes(Number(m[1] ?? m[2])));
  const rolledAt = oldGone.at(-1)?.line.at ?? Date.now();
  await until(() => load.sentBetween(rolledAt).length >= 10, 10_000);
  const fresh = serving(s);
  const fewest = fewestServing(s, mark, s.lines.length);
  answers = load.sentBetween(t);
  f = failures(answers);
  const v1After = count(load.sentBetween(rolledAt), (a) => a.version === 'v1');
  const v2After = count(load.sentBetween(rolledAt), (a) => a.version === 'v2');
  result(`workers ${old.join(', ')} -> ${fresh.join(', ')}; never fewer than ${fewest} serving; answers: ${count(answers, (a) => a.version === 'v1')} v1, ${count(answers, (a) => a.version === 'v2')} v2; requests ${f.detail}`);
  check('new workers first: never fewer than 2 workers serving during the reload', fewest >= 2 && oldGone.length === 2, `fewest ${fewest}`);
  check('answers switched from v1 to v2: after the last old worker left, every answer is v2', v1After === 0 && v2After >= 10 && count(answers, (a) => a.version === 'v1') > 0, `${v2After} v2, ${v1After} v1 after`);
  check('on_reload ran, and nworkers_changed(2, 2)', matches(s, /\[hook\] on_reload/, mark).length === 1 && matches(s, /\[hook\] nworkers_changed\(2, 2\)/, mark).length === 1);
  check('HUP: 0 failed requests', f.failed === 0 && answers.length > 0, f.detail);

  // 4. HUP: a broken version -----------------------------------------------------------------------
  step('HUP with a broken app: the reload is rolled back', [
    'Now the app throws when it is imported. A new worker that exits before it boots means the new',
    'version cannot run: the master goes back to the previous configuration and keeps its old workers.',
    '(gunicorn halts the whole master here: a typo would take the site down.)',
  ]);
  writeApp('v3', true);
  const v2Workers = serving(s);
  t = Date.now();
  mark = s.lines.length;
  process.kill(master, 'SIGHUP');
  const rolledBack = await until(() => matches(s, /Reload failed, going back to the previous configuration/, mark).length > 0, 30_000);
  // The workers started for the reload (as many as it wants), all gone: one failed, the others were
  // stopped. A worker stopped before it booted never logs a line: the master's "was sent SIGTERM" is the
  // first place its pid appears, so the result below says who it was.
  const reloadWorkers = (): number[] => [...new Set(matches(s, GONE, mark).map(({ m }) => Number(m[1] ?? m[2])))].filter((pid) => !v2Workers.includes(pid));
  await until(() => reloadWorkers().length >= v2Workers.length, 10_000);
  const backAt = Date.now();
  await until(() => load.sentBetween(backAt).length >= 10, 10_000);
  answers = load.sentBetween(t);
  f = failures(answers);
  const exit3 = matches(s, /Worker \(pid:(\d+)\) exited with code 3/, mark).map(({ m }) => Number(m[1]));
  const booted = matches(s, /Booting worker with pid: (\d+)/, mark).map(({ m }) => Number(m[1]));
  const unbooted = reloadWorkers().filter((pid) => !booted.includes(pid));
  const others = reloadWorkers().filter((pid) => !exit3.includes(pid) && !unbooted.includes(pid));
  result(
    `reload failed: new worker ${exit3.join(', ') || '?'} exited with code 3` +
      `${unbooted.length ? `; ${unbooted.join(', ')}, started with it, was stopped before it had booted` : ''}` +
      `${others.length ? `; ${others.join(', ')}, started with it, was stopped` : ''}` +
      `; rolled back, serving: ${serving(s).join(', ')}; answers: ${count(answers, (a) => a.version === 'v2')} v2, ${count(answers, (a) => a.version !== 'v2')} other; requests ${f.detail}`,
  );
  check('the broken reload was rolled back ("Reload failed, going back to the previous configuration")', rolledBack && exit3.length >= 1);
  const halted = matches(s, /Reason: (.*)/, mark, master)[0]?.m[1];
  check('the master kept running, with the same two v2 workers', alive(master) && sameSet(serving(s), v2Workers), halted ? `the master stopped: ${halted}` : serving(s).join(', '));
  check('still answering v2: every answer since the HUP', answers.length > 0 && answers.every((a) => !a.ok || a.version === 'v2'), `${count(answers, (a) => a.version === 'v2')} v2`);
  check('broken HUP: 0 failed requests', f.failed === 0 && answers.length > 0, f.detail);
  writeApp('v3');
  result(`fixed: ${appFile} is v3 now, and works (not reloaded: USR2 below starts from the files on disk)`);
  if (!alive(master)) return null;

  // 5. WINCH -------------------------------------------------------------------------------------------
  step('WINCH: stop the workers, keep the master', [
    'The master stops every worker and keeps its socket: new connections wait in the kernel\'s backlog',
    'until TTIN (or HUP) brings workers back. A terminal sends WINCH to its foreground processes when',
    'its window is resized, so a master on a terminal ignores it; this stage runs the master on pipes.',
  ]);
  t = Date.now();
  mark = s.lines.length;
  process.kill(master, 'SIGWINCH');
  const stopped = await until(() => matches(s, /graceful stop of workers/, mark).length > 0 && serving(s).length === 0, 20_000);
  const masterStayed = alive(master);
  // Let a request wait a while in the backlog, where no worker takes it.
  await until(() => load.longestWait() >= 1000, 10_000);
  const longest = load.longestWait();
  const ttinAt = Date.now();
  process.kill(master, 'SIGTTIN');
  const back = await until(() => serving(s).length === 1, 20_000);
  await until(() => !load.waitingSince(ttinAt), 10_000);
  const waited = load.answers.filter((a) => a.sent < ttinAt && a.done > ttinAt);
  answers = load.sentBetween(t);
  f = failures(answers);
  result(`no workers, master ${master} still there; ${waited.length} requests waited (the longest ${secs(Math.max(0, ...waited.map((a) => a.done - a.sent)))}), answered once TTIN started ${serving(s).join(', ')}; requests ${f.detail}`);
  check('WINCH: all workers stopped, the master stayed', stopped && masterStayed, `0 workers, master ${master} ${masterStayed ? 'running' : 'gone'}`);
  check('requests sent meanwhile waited in the backlog and were answered (200) after TTIN', longest >= 1000 && waited.length > 0 && waited.every((a) => a.ok), `${waited.length} waited, up to ${secs(Math.max(0, ...waited.map((a) => a.done - a.sent)))}`);
  check('TTIN: 1 worker again', back && serving(s).length === 1);
  check('WINCH: 0 failed requests', f.failed === 0 && answers.length > 0, f.detail);

  // 6. USR2 --------------------------------------------------------------------------------------------
  step('USR2: a new master on the same socket, then TERM the old one', [
    'USR2 upgrades the server itself, Node.js and prefork included: the master runs pre_exec and starts',
    'a new master with the same command line, which inherits the listening socket as a file descriptor',
    '(PREFORK_FD): the address is never closed, not for a moment. Both serve until the old one is told',
    'to go; then the new one is promoted and takes over the pid file.',
  ]);
  t = Date.now();
  mark = s.lines.length;
  process.kill(master, 'SIGUSR2');
  await until(() => matches(s, LISTENING, mark).some(({ line }) => line.pid !== master), 30_000);
  const listening = matches(s, LISTENING, mark).find(({ line }) => line.pid !== master);
  const next = listening ? Number(listening.m[2]) : 0;
  const nextReady = await until(() => next > 0 && serving(s, next).length === 2, 45_000);
  const pidfiles = { plain: readPid(pidfile), two: readPid(`${pidfile}.2`) };
  const readyAt = Date.now();
  await until(() => ([master, next] as number[]).every((m) => load.sentBetween(readyAt).some((a) => a.master === m)), 10_000);
  const overlap = load.sentBetween(readyAt);
  result(`new master ${next} at ${listening?.m[1] ?? '?'}, workers ${serving(s, next).join(', ')}; ${pidfile}: ${pidfiles.plain}, .2: ${pidfiles.two}`);
  result(`both serve: ${count(overlap, (a) => a.master === master)} answers from master ${master} (${[...new Set(overlap.filter((a) => a.master === master).map((a) => a.version))].join()}), ${count(overlap, (a) => a.master === next)} from master ${next} (${[...new Set(overlap.filter((a) => a.master === next).map((a) => a.version))].join()})`);
  check('pre_exec ran in the old master; a new master started on the same address', matches(s, /\[hook\] pre_exec/, mark, master).length === 1 && nextReady && listening?.m[1] === s.url, `new master ${next}`);
  check('the new master wrote app.pid.2; app.pid still names the old one', pidfiles.two === next && pidfiles.plain === master);
  // The old master's worker runs the version the old master last loaded (v2); with --mine, workers
  // import the app from disk when they start, so it may be v3 there too.
  check(
    'both masters served: the old one\'s worker, and the new one\'s with v3',
    overlap.some((a) => a.master === master) && overlap.some((a) => a.master === next) && overlap.every((a) => a.master !== next || a.version === 'v3'),
    `${count(overlap, (a) => a.master === master)} and ${count(overlap, (a) => a.master === next)} answers`,
  );
  // A second USR2, to each: one upgrade at a time.
  mark = s.lines.length;
  process.kill(master, 'SIGUSR2');
  process.kill(next, 'SIGUSR2');
  const once = await until(() => matches(s, /USR2 signal ignored\. Child exists\./, mark, master).length > 0 && matches(s, /USR2 signal ignored\. Parent exists\./, mark, next).length > 0, 10_000);
  check('a second USR2 is ignored: "Child exists" (old master), "Parent exists" (new)', once);
  mark = s.lines.length;
  process.kill(master, 'SIGTERM');
  const code = await Promise.race([s.exited, new Promise<null>((r) => setTimeout(() => r(null), 40_000))]);
  const promoted = await until(() => matches(s, /Master has been promoted\./, mark, next).length > 0, 10_000);
  const promotedAt = matches(s, /Master has been promoted\./, mark, next)[0]?.line.at ?? Date.now();
  await until(() => load.sentBetween(promotedAt).length >= 10, 10_000);
  const afterwards = load.sentBetween(promotedAt);
  answers = load.sentBetween(t);
  f = failures(answers);
  result(`old master exited with code ${code}; ${next} promoted; ${pidfile}: ${readPid(pidfile)}, .2 ${existsSync(`${pidfile}.2`) ? 'still there' : 'gone'}; requests ${f.detail}`);
  check('TERM to the old master: exit code 0, and the new one logged "Master has been promoted."', code === 0 && promoted, `exit code ${code}`);
  check('app.pid now names the new master, app.pid.2 is gone', readPid(pidfile) === next && !existsSync(`${pidfile}.2`));
  check('since then every answer comes from the new master (v3)', afterwards.length > 0 && afterwards.every((a) => !a.ok || (a.master === next && a.version === 'v3')), `${count(afterwards, (a) => a.master === next)} of ${afterwards.length}`);
  check('USR2 to promotion: 0 failed requests', f.failed === 0 && answers.length > 0, f.detail);
  await load.stop();
  const all = failures(load.answers);
  result(`all along: ${all.detail}`);
  if (!list) return { server: s, master: next };

  // 7. TERM --------------------------------------------------------------------------------------------
  step('TERM with a slow request in flight', []);
  mark = s.lines.length;
  const slow = request(`${s.url}/sleep?ms=2000`).then(
    (r) => ({ status: r.status as number | 'failed', ms: r.ms }),
    (err: Error) => ({ status: 'failed' as const, ms: NaN, error: err.message }),
  );
  const inFlight = await until(() => matches(s, /\[hook\] pre_request: GET \/sleep/, mark).length > 0, 10_000);
  process.kill(next, 'SIGTERM');
  const r = await slow;
  // Gone, with the last of their lines read: every process writing to the log pipe has closed it.
  const gone = await Promise.race([s.ended.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 40_000))]);
  const shutdown = matches(s, /\[(\w+)\] Shutting down: Master/, mark, next)[0]?.m[1];
  result(`GET /sleep?ms=2000: ${r.status} after ${secs(r.ms)}; master ${next} ${gone ? 'exited' : 'still running'}${shutdown ? ` ("[${shutdown}] Shutting down")` : ''}`);
  check('the request in flight completed: 200 after 2 s', inFlight && r.status === 200 && r.ms >= 2000, `${r.status}, ${secs(r.ms)}`);
  // Not the stage's child (its parent was the old master), so its exit code is read from its last line.
  check('then the master exited, with code 0 ("[INFO] Shutting down", not ERROR)', gone && shutdown === 'INFO');
  const pids = [...new Set(s.lines.flatMap((l) => (l.pid === null ? [] : [l.pid])))];
  await until(() => pids.every((p) => !alive(p)), 10_000);
  const left = pids.filter(alive);
  check('no process of the stage is left running', left.length === 0, `${left.length} of the ${pids.length} pids in the log${left.length ? `: ${left.join(', ')}` : ''}`);
  return null;
}

// ---- --once --------------------------------------------------------------------------------------

if (args.once) {
  heading('Chapter 9 scenario');
  const list = new Checklist();
  const started = Date.now();
  await scenario(list);
  console.log(`\n(${secs(Date.now() - started)})`);
  process.exit(list.finish());
}

// ---- walkthrough -------------------------------------------------------------------------------------

heading('Chapter 9 — Signals');
narrate([
  'One server, a stream of requests that never stops, and the signals one at a time. The master\'s log',
  'is shown as it goes (dimmed; the lines about signals in bold).',
]);
const handover = await scenario(null);
if (!handover) {
  console.log('\nThe master did not survive the scenario; see its log above.');
  process.exit(1);
}
const { server, master } = handover;
heading('Your turn');
narrate([
  `The master is now ${master} (the pid file follows it). Try these in another terminal:`,
  '',
  `$ curl -s ${server.url}/`,
  `$ kill -TTIN $(cat ${pidfile})      # one more worker; -TTOU one fewer`,
  `Edit VERSION in ${appFile}, or workers in ${configFile}, then reload:`,
  `$ kill -HUP $(cat ${pidfile})`,
  `$ kill -WINCH $(cat ${pidfile})     # no workers; a curl now waits until TTIN`,
  `$ kill -USR2 $(cat ${pidfile})      # a new master, its pid in ${pidfile}.2`,
  `$ kill -TERM $(cat ${pidfile})      # right after USR2: the old master goes, the new one is promoted`,
  'TERM is the graceful stop: a request in flight completes, then the master exits. INT and QUIT stop at once.',
  'Here the request gets a second to reach a worker before the TERM (sent at once, it could arrive first):',
  `$ curl -s -w '(%{http_code} after %{time_total} s)\\n' '${server.url}/sleep?ms=5000' & sleep 1; kill -TERM $(cat ${pidfile})`,
  '',
  'Ctrl-C here stops every master this stage started.',
]);
// The stage ends when the last process on the log pipe is gone: every master and every worker.
void server.ended.then(() => {
  const last = matches(server, /\[(\w+)\] Shutting down: (Master\S*)/).at(-1);
  console.log(`\nThe last master exited${last ? ` ("[${last.m[1]}] Shutting down": code ${last.m[1] === 'INFO' ? '0' : 'not 0'})` : ''}.`);
  process.exit(0);
});
