// @chapter 5
// The `prefork` command: prefork [OPTIONS] path/to/app.ts:name
import { AppLoadError, loadApp } from './app/load-app.ts';
import { runMaster, VERSION } from './arbiter/master.ts';
import { loadSettings, type Loaded } from './config/load.ts';
import { ConfigError, SETTINGS, type Settings } from './config/settings.ts';
/* >>> chapters 5-6
import { createLogger } from './log/logger.ts';
<<< chapters 5-6 */
// >>> chapter 7
import type { Logger } from './log/logger.ts';
import { masterLogger } from './log/setup.ts';
// <<< chapter 7

// #region main
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let loaded: Loaded;
  try {
    loaded = await loadSettings(argv, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`\nError: ${err.message}\n`);
    return 1;
  }
  const { settings, commandLine } = loaded;
  if (commandLine.help) return print(helpText());
  if (commandLine.version) return print(`prefork ${VERSION}`);
  /* >>> chapters 5-6
  const log = createLogger({ level: settings.loglevel });
  <<< chapters 5-6 */
  // >>> chapter 7
  // The error log first (errorlog): every later line goes there. A log file that cannot be opened, or a
  // bad access_log_format, stops here, before anything is started.
  let log: Logger;
  try {
    log = masterLogger(settings);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`\nError: ${err.message}\n`);
    return 1;
  }
  // <<< chapter 7
  for (const w of loaded.warnings) log.warning(w);
  if (settings.print_config) print(formatSettings(settings));

  if (!settings.app) {
    process.stderr.write('\nError: No application specified. Usage: prefork [OPTIONS] path/to/app.ts:name\n');
    return 1;
  }
  /* >>> chapters 5-8
  for (const entry of settings.raw_env) {
    const eq = entry.indexOf('=');
    if (eq <= 0) {
      process.stderr.write(`\nError: environment setting ${JSON.stringify(entry)} invalid: expected NAME=VALUE (raw_env, -e/--env)\n`);
      return 1;
    }
    process.env[entry.slice(0, eq)] = entry.slice(eq + 1); // the workers inherit the master's environment
  }
  <<< chapters 5-8 */
  // >>> chapter 9
  try {
    applyRawEnv(settings);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`\nError: ${err.message}\n`);
    return 1;
  }
  // <<< chapter 9
  if (settings.check_config || settings.print_config || settings.preload_app) {
    try {
      await loadApp(settings.app, { kind: settings.app_kind });
    } catch (err) {
      if (!(err instanceof AppLoadError)) throw err;
      process.stderr.write(`\nError while loading the application:\n${err.message}\n`);
      if (err.cause instanceof Error && err.cause.stack) process.stderr.write(`${err.cause.stack}\n`);
      return settings.preload_app && !settings.check_config ? (err.reason === 'import-failed' ? 3 : 4) : 1;
    }
    if (settings.check_config || settings.print_config) return 0;
  }
  /* >>> chapters 5-8
  return runMaster({ settings, log });
  <<< chapters 5-8 */
  // >>> chapter 9
  return runMaster({ settings, log, reloadSettings: () => reloadSettings(argv, env, log) });
  // <<< chapter 9
}
// #endregion main
// >>> chapter 9

/** HUP: the same sources read again (the config file freshly imported), checked as at start. */
async function reloadSettings(argv: string[], env: NodeJS.ProcessEnv, log: Logger): Promise<Settings> {
  const again = await loadSettings(argv, env, process.cwd(), { fresh: true });
  for (const w of again.warnings) log.warning(w);
  if (!again.settings.app) throw new ConfigError('No application specified.');
  applyRawEnv(again.settings);
  return again.settings;
}

/** raw_env (-e NAME=VALUE) into the master's environment, which the workers inherit. */
function applyRawEnv(settings: Settings): void {
  for (const entry of settings.raw_env) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new ConfigError(`environment setting ${JSON.stringify(entry)} invalid: expected NAME=VALUE (raw_env, -e/--env)`);
    process.env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
}
// <<< chapter 9

function print(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}

/** name = value for every setting, sorted, as gunicorn's --print-config shows them. */
export function formatSettings(settings: Settings): string {
  return SETTINGS.map((s) => s.name)
    .sort()
    .map((name) => `${name.padEnd(26)} = ${typeof settings[name] === 'function' ? `<function ${(settings[name] as () => void).name || 'anonymous'}>` : JSON.stringify(settings[name])}`)
    .join('\n');
}

export function helpText(): string {
  const lines = ['usage: prefork [OPTIONS] path/to/app.ts[:name]', '', 'A pre-fork application server for Node.js, in the model of gunicorn.', ''];
  const sections = [...new Set(SETTINGS.map((s) => s.section))];
  for (const section of sections) {
    const rows = SETTINGS.filter((s) => s.section === section && s.flags.length > 0);
    if (!rows.length) continue;
    lines.push(`${section}:`);
    for (const s of rows) {
      const flags = `${s.flags.join(', ')}${s.type === 'bool' ? '' : ` ${s.meta ?? s.choices?.join('|') ?? s.type.toUpperCase()}`}`;
      const def = s.default === null || s.type === 'bool' ? '' : ` [${Array.isArray(s.default) ? s.default.join(',') : String(s.default)}]`;
      lines.push(`  ${flags.padEnd(40)} ${s.short}${def}`);
    }
    lines.push('');
  }
  lines.push('  -h, --help                               Show this help.', '  -v, --version                            Show the version.', '');
  lines.push('Settings also come from a config file (prefork.config.ts) and from PREFORK_CMD_ARGS;');
  lines.push('the command line wins over PREFORK_CMD_ARGS, which wins over the config file.');
  return lines.join('\n');
}
