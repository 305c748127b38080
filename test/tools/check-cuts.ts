// `npm run check:cuts`: every chapter's cut stands on its own. For each written chapter N, the server as it
// stands at the end of N typechecks, and the tests that chapter N introduces pass against that cut (its
// exercise tests against the cut's solutions). Later chapters' code is absent there, so this catches a
// marker that forgot something.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writtenChapters } from '../../chapters/index.ts';
import { cutAll, cutDir, fileRange, repoRoot, sourceFiles } from '../../chapters/tools/cut.ts';
import { reportTotals } from '../../chapters/tools/vitest-run.ts';

cutAll();
const bin = (name: string): string => join(repoRoot, 'node_modules', '.bin', name);
let passed = 0;
let failed = 0;
const failures: string[] = [];
const record = (ok: boolean, what: string): void => {
  if (ok) passed++;
  else {
    failed++;
    failures.push(what);
  }
  console.log(`  ${ok ? '✓' : '✗'} ${what}`);
};

// The type checks run one after another in the background while the tests run: tsc keeps one core busy,
// the tests mostly wait on servers and timers, and CI is a minute or two shorter for it.
const run = (cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ ok: boolean; output: string }> =>
  new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ ok: code === 0, output }));
  });
const checks = new Map<number, Promise<{ ok: boolean; output: string }>>();
let previous: Promise<unknown> = Promise.resolve();
for (const c of writtenChapters) {
  const check = previous.then(() => run(bin('tsc'), ['--noEmit', '-p', join(cutDir(c.number), 'tsconfig.json')]));
  checks.set(c.number, check);
  previous = check;
}

for (const c of writtenChapters) {
  const dir = cutDir(c.number);
  console.log(`\nCut ${c.number}: ${c.title}`);
  // The newest chapter's cut is the tree itself without its marker lines, and `npm test` runs its tests
  // there; here only its exercise tests run again, against the cut's solutions.
  const newest = c === writtenChapters.at(-1);
  const own = sourceFiles().filter(
    (f) =>
      f.startsWith('test/') &&
      f.endsWith('.test.ts') &&
      (!newest || f.startsWith('test/exercises/')) &&
      fileRange(f, readFileSync(join(repoRoot, f), 'utf8').split('\n')).range.from === c.number,
  );
  const tests = await run(bin('vitest'), ['run', '--root', dir, ...own], { ...process.env, PREFORK_ANSWERS: 'solutions' });
  const tsc = await checks.get(c.number)!;
  record(tsc.ok, `cut ${c.number} typechecks`);
  if (!tsc.ok) console.log(tsc.output);
  record(tests.ok, `cut ${c.number}: its own ${own.length} test files pass against the cut`);
  if (!tests.ok) console.log(tests.output.slice(-6000));
}
console.log('');
await reportTotals('check:cuts', passed, failed, failures);
process.exit(failed === 0 ? 0 : 1);
