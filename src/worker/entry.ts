// @chapter 4
// What `node` runs for a worker: which file, with which node options. Plumbing for spawn.ts, kept apart
// so that the mechanism (fork, sockets, messages) reads on its own.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What `node` runs for a worker. */
export interface WorkerEntry {
  file: string;
  /** Node options: none needed for a plain JavaScript bundle; the TypeScript loader for sources. */
  execArgv: string[];
}

/**
 * The worker on its TypeScript sources: simple, but every worker pays for the TypeScript loader.
 * Module hooks this process was started with (`--import ...`, as `--mine` adds) are passed on too.
 */
export function sourceEntry(): WorkerEntry {
  const imports = process.execArgv.flatMap((arg, i, all) => (arg === '--import' && all[i + 1] ? ['--import', all[i + 1]!] : arg.startsWith('--import=') ? [arg] : []));
  const tsx = imports.some((a) => a.includes('tsx')) ? [] : ['--import', import.meta.resolve('tsx')];
  return { file: join(dirname(fileURLToPath(import.meta.url)), 'start.ts'), execArgv: [...tsx, ...imports] };
}
