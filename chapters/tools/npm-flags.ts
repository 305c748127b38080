// Flags that npm kept for itself. `npm run chapter 3 --diff` passes no --diff to the script: npm takes
// every flag before `--` as its own configuration and only sets npm_config_diff=true in the environment,
// so the stage would silently run instead. (`--port 9000` is worse: npm_config_port=true, and 9000
// arrives as a stray argument.) The runner looks for its own flags there and says how to write them.

/** The runner's and the stages' flags, in the order a suggested command lists them. */
const FLAGS = ['diff', 'once', 'mine', 'record', 'host', 'port'] as const;

/**
 * When npm swallowed some of our flags: the command that passes them on (`npm run chapter 3 -- --diff`);
 * else null. `rest`: the arguments that did reach the script, after the chapter's number.
 */
export function swallowedFlags(env: NodeJS.ProcessEnv, key: string, rest: string[]): string | null {
  // Only under `npm run chapter`: elsewhere an npm_config_* variable is not ours to read.
  if (env.npm_lifecycle_event !== 'chapter') return null;
  const taken = FLAGS.filter((f) => env[`npm_config_${f}`] !== undefined);
  if (taken.length === 0) return null;
  const flags = taken.map((f) => (env[`npm_config_${f}`] === 'true' ? `--${f}` : `--${f}=${env[`npm_config_${f}`]}`));
  return `npm run chapter ${key} -- ${[...flags, ...rest].join(' ')}`;
}
