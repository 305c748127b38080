// `npm run bench [-- N]`: runs every chapter's bench.ts (chapters/NN-*/bench.ts), or only chapter N's,
// one after the other, each in its own process so one benchmark's servers cannot disturb the next.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChapter, writtenChapters, type Chapter } from '../index.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const benchFile = (c: Chapter): string => join(repoRoot, 'chapters', c.slug, 'bench.ts');

const key = process.argv[2];
let selected: Chapter[];
if (key === undefined) {
  selected = writtenChapters.filter((c) => existsSync(benchFile(c)));
} else {
  const chapter = findChapter(key);
  if (!chapter || !existsSync(benchFile(chapter))) {
    const have = writtenChapters.filter((c) => existsSync(benchFile(c))).map((c) => c.number);
    console.error(`${chapter ? `Chapter ${chapter.number} has` : `There is no chapter "${key}", so`} no benchmark. Chapters with one: ${have.join(', ') || 'none'}.`);
    process.exit(2);
  }
  selected = [chapter];
}

// Forward Ctrl-C and TERM to the running benchmark, which stops its servers before exiting.
let current: ChildProcess | undefined;
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    interrupted = true;
    current?.kill(signal);
  });
}

const failed: number[] = [];
for (const c of selected) {
  console.log(`\n=== Chapter ${c.number}: ${c.title} (chapters/${c.slug}/bench.ts)`);
  current = spawn(process.execPath, ['--import', 'tsx', benchFile(c)], { stdio: 'inherit', cwd: repoRoot });
  const code = await new Promise<number>((resolve) => current!.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  if (interrupted) process.exit(130);
  if (code !== 0) failed.push(c.number);
}
current = undefined;
if (failed.length) {
  console.error(`\nbenchmarks with errors: chapter ${failed.join(', ')}`);
  process.exit(1);
}
