// @chapter 10
// Socket activation without systemd: a launcher that passes sockets the way systemd does (sd_listen_fds(3)).
//
//   node --import tsx chapters/10-production/socket-activate.ts -l unix:/tmp/app.sock [-l 127.0.0.1:0]
//        [--fdname web:api] [--] prefork -w 2 app.ts
//
// It binds each -l address (prefork's syntax: HOST:PORT, [IPv6]:PORT, unix:PATH), starts the command with
// the sockets as fds 3, 4, ... and LISTEN_FDS, LISTEN_PID (and LISTEN_FDNAMES with --fdname) in its
// environment, forwards the master's signals to it, and exits with its exit code. Debian's
// systemd-socket-activate does the same (on the first connection, not at once); this one is for machines
// without it.
//
// LISTEN_PID must be the pid of the process that reads it, and Node cannot exec: so the command runs
// under `sh -c 'LISTEN_PID=$$ exec "$@"'`, a shell that sets its own pid and then becomes the command,
// keeping that pid.
//
// One difference from systemd: the sockets are bound, not listening. Node's listen() also starts
// accepting, and this process must never accept (the connections are the server's). The server's
// workers call listen(2) on their copies, as they do on sockets prefork binds itself (chapter 5), so
// connections are refused, not queued, until the first worker is up. systemd's sockets listen from the
// start, which is why a service restarting under systemd loses no connection.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { parseAddress } from '../../src/sock/address.ts';
import { bind, type Listener } from '../../src/sock/bind.ts';

/** The master's signals: the launcher stands between whoever signals and the server, so it passes them on. */
const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGTTIN', 'SIGTTOU', 'SIGWINCH'] as const;

const USAGE = 'usage: socket-activate.ts -l ADDRESS [-l ADDRESS ...] [--fdname NAME[:NAME...]] [--] COMMAND [ARGS...]';

interface Options {
  listen: string[];
  fdnames: string | null;
  command: string[];
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { listen: [], fdnames: null, command: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const eq = arg.indexOf('=');
      if (arg.startsWith('--') && eq !== -1) return arg.slice(eq + 1);
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i]!;
    };
    if (arg === '-l' || arg === '--listen' || arg.startsWith('--listen=')) opts.listen.push(value());
    else if (arg === '--fdname' || arg.startsWith('--fdname=')) opts.fdnames = value();
    else if (arg === '--') {
      opts.command = argv.slice(i + 1);
      break;
    } else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`);
    else {
      opts.command = argv.slice(i);
      break;
    }
  }
  if (opts.listen.length === 0 || opts.command.length === 0) throw new Error('at least one -l ADDRESS and a command are needed');
  return opts;
}

let opts: Options;
let listeners: Listener[];
try {
  opts = parseArgs(process.argv.slice(2));
  listeners = opts.listen.map((text) => bind(parseAddress(text)));
} catch (err) {
  console.error(`socket-activate: ${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
listeners.forEach((l, i) => console.error(`socket-activate: ${l.name} as fd ${3 + i}`));

// #region launch
// Ours replace any LISTEN_ variables we inherited; LISTEN_PID is the shell's to set.
const { LISTEN_PID: _pid, LISTEN_FDNAMES: _names, ...env } = process.env;
env.LISTEN_FDS = String(listeners.length);
if (opts.fdnames !== null) env.LISTEN_FDNAMES = opts.fdnames;
const child = spawn('/bin/sh', ['-c', 'LISTEN_PID=$$ exec "$@"', 'sh', ...opts.command], {
  env,
  // fds 0-2 shared with us, then the sockets: stdio entry 3 + i becomes fd 3 + i in the child.
  stdio: ['inherit', 'inherit', 'inherit', ...listeners.map((l) => l.handle.fd!)],
});
// #endregion launch
child.on('error', (err) => {
  console.error(`socket-activate: cannot start ${opts.command[0]}: ${err.message}`);
  process.exit(127);
});
for (const signal of FORWARDED) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  // The sockets are not closed first: closing a handle that bound a unix socket removes its file, and
  // the file outlives the service under systemd too. The kernel closes the fds as we exit.
  if (signal) console.error(`socket-activate: ${opts.command[0]} ended by ${signal}`);
  process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0)); // a shell's way of saying "killed by"
});
