// @chapter 4
// What a worker is told when it starts: passed by the master in the PREFORK_WORKER environment variable,
// so the worker has it synchronously, before any IPC message arrives.
import type { AppKind } from '../app/load-app.ts';
import type { Level } from '../log/logger.ts';
// >>> chapter 10
import type { Owner } from './privileges.ts';
// <<< chapter 10

export interface WorkerBoot {
  /** The app spec, path/to/file.ts:name, resolved against cwd. */
  app: string;
  appKind: AppKind;
  cwd: string;
  workerClass: 'sync' | 'async';
  workerConnections: number;
  /** Seconds an idle keep-alive connection may wait (async worker). */
  keepalive: number;
  limits: { requestLine: number; fields: number; fieldSize: number };
  backlog: number;
  /** How many listening sockets the master holds; copies arrive by index. */
  listeners: number;
  /** Other workers serve the same app (wsgi.multiprocess). */
  multiprocess: boolean;
  procName: string;
  /** The worker's generation number: 1 for the first worker spawned, then 2, 3, ... */
  age: number;
  /** 0 = never restart; otherwise already jittered by the master. */
  maxRequests: number;
  logLevel: Level;
  // >>> chapter 7
  /** The error log's path ('-': stderr); absent means stderr. */
  errorlog?: string;
  /** The access log's path ('-': stdout); null or absent: no access log. */
  accesslog?: string | null;
  accessLogFormat?: string;
  // <<< chapter 7
  // >>> chapter 6
  /** The config file, for the worker's own hooks (post_fork, pre_request...): null when there is none. */
  configFile?: string | null;
  // >>> chapter 8
  /** Seconds without a heartbeat before the master aborts the worker (0: never). */
  timeout?: number;
  // <<< chapter 8
  // <<< chapter 6
  // >>> chapter 10
  /** forwarded_allow_ips and secure_scheme_headers; absent: no peer is trusted, the scheme is always http. */
  forwardedAllowIps?: string[];
  secureSchemeHeaders?: Record<string, string>;
  /** user/group: what the worker becomes before it loads hooks and app (worker/privileges.ts); absent: no change. */
  owner?: Owner | null;
  // <<< chapter 10
}

export const BOOT_ENV = 'PREFORK_WORKER';

export function readBoot(): WorkerBoot {
  const raw = process.env[BOOT_ENV];
  if (!raw) throw new Error(`${BOOT_ENV} is not set: workers are started by the master, not by hand`);
  return JSON.parse(raw) as WorkerBoot;
}

/** gunicorn's worker exit codes: the master stops the whole server on these. */
export const EXIT_BOOT_FAILED = 3;
export const EXIT_APP_LOAD_FAILED = 4;
