// @chapter 9
// Exercise 9.3's config file: the worker hooks that signals run each append one line, "name pid", to
// the file named by $HOOK_LOG, so a test can read which ran, in which worker, in which order.
import { appendFileSync } from 'node:fs';

const record = (name: string) => (): void => appendFileSync(process.env.HOOK_LOG!, `${name} ${process.pid}\n`);

export const post_fork = record('post_fork');
export const post_worker_init = record('post_worker_init');
export const pre_request = record('pre_request');
export const worker_int = record('worker_int');
export const worker_abort = record('worker_abort');
export const worker_exit = record('worker_exit');
