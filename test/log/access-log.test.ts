// @chapter 7
// The access log as its users see it: four workers, one file, every request one whole line; and
// logrotate's rename + USR1, after which every process writes to the new file and nothing was lost.
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { hammer } from '../../chapters/07-logging/load.ts';
import { waitFor } from '../helpers.ts';
import { killAll, startPrefork } from '../arbiter/server.ts';

const app = join(import.meta.dirname, '..', '..', 'chapters', '02-contract', 'apps', 'hello.ts');
const dir = mkdtempSync(join(tmpdir(), 'prefork-access-'));
afterEach(killAll);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** gunicorn's default format, then the worker's pid and the request's X-Seq header. */
const FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(p)s %({x-seq}i)s';
const LINE = /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET \/r\/(\d+)\?n=\d+ HTTP\/1\.1" 200 14 "-" "hammer\/1" <(\d+)> (\d+)$/;

/** Every line parsed: the X-Seq of each, the pids that wrote them, and the lines that did not parse. */
function parse(text: string): { seqs: number[]; pids: Set<number>; bad: string[] } {
  const seqs: number[] = [];
  const pids = new Set<number>();
  const bad: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.includes('"GET /probe HTTP/1.1"')) continue;
    const m = LINE.exec(line);
    if (!m || m[1] !== m[3]) {
      bad.push(line);
      continue;
    }
    seqs.push(Number(m[3]));
    pids.add(Number(m[2]));
  }
  return { seqs, pids, bad };
}

/** The files a process has open, by path (what `ls -l /proc/PID/fd` shows). */
function openPaths(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        return [readlinkSync(`/proc/${pid}/fd/${fd}`)];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('access log: several workers, one file', () => {
  it('4 workers write 10,000 lines into one file: one whole line per request, none lost, none torn', { timeout: 60_000 }, async () => {
    const file = join(dir, 'access.log');
    const server = await startPrefork([app, '-w', '4', '-k', 'async', '-b', '127.0.0.1:0', '--access-logfile', file, '--access-logformat', FORMAT], { workers: 4 });
    // Ten rounds, each on new connections: a kept-alive connection stays with the worker that accepted
    // it, and on a busy machine one worker can accept a whole round's 48 before the others wake up.
    const statuses: number[] = [];
    for (let round = 0; round < 10; round++) statuses.push(...(await hammer(server.url, 1000, { concurrency: 48, first: round * 1000 })));
    expect(statuses.every((s) => s === 200), 'every request was answered').toBe(true);
    // The line is written right after the response is sent: give the last ones a moment.
    await waitFor(() => readFileSync(file, 'utf8').split('\n').length > 10_000, 10_000, '10,000 lines');
    const { seqs, pids, bad } = parse(readFileSync(file, 'utf8'));
    expect(bad.slice(0, 3), 'every line is whole and parses').toEqual([]);
    expect(seqs.length, 'one line per request').toBe(10_000);
    expect(seqs.sort((a, b) => a - b), 'each request exactly once').toEqual(range(0, 10_000));
    expect(pids.size, 'several workers wrote into the same file').toBeGreaterThanOrEqual(2);
    expect([...pids].every((p) => server.workerPids().includes(p)), 'the pids in the lines are the workers').toBe(true);
  });

  it('USR1 after a rename (logrotate): every process reopens the path, no line is lost across the two files', { timeout: 60_000 }, async () => {
    const access = join(dir, 'rot-access.log');
    const errors = join(dir, 'rot-error.log');
    const server = await startPrefork([app, '-w', '3', '-b', '127.0.0.1:0', '--access-logfile', access, '--access-logformat', FORMAT, '--error-logfile', errors], { workers: 0 });
    // The log goes to the file now, so wait for the workers there, then for a first answer.
    const booted = (): number[] => [...readFileSync(errors, 'utf8').matchAll(/Booting worker with pid: (\d+)/g)].map((m) => Number(m[1]));
    await waitFor(() => existsSync(errors) && booted().length === 3 && /Listening at: (\S+)/.test(readFileSync(errors, 'utf8')), 20_000, 'three workers to boot');
    const url = /Listening at: (\S+)/.exec(readFileSync(errors, 'utf8'))![1]!;
    await waitFor(() => fetch(`${url}/probe`).then((r) => r.arrayBuffer().then(() => true), () => false), 10_000, 'a first answer');
    const workers = booted();
    const master = server.master.pid!;
    expect(server.log(), 'nothing on stderr: the error log has it all').toBe('');

    // Requests in flight while the file is renamed and USR1 sent, as logrotate does at night.
    const during = hammer(url, 3000, { concurrency: 24, first: 0 });
    await waitFor(() => readFileSync(access, 'utf8').split('\n').length > 500, 20_000, 'some lines');
    renameSync(access, `${access}.1`);
    renameSync(errors, `${errors}.1`);
    process.kill(master, 'SIGUSR1');
    expect((await during).every((s) => s === 200), 'every request answered across the rotation').toBe(true);

    // Every process holds the new files, none the renamed ones (what `ls -l /proc/PID/fd` shows).
    await waitFor(() => [master, ...workers].every((pid) => !openPaths(pid).some((p) => p.endsWith('.log.1'))), 10_000, 'every process to let go of the renamed files');
    for (const pid of workers) expect(openPaths(pid), `worker ${pid} writes to the new access log`).toContain(access);
    expect(openPaths(master), 'the master writes to the new error log').toContain(errors);
    expect(readFileSync(`${errors}.1`, 'utf8'), 'the master logged the signal').toMatch(/\[INFO\] Handling signal: usr1/);

    const after = await hammer(url, 300, { concurrency: 8, first: 3000 });
    expect(after.every((s) => s === 200)).toBe(true);
    await waitFor(() => parse(readFileSync(access, 'utf8')).seqs.filter((s) => s >= 3000).length === 300, 10_000, 'the last 300 lines');
    const old = parse(readFileSync(`${access}.1`, 'utf8'));
    const fresh = parse(readFileSync(access, 'utf8'));
    expect([...old.bad, ...fresh.bad], 'no torn line in either file').toEqual([]);
    expect(old.seqs.length, 'lines written before the rename stay in the renamed file').toBeGreaterThan(0);
    expect(fresh.seqs.filter((s) => s >= 3000).sort((a, b) => a - b), 'after the reopen, every line lands in the new file').toEqual(range(3000, 3300));
    expect([...old.seqs, ...fresh.seqs].sort((a, b) => a - b), 'across both files, each request exactly once').toEqual(range(0, 3300));

    process.kill(master, 'SIGTERM');
    expect(await server.exited).toBe(0);
    expect(readFileSync(errors, 'utf8'), 'the master goes on logging into the new error log').toMatch(/Shutting down: Master/);
  });

  it('a bad format or an unwritable log file stops the server at start, with exit 1', async () => {
    const bad = await startPrefork([app, '-b', '127.0.0.1:0', '--access-logfile', '-', '--access-logformat', '%(h)s %s'], { workers: 0 });
    expect(await bad.exited).toBe(1);
    expect(bad.log()).toMatch(/Error: Invalid value for access_log_format \(--access-logformat\): "%" at index 6 starts no atom/);
    const nowhere = await startPrefork([app, '-b', '127.0.0.1:0', '--access-logfile', join(dir, 'no', 'such', 'dir', 'a.log')], { workers: 0 });
    expect(await nowhere.exited).toBe(1);
    expect(nowhere.log()).toMatch(/Error: accesslog \(--access-logfile\): cannot open .* for appending: ENOENT/);
  });
});
