// Exercise 7.3: log files shared by processes, and reopened after a rotation. First LogFile on its own
// (two writers on one path, a rename and reopen(), a reopen that fails, a pipe nobody reads), then several
// processes writing with it at once, then the real server with it plugged in: two workers, one access
// log, logrotate's rename and USR1.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { checkWritable, LogFile, reopenLogFiles } from '@answers/07-logging/files.ts';
import { countLines, type Count } from '../../../chapters/07-logging/lines.ts';
import { openLogs } from '../../../chapters/07-logging/server.ts';
import { check, describeReply, exchange, launch, stopAll, swapsFor, until, type Reply, type Running } from '../tester.ts';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'prefork-ex73-')));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Files a test opened and has not closed: closed after it, so that reopenLogFiles() in the next test does not meet them. */
const open = new Set<LogFile>();
const track = (file: LogFile): LogFile => (open.add(file), file);
const done = (file: LogFile): void => {
  open.delete(file);
  file.close();
};
afterEach(async () => {
  for (const file of open) {
    try {
      file.close();
    } catch {
      // the test failed half-way; the next one starts clean anyway
    }
  }
  open.clear();
  await stopAll();
});

const read = (path: string): string => readFileSync(path, 'utf8');

/** Linux: the paths this process's descriptors point to (a renamed file shows its new name). null elsewhere. */
function ownFds(): string[] | null {
  if (!existsSync('/proc/self/fd')) return null;
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

describe('exercise 7.3: LogFile in one process', () => {
  it('appends: two LogFiles on one path add whole lines after each other, never over each other', () => {
    const path = join(dir, 'two.log');
    writeFileSync(path, 'already there\n');
    const a = track(new LogFile(path, 2));
    const b = track(new LogFile(path, 2));
    a.write('a1\n');
    b.write('b1, longer\n');
    a.write('a2\n');
    expect(read(path), "each write lands at the end of the file, as it is at that moment ('a', O_APPEND)").toBe('already there\na1\nb1, longer\na2\n');
    done(a);
    done(b);

    const fresh = join(dir, 'fresh.log');
    done(track(new LogFile(fresh, 1)));
    expect(existsSync(fresh), 'a missing file is created').toBe(true);
    expect(() => new LogFile(join(dir, 'no-such-dir', 'x.log'), 2), 'a path that cannot be opened: the constructor throws the open error').toThrow(/ENOENT/);
  });

  it('reopen() after a rename: earlier lines stay in the renamed file, later ones go to a new file at the path', () => {
    const path = join(dir, 'app.log');
    const file = track(new LogFile(path, 2));
    file.write('before\n');
    renameSync(path, `${path}.1`);
    file.write('renamed, not reopened yet\n');
    expect(existsSync(path), 'a write alone does not recreate the path: the descriptor follows the file, not its name').toBe(false);
    file.reopen();
    expect(existsSync(path), 'reopen() opens the path again, which creates a new file').toBe(true);
    file.write('after\n');
    expect(read(`${path}.1`), 'the renamed file: the lines written before reopen()').toBe('before\nrenamed, not reopened yet\n');
    expect(read(path), 'the new file: the lines written after').toBe('after\n');
    const fds = ownFds();
    if (fds) expect(fds.filter((p) => p === `${path}.1`), 'after reopen() no descriptor of this process points to the renamed file: the old one is closed').toEqual([]);
    expect(file.dropped, 'nothing dropped').toBe(0);
  });

  it('reopenLogFiles() reopens every file this process has open, and not the closed ones', () => {
    const errors = track(new LogFile(join(dir, 'error.log'), 2));
    const access = track(new LogFile(join(dir, 'access.log'), 1));
    const closed = track(new LogFile(join(dir, 'closed.log'), 2));
    for (const name of ['error.log', 'access.log', 'closed.log']) renameSync(join(dir, name), join(dir, `${name}.1`));
    done(closed);
    expect(reopenLogFiles(), 'no failure: []').toEqual([]);
    errors.write('e\n');
    access.write('a\n');
    expect([read(join(dir, 'error.log')), read(join(dir, 'access.log'))], 'both open files switched to a new file at their path').toEqual(['e\n', 'a\n']);
    expect(existsSync(join(dir, 'closed.log')), 'a closed file is not reopened (nothing recreates its path)').toBe(false);
  });

  it('a reopen that fails keeps the old descriptor, and does not stop the other files', () => {
    const sub = join(dir, 'gone');
    mkdirSync(sub);
    const path = join(sub, 'x.log');
    const stuck = track(new LogFile(path, 2));
    const other = track(new LogFile(join(dir, 'other.log'), 2));
    stuck.write('one\n');
    renameSync(sub, `${sub}-moved`); // the directory is gone: the path cannot be opened any more
    renameSync(join(dir, 'other.log'), join(dir, 'other.log.1'));
    expect(() => stuck.reopen(), 'reopen() throws the error of the open').toThrow(/ENOENT/);
    const failures = reopenLogFiles();
    expect(failures, 'one message, for the file that failed: "Cannot reopen log file PATH: REASON"').toEqual([expect.stringMatching(/^Cannot reopen log file .*gone[\\/]x\.log: .*ENOENT/)]);
    stuck.write('two\n');
    other.write('other\n');
    expect(read(join(`${sub}-moved`, 'x.log')), 'the failed file goes on writing where it was, rather than nowhere').toBe('one\ntwo\n');
    expect(read(join(dir, 'other.log')), 'the other file was reopened all the same').toBe('other\n');
  });

  it('never throws on write: a line that cannot be written is counted in dropped', () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    // A reader first (non-blocking, so this open does not wait for a writer), then the LogFile.
    let reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const file = track(new LogFile(fifo, 2));
      file.write('through the pipe\n');
      const buf = Buffer.alloc(64);
      expect(buf.toString('utf8', 0, readSync(reader, buf)), 'a line written while someone reads').toBe('through the pipe\n');
      closeSync(reader);
      reader = -1;
      expect(() => {
        file.write('nobody reads this\n');
        file.write('nor this\n');
      }, 'writing into a pipe with no reader fails (EPIPE): write() must not throw').not.toThrow();
      expect(file.dropped, 'two lines could not be written').toBe(2);
    } finally {
      if (reader >= 0) closeSync(reader);
    }
  });

  it('"-" is the standard stream: no file named "-", nothing to reopen, and close() leaves the stream open', () => {
    const std = track(new LogFile('-', 2));
    expect(() => std.reopen(), "reopen() of '-' does nothing").not.toThrow();
    done(std);
    expect(() => fstatSync(2), 'stderr is still open after close()').not.toThrow();
    expect(existsSync(join(process.cwd(), '-')), 'no file called "-" was created').toBe(false);
  });

  it('checkWritable: opens for appending (creating the file) and closes at once, or says why it cannot', () => {
    expect(checkWritable('-', 'accesslog'), "'-' is always fine").toBeNull();
    const good = join(dir, 'checked.log');
    expect(checkWritable(good, 'accesslog'), 'a path that can be opened').toBeNull();
    expect(existsSync(good), 'the file exists afterwards').toBe(true);
    const fds = ownFds();
    if (fds) expect(fds.filter((p) => p === good), 'and no descriptor is left open on it').toEqual([]);
    const bad = join(dir, 'nope', 'a.log');
    expect(checkWritable(bad, 'accesslog (--access-logfile)'), 'SETTING: cannot open "PATH" for appending: REASON').toMatch(
      new RegExp(`^${escapeRegExp(`accesslog (--access-logfile): cannot open ${JSON.stringify(bad)} for appending: `)}.*ENOENT`),
    );
  });
});

describe('exercise 7.3: several processes, one file', () => {
  it("4 processes write 2,000 lines each at once, while the file is renamed every 20 ms + USR1: every line once, whole", { timeout: 60_000 }, async () => {
    done(track(new LogFile(join(dir, 'race.log'), 2))); // here first: a stub fails now, not after 4 processes started
    const result = await race(join(dir, 'race.log'), 4, 2000, 20);
    expect({ lost: result.lost, torn: result.torn, duplicated: result.duplicated }, `${result.files} files (the live one and the renamed ones)`).toEqual({ lost: 0, torn: 0, duplicated: 0 });
    expect(result.files, 'the renames happened: lines are spread over several files').toBeGreaterThan(1);
  });
});

describe('exercise 7.3, black-box: prefork with your files.ts, two workers, one access log, logrotate', () => {
  it('every request has exactly one whole line; after mv + kill -USR1 the workers write to a new access.log', { timeout: 60_000 }, async () => {
    const logs = mkdtempSync(join(dir, 'server-'));
    const access = join(logs, 'access.log');
    const rotated = `${access}.1`;
    const args = ['test/exercises/targets/echo-app.ts:app', '-w', '2', '-b', '127.0.0.1:0', '--access-logfile', access, '--access-logformat', FORMAT];
    const live = `npm run chapter 7 -- --mine, then in another terminal: mv access.log access.log.1; kill -USR1 <master> (the stage prints the directory and the pid), and look: ls -l /proc/<worker>/fd | grep log`;
    let server: Running;
    try {
      server = await launch(['7.3'], 'src/prefork.mjs', args, { workers: 2 });
    } catch (err) {
      const said = (err as Error).message;
      check(false, `prefork did not start with your files.ts (${/Not implemented yet: exercise [\d.]+/.exec(said)?.[0] ?? 'see what it said'})`, {
        expected: `"Listening at: http://127.0.0.1:PORT" and two "Booting worker with pid: N" lines on stderr (the error log is "-"), and ${access} created`,
        got: said.split('\n')[0],
        live,
        log: said,
      });
    }
    const master = server.child.pid!;
    const workers = server.workerPids();
    const lines = (file: string): string[] => (existsSync(file) ? read(file).split('\n').filter((l) => l !== '') : []);

    // 1. N requests, several at a time, so that both workers write into the file at once.
    const first = await send(server.url, 'before', N);
    const failed = first.findIndex((r) => r.status !== 200);
    check(failed < 0, 'a request failed before the rotation', { sent: request('before', failed), expected: 'HTTP/1.1 200 OK', got: failed < 0 ? '' : describeReply(first[failed]!), live, log: server.log() });
    await until(() => lines(access).length >= N);
    const tornBefore = lines(access).filter((l) => parse(l) === null);
    check(tornBefore.length === 0, `${tornBefore.length} access line(s) are not whole: torn, glued together or written over one another`, {
      sent: `${N} GETs, /before/0 to /before/${N - 1}, 8 at a time`,
      expected: `whole lines, each appended (O_APPEND) with one write, like ${JSON.stringify(example())}`,
      got: show(tornBefore),
      live,
    });
    const logged = new Set(lines(access).map((l) => parse(l)!.id));
    const missing = Array.from({ length: N }, (_, i) => `before/${i}`).filter((id) => !logged.has(id));
    check(missing.length === 0, `${N} requests answered, but ${missing.length} of them have no line in access.log after 10 s`, {
      sent: `${N} GETs, /before/0 to /before/${N - 1}, 8 at a time`,
      expected: `${N} lines in ${access}, one per request, written by the worker that served it (O_APPEND: no worker writes over another's line)`,
      got: `${lines(access).length} lines; no line for ${missing.join(' ')}`,
      live,
      log: server.log(),
    });

    // 2. logrotate: rename, then USR1 to the master, which passes it on to the workers.
    renameSync(access, rotated);
    server.signal('SIGUSR1');
    const recreated = await until(() => existsSync(access));
    check(recreated, 'after mv access.log access.log.1 and kill -USR1 <master>, no new access.log appeared within 10 s', {
      expected: 'every worker opens the path again (LogFile.reopen(), from reopenLogFiles() on USR1), which creates a new access.log',
      got: `the directory holds: ${readdirSync(logs).join(', ')}`,
      live,
      log: server.log(),
    });
    const held = (): Map<number, string[] | null> => new Map(workers.map((pid) => [pid, openLogs(pid)]));
    if (openLogs(master) !== null) {
      // Every worker holds the new file and has closed the renamed one (where /proc or lsof can tell).
      const switched = await until(() => [...held().values()].every((files) => files!.includes(access) && !files!.includes(rotated)));
      check(switched, 'after USR1, a worker still holds access.log.1 open, or does not hold the new access.log', {
        expected: `each worker (${workers.join(', ')}) holds ${access} and no longer ${rotated}: reopen() opens the path, switches to it, and closes the old descriptor`,
        got: [...held()].map(([pid, files]) => `worker ${pid} holds ${files?.join(', ') || 'no log file'}`).join('; '),
        live,
        log: server.log(),
      });
    }
    // (Without /proc or lsof there is no way to see when a worker has reopened: the requests below then
    // test what they can.)

    // 3. M more requests: their lines must all be in the new file.
    const second = await send(server.url, 'after', M);
    const failedAfter = second.findIndex((r) => r.status !== 200);
    check(failedAfter < 0, 'a request failed after the rotation', { sent: request('after', failedAfter), expected: 'HTTP/1.1 200 OK', got: failedAfter < 0 ? '' : describeReply(second[failedAfter]!), live, log: server.log() });
    await until(() => lines(access).length + lines(rotated).length >= N + M);

    const oldLines = lines(rotated);
    const newLines = lines(access);
    const torn = [...oldLines, ...newLines].filter((l) => parse(l) === null);
    check(torn.length === 0, `${torn.length} access line(s) are not whole: torn, glued together or written over one another`, {
      expected: `whole lines, each appended (O_APPEND) with one write, like ${JSON.stringify(example())}`,
      got: show(torn),
      live,
    });
    const where = new Map<string, string[]>();
    for (const [file, list] of [['access.log.1', oldLines], ['access.log', newLines]] as const) {
      for (const l of list) where.set(parse(l)!.id, [...(where.get(parse(l)!.id) ?? []), file]);
    }
    const ids = [...Array.from({ length: N }, (_, i) => `before/${i}`), ...Array.from({ length: M }, (_, i) => `after/${i}`)];
    const lost = ids.filter((id) => !where.has(id));
    const twice = ids.filter((id) => (where.get(id)?.length ?? 0) > 1);
    check(lost.length === 0 && twice.length === 0, `across access.log.1 and access.log, ${lost.length} request(s) have no line and ${twice.length} have more than one`, {
      sent: `${N} requests before the rotation, ${M} after`,
      expected: 'exactly one line per request',
      got: `no line: ${lost.join(' ') || 'none'}; more than one: ${twice.map((id) => `${id} (in ${where.get(id)!.join(', ')})`).join(' ') || 'none'}`,
      live,
      log: server.log(),
    });
    const misplacedOld = ids.slice(0, N).filter((id) => where.get(id)![0] !== 'access.log.1');
    check(misplacedOld.length === 0, `${misplacedOld.length} line(s) written before the rotation are not in the renamed file`, {
      expected: 'the lines written before the rename stay in that file, now called access.log.1',
      got: `in access.log instead: ${misplacedOld.join(' ')}`,
      live,
    });
    const misplacedNew = ids.slice(N).filter((id) => where.get(id)![0] !== 'access.log');
    check(misplacedNew.length === 0, `${misplacedNew.length} request(s) sent after USR1 were logged into the renamed file, not the new access.log`, {
      sent: `${M} GETs /after/0 to /after/${M - 1}, once every worker had reopened`,
      expected: 'every line in the new access.log',
      got: `in access.log.1: ${misplacedNew.map((id) => `${id} (worker ${pidOf([...oldLines], id)})`).join(' ')}`,
      live,
      log: server.log(),
    });
    check(/Handling signal: usr1/.test(server.log()) && !/Cannot reopen log file/.test(server.log()), 'the master did not log "Handling signal: usr1", or a process could not reopen its file', {
      expected: '"Handling signal: usr1" in the error log (stderr here), and no "Cannot reopen log file" line',
      got: server.log().split('\n').filter((l) => /usr1|reopen/i.test(l)).join(' | ') || 'neither line',
      live,
      log: server.log(),
    });
  });
});

// --- the black-box test's requests and lines ---

const N = 40;
const M = 40;
/** gunicorn's default format, plus the pid of the worker that wrote the line. */
const FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(p)s';
/** A User-Agent whose length depends on the request, so a line cut or glued to another cannot pass. */
const agent = (id: string): string => `tester-7.3 ${'x'.repeat(100 + ((Number(id.split('/')[1]) * 37 + id.length * 11) % 200))}`;
const request = (kind: string, i: number): string => `GET /${kind}/${i} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: ${agent(`${kind}/${i}`)}\r\nConnection: close\r\n\r\n`;
const LINE = /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/((?:before|after)\/\d+) HTTP\/1\.1" 200 \d+ "-" "(tester-7\.3 x+)" <(\d+)>$/;
const example = (): string => `127.0.0.1 - - [22/Nov/2026:12:00:55 +0000] "GET /before/0 HTTP/1.1" 200 321 "-" "${agent('before/0').slice(0, 20)}..." <4242>`;

function parse(line: string): { id: string; pid: number } | null {
  const m = LINE.exec(line);
  return m && m[2] === agent(m[1]!) ? { id: m[1]!, pid: Number(m[3]) } : null;
}
const pidOf = (lines: string[], id: string): number | undefined => lines.map(parse).find((p) => p?.id === id)?.pid;

/** `count` requests, 8 connections at a time, each closed after its response. */
async function send(url: string, kind: string, count: number): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (let at = 0; at < count; at += 8) {
    const batch = Array.from({ length: Math.min(8, count - at) }, (_, k) => exchange(url, request(kind, at + k), { timeoutMs: 10_000 }));
    replies.push(...(await Promise.all(batch)));
  }
  return replies;
}


const show = (lines: string[]): string => (lines.length ? lines.slice(0, 3).map((l) => JSON.stringify(l.length > 160 ? `${l.slice(0, 160)}...` : l)).join(' / ') + (lines.length > 3 ? ` and ${lines.length - 3} more` : '') : 'none');
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// --- several processes: chapter 7's writer (chapters/07-logging/writer.ts) with your files.ts swapped in ---

/**
 * Starts `processes` writers together on one file, each writing `linesEach` numbered lines with LogFile;
 * every `rotateEveryMs` renames the file and sends USR1 to the writers (logrotate's way). Counts what the
 * files hold afterwards.
 */
async function race(file: string, processes: number, linesEach: number, rotateEveryMs: number): Promise<Count & { files: number }> {
  const writer = join(import.meta.dirname, '..', '..', '..', 'chapters', '07-logging', 'writer.ts');
  const mine = pathToFileURL(join(import.meta.dirname, '..', '..', '..', 'chapters', 'tools', 'mine.mjs')).href;
  const children: ChildProcess[] = [];
  let rotator: NodeJS.Timeout | undefined;
  try {
    const ready: Promise<void>[] = [];
    const finished: Promise<void>[] = [];
    for (let id = 0; id < processes; id++) {
      const child = fork(writer, ['a', file, String(id), String(linesEach)], {
        execArgv: ['--import', import.meta.resolve('tsx'), '--import', mine],
        env: { ...process.env, PREFORK_MINE: JSON.stringify(swapsFor(['7.3'])) },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      children.push(child);
      let said = '';
      child.stdout!.on('data', (c: Buffer) => (said += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (said += c.toString()));
      const exited = new Promise<never>((_, reject) =>
        child.on('exit', (code) => reject(new Error(`writer ${id} exited with code ${code} before it was done; it said:\n${said.slice(-1500)}`))),
      );
      ready.push(Promise.race([new Promise<void>((resolve) => child.on('message', (m: { cmd: string }) => m.cmd === 'ready' && resolve())), exited]));
      const finish = Promise.race([new Promise<void>((resolve) => child.on('message', (m: { cmd: string }) => m.cmd === 'done' && resolve())), exited]);
      finish.catch(() => undefined); // awaited below, unless a writer failed to start (then `ready` reports it)
      finished.push(finish);
    }
    await Promise.all(ready);
    for (const c of children) c.send({ cmd: 'go' });
    let rotations = 0;
    rotator = setInterval(() => {
      if (!existsSync(file)) return; // not reopened yet: nothing to rotate (logrotate's missingok)
      renameSync(file, `${file}.r${++rotations}`);
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGUSR1');
    }, rotateEveryMs);
    await Promise.all(finished);
    clearInterval(rotator);
    const names = readdirSync(dirname(file)).filter((n) => n === basename(file) || n.startsWith(`${basename(file)}.`));
    return { files: names.length, ...countLines(names.map((n) => read(join(dirname(file), n))), processes, linesEach) };
  } finally {
    clearInterval(rotator);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}
