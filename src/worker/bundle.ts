// @chapter 5
// Compiles the worker and the user's app into one plain JavaScript file, once, in the master.
//
// A TypeScript loader inside every worker costs memory and start-up time (measured on Node 20: ~150 ms
// more per boot, and a worker's resident memory roughly doubles). So the master bundles worker + app
// with esbuild and starts workers on the result: plain `node bundle.mjs`. Packages the app imports stay external and
// are resolved at run time, which is why the bundle is written inside the app's nearest node_modules.
import { createHash } from 'node:crypto';
/* >>> chapters 5-8
import { existsSync, mkdirSync } from 'node:fs';
<<< chapters 5-8 */
/* >>> chapters 9-9
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
<<< chapters 9-9 */
// >>> chapter 10
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
// <<< chapter 10
/* >>> chapters 5-9
import { dirname, join, resolve } from 'node:path';
<<< chapters 5-9 */
// >>> chapter 10
import { isBuiltin } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import type { Metafile } from 'esbuild';
// <<< chapter 10
import { fileURLToPath } from 'node:url';
import { parseAppSpec } from '../app/app-spec.ts';
import { sourceEntry, type WorkerEntry } from './entry.ts';

const workerMain = join(dirname(fileURLToPath(import.meta.url)), 'main.ts');
// >>> chapter 10

/** A worker entry, and what --reload watches for it. */
export interface BuiltEntry extends WorkerEntry {
  /** The files the bundle was built from that are the user's (appInputs); absent when there is no bundle. */
  inputs?: string[];
}
// <<< chapter 10

/** The worker entry for an app: a bundle when esbuild can make one, else the TypeScript sources. */
/* >>> chapters 5-5
export async function workerEntry(spec: string, cwd: string, onFallback: (why: string) => void): Promise<WorkerEntry> {
<<< chapters 5-5 */
// >>> chapter 6
/* >>> chapters 6-9
export async function workerEntry(spec: string, cwd: string, onFallback: (why: string) => void, configFile: string | null = null): Promise<WorkerEntry> {
<<< chapters 6-9 */
// >>> chapter 10
export async function workerEntry(spec: string, cwd: string, onFallback: (why: string) => void, configFile: string | null = null): Promise<BuiltEntry> {
// <<< chapter 10
// <<< chapter 6
  const appFile = resolve(cwd, parseAppSpec(spec).file);
  // `npm run chapter N -- --mine` swaps modules at load time; a bundle would bake the reference ones in.
  if (process.env.PREFORK_MINE) return sourceEntry();
  // No file, nothing to bundle, and no bundling failure to warn about: the worker reports the missing
  // file as it reports any app that cannot be loaded ("does not exist", exit 4).
  if (!existsSync(appFile)) return sourceEntry();
  try {
    // A 1 MB young generation: under load V8 otherwise grows it up to 16 MB per semi-space, measured
    // as ~12 MB more resident memory per worker for no gain in requests/s (chapter 5).
    // Source maps are written next to the bundle; NODE_OPTIONS=--enable-source-maps turns them on.
    /* >>> chapters 5-5
    return { file: await bundle(appFile), execArgv: ['--max-semi-space-size=1'] };
    <<< chapters 5-5 */
    // >>> chapter 6
    /* >>> chapters 6-9
    return { file: await bundle(appFile, configFile), execArgv: ['--max-semi-space-size=1'] };
    <<< chapters 6-9 */
    // <<< chapter 6
    // >>> chapter 10
    return { ...(await bundle(appFile, configFile)), execArgv: ['--max-semi-space-size=1'] };
    // <<< chapter 10
  } catch (err) {
    // A syntax error in the app, for instance: the fallback worker reports it the usual way (exit 3).
    onFallback(err instanceof Error ? err.message.split('\n')[0]! : String(err));
    return sourceEntry();
  }
}

// #region bundle
/* >>> chapters 5-5
async function bundle(appFile: string): Promise<string> {
<<< chapters 5-5 */
// >>> chapter 6
/* >>> chapters 6-9
async function bundle(appFile: string, configFile: string | null): Promise<string> {
<<< chapters 6-9 */
// >>> chapter 10
async function bundle(appFile: string, configFile: string | null): Promise<{ file: string; inputs: string[] }> {
// <<< chapter 10
  // The config file goes in too: the worker's hooks (post_fork, pre_request...) live there.
  const config = configFile ? `() => import(${JSON.stringify(configFile)})` : 'undefined';
// <<< chapter 6
  const esbuild = await import('esbuild');
  const outdir = cacheDir(appFile);
  /* >>> chapters 5-5
  const name = createHash('sha256').update(`${workerMain}\0${appFile}`).digest('hex').slice(0, 12);
  <<< chapters 5-5 */
  // >>> chapter 6
  const name = createHash('sha256').update(`${workerMain}\0${appFile}\0${configFile}`).digest('hex').slice(0, 12);
  // <<< chapter 6
  /* >>> chapters 5-8
  const outfile = join(outdir, `worker-${name}.mjs`);
  <<< chapters 5-8 */
  // esbuild runs a helper process; stop it once the bundle is written, so the master does not keep it.
  /* >>> chapters 5-8
  await esbuild.build({
  <<< chapters 5-8 */
  // >>> chapter 9
  // The file name carries a hash of the content: a reload (HUP) that changed the app writes a new file
  // and leaves the old one to the workers still running it, or to go back to if the new app fails.
  const result = await esbuild.build({
  // <<< chapter 9
    stdin: {
      // A dynamic import, so that an app that throws while loading is reported by the worker (exit 3).
      /* >>> chapters 5-5
      contents: `import { runWorker } from ${JSON.stringify(workerMain)};\nawait runWorker(() => import(${JSON.stringify(appFile)}));\n`,
      <<< chapters 5-5 */
      // >>> chapter 6
      contents: `import { runWorker } from ${JSON.stringify(workerMain)};\nawait runWorker(() => import(${JSON.stringify(appFile)}), ${config});\n`,
      // <<< chapter 6
      resolveDir: dirname(appFile),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    /* >>> chapters 5-8
    outfile,
    <<< chapters 5-8 */
    // >>> chapter 9
    outdir,
    entryNames: `worker-${name}-[hash]`,
    outExtension: { '.js': '.mjs' },
    metafile: true,
    // <<< chapter 9
    // >>> chapter 10
    // The app goes in a file of its own (a chunk), which the dynamic import above loads. In a one-file
    // bundle the app's imports of packages were the bundle's own, resolved before any line of the worker
    // ran: a package not installed killed the worker with Node's bare error (exit 1, which the master
    // cannot tell from a crash) instead of a failed import that the worker reports (exit 3).
    splitting: true,
    chunkNames: `chunks/worker-${name}-[hash]`,
    // <<< chapter 10
    sourcemap: 'linked',
    logLevel: 'silent',
  }).finally(() => esbuild.stop());
  /* >>> chapters 5-8
  return outfile;
  <<< chapters 5-8 */
  // >>> chapter 9
  /* >>> chapters 9-9
  const outfile = resolve(Object.keys(result.metafile.outputs).find((f) => f.endsWith('.mjs'))!);
  <<< chapters 9-9 */
  // >>> chapter 10
  const outfile = resolve(Object.entries(result.metafile.outputs).find(([f, out]) => out.entryPoint && f.endsWith('.mjs'))![0]);
  // <<< chapter 10
  pruneBundles(outdir, name, outfile);
  // >>> chapter 10
  pruneChunks(outdir, name);
  // <<< chapter 10
  /* >>> chapters 9-9
  return outfile;
  <<< chapters 9-9 */
  // >>> chapter 10
  return { file: outfile, inputs: appInputs(result.metafile, dirname(dirname(outdir))) };
  // <<< chapter 10
  // <<< chapter 9
}
// #endregion bundle
// >>> chapter 10

// #region app-inputs
/**
 * What --reload watches after a build: the files esbuild read that are the user's (the app, its own
 * modules, the config file), not the server's own sources nor anything under node_modules; and, for each
 * package the app imports (packages stay external, resolved when a worker starts), its folder in the
 * app's node_modules, which installing the package creates. `nodeModules`: the node_modules the bundle
 * is written in, the one the workers resolve packages from first.
 */
function appInputs(metafile: Metafile, nodeModules: string): string[] {
  const server = dirname(dirname(workerMain)) + sep;
  const mine = Object.entries(metafile.inputs)
    .map(([path, input]) => ({ file: resolve(path), input }))
    .filter(({ file }) => !file.startsWith(server) && !file.split(sep).includes('node_modules') && !file.endsWith('<stdin>'));
  const packages = mine.flatMap(({ input }) => input.imports.filter((i) => i.external && !isBuiltin(i.path) && !/^[./]/.test(i.path)).map((i) => packageName(i.path)));
  return [...new Set([...mine.map(({ file }) => file), ...packages.map((p) => packageFolder(nodeModules, p))])].sort();
}

/** A package's folder; for '@scope/pkg' while '@scope' does not exist, '@scope': a folder must exist to be watched. */
function packageFolder(nodeModules: string, name: string): string {
  const scope = name.startsWith('@') ? join(nodeModules, name.split('/')[0]!) : null;
  return scope && !existsSync(scope) ? scope : join(nodeModules, name);
}

/** 'pkg/sub/path' -> 'pkg'; '@scope/pkg/sub' -> '@scope/pkg'. */
const packageName = (specifier: string): string => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
// #endregion app-inputs
// <<< chapter 10
// >>> chapter 9

/**
 * Each reload that changed the app adds a bundle; keep the newest few of this app, so the one in use and
 * the one a rollback returns to stay on disk (the master holds no more than those two) and the rest go.
 */
function pruneBundles(outdir: string, name: string, current: string, keep = 3): void {
  const now = new Date();
  utimesSync(current, now, now); // esbuild leaves an unchanged file alone: this marks it newest
  // Another master of the same app may be pruning at the same moment: a file gone meanwhile is fine.
  const mtime = (file: string): number => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const mine = readdirSync(outdir)
    .filter((f) => f.startsWith(`worker-${name}-`) && f.endsWith('.mjs'))
    .map((f) => ({ file: join(outdir, f), at: mtime(join(outdir, f)) }))
    .sort((a, b) => b.at - a.at);
  for (const { file } of mine.slice(keep)) for (const f of [file, `${file}.map`]) rmSync(f, { force: true });
}
// <<< chapter 9
// >>> chapter 10

/**
 * The chunks of this app that no bundle left on disk imports, directly or through another chunk, go too;
 * but not one newer than the oldest bundle kept: another master of the same app may have just written it,
 * for a bundle it is about to write.
 */
function pruneChunks(outdir: string, name: string): void {
  const chunks = join(outdir, 'chunks');
  if (!existsSync(chunks)) return;
  const text = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  const mtime = (file: string): number => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  // An entry imports "./chunks/worker-...mjs"; a chunk imports its neighbours as "./worker-...mjs".
  const imports = (code: string): string[] => [...code.matchAll(/["']\.\/(?:chunks\/)?(worker-[\w-]+\.mjs)["']/g)].map((m) => m[1]!);
  const entries = readdirSync(outdir).filter((f) => f.startsWith(`worker-${name}-`) && f.endsWith('.mjs')).map((f) => join(outdir, f));
  const oldest = Math.min(...entries.map(mtime));
  const pending = entries.flatMap((f) => imports(text(f)));
  const used = new Set<string>();
  for (let chunk = pending.pop(); chunk !== undefined; chunk = pending.pop()) {
    if (used.has(chunk)) continue;
    used.add(chunk);
    pending.push(...imports(text(join(chunks, chunk))));
  }
  for (const f of readdirSync(chunks)) {
    if (f.startsWith(`worker-${name}-`) && !used.has(f.replace(/\.map$/, '')) && mtime(join(chunks, f)) < oldest) rmSync(join(chunks, f), { force: true });
  }
}
// <<< chapter 10

/** node_modules/.cache/prefork next to the app (the nearest node_modules up from it), else the cwd's. */
function cacheDir(appFile: string): string {
  let dir = dirname(appFile);
  for (;;) {
    if (existsSync(join(dir, 'node_modules'))) break;
    const up = dirname(dir);
    if (up === dir) {
      dir = process.cwd();
      break;
    }
    dir = up;
  }
  const out = join(dir, 'node_modules', '.cache', 'prefork');
  mkdirSync(out, { recursive: true });
  return out;
}
