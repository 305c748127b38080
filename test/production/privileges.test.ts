// @chapter 10
// user and group, observed from outside: the workers run as nobody/nogroup and the master stays root;
// the unix socket and the log files they open by path are theirs, also after logrotate and USR1; a
// name that does not exist stops the server; a worker that cannot drop is a boot failure (exit 3).
// Dropping privileges needs a root master: those tests skip with a message elsewhere.
import { spawn } from 'node:child_process';
import { copyFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { afterExit } from '../../chapters/tools/stage.ts';
import { lookupAccount } from '../../src/worker/privileges.ts';
import { killAll, startPrefork, type Server } from '../arbiter/server.ts';
import { waitFor } from '../helpers.ts';

const repo = join(import.meta.dirname, '..', '..');
const nobody = lookupAccount('passwd', 'nobody');
const nogroup = lookupAccount('group', 'nogroup');
const skip = process.getuid?.() !== 0 ? 'not running as root' : !nobody || !nogroup ? 'no user nobody or no group nogroup here' : null;
if (skip) console.log(`test/production/privileges.test.ts: the root-only tests are skipped: ${skip} (workers can only drop to another user under a root master)`);

const dirs: string[] = [];
/**
 * A temp dir with the app in it, and a node_modules, so that the bundle of the app is written there
 * (src/worker/bundle.ts), not in the repository's, which the user nobody might not reach. `open`:
 * made enterable by everyone (mkdtemp makes it 0700, which only root may enter).
 */
function appDir(open = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'prefork-priv-'));
  dirs.push(dir);
  if (open) chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'node_modules'));
  copyFileSync(join(import.meta.dirname, 'fixtures', 'priv-app.ts'), join(dir, 'app.ts'));
  return dir;
}

afterEach(killAll);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Who {
  pid: number;
  uid: number;
  euid: number;
  gid: number;
  egid: number;
  groups: number[];
}

function getUnix(socketPath: string): Promise<Who> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/', headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as Who) : reject(new Error(`${res.statusCode}: ${body}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The Uid:, Gid: and Groups: lines of /proc/PID/status: what the kernel says, not what the app says. */
function ids(pid: number): { uid: string; gid: string; groups: string } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)![1]!.trim().split(/\s+/).join(' ');
  return { uid: field('Uid'), gid: field('Gid'), groups: field('Groups') };
}

/** The files a process has open, by path (as root we may read any process's fd table). */
const openFiles = (pid: number): string[] =>
  readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/${pid}/fd/${fd}`)];
    } catch {
      return []; // closed meanwhile
    }
  });

const owner = (path: string): [number, number] => {
  const st = statSync(path);
  return [st.uid, st.gid];
};

describe('user and group (chapter 10)', () => {
  it.skipIf(skip !== null)('workers run as nobody/nogroup, the master stays root; socket and logs are theirs, also after a rotation and USR1', async () => {
    const dir = appDir();
    const sock = join(dir, 'app.sock');
    const access = join(dir, 'access.log');
    const error = join(dir, 'error.log');
    const server: Server = await startPrefork(
      ['-u', 'nobody', '-g', 'nogroup', '-w', '2', '-b', `unix:${sock}`, '--access-logfile', access, '--error-logfile', error, `${dir}/app.ts:app`],
      { workers: 0 },
    );
    const errorLog = (): string => (existsSync(error) ? readFileSync(error, 'utf8') : '');
    const workers = (): number[] => [...errorLog().matchAll(/Booting worker with pid: (\d+)/g)].map((m) => Number(m[1]));
    await waitFor(() => workers().length === 2, 20_000, `2 workers to boot:\n${errorLog()}${server.log()}`);
    await waitFor(() => getUnix(sock).then(() => true, () => false), 10_000, `an answer on ${sock}`);

    // The app's view and the kernel's: every id nobody's, and none of root's groups left.
    const who = await getUnix(sock);
    expect(who).toMatchObject({ uid: nobody!.id, euid: nobody!.id, gid: nogroup!.id, egid: nogroup!.id, groups: [nogroup!.id] });
    for (const pid of workers()) expect(ids(pid)).toEqual({ uid: `${nobody!.id} `.repeat(4).trim(), gid: `${nogroup!.id} `.repeat(4).trim(), groups: String(nogroup!.id) });
    expect(ids(server.master.pid!).uid).toBe('0 0 0 0');

    // What the master made as root and the workers use by path is theirs.
    expect(owner(sock)).toEqual([nobody!.id, nogroup!.id]);
    expect(owner(access)).toEqual([nobody!.id, nogroup!.id]);
    expect(owner(error)).toEqual([nobody!.id, nogroup!.id]);
    await waitFor(() => readFileSync(access, 'utf8').includes('"GET / HTTP/1.1" 200'), 5_000, 'the access line of the first request');

    // logrotate's way: rename, then USR1. The master makes the files again and gives them to nobody
    // before the workers reopen them: they could not create a file in this root-owned directory.
    const pids = workers();
    renameSync(access, `${access}.1`);
    renameSync(error, `${error}.1`);
    process.kill(server.master.pid!, 'SIGUSR1');
    const reopened = (pid: number): boolean => {
      const files = openFiles(pid);
      return files.includes(access) && files.includes(error) && !files.includes(`${access}.1`) && !files.includes(`${error}.1`);
    };
    await waitFor(() => pids.every((pid) => existsSync(`/proc/${pid}`) && reopened(pid)), 10_000, `both workers on the new files:\n${readFileSync(`${error}.1`, 'utf8')}`);
    expect(owner(access)).toEqual([nobody!.id, nogroup!.id]);
    expect(owner(error)).toEqual([nobody!.id, nogroup!.id]);
    const before = readFileSync(`${access}.1`, 'utf8');
    await getUnix(sock);
    await waitFor(() => readFileSync(access, 'utf8').includes('"GET / HTTP/1.1" 200'), 5_000, 'the access line in the new file');
    expect(readFileSync(`${access}.1`, 'utf8')).toBe(before);
    expect(readFileSync(`${error}.1`, 'utf8')).not.toMatch(/Cannot (re)?open/);

    await server.stop();
    expect(await server.exited).toBe(0);
  }, 60_000);

  it('an unknown user or group stops the server at start: exit 1, in gunicorn\'s words', async () => {
    const cases = [
      ['-u', 'no-such-user-prefork', "user (-u/--user) from the command line: No such user: 'no-such-user-prefork'"],
      ['-g', 'no-such-group-prefork', "group (-g/--group) from the command line: No such group: 'no-such-group-prefork'"],
    ] as const;
    await Promise.all(
      cases.map(async ([flag, name, message]) => {
        const child = spawn(process.execPath, [join(repo, 'src', 'prefork.mjs'), flag, name, 'app.ts:app'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
        const { code } = await afterExit(child);
        expect(code).toBe(1);
        expect(out).toContain(`Error: Invalid value for ${message}`);
      }),
    );
  });

  it.skipIf(skip !== null)('a worker that cannot drop is a boot failure: the master stops with exit 3 and says why', async () => {
    // initgroups needs the user's name, and this uid has none: the worker fails after "Booting worker".
    let uid = 4_000_000;
    while (lookupAccount('passwd', String(uid))) uid++;
    const dir = appDir();
    const server = await startPrefork(['-u', String(uid), '-g', String(uid), '--initgroups', '-b', '127.0.0.1:0', `${dir}/app.ts:app`], { workers: 0 });
    expect(await server.exited).toBe(3);
    expect(server.log()).toContain(`Exception in worker process:\ncannot drop privileges, initgroups(${uid}, ${uid}) failed: User identifier does not exist: ${uid}`);
    expect(server.log()).toContain('Reason: Worker failed to boot.');
  });

  it.skipIf(skip !== null)('an app the user cannot reach is a boot failure that says so, not Node\'s "Cannot find module"', async () => {
    // The app's chunk is imported after the drop, from the bundle cache in the app's node_modules.
    const dir = appDir(false);
    const server = await startPrefork(['-u', 'nobody', '-b', '127.0.0.1:0', `${dir}/app.ts:app`], { workers: 0 });
    expect(await server.exited).toBe(3);
    expect(server.log()).toContain(`user ${nobody!.id} and group ${nogroup!.id} cannot reach ${dir}/node_modules/.cache/prefork, where the app's bundle is (EACCES)`);
  });

  it.skipIf(skip !== null)('workers on the TypeScript sources (no bundle) refuse to drop: their compiler may run as root', async () => {
    // PREFORK_MINE with no swaps: the source entry, as `--mine` and a failed bundle give.
    const dir = appDir();
    const server = await startPrefork(['-u', 'nobody', '-b', '127.0.0.1:0', `${dir}/app.ts:app`], { workers: 0, env: { PREFORK_MINE: '{}' } });
    expect(await server.exited).toBe(3);
    expect(server.log()).toContain('this worker runs the TypeScript sources (no bundle), whose compiler may still run as root');
  });
});
