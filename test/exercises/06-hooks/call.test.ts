import { describe, expect, it } from 'vitest';
import { callHook, HookError } from '@answers/06-hooks/call.ts';
import type { Settings } from '../../../src/config/settings.ts';
import type { Logger } from '../../../src/log/logger.ts';

/** A logger that keeps what it was given, by level. */
function fakeLog(): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  return { lines, debug: at('debug'), info: at('info'), warning: at('warning'), error: at('error'), critical: at('critical') };
}

const settingsWith = (hooks: Record<string, unknown>): Settings => ({ workers: 2, ...hooks }) as unknown as Settings;
/** Lets a rejected promise's handlers run. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 10));

describe('exercise 6.1: callHook', () => {
  it('calls the hook with its arguments, in order, once', () => {
    const calls: unknown[][] = [];
    const server = { pid: 1 };
    const worker = { age: 3, pid: null };
    const settings = settingsWith({ pre_fork: (...args: unknown[]) => void calls.push(args) });
    const result = callHook(settings, 'pre_fork', [server, worker], fakeLog());
    expect(calls, 'the hook runs exactly once').toHaveLength(1);
    expect(calls[0], 'it gets the arguments spread out: pre_fork(server, worker)').toEqual([server, worker]);
    expect(calls[0]![0], 'the very objects, not copies').toBe(server);
    expect(result, 'callHook returns nothing').toBeUndefined();
  });

  it('does nothing when the config file has no such hook', () => {
    const log = fakeLog();
    const other: unknown[] = [];
    const settings = settingsWith({ on_starting: null, when_ready: () => void other.push('when_ready') });
    expect(() => callHook(settings, 'on_starting', [{}], log), 'a hook set to null (the default) is skipped').not.toThrow();
    expect(() => callHook(settings, 'on_exit', [{}], log), 'a hook that is not there at all is skipped').not.toThrow();
    expect(other, 'only the hook that was asked for may run, and it was not this one').toEqual([]);
    expect(log.lines, 'and nothing is logged').toEqual([]);
  });

  it('wraps what a hook throws in a HookError that names the hook', () => {
    const boom = new Error('no database');
    const settings = settingsWith({
      post_fork: () => {
        throw boom;
      },
    });
    let caught: unknown;
    try {
      callHook(settings, 'post_fork', [{}, {}], fakeLog());
    } catch (err) {
      caught = err;
    }
    expect(caught, 'a hook that throws makes callHook throw').toBeDefined();
    expect(caught, 'what it throws is a HookError (exported by the same file)').toBeInstanceOf(HookError);
    const err = caught as HookError;
    expect(err.hook, 'err.hook is the name of the hook').toBe('post_fork');
    expect(err.message.startsWith('Exception in post_fork hook'), `the message starts with "Exception in post_fork hook", got: ${err.message}`).toBe(true);
    expect(err.message, 'the message includes what the hook threw').toContain('no database');
    expect(err.cause, 'err.cause is the original error').toBe(boom);
  });

  it('does not log a throw itself: the caller decides what it means', () => {
    const log = fakeLog();
    const settings = settingsWith({
      on_starting: () => {
        throw new Error('bad');
      },
    });
    expect(() => callHook(settings, 'on_starting', [{}], log), 'the throw comes back as a HookError').toThrow(HookError);
    expect(log.lines, 'callHook itself logs nothing for a hook that throws').toEqual([]);
  });

  it('does not wait for a promise, and logs its rejection with log.error instead of throwing', async () => {
    const log = fakeLog();
    let finished = false;
    const settings = settingsWith({
      when_ready: async () => {
        await settle();
        finished = true;
        throw new Error('late failure');
      },
    });
    expect(() => callHook(settings, 'when_ready', [{}], log), 'an async hook does not make callHook throw').not.toThrow();
    expect(finished, 'callHook returns at once: it does not wait for the promise').toBe(false);
    await settle();
    await settle();
    expect(finished, '(the hook did run to its end)').toBe(true);
    const errors = log.lines.filter((l) => l.level === 'error');
    expect(errors, 'the rejection is logged once, with log.error').toHaveLength(1);
    expect(errors[0]!.message, 'the line says which hook failed: "Exception in when_ready hook ..."').toMatch(/^Exception in when_ready hook/);
    expect(errors[0]!.message, 'and what it threw').toContain('late failure');
  });

  it('logs nothing for a promise that resolves', async () => {
    const log = fakeLog();
    const seen: string[] = [];
    const settings = settingsWith({ post_worker_init: async (w: { age: number }) => void seen.push(`age ${w.age}`) });
    callHook(settings, 'post_worker_init', [{ age: 1 }], log);
    await settle();
    expect(seen, 'the async hook ran with its argument').toEqual(['age 1']);
    expect(log.lines, 'a hook that succeeds leaves no log line').toEqual([]);
  });
});
