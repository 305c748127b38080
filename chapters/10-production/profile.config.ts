// A config file that CPU-profiles every worker through node:inspector, where Node 20 refuses
// --cpu-prof in NODE_OPTIONS:
//   PROFILE_DIR=/tmp/prof npx prefork -c chapters/10-production/profile.config.ts app.ts:app
// then some load, then TERM. Open worker-PID.cpuprofile in Chrome DevTools (Performance) or VS Code.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// With -u, the workers' user must be able to write here.
const dir = process.env.PROFILE_DIR ?? join(tmpdir(), 'prof');
const session = new Session();

export function post_worker_init(): void {
  mkdirSync(dir, { recursive: true });
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
}

export function worker_exit(_server: unknown, worker: { pid: number }): void {
  // A session in the same thread answers at once: the file is written before the worker exits.
  session.post('Profiler.stop', (err, result) => {
    if (!err) writeFileSync(join(dir, `worker-${worker.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
}
