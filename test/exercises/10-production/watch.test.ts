// Exercise 10.3: the reloader's watcher. First on real files in a temp folder (your watchFiles alone),
// then black-box: the real server with --reload and your module in its master, an app that is edited,
// broken, and must never take the server down.
import { spawn } from 'node:child_process';
import { watch as rawWatch, mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, it } from 'vitest';
import { watchFiles, type FileWatcher } from '@answers/10-production/watch.ts';
import { afterExit } from '../../../chapters/tools/stage.ts';
import { check, checkStopsOnTerm, launch, stopAll, until } from '../tester.ts';

const repo = join(import.meta.dirname, '..', '..', '..');
const answer = join(repo, process.env.PREFORK_ANSWERS === 'solutions' ? 'solutions' : 'exercises', '10-production', 'watch.ts');
const root = mkdtempSync(join(tmpdir(), 'prefork-10.3-'));
const LIVE = 'npm run chapter 10 -- --mine, then edit chapters/10-production/app.ts while it runs';
const DEBOUNCE = 50;

let watchers: FileWatcher[] = [];
afterEach(async () => {
  for (const w of watchers) w.close();
  watchers = [];
  await stopAll();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh folder with a file `app.ts` in it. */
function folder(): { dir: string; file: string } {
  const dir = mkdtempSync(join(root, 'case-'));
  const file = join(dir, 'app.ts');
  writeFileSync(file, 'v1\n');
  return { dir, file };
}

/** Your watchFiles on `files`, with its calls recorded. */
function watched(files: string[], opts: { debounceMs?: number; onError?: (dir: string, err: Error) => void } = {}): { calls: string[][]; watcher: FileWatcher } {
  const calls: string[][] = [];
  const watcher = watchFiles(files, (changed) => calls.push(changed), { debounceMs: DEBOUNCE, ...opts });
  watchers.push(watcher);
  return { calls, watcher };
}

/**
 * Resolves once the kernel has reported a change in `dir` to an independent watcher: a witness that the
 * event was there to be seen. Then, after `quiet` ms more (a few debounce periods), "no call" means none.
 */
async function settled(dir: string, act: () => void, quiet = DEBOUNCE * 6): Promise<void> {
  let seen = false;
  const witness = rawWatch(dir, () => (seen = true));
  try {
    act();
    await until(() => seen, 5000);
  } finally {
    witness.close();
  }
  await new Promise((r) => setTimeout(r, quiet));
}

const shown = (calls: string[][]): string => (calls.length ? calls.map((c) => JSON.stringify(c)).join(', then ') : 'no call');

describe('exercise 10.3: watchFiles, on real files', () => {
  it('a write to a watched file: one call, with its absolute path', async () => {
    const { file } = folder();
    const { calls } = watched([file]);
    writeFileSync(file, 'v2\n');
    await until(() => calls.length > 0, 5000);
    check(calls.length === 1 && JSON.stringify(calls[0]) === JSON.stringify([file]), 'A write to a watched file should make one call with that file', {
      sent: `writeFileSync(${JSON.stringify(file)})`,
      expected: `onChange([${JSON.stringify(file)}]) once`,
      got: shown(calls),
    });
  });

  it('a burst of writes to two files makes one call, naming each file once', async () => {
    const { dir, file } = folder();
    const lib = join(dir, 'lib.ts');
    const { calls } = watched([file, lib]);
    // Alternating files: the kernel merges repeated identical events, never different ones.
    await settled(dir, () => {
      for (let i = 0; i < 5; i++) {
        writeFileSync(file, `v${i}\n`);
        writeFileSync(lib, `v${i}\n`);
      }
    });
    await until(() => calls.length > 0, 5000);
    check(calls.length === 1 && JSON.stringify(calls[0]) === JSON.stringify([file, lib].sort()), 'Ten writes in a row should make one call (debounce: wait until the changes have been quiet for debounceMs)', {
      sent: '5 writes to app.ts and 5 to lib.ts, alternating, back to back',
      expected: `one call, ${JSON.stringify([file, lib].sort())}`,
      got: shown(calls),
    });
  });

  it('a save by rename-over is seen, and the file is still watched afterwards', async () => {
    const { dir, file } = folder();
    const { calls } = watched([file]);
    const tmp = join(dir, '.app.ts.swp');
    writeFileSync(tmp, 'v2\n');
    renameSync(tmp, file);
    await until(() => calls.length > 0, 5000);
    check(calls.length === 1 && calls[0]!.includes(file), 'Renaming another file over a watched one should make a call (editors save this way)', {
      sent: `write ${tmp}, then rename it to ${file}`,
      expected: `onChange([${JSON.stringify(file)}])`,
      got: shown(calls),
    });
    writeFileSync(file, 'v3\n');
    const again = await until(() => calls.length > 1, 5000);
    check(again && JSON.stringify(calls[1]) === JSON.stringify([file]), 'After a rename-over the file must still be watched: watch its directory, not the file (the rename replaced the file itself)', {
      sent: `a rename-over of ${file}, then a plain write to it`,
      expected: 'a second call for the write',
      got: shown(calls),
    });
  });

  it('other files in the same folder are ignored, and a watched file need not exist yet', async () => {
    const { dir } = folder();
    const later = join(dir, 'later.ts');
    const { calls } = watched([later]);
    writeFileSync(join(dir, 'other.ts'), 'x\n');
    writeFileSync(join(dir, 'app.ts'), 'v2\n');
    writeFileSync(later, 'created\n');
    await until(() => calls.length > 0, 5000);
    check(calls.length === 1 && JSON.stringify(calls[0]) === JSON.stringify([later]), 'Only watched names count: other files in the folder must not appear, and creating a watched file is a change', {
      sent: `writes to other.ts and app.ts (not watched), then ${later} created`,
      expected: `one call, [${JSON.stringify(later)}]`,
      got: shown(calls),
    });
  });

  it('a deleted file is a change too', async () => {
    const { file } = folder();
    const { calls } = watched([file]);
    unlinkSync(file);
    const seen = await until(() => calls.length > 0, 5000);
    check(seen && calls[0]!.includes(file), 'Deleting a watched file should make a call', { sent: `unlink ${file}`, expected: `onChange([${JSON.stringify(file)}])`, got: shown(calls) });
  });

  it('update(): a file dropped from the list is no longer reported, a new one is', async () => {
    const { dir, file } = folder();
    const other = join(dir, 'lib.ts');
    const { calls, watcher } = watched([file]);
    watcher.update([other]);
    writeFileSync(file, 'v2\n');
    writeFileSync(other, 'x\n');
    await until(() => calls.length > 0, 5000);
    check(calls.length === 1 && JSON.stringify(calls[0]) === JSON.stringify([other]), 'After update([lib.ts]), only lib.ts is watched', {
      sent: 'update([lib.ts]), then writes to app.ts and lib.ts',
      expected: `one call, [${JSON.stringify(other)}]`,
      got: shown(calls),
    });
    const elsewhere = mkdtempSync(join(root, 'elsewhere-'));
    const moved = join(elsewhere, 'moved.ts');
    watcher.update([moved]);
    writeFileSync(moved, 'y\n');
    const seen = await until(() => calls.length > 1, 5000);
    check(seen && JSON.stringify(calls[1]) === JSON.stringify([moved]), 'update() with a file in another folder should watch that folder too', {
      sent: `update([${moved}]), then a write to it`,
      expected: `a call, [${JSON.stringify(moved)}]`,
      got: shown(calls),
    });
  });

  it('close(): no call afterwards, not even for a burst already under way', async () => {
    const { dir, file } = folder();
    const debounceMs = 150;
    const { calls, watcher } = watched([file], { debounceMs });
    // The write is being debounced when close() comes, 20 ms later.
    await settled(dir, () => (writeFileSync(file, 'v2\n'), setTimeout(() => watcher.close(), 20)), debounceMs * 4);
    await settled(dir, () => writeFileSync(file, 'v3\n'), debounceMs * 4);
    check(calls.length === 0, 'After close(), onChange must never be called: cancel the pending timer, and stop the watchers', {
      sent: `a write, close() 20 ms later (debounceMs ${debounceMs}), then another write`,
      expected: 'no call',
      got: shown(calls),
    });
  });

  it('a folder that does not exist goes to onError; the other files are still watched', async () => {
    const { file } = folder();
    const missing = join(root, 'no-such-folder', 'app.ts');
    const errors: string[] = [];
    const { calls } = watched([missing, file], { onError: (dir) => errors.push(dir) });
    writeFileSync(file, 'v2\n');
    await until(() => calls.length > 0, 5000);
    check(errors.length === 1 && errors[0] === join(root, 'no-such-folder'), 'A folder that cannot be watched should be reported to onError with its path, not thrown', {
      sent: `watchFiles([${missing}, ${file}])`,
      expected: `onError(${JSON.stringify(join(root, 'no-such-folder'))}, err) once`,
      got: errors.length ? `onError(${errors.map((e) => JSON.stringify(e)).join('), onError(')})` : 'onError never called',
    });
    check(JSON.stringify(calls[0]) === JSON.stringify([file]), 'The other files must still be watched', { expected: `a call, [${JSON.stringify(file)}]`, got: shown(calls) });
  });

  it('the watch alone does not keep a process alive', async () => {
    const { file } = folder();
    const code = `const { watchFiles } = await import(${JSON.stringify(answer)}); watchFiles([${JSON.stringify(file)}], () => {}); console.log('watching');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const ended = await Promise.race([afterExit(child), new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
    if (ended === null) child.kill('SIGKILL');
    check(ended !== null && ended.code === 0 && out.includes('watching'), 'A script that only calls watchFiles should exit by itself (the master must never be kept alive by its watcher)', {
      sent: 'node -e "watchFiles([file], () => {})"',
      expected: 'it prints "watching" and exits with code 0',
      got: ended === null ? 'still running after 10 s' : `exit code ${ended.code}: ${out.trim().split('\n').slice(0, 3).join(' | ')}`,
    });
  });
});

// ---- the real server, with --reload and your watcher in its master ----------------------------------

const APP = (greeting: string, extra = ''): string =>
  `${extra}export function app(_environ: unknown, start: (s: string, h: [string, string][]) => void): Buffer[] {\n` +
  `  const text = \`${greeting} \${process.pid}\`;\n` +
  `  start('200 OK', [['Content-Type', 'text/plain'], ['Content-Length', String(Buffer.byteLength(text))]]);\n` +
  `  return [Buffer.from(text)];\n}\n`;

/** Polls an async condition until it holds or `ms` pass; says which. */
async function poll(condition: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** GET / : "<greeting> <pid>", or null when nothing answered. */
async function ask(url: string): Promise<{ greeting: string; pid: number } | null> {
  try {
    const res = await fetch(url, { headers: { connection: 'close' }, signal: AbortSignal.timeout(5000) });
    const [greeting, pid] = (await res.text()).split(' ');
    return res.status === 200 ? { greeting: greeting!, pid: Number(pid) } : null;
  } catch {
    return null;
  }
}

describe('exercise 10.3: on the real server (--reload)', () => {
  it('an edit reloads the app; a broken import is rolled back and the old worker keeps serving', async () => {
    const dir = mkdtempSync(join(root, 'server-'));
    mkdirSync(join(dir, 'node_modules'));
    const app = join(dir, 'app.ts');
    writeFileSync(app, APP('v1'));
    const run = await launch(['10.3'], 'src/prefork.mjs', [`${app}:app`, '-w', '1', '-b', '127.0.0.1:0', '--reload'], { workers: 1 });
    const first = await ask(run.url);
    check(first?.greeting === 'v1', 'The server should answer "v1 <pid>" before any edit', { expected: 'v1 <pid>', got: JSON.stringify(first), log: run.log() });

    writeFileSync(app, APP('v2'));
    let now: Awaited<ReturnType<typeof ask>> = null;
    const reloaded = await poll(async () => (now = await ask(run.url))?.greeting === 'v2', 20_000);
    check(reloaded && now!.pid !== first!.pid, 'After an edit of app.ts, a new worker should answer with the new code', {
      sent: 'app.ts rewritten to answer "v2"',
      expected: '"Reloading: app.ts modified" in the log, then "v2 <a new pid>"',
      got: `${JSON.stringify(now)} after 20 s${run.log().includes('Reloading:') ? '' : ' (no "Reloading:" line: onChange was never called)'}`,
      live: LIVE,
      log: run.log(),
    });
    const serving = now!.pid;

    writeFileSync(app, APP('v3', "import pad from 'left-pad-not-installed';\nvoid pad;\n"));
    const rolledBack = await until(() => /Reload failed, going back to the previous configuration/.test(run.log()), 20_000);
    check(rolledBack, 'An edit that imports a package that is not installed should start a reload that fails and is rolled back', {
      sent: "app.ts rewritten to import 'left-pad-not-installed'",
      expected: '"Reloading: app.ts modified", a new worker exiting with code 3, then "Reload failed, going back to the previous configuration"',
      got: 'no rollback within 20 s',
      live: LIVE,
      log: run.log(),
    });
    const after = await ask(run.url);
    check(after?.greeting === 'v2' && after.pid === serving, 'After the rollback the old worker should still answer, with the old code', {
      expected: `"v2 ${serving}"`,
      got: JSON.stringify(after),
      log: run.log(),
    });
    await checkStopsOnTerm(run, { suspect: 'is the master kept alive by the watcher (close() must stop everything)?', live: LIVE });
  }, 90_000);
});
