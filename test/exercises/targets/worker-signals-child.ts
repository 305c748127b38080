// @chapter 9
// Exercise 9.3 in a bare process: nothing but holdStopSignals and handleWorkerSignals from the module
// given, with stand-in actions that print what they were asked to do, one line each, so that a test
// can send signals and read what happened, in order.
//   node --import tsx worker-signals-child.ts MODULE [SIGNAL...]
// Prints "holding" once holdStopSignals() returned, sends itself each SIGNAL given (they arrive while it
// holds), then calls handleWorkerSignals(...) and release(), and prints "ready".
// Stand-ins: stop() prints "stop" and resolves when a line "finish" comes on stdin; exit(code) prints
// "exit CODE" (plus "before stop() resolved" while a stop is pending) and ends the process with that
// code; onQuit() and onAbort() print their names; the log prints "log.LEVEL MESSAGE".
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import type * as Seam from '../../../src/worker/signals.ts';

const [file, ...early] = process.argv.slice(2);
const say = (line: string): void => void writeSync(1, `${line}\n`);
const mod = (await import(pathToFileURL(file!).href)) as typeof Seam;

/** Runs one of the learner's functions; if it throws, says so and ends the process (code 70). */
function attempt<T>(name: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    say(`threw in ${name}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(70);
  }
}

let finishStop: (() => void) | null = null;
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'finish' && finishStop) finishStop();
});

const held = attempt('holdStopSignals()', () => mod.holdStopSignals());
say('holding');
if (early.length > 0) {
  // Signals to ourselves arrive in the order sent: once our own USR2 listener runs, the ones before it
  // have been through the listeners in place (the held ones, or none: then the process is gone).
  await new Promise<void>((resolve) => {
    process.once('SIGUSR2', () => setTimeout(resolve, 20));
    for (const signal of early) process.kill(process.pid, signal as NodeJS.Signals);
    process.kill(process.pid, 'SIGUSR2');
  });
}

const print = (level: string) => (message: string): void => say(`log.${level} ${message}`);
attempt('handleWorkerSignals()', () =>
  mod.handleWorkerSignals({
    stop: () => {
      say('stop');
      return new Promise<void>((resolve) => {
        finishStop = () => {
          finishStop = null;
          resolve();
        };
      });
    },
    exit: (code) => {
      say(`exit ${code}${finishStop ? ' before stop() resolved' : ''}`);
      process.exit(code);
    },
    log: { debug: print('debug'), info: print('info'), warning: print('warning'), error: print('error'), critical: print('critical') },
    onQuit: () => say('onQuit'),
    onAbort: () => say('onAbort'),
  }),
);
attempt('release()', () => held.release());
say('ready');
