// A stand-in for a job scheduler (APScheduler in the Python story, node-cron or a setInterval in
// Node.js): startScheduler() runs a job every few seconds, in the process that called it.
//
// Everything it does is one line in a shared file, so you (and the stage) can count who did what:
//   scheduler started by pid 4312
//   job ran in pid 4312
// The file is $SCHEDULER_LOG, or prefork-scheduler.log in the system's temp directory.
import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const schedulerLog = process.env.SCHEDULER_LOG ?? join(tmpdir(), 'prefork-scheduler.log');

/** Appends one line; O_APPEND keeps lines from different processes whole. */
export function record(line: string): void {
  appendFileSync(schedulerLog, `${line}\n`);
}

export function startScheduler(everyMs = Number(process.env.SCHEDULER_EVERY_MS ?? 2000)): void {
  record(`scheduler started by pid ${process.pid}`);
  // The job. unref(): a timer alone must not keep a process alive that is trying to exit.
  setInterval(() => record(`job ran in pid ${process.pid}`), everyMs).unref();
}
