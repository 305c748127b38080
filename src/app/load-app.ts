// @chapter 2
// Loads the application named by a spec, "path/to/file.ts:exportName", and tells the two shapes apart.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseAppSpec, AppSpecError } from './app-spec.ts';
import { fromFetch, type FetchHandler } from './fetch-adapter.ts';
import type { App } from './types.ts';

/** wsgi: `(environ, startResponse)`; fetch: `(request) => Response`; auto: decide from the export. */
export type AppKind = 'auto' | 'wsgi' | 'fetch';

/** Why an app could not be loaded. gunicorn exits 3 when the import fails and 4 for the rest. */
export type LoadFailure = 'bad-spec' | 'not-found' | 'import-failed' | 'no-export' | 'not-an-app';

export class AppLoadError extends AppSpecError {
  constructor(
    message: string,
    readonly reason: LoadFailure,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AppLoadError';
  }
}

export interface LoadedApp {
  app: App;
  kind: 'wsgi' | 'fetch';
  file: string;
  exportName: string;
}

// #region load
/* >>> chapters 2-3
export async function loadApp(spec: string, opts: { cwd?: string; kind?: AppKind } = {}): Promise<LoadedApp> {
<<< chapters 2-3 */
// >>> chapter 4
/** `importModule`: how a worker whose app was compiled into it (a bundle, chapter 5) imports that copy. */
export async function loadApp(spec: string, opts: { cwd?: string; kind?: AppKind; importModule?: () => Promise<Record<string, unknown>> } = {}): Promise<LoadedApp> {
// <<< chapter 4
  let parsed;
  try {
    parsed = parseAppSpec(spec);
  } catch (err) {
    throw new AppLoadError((err as Error).message, 'bad-spec');
  }
  const file = resolve(opts.cwd ?? process.cwd(), parsed.file);
  const fail = (why: string, reason: LoadFailure, cause?: unknown): AppLoadError =>
    new AppLoadError(`cannot load app ${JSON.stringify(spec)}: ${why}`, reason, { cause });
  /* >>> chapters 2-3
  if (!existsSync(file)) throw fail(`the file ${file} does not exist`, 'not-found');
  <<< chapters 2-3 */
  // >>> chapter 4
  // A compiled-in copy needs no file on disk (the file may have changed or gone since it was compiled).
  if (!opts.importModule && !existsSync(file)) throw fail(`the file ${file} does not exist`, 'not-found');
  // <<< chapter 4
  let mod: Record<string, unknown>;
  try {
    /* >>> chapters 2-3
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    <<< chapters 2-3 */
    // >>> chapter 4
    mod = opts.importModule ? await opts.importModule() : ((await import(pathToFileURL(file).href)) as Record<string, unknown>);
    // <<< chapter 4
  } catch (err) {
    throw fail(`importing ${file} failed: ${err instanceof Error ? err.message : String(err)}`, 'import-failed', err);
  }
  if (!(parsed.exportName in mod)) {
    const names = Object.keys(mod);
    // `export default` is how fetch handlers (a Hono app) are usually written: say how to name it.
    const hint = names.includes('default') ? `; to serve the default export, write ${JSON.stringify(`${parsed.file}:default`)}` : '';
    throw fail(`${file} has no export named ${JSON.stringify(parsed.exportName)} (it exports: ${names.join(', ') || 'nothing'})${hint}`, 'no-export');
  }
  const { app, kind } = toApp(mod[parsed.exportName], opts.kind ?? 'auto', (why) =>
    fail(`export ${JSON.stringify(parsed.exportName)} of ${file} ${why}`, 'not-an-app'),
  );
  return { app, kind, file, exportName: parsed.exportName };
}
// #endregion load

// #region shape
/**
 * Tells the shapes apart: an object with a fetch() method (`export default { fetch }`, a Hono app) or a
 * one-parameter function is a fetch handler; a two-parameter function is (environ, startResponse).
 */
export function toApp(
  value: unknown,
  kind: AppKind,
  fail: (why: string) => Error,
): { app: App; kind: 'wsgi' | 'fetch' } {
  if (value !== null && typeof value === 'object' && typeof (value as { fetch?: unknown }).fetch === 'function') {
    const target = value as { fetch: FetchHandler };
    return { app: fromFetch((request) => target.fetch(request)), kind: 'fetch' };
  }
  if (typeof value !== 'function') throw fail(`is ${value === null ? 'null' : typeof value}, not a function`);
  const fn = value as (...args: unknown[]) => unknown;
  const chosen = kind !== 'auto' ? kind : fn.length === 2 ? 'wsgi' : fn.length === 1 ? 'fetch' : null;
  if (!chosen) {
    throw fail(
      `takes ${fn.length} parameters, so its shape is unclear: an app takes (environ, startResponse), ` +
        'a fetch handler takes (request); say which with the app kind setting',
    );
  }
  return chosen === 'wsgi' ? { app: fn as App, kind: 'wsgi' } : { app: fromFetch(fn as FetchHandler), kind: 'fetch' };
}
// #endregion shape
