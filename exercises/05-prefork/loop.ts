// Exercise 5.5: the master's event loop. Everything that happens to the master (a signal, a worker's
// boot or exit, a tick of the clock) arrives here as an event; the loop hands the events to the core one
// at a time and has the shell carry out what the core decided. The master (src/arbiter/master.ts) uses it:
//   const loop = masterLoop(initialState(config), (effect) => perform(effect), { onAbandon });
//   process.on('SIGTERM', () => loop.dispatch({ type: 'signal', signal: 'SIGTERM' }));
//   ... reads loop.state whenever it needs to know about its workers.
import { step as coreStep, type ArbiterEvent, type ArbiterState, type Deps, type Effect } from '../../src/arbiter/core.ts';
import { todo } from '../todo.ts';

/** A decision function with the core's signature: (state, event, clock) -> (new state, effects). */
export type Step = (state: ArbiterState, event: ArbiterEvent, deps: Deps) => { state: ArbiterState; effects: Effect[] };

export interface LoopOptions {
  /** What decides; the core's `step` (imported above as coreStep) unless a test passes its own. */
  step?: Step;
  // >>> chapter 9
  /** The loop has given up (even the `fatal` event threw); this stops the process. */
  onAbandon?: (message: string) => void;
  // <<< chapter 9
}

export interface MasterLoop {
  /** Queues an event; handles it, and whatever comes in meanwhile, unless an event is being handled. */
  dispatch(event: ArbiterEvent): void;
  /** The state the last handled event left. */
  readonly state: ArbiterState;
}

/**
 * Returns the loop of a master whose state starts as `initial`.
 *
 * - `dispatch(event)` handles events one at a time, in the order they were dispatched. Handling one
 *   means: call the step with the current state, the event, and `{ now: Date.now(), random:
 *   Math.random }` read at that moment; keep the state it returns (from then on, `state` is that one);
 *   then call `perform` with each of its effects, in the order given.
 * - `perform` may dispatch (a spawn reports the new pid; the master's signal handlers and child exits
 *   dispatch at any time). An event dispatched while another is being handled is never handled inside
 *   that call: it waits its turn, after the events already waiting, and the `dispatch` call that was
 *   already handling goes on until no event is left. So when the outermost `dispatch` returns, every
 *   event dispatched meanwhile has been handled.
 * - `state` gives, whenever it is read, the state the last handled event left (at first, `initial`).
 */
// >>> chapter 9
// When the step throws:
// - its state and effects are lost (the state stays what it was), and the next event handled is
//   { type: 'fatal', message }, ahead of any waiting: the message is the error's stack (its message
//   when it has none; a thrown non-Error, as a string). The core answers `fatal` with a quick stop,
//   exit code 255 (gunicorn's "Unhandled exception in main loop");
// - when it throws on a `fatal` event too, the loop gives up: the waiting events are dropped,
//   `onAbandon` (if given) is called with that error's message (as above), and every later
//   `dispatch` is ignored.
// <<< chapter 9
export function masterLoop(initial: ArbiterState, perform: (effect: Effect) => void, opts: LoopOptions = {}): MasterLoop {
  return todo('5.5 (exercises/05-prefork/loop.ts)');
}
