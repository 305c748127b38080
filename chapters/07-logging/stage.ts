// Stage 7: several processes, one log file. First the pitfall, counted: 4 processes write 10,000 lines
// each into one file, the naive ways and the chapter's way. Then the real server: 4 workers writing one
// access log, and logrotate's rename + USR1, after which every process writes to the new file.
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Checklist, heading, narrate, note, stageArgs, stopOnSignals } from '../tools/stage.ts';
import { hammer } from './load.ts';
import { race, type RaceResult } from './race.ts';
import { listOpenFiles, openLogs, startServer } from './server.ts';

const args = stageArgs();
const dir = mkdtempSync(join(tmpdir(), 'prefork-ch7-'));
const app = relative(process.cwd(), join(import.meta.dirname, '..', '02-contract', 'apps', 'hello.ts'));
const WORKERS = 4;
const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
/** A log file's text; '' while it does not exist (a master that failed before opening it). */
const text = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');

heading('Chapter 7 — Logging pitfalls');
console.log('4 processes start together and write 10,000 numbered lines each (40 to 199 bytes) into one file.');
console.log('Then every line is looked for: intact (whole, once), lost (nowhere whole), torn (pieces).\n');

const runs: [string, () => Promise<RaceResult>][] = [
  ["naive: each opens the file 'w'", () => race('w', { dir })],
  ["naive: each opens the file 'r+'", () => race('r+', { dir })],
  ['naive: each rotates it at 100 KB', () => race('rotate', { dir, rotateBytes: 100_000 })],
  ["ours: 'a' (O_APPEND), one write per line", () => race('a', { dir })],
  ['ours: + rename every 20 ms, USR1', () => race('a', { dir: mkdtempSync(join(dir, 'rot-')), rotateEveryMs: 20 })],
];
const results: RaceResult[] = [];
const pct = (n: number, of: number): string => `${((100 * n) / of).toFixed(1)}%`;
console.log(`  ${'how each process writes'.padEnd(42)}${'intact'.padStart(8)}${'lost'.padStart(16)}${'torn'.padStart(7)}${'files'.padStart(7)}`);
for (const [label, run] of runs) {
  const r = await run();
  results.push(r);
  console.log(`  ${label.padEnd(42)}${String(r.intact).padStart(8)}${`${r.lost} (${pct(r.lost, r.written)})`.padStart(16)}${String(r.torn).padStart(7)}${String(r.files).padStart(7)}`);
}
const naive = results[2]!;
console.log(`  (the naive rotators' numbered files: ${naive.files - 1 + naive.holes} numbers used, ${naive.holes} of those files missing: renamed over)`);
console.log('');
narrate([
  "'w' and 'r+' give each process its own file offset: they write over each other, and the file ends up",
  'about as long as one writer\'s output. Rotating in every process races on the renames: a process renames',
  'the file another one has just created, and lines written into a file that is then renamed over are gone.',
  "With 'a' (O_APPEND) the kernel appends each write at the end of the file as one step, and one owner",
  'rotates: rename, then USR1, then each process reopens the path. Nothing is lost, nothing is torn.',
]);

if (args.once) {
  const code = await scenario();
  cleanup();
  process.exit(code);
}

// The walkthrough: a server to look at, with both logs in files.
const access = join(dir, 'access.log');
const errors = join(dir, 'error.log');
const serve = (port: number) => startServer([app, '-w', String(WORKERS), '-b', `${args.host}:${port}`, '--access-logfile', access], errors, WORKERS);
let server = await serve(args.port);
if (!server && args.port !== 0 && /Connection in use/.test(text(errors))) {
  console.log(`(port ${args.port} is in use, taking a free one instead)`);
  server = await serve(0);
}
if (!server) {
  console.error(`prefork did not start; its error log:\n${text(errors)}`);
  cleanup();
  process.exit(1);
}
heading(`prefork, ${WORKERS} workers, master pid ${server.pid}, at ${server.url}`);
narrate([
  `Both logs are files in ${dir}. Watch them in another terminal:`,
  `$ tail -F ${access} ${errors}`,
  '',
  'Some requests; each one is one line of the access log, whichever worker served it:',
  `$ for i in $(seq 20); do curl -s -A 'my "agent"' "${server.url}/?i=$i" >/dev/null; done`,
  '',
  "Rotate the way logrotate does (rename, then tell the server), and check who holds which file",
  `(${process.platform === 'linux' ? '/proc lists a process\'s open files' : 'no /proc here: lsof lists a process\'s open files'}):`,
  `$ mv ${access} ${access}.1 && kill -USR1 ${server.pid}`,
  `$ for p in ${server.pid} ${server.workerPids().join(' ')}; do ${listOpenFiles('$p')} | grep '\\.log'; done`,
  '',
  'Load, to see many workers interleave in one file without a torn line (autocannon comes with the workbook):',
  `$ npx autocannon -c 50 -d 5 ${server.url}/   # or, if you have it: wrk -t1 -c50 -d5 ${server.url}/`,
  '',
  'Ctrl-C (or kill -TERM the master) stops the server and removes the files.',
]);
stopOnSignals(async () => {
  await server.stop();
  cleanup();
});
void server.exited.then((code) => {
  console.log(`\nThe master exited with code ${code}.`);
  cleanup();
  process.exit(0);
});

async function scenario(): Promise<number> {
  heading('Chapter 7 scenario');
  const list = new Checklist();
  const [w, rplus, rotate, ours, rotated] = results as [RaceResult, RaceResult, RaceResult, RaceResult, RaceResult];
  list.check("'w': each process has its own offset, so lines are lost", w.lost > 0, `${w.lost} of ${w.written} lost, ${w.torn} torn`);
  list.check("'r+': the same", rplus.lost > 0, `${rplus.lost} of ${rplus.written} lost, ${rplus.torn} torn`);
  note(`    (rotation in every process: ${rotate.lost} lost and ${rotate.holes} files missing from the chain this time; it varies from run to run, 0 included)`);
  list.check("'a' + one write per line: 0 lost, 0 torn, each line once", ours.lost === 0 && ours.torn === 0 && ours.duplicated === 0, `${ours.intact} intact`);
  list.check('and with one rotator (rename + USR1): still 0 lost, across the files', rotated.lost === 0 && rotated.torn === 0 && rotated.files > 1, `${rotated.files} files`);

  const access = join(dir, 'access.log');
  const errors = join(dir, 'error.log');
  const format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(p)s %({x-seq}i)s';
  const server = await startServer([app, '-w', String(WORKERS), '-k', 'async', '-b', '127.0.0.1:0', '--access-logfile', access, '--access-logformat', format], errors, WORKERS);
  if (!server) {
    list.check('prefork starts', false, text(errors).split('\n').slice(-4).join(' | ') || 'see its error above');
    return list.finish();
  }
  try {
    const seqs = (file: string): number[] =>
      readFileSync(file, 'utf8').split('\n').flatMap((line) => /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/r\/\d+\?n=\d+ HTTP\/1\.1" 200 14 "-" "hammer\/1" <\d+> (\d+)$/.exec(line)?.[1] ?? []).map(Number);
    const pids = (file: string): Set<string> => new Set(readFileSync(file, 'utf8').split('\n').flatMap((l) => / <(\d+)> /.exec(l)?.[1] ?? []));
    const lines = (file: string): number => readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.includes('GET /ready')).length;

    const first = 4000;
    const started = performance.now();
    const statuses = await hammer(server.url, first, { concurrency: 48 });
    const ms = performance.now() - started;
    await until(() => lines(access) >= first);
    console.log(`  ${readFileSync(access, 'utf8').split('\n').find((l) => l.includes('/r/'))}`);
    list.check(`${first} requests, ${first} access lines, every one whole (${(first / (ms / 1000)).toFixed(0)} requests/s)`, statuses.every((s) => s === 200) && lines(access) === first && seqs(access).length === first, `${pids(access).size} workers wrote to the one file`);

    // logrotate: rename, then USR1 to the master, while requests are still coming in.
    const all = [server.pid, ...server.workerPids()]; // read now: the boot lines stay in the renamed error log
    const during = hammer(server.url, 2000, { concurrency: 16, first });
    await until(() => lines(access) >= first + 300);
    renameSync(access, `${access}.1`);
    renameSync(errors, `${errors}.1`);
    process.kill(server.pid, 'SIGUSR1');
    await during;
    if (openLogs(server.pid) === null) {
      note('    (not checked here: who holds which file needs /proc or lsof, and this machine has neither)');
    } else {
      const moved = await until(() => all.every((pid) => !openLogs(pid)!.some((p) => p.endsWith('.log.1'))));
      list.check(`after mv + kill -USR1, every process holds the new files (${listOpenFiles('PID')})`, moved, all.map((pid) => `${pid}: ${openLogs(pid)!.map((p) => p.slice(dir.length + 1)).join(',')}`).join('  '));
    }
    const after = await hammer(server.url, 500, { concurrency: 16, first: first + 2000 });
    await until(() => seqs(access).filter((s) => s >= first + 2000).length >= 500);
    const old = seqs(`${access}.1`);
    const fresh = seqs(access);
    const union = new Set([...old, ...fresh]);
    list.check('requests after the reopen all land in the new file', after.every((s) => s === 200) && fresh.filter((s) => s >= first + 2000).length === 500);
    list.check('across both files, every request has exactly one line', union.size === first + 2500 && old.length + fresh.length === first + 2500, `${old.length} in access.log.1, ${fresh.length} in access.log`);
    list.check('the master logged "Handling signal: usr1" into the error log it had then (now error.log.1)', /Handling signal: usr1/.test(readFileSync(`${errors}.1`, 'utf8')));
    list.check('TERM stops the master with exit code 0; "Shutting down" goes to the new error log', (await server.stop()) === 0 && /Shutting down: Master/.test(readFileSync(errors, 'utf8')));
  } finally {
    await server.stop();
  }
  return list.finish();
}

/** Polls until the condition holds (true) or 10 s have passed (false). */
async function until(condition: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
