// `prefork` for the stage, with its logs in files: the error log is where the stage learns that the
// workers have booted, as you would with `tail -f`.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

const cli = join(import.meta.dirname, '..', '..', 'src', 'prefork.mjs');

export interface Running {
  pid: number;
  url: string;
  workerPids(): number[];
  exited: Promise<number>;
  stop(): Promise<number>;
}

const errorLines = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/** Starts prefork with `--error-logfile errorLog`; resolves once `workers` workers answer, or null if it exited. */
export async function startServer(args: string[], errorLog: string, workers: number): Promise<Running | null> {
  // With --mine, the master needs this process's module hooks (it passes them on to the workers).
  const hooks = process.env.PREFORK_MINE ? process.execArgv : [];
  const child = spawn(process.execPath, [...hooks, cli, ...args, '--error-logfile', errorLog], { stdio: ['ignore', 'inherit', 'inherit'] });
  let done = false;
  const exited = new Promise<number>((r) => child.on('exit', (code) => ((done = true), r(code ?? 1))));
  const workerPids = (): number[] => [...errorLines(errorLog).matchAll(/Booting worker with pid: (\d+)/g)].map((m) => Number(m[1]));
  const deadline = Date.now() + 20_000;
  let url = '';
  while (!done && Date.now() < deadline) {
    url = /Listening at: (\S+)/.exec(errorLines(errorLog))?.[1]?.split(',')[0] ?? '';
    // "Booting worker" is logged before the worker listens: ready means a request is answered.
    if (url && workerPids().length >= workers && (await fetch(`${url}/ready`).then((r) => r.arrayBuffer().then(() => true), () => false))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (done || !url) {
    if (!done) child.kill('SIGKILL');
    return null;
  }
  return {
    pid: child.pid!,
    url,
    workerPids,
    exited,
    stop: async () => {
      if (!done) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** How to list a process's open files by hand here: /proc on Linux, lsof elsewhere (macOS). */
export const listOpenFiles = (pid: string): string => (process.platform === 'linux' ? `ls -l /proc/${pid}/fd` : `lsof -p ${pid}`);

const LOG_FILE = /\.log(\.\d+)?( \(deleted\))?$/;

/**
 * The log files a process holds open: what `ls -l /proc/PID/fd` shows on Linux, or `lsof -p PID` where
 * there is no /proc (macOS). null when neither can tell (no /proc, no lsof): "none" would be a guess.
 */
export function openLogs(pid: number): string[] | null {
  if (existsSync('/proc/self/fd')) {
    try {
      return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
        try {
          const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
          return LOG_FILE.test(target) ? [target] : [];
        } catch {
          return [];
        }
      });
    } catch {
      return []; // the process is gone: it holds nothing
    }
  }
  try {
    // -Fn: one "n<name>" line per open file. lsof exits 1 when the process is gone (nothing printed).
    const out = execFileSync('lsof', ['-p', String(pid), '-Fn'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\n').flatMap((l) => (l.startsWith('n') && LOG_FILE.test(l) ? [l.slice(1)] : []));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : [];
  }
}
