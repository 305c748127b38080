// @chapter 9
// Listening sockets handed from one master to the next (USR2), as gunicorn does with GUNICORN_FD.
//
// The old master passes its sockets as extra stdio entries, so they arrive as fds 3, 4, ... in the new
// one, and says in PREFORK_FD which fd is which address. The new master opens those fds instead of
// binding: the same sockets, so connections keep queueing in one backlog while both masters run.
import net from 'node:net';
import { formatAddress, type Address } from './address.ts';
import { BindError, type Listener } from './bind.ts';

export const FD_ENV = 'PREFORK_FD';
/** The old master's pid, in the new master's environment: it is 'Master.2' until that pid is gone. */
export const PID_ENV = 'PREFORK_PID';

interface Passed {
  fd: number;
  address: Address;
}

// #region hand-over
/** What to pass to the new master: its stdio (fds from 3 on) and the PREFORK_FD value. */
export function handOver(listeners: Listener[]): { stdio: number[]; env: string } {
  const passed: Passed[] = listeners.map((l, i) => ({ fd: 3 + i, address: l.address }));
  return { stdio: listeners.map((l) => l.handle.fd ?? -1), env: JSON.stringify(passed) };
}

/** The sockets an old master passed down, or null when this master was not started by USR2. */
export function takeOver(env: NodeJS.ProcessEnv = process.env): Listener[] | null {
  const raw = env[FD_ENV];
  if (raw === undefined) return null;
  delete env[FD_ENV]; // not for the workers, nor for a later USR2
  let passed: Passed[];
  try {
    passed = JSON.parse(raw) as Passed[];
  } catch {
    throw new BindError(`${FD_ENV} is not what an old master passes: ${raw}`);
  }
  return passed.map(({ fd, address }) => {
    const handle = net._createServerHandle(null, 0, 0, fd);
    if (typeof handle === 'number') throw new BindError(`cannot listen on fd ${fd} (${formatAddress(address)}) from ${FD_ENV}`);
    return { address, name: formatAddress(address), handle };
  });
}
// #endregion hand-over
