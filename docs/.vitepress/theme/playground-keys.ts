// The playground's controls and their keyboard keys, shared by the buttons (PlaygroundControls.vue) and
// the key handler (Playground.vue), so a title always names the key that works.
import type { PlaygroundSignal, RequestKind } from '../playground/sim.ts';

export const SPEEDS = [1, 2, 5, 10, 50] as const;

/** What each signal does to the master, in a line (gunicorn's signal table, in our words), and its key. */
export const SIGNALS: { sig: PlaygroundSignal; key: string; title: string }[] = [
  { sig: 'SIGHUP', key: 'h', title: 'Reload: read the configuration again, start new workers, then retire the old ones' },
  { sig: 'SIGTERM', key: 'e', title: 'Graceful stop: workers finish what they serve (up to graceful_timeout), then the master exits' },
  { sig: 'SIGINT', key: 'i', title: 'Quick stop: workers get QUIT and exit at once, then the master exits' },
  { sig: 'SIGQUIT', key: 'q', title: 'Quick stop, as INT' },
  { sig: 'SIGTTIN', key: 't', title: 'One more worker' },
  { sig: 'SIGTTOU', key: 'o', title: 'One worker fewer (never below one)' },
  { sig: 'SIGUSR1', key: 'u', title: 'Reopen the log files, in the master and in every worker' },
  { sig: 'SIGUSR2', key: 'y', title: 'Start a new master, with workers of its own, on the same sockets' },
  { sig: 'SIGWINCH', key: 'w', title: 'Stop every worker gracefully and keep the master (a daemon only; a master in a terminal ignores it)' },
];

export const REQUESTS: { kind: RequestKind; key: string; title: string }[] = [
  { kind: 'fast', key: 'f', title: 'A request that takes 20 ms' },
  { kind: 'slow', key: 's', title: 'A request that waits 5 s on I/O (the event loop keeps turning)' },
  { kind: 'stuck', key: 'x', title: 'A request stuck in a CPU loop that never ends (the event loop stops)' },
];
