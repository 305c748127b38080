// @chapter 5
// Every setting, once: its name, flags, type, default, validation and documentation. The command-line
// parser, the config-file loader, --print-config and the docs' settings page are all generated from
// this list, as gunicorn's config.py does with its Setting classes.
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { LEVELS } from '../log/logger.ts';
import { AddressError, parseAddress } from '../sock/address.ts';
// >>> chapter 7
import { DEFAULT_ACCESS_LOG_FORMAT } from '../log/access-format.ts';
// <<< chapter 7
// >>> chapter 10
import { allowItemProblem } from '../http/proxy.ts';
import { accountId, lookupAccount } from '../worker/privileges.ts';
// <<< chapter 10

/* >>> chapters 5-5
export type SettingType = 'int' | 'bool' | 'string' | 'list' | 'choice';
<<< chapters 5-5 */
/* >>> chapters 6-9
export type SettingType = 'int' | 'bool' | 'string' | 'list' | 'choice' | 'hook';
<<< chapters 6-9 */
// >>> chapter 10
/** 'dict': names (compared in any case, so each once) to string values, config file only: secure_scheme_headers. */
export type SettingType = 'int' | 'bool' | 'string' | 'list' | 'choice' | 'hook' | 'dict';
// <<< chapter 10

export interface Setting {
  /** The name in a config file and in --print-config (gunicorn's, snake_case). */
  name: string;
  /** Command-line flags, short first: ['-w', '--workers']. None: config file only. */
  flags: string[];
  type: SettingType;
  /** For 'choice'. */
  choices?: readonly string[];
  /** For 'int': the smallest value allowed. */
  min?: number;
  /** For 'int': a leading 0 means octal (umask 0022), as gunicorn's umask flag reads it. */
  octal?: boolean;
  /** For 'list': what is wrong with one item (null: nothing), and the forms an item may take. */
  item?: { problem: (item: string) => string | null; allowed: string };
  // >>> chapter 10
  /** For 'list': a string is a comma-separated list, as gunicorn reads --forwarded-allow-ips 10.0.0.1,10.0.0.2. */
  commas?: boolean;
  // (`item` checks the keys of a 'dict'.)
  /** Checks a value against the system and converts it (a user name to its uid), whatever the type; throws a ConfigError. */
  resolve?: (value: unknown, where: string) => unknown;
  // <<< chapter 10
  default: unknown;
  /** A short placeholder for --help: INT, ADDRESS, FILE... */
  meta?: string;
  section: string;
  /** One line, for --help. */
  short: string;
  /** A paragraph, for the docs' settings page. */
  doc: string;
  /** The chapter that introduces the setting. */
  chapter: number;
  // >>> chapter 6
  /** For 'hook': the parameters it is called with, and the process it runs in. */
  params?: string[];
  runsIn?: 'master' | 'worker';
  // <<< chapter 6
}

/** A bad value: names the setting, the value, and what is allowed. */
export class ConfigError extends Error {}

// #region registry
export const SETTINGS: Setting[] = [
  {
    name: 'config', flags: ['-c', '--config'], type: 'string', default: './prefork.config.ts', meta: 'FILE', section: 'Config File', chapter: 5,
    short: 'The config file to read.',
    doc: 'A TypeScript or JavaScript module whose exports are settings (`export const workers = 4`) or a default-exported object of them. Code, so it can compute values and define hooks. Read when it exists; naming a missing file is an error. Only meaningful on the command line or in PREFORK_CMD_ARGS.',
  },
  {
    name: 'app', flags: [], type: 'string', default: null, meta: 'APP', section: 'Config File', chapter: 5,
    short: 'The application, path/to/file.ts:name (the positional argument wins).',
    doc: 'gunicorn calls it wsgi_app. The file is loaded by every worker; `name` is the export to serve (default `app`).',
  },
  {
    name: 'app_kind', flags: ['--app-kind'], type: 'choice', choices: ['auto', 'wsgi', 'fetch'], default: 'auto', section: 'Config File', chapter: 5,
    short: 'The shape of the app: auto, wsgi (environ, startResponse) or fetch (request => Response).',
    doc: '`auto` decides from the export: an object with a `fetch` method or a one-parameter function is a fetch handler; a two-parameter function is a WSGI-style app.',
  },
  {
    name: 'check_config', flags: ['--check-config'], type: 'bool', default: false, section: 'Debugging', chapter: 5,
    short: 'Load the config and the app, then exit: 0 if both load, 1 with the reason if not.',
    doc: 'A dry run: nothing is bound or spawned.',
  },
  {
    name: 'print_config', flags: ['--print-config'], type: 'bool', default: false, section: 'Debugging', chapter: 5,
    short: 'Print every setting with its value, then exit.',
    doc: 'Shows the result of defaults, config file, PREFORK_CMD_ARGS and the command line together.',
  },
  // >>> chapter 10
  // #region reload-settings
  {
    name: 'reload', flags: ['--reload'], type: 'bool', default: false, section: 'Debugging', chapter: 10,
    short: 'Development only: reload (as HUP does) when a file of the app changes.',
    doc:
      'The master watches the files the last build of the app read (its own modules, not packages), the config file, ' +
      'the node_modules folder of each package the app imports, and `reload_extra_files`. A burst of changes makes one ' +
      'reload, the same as `kill -HUP`: new workers first, and if they cannot boot (a syntax error, a package not ' +
      'installed yet) the old ones keep serving and the log says why. gunicorn watches from every worker instead, and ' +
      'calls reload incompatible with `preload_app`; here preload only checks the app in the master at start, so the ' +
      'two work together, with a warning. Not for production: see chapter 10.',
  },
  {
    name: 'reload_extra_files', flags: ['--reload-extra-file'], type: 'list', default: [], meta: 'FILE', section: 'Debugging', chapter: 10,
    short: 'With --reload, also reload when this file changes. Repeat for several.',
    doc: 'For files the app reads rather than imports (templates, JSON, .env). Relative paths are from the directory the server was started in.',
  },
  // #endregion reload-settings
  // <<< chapter 10
  {
    name: 'bind', flags: ['-b', '--bind'], type: 'list', default: ['127.0.0.1:8000'], meta: 'ADDRESS', section: 'Server Socket', chapter: 5,
    /* >>> chapters 5-9
    short: 'Address to listen on: HOST:PORT, [IPv6]:PORT or unix:PATH. Repeat for several.',
    doc: 'Every address is bound by the master before any worker exists. HOST is an IP address (127.0.0.1, 0.0.0.0, ::1): names such as localhost are not looked up. A host without a port means port 8000; `:PORT` means every interface. A higher level (command line over config file) replaces the whole list. A malformed address stops the server at start, as any bad setting does.',
    item: { problem: bindAddressProblem, allowed: 'HOST:PORT, [IPv6]:PORT, HOST alone (port 8000), :PORT (every interface) or unix:PATH, with HOST an IP address and PORT from 0 to 65535' },
    <<< chapters 5-9 */
    // >>> chapter 10
    short: 'Address to listen on: HOST:PORT, [IPv6]:PORT, unix:PATH or fd://N. Repeat for several.',
    doc: 'Every address is bound by the master before any worker exists. HOST is an IP address (127.0.0.1, 0.0.0.0, ::1): names such as localhost are not looked up. A host without a port means port 8000; `:PORT` means every interface. `fd://N` is a socket already open as file descriptor N (made by a launcher); when there is one, or systemd passed sockets (LISTEN_FDS), only those are used and the other addresses are not bound, as in gunicorn. A higher level (command line over config file) replaces the whole list. A malformed address stops the server at start, as any bad setting does.',
    item: { problem: bindAddressProblem, allowed: 'HOST:PORT, [IPv6]:PORT, HOST alone (port 8000), :PORT (every interface), unix:PATH or fd://N, with HOST an IP address, PORT from 0 to 65535 and N from 3 on' },
    // <<< chapter 10
  },
  {
    name: 'backlog', flags: ['--backlog'], type: 'int', min: 1, default: 2048, meta: 'INT', section: 'Server Socket', chapter: 5,
    short: 'Connections the kernel may queue while every worker is busy.',
    doc: 'The listen(2) backlog. The kernel caps it at net.core.somaxconn. Connections beyond it are refused or dropped; keep it above what the proxy in front sends at once.',
  },
  {
    name: 'umask', flags: ['-m', '--umask'], type: 'int', min: 0, octal: true, default: 0, meta: 'INT', section: 'Server Mechanics', chapter: 5,
    short: 'umask applied while binding unix sockets (octal like 0o007 or 0007 accepted).',
    doc: 'Applied only while a unix socket is bound, so it sets that socket file\'s permissions and nothing else (gunicorn also applies it to its heartbeat files; our heartbeats are IPC messages, so there are none). The default 0 makes the socket world-writable.',
  },
  // >>> chapter 10
  // #region proxy-settings
  {
    name: 'forwarded_allow_ips', flags: ['--forwarded-allow-ips'], type: 'list', commas: true, default: ['127.0.0.1', '::1'], meta: 'ADDRESSES', section: 'Server Mechanics', chapter: 10,
    short: 'Peers trusted to set the scheme headers (secure_scheme_headers): IPs, CIDR networks or *, comma-separated.',
    doc:
      'A request\'s `X-Forwarded-Proto` (and the other `secure_scheme_headers`) is believed only when the connection comes from one of these ' +
      'addresses; from anyone else it is ignored and the scheme stays http, because any client can send it. A unix socket\'s peer is always trusted. ' +
      '`*` trusts every peer: only when nothing but the proxy can reach the server. An IPv4 peer on a dual-stack socket (`::ffff:10.0.0.1`) matches ' +
      'its IPv4 entry. `FORWARDED_ALLOW_IPS` in the environment (comma-separated) sets the default. REMOTE_ADDR is always the peer itself, ' +
      'never `X-Forwarded-For`: see chapter 10.',
    item: { problem: allowItemProblem, allowed: 'an IP address (10.0.0.1, ::1), a network in CIDR form with its host bits zero (10.0.0.0/8, fd00::/8), or * (every peer)' },
  },
  {
    name: 'secure_scheme_headers', flags: [], type: 'dict', default: { 'X-FORWARDED-PROTOCOL': 'ssl', 'X-FORWARDED-PROTO': 'https', 'X-FORWARDED-SSL': 'on' }, section: 'Server Mechanics', chapter: 10,
    short: 'Headers, and the value each has when the client used https, that a trusted proxy sets.',
    doc:
      'An object of header name to value. From a peer in `forwarded_allow_ips`, a listed header whose value is exactly the one given (case matters) ' +
      'makes wsgi.url_scheme https, any other value http; header names match in any case. Two listed headers that disagree get a 400 ' +
      '"Contradictory scheme headers" (nginx sending `X-Forwarded-Protocol $scheme`, i.e. https where ssl is expected, does that: send only ' +
      '`X-Forwarded-Proto`, or set this to `{ \'X-Forwarded-Proto\': \'https\' }`). A config file value replaces the whole object.',
    item: { problem: headerNameProblem, allowed: 'header names (letters, digits and !#$%&\'*+-.^_`|~), each once whatever its case' },
  },
  // #endregion proxy-settings
  // #region owner-settings
  {
    name: 'user', flags: ['-u', '--user'], type: 'string', default: null, meta: 'USER', section: 'Server Mechanics', chapter: 10,
    resolve: (value, where) => accountSetting('passwd', value, where),
    short: 'Run the workers as this user: a name or a uid (the master stays the user that started it).',
    doc:
      'Each worker switches to this user (setuid) after opening its error log and before it loads hooks and app; the master keeps its own user ' +
      '(root), to bind, to reopen and hand over log files, and to start a new master on USR2. A name is looked up at start (and on HUP): an ' +
      'unknown one stops the server with `No such user`. The master gives the workers the unix sockets it binds and the log files. Needs a master ' +
      'started as root; otherwise workers fail to boot (exit 3). Default: no change. See chapter 10.',
  },
  {
    name: 'group', flags: ['-g', '--group'], type: 'string', default: null, meta: 'GROUP', section: 'Server Mechanics', chapter: 10,
    resolve: (value, where) => accountSetting('group', value, where),
    short: "Run the workers in this group: a name or a gid (default with user: that user's login group).",
    doc:
      'Set (setgid) before the user, together with the supplementary groups: this group alone, or the user\'s groups with `initgroups`. ' +
      'Unset while `user` is set, it is the user\'s login group from the user database, as su and systemd\'s User= do; gunicorn keeps ' +
      'the master\'s group then, which for a root master is root\'s. Sharing this group with the proxy, with `umask 007`, makes the unix ' +
      'socket reachable by the proxy and nobody else.',
  },
  {
    name: 'initgroups', flags: ['--initgroups'], type: 'bool', default: false, section: 'Server Mechanics', chapter: 10,
    short: "Give the workers every group the user belongs to (the group database), not only `group`.",
    doc: 'initgroups(3) for the worker user, so that files shared through a supplementary group stay readable. Off by default: the workers get `group` alone, and none of root\'s groups.',
  },
  // #endregion owner-settings
  // <<< chapter 10
  // #region workers-setting
  {
    name: 'workers', flags: ['-w', '--workers'], type: 'int', min: 1, default: 1, meta: 'INT', section: 'Worker Processes', chapter: 5,
    short: 'How many worker processes serve requests.',
    doc: 'gunicorn suggests 2-4 per core (2 x cores + 1 is the usual start). Each worker is a Node.js process with its own memory. `WEB_CONCURRENCY` in the environment sets the default.',
  },
  // #endregion workers-setting
  {
    name: 'worker_class', flags: ['-k', '--worker-class'], type: 'choice', choices: ['sync', 'async'], default: 'sync', section: 'Worker Processes', chapter: 5,
    short: 'sync: one connection at a time; async: many connections, keep-alive.',
    doc: 'See chapter 4. sync answers one request per connection and closes it; async keeps connections alive and serves many at once on the event loop.',
  },
  {
    name: 'worker_connections', flags: ['--worker-connections'], type: 'int', min: 1, default: 1000, meta: 'INT', section: 'Worker Processes', chapter: 5,
    short: 'async: the most connections one worker holds open.',
    doc: 'At the cap the worker stops accepting; new connections wait in the backlog for another worker.',
  },
  {
    name: 'max_requests', flags: ['--max-requests'], type: 'int', min: 0, default: 0, meta: 'INT', section: 'Worker Processes', chapter: 5,
    short: 'Restart a worker after it served this many requests (0: never).',
    doc: 'The classic cure for a slow memory leak nobody has found yet.',
  },
  {
    name: 'max_requests_jitter', flags: ['--max-requests-jitter'], type: 'int', min: 0, default: 0, meta: 'INT', section: 'Worker Processes', chapter: 5,
    short: 'Add a random 0..N to max_requests per worker, so they do not all restart together.',
    doc: 'Each worker gets max_requests + randint(0, jitter), drawn by the master when it spawns the worker.',
  },
  {
    name: 'timeout', flags: ['-t', '--timeout'], type: 'int', min: 0, default: 30, meta: 'INT', section: 'Worker Processes', chapter: 5,
    short: 'Seconds a worker may stay silent before it is killed and replaced (0: never).',
    doc:
      'Enforced from chapter 8, where workers send heartbeats. A sync worker does not beat while it serves, so this bounds ' +
      'one request, counted from when the worker took it; an async worker beats whenever its event loop turns, so this ' +
      'bounds how long the loop stays blocked. Booting counts too: an app whose import takes longer never boots.',
  },
  {
    name: 'graceful_timeout', flags: ['--graceful-timeout'], type: 'int', min: 0, default: 30, meta: 'INT', section: 'Worker Processes', chapter: 5,
    short: 'Seconds workers get to finish their requests after a graceful stop, before SIGKILL.',
    doc: 'Applies to TERM and to retiring workers.',
  },
  {
    name: 'keepalive', flags: ['--keep-alive'], type: 'int', min: 0, default: 2, meta: 'INT', section: 'Worker Processes', chapter: 5,
    short: 'async: seconds an idle keep-alive connection may wait for its next request.',
    doc: 'The sync worker ignores it: it always closes after one response. Behind a load balancer, make it longer than the balancer\'s idle timeout.',
  },
  {
    name: 'limit_request_line', flags: ['--limit-request-line'], type: 'int', min: 0, default: 4094, meta: 'INT', section: 'Security', chapter: 5,
    short: 'Longest request line in bytes (0: unlimited; values over 8190 mean 8190).',
    doc: 'The request line is METHOD TARGET VERSION; the query string counts. Longer gets 414.',
  },
  {
    name: 'limit_request_fields', flags: ['--limit-request-fields'], type: 'int', min: 0, default: 100, meta: 'INT', section: 'Security', chapter: 5,
    short: 'Most header fields in a request (values over 32768 mean 32768).',
    doc: 'More gets 431.',
  },
  {
    name: 'limit_request_field_size', flags: ['--limit-request-field_size', '--limit-request-field-size'], type: 'int', min: 0, default: 8190, meta: 'INT', section: 'Security', chapter: 5,
    short: 'Longest header line in bytes, CRLF included (0 means the default, 8190).',
    doc: 'gunicorn spells the flag with an underscore; both spellings work here. Longer gets 431.',
  },
  {
    name: 'pidfile', flags: ['-p', '--pid'], type: 'string', default: null, meta: 'FILE', section: 'Server Mechanics', chapter: 5,
    short: "File to write the master's pid to.",
    doc: 'Removed at exit. Signals go to this pid: `kill -HUP $(cat FILE)`.',
  },
  {
    name: 'raw_env', flags: ['-e', '--env'], type: 'list', default: [], meta: 'NAME=VALUE', section: 'Server Mechanics', chapter: 5,
    short: 'Set an environment variable in the master and the workers. Repeat for several.',
    doc: 'Wins over the variable of the same name in the shell that started the server.',
  },
  {
    name: 'proc_name', flags: ['-n', '--name'], type: 'string', default: null, meta: 'NAME', section: 'Server Mechanics', chapter: 5,
    short: 'Name in process titles (default: the app spec).',
    doc: 'Titles read `prefork: master [NAME]` and `prefork: worker [NAME]` in ps and top.',
  },
  {
    name: 'preload_app', flags: ['--preload'], type: 'bool', default: false, section: 'Server Mechanics', chapter: 5,
    short: 'Load the app in the master too, before the workers start.',
    doc: 'With fork(2) this shares memory with the workers; Node.js has no fork, so here it only checks the app early and runs its import-time code once in the master. See chapter 5.',
  },
  {
    name: 'loglevel', flags: ['--log-level'], type: 'choice', choices: LEVELS, default: 'info', section: 'Logging', chapter: 5,
    short: 'Least important level written to the error log: debug, info, warning, error, critical.',
    doc: 'info shows workers booting and exiting.',
  },
  // >>> chapter 7
  // #region log-settings
  {
    name: 'accesslog', flags: ['--access-logfile'], type: 'string', default: null, meta: 'FILE', section: 'Logging', chapter: 7,
    short: 'The access log file: one line per request. "-" means stdout. Off by default.',
    doc: 'Every worker opens the file itself with O_APPEND and writes each line with one write, so the workers share one file without losing or tearing lines. After logrotate renames the file, send USR1 to the master: every process reopens the path. The master checks at start that the file can be opened for appending.',
  },
  {
    name: 'access_log_format', flags: ['--access-logformat'], type: 'string', default: DEFAULT_ACCESS_LOG_FORMAT, meta: 'STRING', section: 'Logging', chapter: 7,
    short: 'The access log line, with %(atom)s placeholders (gunicorn\'s atoms).',
    doc: 'Atoms: `h` remote address, `l` "-", `u` Basic-auth user, `t` time, `r` request line, `m` method, `U` path, `q` query string, `H` protocol, `s` status, `b`/`B` body bytes sent, `f` Referer, `a` User-Agent, `T`/`M`/`D`/`L` request time in seconds/milliseconds/microseconds/decimal seconds, `p` `<pid>`, `{name}i` request header, `{name}o` response header, `{name}e` environ variable. A missing value prints "-"; `"` in a value prints `\\"`; `%%` is a literal "%". Checked at start: a malformed format stops the server with exit 1.',
  },
  {
    name: 'errorlog', flags: ['--error-logfile', '--log-file'], type: 'string', default: '-', meta: 'FILE', section: 'Logging', chapter: 7,
    short: 'The error log file: the server\'s own messages, from the master and the workers. "-" means stderr.',
    doc: 'Despite the name it is the server\'s log, not only errors: start-up, worker boots and exits, signals, and the errors of requests, at `loglevel` and above. Opened and reopened like the access log.',
  },
  // #endregion log-settings
  // <<< chapter 7
  // >>> chapter 6
  ...hooks(),
  // <<< chapter 6
];
// #endregion registry

// >>> chapter 6
// #region hooks
/** gunicorn's server hooks, each a config-file-only setting: where it runs, when, with what. */
function hooks(): Setting[] {
  const hook = (name: string, runsIn: 'master' | 'worker', params: string[], short: string, doc: string): Setting => ({
    name, flags: [], type: 'hook', default: null, section: 'Server Hooks', chapter: 6, params, runsIn, short, doc,
  });
  return [
    hook('on_starting', 'master', ['server'], 'Just before the master binds its sockets.', 'Runs once, in the master, after "Starting prefork" and the pid file. The place for work that must happen once per server (a scheduler), not once per worker.'),
    hook('on_reload', 'master', ['server'], 'On HUP, after the new configuration is read.', 'Runs in the master before the new workers start (chapter 9).'),
    hook('when_ready', 'master', ['server'], 'The sockets are bound; no worker exists yet.', 'Runs in the master after "Listening at" and "Using worker".'),
    hook('pre_fork', 'master', ['server', 'worker'], 'Just before a worker process is started.', 'Runs in the master; `worker.pid` is null, `worker.age` is the new generation number.'),
    hook('post_fork', 'worker', ['server', 'worker'], 'First thing in a new worker, before it loads the app.', 'Runs in the worker after "Booting worker". A worker process is a fresh Node.js process here, not a fork: see chapter 6.'),
    hook('post_worker_init', 'worker', ['worker'], 'The worker loaded the app and is about to serve.', 'Runs in the worker.'),
    hook('worker_int', 'worker', ['worker'], 'The worker got INT or QUIT and is about to exit.', 'Runs in the worker.'),
    hook('worker_abort', 'worker', ['worker'], 'The worker got ABRT (a timeout, chapter 8) and is about to exit.', 'Runs in the worker.'),
    hook('pre_exec', 'master', ['server'], 'Before a new master is started by USR2.', 'Runs in the old master, just before it starts the new one (gunicorn runs it in the forked child; Node cannot fork: chapter 9).'),
    hook('pre_request', 'worker', ['worker', 'req'], 'Before the app is called for a request.', 'Runs in the worker.'),
    hook('post_request', 'worker', ['worker', 'req', 'environ', 'resp'], 'After a request, whatever happened.', 'Runs in the worker, even when the app or pre_request failed.'),
    hook('child_exit', 'master', ['server', 'worker'], 'A worker process has exited.', 'Runs in the master, after the worker was reaped.'),
    hook('worker_exit', 'worker', ['server', 'worker'], 'A worker is exiting.', 'Runs in the worker, after "Worker exiting".'),
    hook('nworkers_changed', 'master', ['server', 'newValue', 'oldValue'], 'The number of workers was set or changed.', 'Runs in the master at start (oldValue null), on TTIN, TTOU, WINCH (newValue 0) and HUP, and when a failed reload goes back.'),
    hook('on_exit', 'master', ['server'], 'The master is about to exit.', 'Runs in the master after "Shutting down" and the pid file removal.'),
  ];
}
// #endregion hooks
// <<< chapter 6

export const byName = new Map(SETTINGS.map((s) => [s.name, s]));
export const byFlag = new Map(SETTINGS.flatMap((s) => s.flags.map((f) => [f, s] as const)));

/** The settings as values: what the rest of the server reads. */
export type Settings = Record<string, unknown> & {
  config: string;
  app: string | null;
  app_kind: 'auto' | 'wsgi' | 'fetch';
  check_config: boolean;
  print_config: boolean;
  bind: string[];
  backlog: number;
  umask: number;
  workers: number;
  worker_class: 'sync' | 'async';
  worker_connections: number;
  max_requests: number;
  max_requests_jitter: number;
  timeout: number;
  graceful_timeout: number;
  keepalive: number;
  limit_request_line: number;
  limit_request_fields: number;
  limit_request_field_size: number;
  pidfile: string | null;
  raw_env: string[];
  proc_name: string | null;
  preload_app: boolean;
  loglevel: (typeof LEVELS)[number];
  // >>> chapter 7
  accesslog: string | null;
  access_log_format: string;
  errorlog: string;
  // <<< chapter 7
  // >>> chapter 10
  reload: boolean;
  reload_extra_files: string[];
  forwarded_allow_ips: string[];
  secure_scheme_headers: Record<string, string>;
  /** Resolved to ids when read; null: workers keep the master's. */
  user: number | null;
  group: number | null;
  initgroups: boolean;
  // <<< chapter 10
};

export function defaults(env: NodeJS.ProcessEnv = process.env): Settings {
  const values = Object.fromEntries(SETTINGS.map((s) => [s.name, structuredClone(s.default)])) as Settings;
  // gunicorn reads these two from the environment for its defaults.
  if (env.WEB_CONCURRENCY) values.workers = convert(byName.get('workers')!, env.WEB_CONCURRENCY, 'WEB_CONCURRENCY') as number;
  if (env.PORT) values.bind = convert(byName.get('bind')!, `0.0.0.0:${env.PORT}`, 'PORT') as string[];
  // >>> chapter 10
  // As gunicorn, set but empty means an empty list: no TCP peer is trusted.
  if (env.FORWARDED_ALLOW_IPS !== undefined) values.forwarded_allow_ips = convert(byName.get('forwarded_allow_ips')!, env.FORWARDED_ALLOW_IPS, 'FORWARDED_ALLOW_IPS') as string[];
  // <<< chapter 10
  return values;
}

/** Checks and converts one value (from a flag, the environment or a config file). */
// #region convert
export function convert(setting: Setting, value: unknown, source: string): unknown {
  const where = `${setting.name}${setting.flags.length ? ` (${setting.flags.join('/')})` : ''} from ${source}`;
  const shown = typeof value === 'function' ? `<function ${value.name || 'anonymous'}>` : JSON.stringify(value);
  const bad = (allowed: string): ConfigError => new ConfigError(`Invalid value for ${where}: ${shown}: ${allowed}`);
  // >>> chapter 10
  // A comma list: each string holds items separated by commas, trimmed; empty items are dropped.
  if (setting.commas && (typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string')))) {
    value = ([value].flat() as string[]).flatMap((v) => v.split(',').map((item) => item.trim())).filter((item) => item !== '');
  }
  if (setting.resolve && value !== null) return setting.resolve(value, where);
  // <<< chapter 10
  switch (setting.type) {
    case 'int': {
      const n = typeof value === 'number' ? value : typeof value === 'string' ? parseWhole(value.trim(), setting.octal === true) : NaN;
      if (!Number.isInteger(n) || n < (setting.min ?? -Infinity)) throw bad(`must be a whole number${setting.min !== undefined ? ` >= ${setting.min}` : ''}`);
      return n;
    }
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      throw bad('must be true or false');
    case 'string':
      if (value === null) return null;
      if (typeof value !== 'string') throw bad('must be a string');
      return value.trim();
    case 'list': {
      const list = typeof value === 'string' ? [value] : value;
      if (!Array.isArray(list) || !list.every((v) => typeof v === 'string')) throw bad('must be a string or an array of strings');
      for (const item of list) {
        const problem = setting.item?.problem(item);
        if (problem) throw new ConfigError(`Invalid value for ${where}: ${JSON.stringify(item)}: ${problem}. Allowed: ${setting.item!.allowed}`);
      }
      return list;
    }
    case 'choice':
      if (typeof value === 'string' && setting.choices?.includes(value)) return value;
      throw bad(`must be one of ${setting.choices?.join(', ')}`);
    // >>> chapter 6
    case 'hook': {
      const params = setting.params ?? [];
      if (value === null) return null;
      if (typeof value === 'function' && value.length <= params.length) return value;
      throw bad(`must be a function taking (${params.join(', ')})`);
    }
    // <<< chapter 6
    // >>> chapter 10
    case 'dict': {
      const entries = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : null;
      if (!entries || !entries.every(([, v]) => typeof v === 'string')) throw bad('must be an object of string values, e.g. { \'X-Forwarded-Proto\': \'https\' }');
      const seen = new Set<string>();
      for (const [key] of entries) {
        const problem = setting.item?.problem(key) ?? (seen.has(key.toLowerCase()) ? 'given twice (names match in any case)' : null);
        if (problem) throw new ConfigError(`Invalid value for ${where}: key ${JSON.stringify(key)}: ${problem}${setting.item ? `. Allowed: ${setting.item.allowed}` : ''}`);
        seen.add(key.toLowerCase());
      }
      return Object.fromEntries(entries);
    }
    // <<< chapter 10
  }
}
// #endregion convert

/** Decimal digits; with `octal`, also 0o17 and 017 (octal) as umask values are usually written. */
function parseWhole(text: string, octal: boolean): number {
  if (/^\d+$/.test(text)) return octal && text.length > 1 && text.startsWith('0') ? parseOctal(text.slice(1)) : Number(text);
  if (octal && /^0o[0-7]+$/i.test(text)) return parseOctal(text.slice(2));
  return NaN;
}

const parseOctal = (digits: string): number => (/^[0-7]+$/.test(digits) ? parseInt(digits, 8) : NaN);

// #region bind-check
/**
 * What is wrong with a bind address, checked with the settings so that --check-config and a start refuse
 * it alike: parseAddress's reason, or a host that is a name. The master binds through libuv, which takes
 * IP addresses only and looks no name up (a "localhost" would fail later, at bind, with EINVAL).
 */
function bindAddressProblem(text: string): string | null {
  try {
    const address = parseAddress(text);
    if (address.kind === 'tcp' && isIP(address.host) === 0) {
      return `${JSON.stringify(address.host)} is not an IP address (names are not looked up: for localhost, write 127.0.0.1)`;
    }
    return null;
  } catch (err) {
    if (!(err instanceof AddressError)) throw err;
    // parseAddress's message starts with the address, which the caller shows already.
    return err.message.replace(`${JSON.stringify(text)}: `, '');
  }
}
// #endregion bind-check

// >>> chapter 10
/** A secure_scheme_headers key must be a header name (an RFC 9110 token), or it could never match. */
function headerNameProblem(name: string): string | null {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) ? null : 'not a header name';
}
/** user and group: a whole number as it is (an id needs no name), a name looked up now (worker/privileges.ts). */
function accountSetting(db: 'passwd' | 'group', value: unknown, where: string): number {
  const kind = db === 'passwd' ? 'user' : 'group';
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  const text = typeof value === 'string' ? value.trim() : '';
  if (text === '') throw new ConfigError(`Invalid value for ${where}: ${JSON.stringify(value)}: must be a ${kind} name or a number`);
  const id = accountId(db, text);
  // gunicorn's words.
  if (id === null) throw new ConfigError(`Invalid value for ${where}: No such ${kind}: '${text}'`);
  return id;
}

/** With a user and no group, workers take the user's login group, not the master's (root's). */
export function defaultGroup(settings: Pick<Settings, 'user' | 'group'>): number | null {
  if (settings.user === null || settings.group !== null) return settings.group;
  const gid = lookupAccount('passwd', String(settings.user))?.gid ?? null;
  if (gid === null) throw new ConfigError(`user ${settings.user} has no entry in the user database, so no login group: set group (-g/--group) as well`);
  return gid;
}
// <<< chapter 10

/** A sensible worker count for this machine, for docs and examples: 2 x cores + 1. */
export const suggestedWorkers = (): number => availableParallelism() * 2 + 1;
