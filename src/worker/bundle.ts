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
// >>> chapter 9
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
// <<< chapter 9
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAppSpec } from '../app/app-spec.ts';
import { sourceEntry, type WorkerEntry } from './entry.ts';

const workerMain = join(dirname(fileURLToPath(import.meta.url)), 'main.ts');

/** The worker entry for an app: a bundle when esbuild can make one, else the TypeScript sources. */
/* >>> chapters 5-5
export async function workerEntry(spec: string, cwd: string, onFallback: (why: string) => void): Promise<WorkerEntry> {
<<< chapters 5-5 */
// >>> chapter 6
export async function workerEntry(spec: string, cwd: string, onFallback: (why: string) => void, configFile: string | null = null): Promise<WorkerEntry> {
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
    return { file: await bundle(appFile, configFile), execArgv: ['--max-semi-space-size=1'] };
    // <<< chapter 6
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
async function bundle(appFile: string, configFile: string | null): Promise<string> {
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
    sourcemap: 'linked',
    logLevel: 'silent',
  }).finally(() => esbuild.stop());
  /* >>> chapters 5-8
  return outfile;
  <<< chapters 5-8 */
  // >>> chapter 9
  const outfile = resolve(Object.keys(result.metafile.outputs).find((f) => f.endsWith('.mjs'))!);
  pruneBundles(outdir, name, outfile);
  return outfile;
  // <<< chapter 9
}
// #endregion bundle
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
