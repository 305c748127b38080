// @chapter 4
// The error log, in gunicorn's line shape: [2026-11-22 09:34:48 +0000] [9423] [INFO] message
// One synchronous write per line: on a pipe or an O_APPEND file, a line from one process is never
// torn by another process's line (chapter 7 is about why that matters).
import { writeSync } from 'node:fs';
// >>> chapter 5
import { trace, tracing } from './trace.ts';
// <<< chapter 5
// >>> chapter 7
import type { LogFile } from './files.ts';
// <<< chapter 7

export const LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;
export type Level = (typeof LEVELS)[number];

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  critical(message: string): void;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `[YYYY-MM-DD HH:MM:SS +ZZZZ]` in local time, as gunicorn's error log shows it. */
export function logTime(d = new Date()): string {
  const off = -d.getTimezoneOffset();
  const zone = `${off >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
  return `[${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${zone}]`;
}

export interface LoggerOptions {
  level?: Level;
  /** Where lines go when there is no `file`: a file descriptor, stderr by default. */
  fd?: number;
  // >>> chapter 7
  /** The error log file (errorlog): opened with O_APPEND, reopened on USR1 (files.ts). */
  file?: LogFile;
  // <<< chapter 7
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const min = LEVELS.indexOf(opts.level ?? 'info');
  const fd = opts.fd ?? 2;
  const at = (level: Level) => {
    const enabled = LEVELS.indexOf(level) >= min;
    const tag = level.toUpperCase();
    return (message: string): void => {
      if (!enabled) return;
      const line = `${logTime()} [${process.pid}] [${tag}] ${message}\n`;
      // >>> chapter 5
      if (tracing) trace({ kind: 'log', level, message });
      // <<< chapter 5
      // >>> chapter 7
      if (opts.file) return opts.file.write(line);
      // <<< chapter 7
      try {
        writeSync(fd, line);
      } catch {
        // a closed stderr must not take the server down
      }
    };
  };
  return { debug: at('debug'), info: at('info'), warning: at('warning'), error: at('error'), critical: at('critical') };
}

// >>> chapter 7
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
let cachedSecond = -1;
let cachedStamp = '';

/**
 * `[22/Nov/2026:09:34:50 +0000]` in local time: the access log's %(t)s, Apache's common log format
 * time. Formatted once per second: under load, thousands of lines share each stamp.
 */
export function accessLogTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second === cachedSecond) return cachedStamp;
  const d = new Date(second * 1000);
  const off = -d.getTimezoneOffset();
  const zone = `${off >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
  cachedStamp = `[${pad(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${zone}]`;
  cachedSecond = second;
  return cachedStamp;
}
// <<< chapter 7

/** An error with its stack, for log lines. */
export function describeError(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
}
