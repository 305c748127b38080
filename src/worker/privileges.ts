// @chapter 10
// user and group: the master stays as it was started (root), and every worker becomes `user`/`group`
// before any of the user's code runs in it (hooks, app). Three parts:
//   - lookup: a name or a number to an id, from the system's user and group databases;
//   - drop:   in the worker, the groups first, then the user, then a check that it took;
//   - give:   in the master, what the workers open by path (unix sockets, log files) becomes theirs.
import { execFileSync } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, fchownSync, fstatSync, lchownSync, lstatSync, openSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseAppSpec } from '../app/app-spec.ts';
import { BindError, type Listener } from '../sock/bind.ts';

/** One entry of the user database (passwd) or of the group database (group). */
export interface Account {
  name: string;
  id: number;
  /** passwd only: the user's login group. */
  gid: number | null;
}

// #region lookup
/**
 * A name or a number looked up in the user or group database; null when there is no such entry.
 *
 * Node has getpwnam(3) only inside process.setuid(name), which would switch the master itself. So we
 * ask getent(1), which goes through the same C library lookup (nsswitch.conf: /etc/passwd, and also
 * LDAP, sssd or systemd's dynamic users where configured). An image without getent falls back to the
 * local file, which is all such an image has anyway. Called at start and on HUP, never per request.
 */
export function lookupAccount(db: 'passwd' | 'group', key: string): Account | null {
  let line: string | undefined;
  try {
    // `--`: a value such as "--help" is a key to look up, not an option of getent's.
    line = execFileSync('getent', [db, '--', key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0];
  } catch (err) {
    const failure = err as NodeJS.ErrnoException & { status?: number | null };
    if (failure.status === 2) return null; // getent's "no such key"
    if (failure.code !== 'ENOENT') throw err;
    const field = /^\d+$/.test(key) ? 2 : 0; // a number is an id, anything else a name
    line = readFileSync(`/etc/${db}`, 'utf8').split('\n').find((l) => l.split(':')[field] === key);
  }
  if (!line) return null;
  const [name, , id, gid] = line.split(':');
  return { name: name!, id: Number(id), gid: db === 'passwd' ? Number(gid) : null };
}

/** A `user` or `group` value as an id: a number stays as it is (an id need not have a name); null: no such name. */
export function accountId(db: 'passwd' | 'group', value: string | number): number | null {
  if (typeof value === 'number') return value;
  if (/^\d+$/.test(value)) return Number(value);
  return lookupAccount(db, value)?.id ?? null;
}
// #endregion lookup

/** What a worker becomes. null ids: left as they are. */
export interface Owner {
  uid: number | null;
  gid: number | null;
  /** The user's supplementary groups from the group database (initgroups(3)); false: `gid` alone. */
  initgroups: boolean;
}

/** The settings this module reads (config/settings.ts; user and group already resolved to ids). */
export interface OwnerSettings {
  user: number | null;
  group: number | null;
  initgroups: boolean;
}

/** The owner the settings ask for, or null when workers stay as the master is. */
export function ownerOf(settings: OwnerSettings): Owner | null {
  if (settings.user === null && settings.group === null) return null;
  return { uid: settings.user, gid: settings.group, initgroups: settings.initgroups };
}

export const describeOwner = (o: Owner): string => [o.uid !== null ? `user ${o.uid}` : '', o.gid !== null ? `group ${o.gid}` : ''].filter(Boolean).join(' and ');

/** A drop that failed: the worker cannot serve as asked, which is a boot failure (exit 3). */
export class PrivilegeError extends Error {}

// #region drop
/**
 * Makes this process `owner`, for good. Called in a worker after its error log is open (so that a
 * failure is logged where the operator looks) and before hooks and app are loaded. `app`: the worker's
 * app spec and directory (what it is about to import).
 */
export function dropPrivileges(owner: Owner, app: { app: string; cwd: string }): void {
  const { uid, gid } = owner;
  if ((uid === null || uid === process.getuid!()) && (gid === null || gid === process.getgid!())) return;
  // Groups first: setgroups(2) and setgid(2) need root (CAP_SETGID), which setuid(2) takes away. In
  // the other order they fail, and a server that went on anyway would keep root's group (CERT POS36-C).
  if (gid !== null) {
    // setgid changes the primary group only; root's supplementary groups would stay: replace them.
    if (owner.initgroups && uid !== null) step(`initgroups(${uid}, ${gid})`, () => (process as WithInitgroups).initgroups(uid, gid));
    else step(`setgroups([${gid}])`, () => process.setgroups!([gid]));
    step(`setgid(${gid})`, () => process.setgid!(gid));
  }
  // As root, setuid sets the real, effective and saved user ids at once: there is no way back.
  if (uid !== null) step(`setuid(${uid})`, () => process.setuid!(uid));
  // Check that it took (CERT POS37-C), rather than serve as root by mistake.
  const now = { uid: process.getuid!(), euid: process.geteuid!(), gid: process.getgid!(), egid: process.getegid!() };
  if ((uid !== null && (now.uid !== uid || now.euid !== uid)) || (gid !== null && (now.gid !== gid || now.egid !== gid))) {
    throw new PrivilegeError(`asked for ${describeOwner(owner)}, running as ${JSON.stringify(now)}`);
  }
  // A worker on the TypeScript sources (no bundle: --mine, or bundling failed, which the master logged)
  // compiles through esbuild's service process, which tsx may have started before the drop, as root,
  // to compile the worker itself; it would go on compiling for the app as root. Seen with tsx's cache
  // cold: a root esbuild under a nobody worker. So such a worker does not serve; unless there is no app
  // file to compile, which the worker reports as usual (exit 4).
  const sources = process.execArgv.some((a) => a.includes('tsx'));
  if (sources && appFileExists(app)) {
    throw new PrivilegeError(`this worker runs the TypeScript sources (no bundle), whose compiler may still run as root: it does not serve as ${describeOwner(owner)}. Fix what stopped the bundle (the master logged it), or run without user/group`);
  }
  // The app is a chunk of the bundle, imported after the drop from next to this worker's entry file
  // (node_modules/.cache/prefork by the app). Unreachable, Node would only say "Cannot find module".
  const entryDir = dirname(process.argv[1]!);
  try {
    if (!sources) accessSync(entryDir, constants.X_OK);
  } catch (err) {
    throw new PrivilegeError(`${describeOwner(owner)} cannot reach ${entryDir}, where the app's bundle is (${(err as NodeJS.ErrnoException).code}): the app's directory and its node_modules must be readable by that user`);
  }
}

/** Whether the app's file is there to import (a bad spec or a missing file: the worker's usual report). */
function appFileExists(app: { app: string; cwd: string }): boolean {
  try {
    return existsSync(resolve(app.cwd, parseAppSpec(app.app).file));
  } catch {
    return false;
  }
}

/** process.initgroups exists on POSIX (Node's docs), but @types/node does not declare it. */
type WithInitgroups = NodeJS.Process & { initgroups(user: number | string, extraGroup: number | string): void };

function step(call: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const hint = e.code === 'EPERM' ? ': only a master started as root can run workers as another user' : '';
    throw new PrivilegeError(`cannot drop privileges, ${call} failed: ${e.message}${hint}`);
  }
}
// #endregion drop

// #region give
/**
 * A unix socket the master bound becomes the workers' user's and group's (gunicorn does the same).
 * With a group shared with the proxy and `umask 007`, nginx can connect and other users cannot
 * (pitfalls 9.1). lchown: if the path was swapped for a symbolic link meanwhile, the link is changed,
 * never its target. Throws BindError: a socket that cannot be set up as asked stops the start.
 */
export function giveSocket(listener: Listener, owner: Owner): void {
  if (listener.address.kind !== 'unix') return;
  try {
    lchownSync(listener.address.path, owner.uid ?? -1, owner.gid ?? -1);
  } catch (err) {
    throw new BindError(`cannot give ${listener.name} to ${describeOwner(owner)}: ${(err as Error).message}`);
  }
}

/**
 * The log files the workers open by path: created if missing and given to the workers' owner, so
 * that they can open them at boot and again on USR1. Called at start, and on USR1 after the master
 * reopened its own files and before the workers are told: logrotate moved the file away, and the
 * workers may not create one in its directory (nor should they be able to). Returns what failed: a
 * log file is not worth stopping the server for (gunicorn ignores these failures too).
 */
export function giveLogFiles(settings: OwnerSettings & { errorlog: string; accesslog: string | null }): string[] {
  const owner = ownerOf(settings);
  const failures: string[] = [];
  if (!owner) return failures;
  for (const path of [settings.errorlog, settings.accesslog]) {
    if (!path || path === '-') continue;
    let fd: number | null = null;
    try {
      // A symbolic link (/dev/stdout, say), /dev/null, a FIFO: left as they are, not ours to give away.
      const found = lstatSync(path, { throwIfNoEntry: false });
      if (found && !found.isFile()) continue;
      // Swapped meanwhile? O_NOFOLLOW fails on a link instead of following it, O_NONBLOCK on a FIFO
      // with no reader instead of waiting for one.
      fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o666);
      const st = fstatSync(fd);
      // A hard link to some other file (say, planted by whoever can write in the log directory).
      if (!st.isFile() || st.nlink !== 1) continue;
      if ((owner.uid === null || st.uid === owner.uid) && (owner.gid === null || st.gid === owner.gid)) continue;
      fchownSync(fd, owner.uid ?? -1, owner.gid ?? -1);
    } catch (err) {
      failures.push(`Cannot give the log file ${path} to ${describeOwner(owner)}: ${(err as Error).message}`);
    } finally {
      if (fd !== null) closeSync(fd);
    }
  }
  return failures;
}
// #endregion give
