// `npm run check:cuts`: every chapter's cut stands on its own. For each written chapter N, the server as it
// stands at the end of N typechecks, and the tests that chapter N introduces pass against that cut (its
// exercise tests against the cut's solutions). Later chapters' code is absent there, so this catches a
// marker that forgot something.
import { spawnSync } from 'node:child_process';
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

for (const c of writtenChapters) {
  const dir = cutDir(c.number);
  console.log(`\nCut ${c.number}: ${c.title}`);
  const tsc = spawnSync(bin('tsc'), ['--noEmit', '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  record(tsc.status === 0, `cut ${c.number} typechecks`);
  if (tsc.status !== 0) console.log(tsc.stdout);
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
  const run = spawnSync(bin('vitest'), ['run', '--root', dir, ...own], {
    encoding: 'utf8',
    env: { ...process.env, PREFORK_ANSWERS: 'solutions' },
  });
  record(run.status === 0, `cut ${c.number}: its own ${own.length} test files pass against the cut`);
  if (run.status !== 0) console.log(run.stdout.slice(-4000), run.stderr.slice(-2000));
}
console.log('');
await reportTotals('check:cuts', passed, failed, failures);
process.exit(failed === 0 ? 0 : 1);
