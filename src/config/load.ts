// @chapter 5
// Where settings come from, lowest to highest: defaults < config file < PREFORK_CMD_ARGS < command line.
// (gunicorn's order, with GUNICORN_CMD_ARGS.) A list setting given at a higher level replaces the list.
import { existsSync } from 'node:fs';
// >>> chapter 9
import { createRequire } from 'node:module';
// <<< chapter 9
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { byFlag, byName, ConfigError, convert, defaults, SETTINGS, type Settings } from './settings.ts';
// >>> chapter 10
import { defaultGroup } from './settings.ts';
// <<< chapter 10

export interface CommandLine {
  /** Setting name -> raw value(s) as typed. */
  values: Map<string, unknown>;
  positional: string[];
  help: boolean;
  version: boolean;
}

// #region parse-args
/** Parses flags generated from the registry: -w 4, -w4, --workers 4, --workers=4, --preload. */
export function parseCommandLine(args: string[], source = 'the command line'): CommandLine {
  const out: CommandLine = { values: new Map(), positional: [], help: false, version: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      out.positional.push(...args.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      out.help = true;
      continue;
    }
    if (arg === '-v' || arg === '--version') {
      out.version = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let flag = eq === -1 ? arg : arg.slice(0, eq);
    let inline: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (!arg.startsWith('--') && arg.length > 2) {
      flag = arg.slice(0, 2); // -w4
      inline = arg.slice(2);
    }
    const setting = byFlag.get(flag);
    if (!setting) throw new ConfigError(`Unknown option ${flag} in ${source}. See prefork --help.`);
    let value: unknown;
    if (setting.type === 'bool') value = inline ?? true;
    else if (inline !== undefined) value = inline;
    else if (i + 1 < args.length) value = args[++i];
    else throw new ConfigError(`${flag} in ${source} needs a value (${setting.meta ?? setting.type})`);
    if (setting.type === 'list') {
      const list = (out.values.get(setting.name) as string[] | undefined) ?? [];
      out.values.set(setting.name, [...list, value]);
    } else out.values.set(setting.name, value);
  }
  if (out.positional.length > 1) throw new ConfigError(`Expected one application, got ${out.positional.length}: ${out.positional.join(' ')}`);
  return out;
}
// #endregion parse-args

/** Splits PREFORK_CMD_ARGS the way a POSIX shell would: spaces, quotes, backslashes. */
export function shellSplit(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) word += text[++i]!;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < text.length) word = (word ?? '') + text[++i]!;
    else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? '') + c;
  }
  if (quote) throw new ConfigError(`PREFORK_CMD_ARGS has an unclosed ${quote}`);
  if (word !== null) words.push(word);
  return words;
}

export interface Loaded {
  settings: Settings;
  /** The config file that was read, if any. */
  configFile: string | null;
  commandLine: CommandLine;
  warnings: string[];
}

// #region load
/* >>> chapters 5-8
export async function loadSettings(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<Loaded> {
<<< chapters 5-8 */
// >>> chapter 9
/** `fresh`: import the config file anew (HUP), not the copy Node cached the first time. */
export async function loadSettings(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), opts: { fresh?: boolean } = {}): Promise<Loaded> {
// <<< chapter 9
  const cli = parseCommandLine(argv);
  const fromEnv = parseCommandLine(shellSplit(env.PREFORK_CMD_ARGS ?? ''), 'PREFORK_CMD_ARGS');
  const settings = defaults(env);
  const warnings: string[] = [];

  const named = (cli.values.get('config') ?? fromEnv.values.get('config')) as string | undefined;
  const configFile = named !== undefined ? resolve(cwd, named) : existsSync(resolve(cwd, settings.config)) ? resolve(cwd, settings.config) : null;
  if (configFile) {
    if (!existsSync(configFile)) throw new ConfigError(`The config file ${configFile} does not exist.`);
    /* >>> chapters 5-8
    const fromFile = await readConfigFile(configFile);
    <<< chapters 5-8 */
    // >>> chapter 9
    const fromFile = await readConfigFile(configFile, opts.fresh ?? false);
    // <<< chapter 9
    for (const [key, value] of Object.entries(fromFile)) {
      const setting = byName.get(key);
      if (setting) settings[key] = convert(setting, value, `the config file ${configFile}`);
      else warnings.push(`Ignoring ${JSON.stringify(key)} in ${configFile}: no such setting${suggest(key)}`);
    }
    settings.config = configFile;
  }
  for (const [source, parsed] of [['PREFORK_CMD_ARGS', fromEnv], ['the command line', cli]] as const) {
    for (const [name, value] of parsed.values) settings[name] = convert(byName.get(name)!, value, source);
  }
  // >>> chapter 10
  settings.group = defaultGroup(settings);
  // <<< chapter 10
  // The file actually read, as an absolute path: workers import it again from elsewhere (chapter 6).
  if (configFile) settings.config = configFile;
  const app = cli.positional[0] ?? fromEnv.positional[0];
  if (app !== undefined) settings.app = app;
  return { settings, configFile, commandLine: cli, warnings };
}
// #endregion load

/** A config file's exports: the named ones, over the keys of a default-exported plain object. */
/* >>> chapters 5-8
async function readConfigFile(file: string): Promise<Record<string, unknown>> {
<<< chapters 5-8 */
// >>> chapter 9
let imports = 0;
async function readConfigFile(file: string, fresh: boolean): Promise<Record<string, unknown>> {
// <<< chapter 9
  let mod: Record<string, unknown>;
  try {
    /* >>> chapters 5-8
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    <<< chapters 5-8 */
    // >>> chapter 9
    // A new URL is a new ES module for Node's loader; a config file loaded as CommonJS (a package
    // without "type": "module") is cached by file name instead. The files it imports stay cached: a limit.
    if (fresh) delete createRequire(import.meta.url).cache[file];
    mod = (await import(`${pathToFileURL(file).href}${fresh ? `?reload=${++imports}` : ''}`)) as Record<string, unknown>;
    // <<< chapter 9
  } catch (err) {
    throw new ConfigError(`Failed to read config file ${file}:\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  return configExports(mod);
}

/** A config module's settings: its named exports, over the keys of a default-exported plain object. */
export function configExports(mod: Record<string, unknown>): Record<string, unknown> {
  const { default: def, ...named } = mod;
  const base = def !== null && typeof def === 'object' && !Array.isArray(def) ? (def as Record<string, unknown>) : {};
  return { ...base, ...named };
}

function suggest(key: string): string {
  const close = SETTINGS.map((s) => s.name).find((n) => distance(n, key) <= 2);
  return close ? ` (did you mean ${close}?)` : '';
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}
