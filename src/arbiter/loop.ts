// @chapter 5
// The master's event loop, between the shell (master.ts) and the core (core.ts). Signal handlers, child
// exits and the clock only queue an event here; the loop hands the events to the core one at a time, in
// the order they came, keeps the state the core returns and has the shell carry out its effects.
import { step as coreStep, type ArbiterEvent, type ArbiterState, type Deps, type Effect } from './core.ts';
import { traceStep } from '../log/trace.ts';

/** A decision function with the core's signature: (state, event, clock) -> (new state, effects). */
export type Step = (state: ArbiterState, event: ArbiterEvent, deps: Deps) => { state: ArbiterState; effects: Effect[] };

export interface LoopOptions {
  /** What decides; the core's `step` unless a test passes its own. */
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

// #region queue
export function masterLoop(initial: ArbiterState, perform: (effect: Effect) => void, opts: LoopOptions = {}): MasterLoop {
  const step = opts.step ?? coreStep;
  let state = initial;
  // One event at a time, in arrival order: a signal handler only queues, like gunicorn's SIG_QUEUE.
  const queue: ArbiterEvent[] = [];
  let draining = false;
  // >>> chapter 9
  let abandoned = false;
  // <<< chapter 9
  const dispatch = (event: ArbiterEvent): void => {
    // >>> chapter 9
    if (abandoned) return;
    // <<< chapter 9
    queue.push(event);
    // Called from inside perform (a kill, a spawn): the loop below takes it in its turn.
    if (draining) return;
    draining = true;
    while (queue.length) {
      /* >>> chapters 5-8
      const next = queue.shift()!;
      const result = step(state, next, { now: Date.now(), random: Math.random });
      <<< chapters 5-8 */
      // >>> chapter 9
      const next = queue.shift()!;
      let result: ReturnType<Step>;
      try {
        result = step(state, next, { now: Date.now(), random: Math.random });
      } catch (err) {
        // A decision that throws (a bug, or an exercise not written yet under --mine) is gunicorn's
        // "Unhandled exception in main loop": a quick stop, exit 255. If even that throws, give up.
        const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
        if (next.type !== 'fatal') queue.unshift({ type: 'fatal', message });
        else {
          abandoned = true;
          queue.length = 0;
          opts.onAbandon?.(message);
        }
        continue;
      }
      // <<< chapter 9
      state = result.state;
      // PREFORK_TRACE=FILE (npm run chapter N -- --record): each decision, for the site's playground.
      traceStep(next, result.effects, state);
      for (const effect of result.effects) perform(effect);
    }
    draining = false;
  };
  return {
    dispatch,
    get state() {
      return state;
    },
  };
}
// #endregion queue
