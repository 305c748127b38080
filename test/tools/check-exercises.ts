// `npm run check:exercises`: proves the exercises are honest. Every exercise test must fail against the
// committed stub and pass against the reference answer; a test that passes on the stub tests nothing.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { writtenChapters } from '../../chapters/index.ts';
import { reportTotals, runVitest, type TestOutcome } from '../../chapters/tools/vitest-run.ts';

const filter = ['test/exercises/'];
const onStubs = await runVitest('exercises', filter, { quiet: true });
// The solutions' outcomes may come from the `npm test` run just before (CI sets PREFORK_OUTCOMES_FILE).
const saved = process.env.PREFORK_OUTCOMES_FILE;
const onSolutions = saved && existsSync(saved) && statSync(saved).size > 0
  ? { outcomes: (JSON.parse(readFileSync(saved, 'utf8')) as TestOutcome[]).filter((o) => o.file.startsWith('test/exercises/')) }
  : await runVitest('solutions', filter, { quiet: true });
if (saved) console.log(`(the solutions' outcomes come from ${saved}, written by npm test)`);
const key = (o: TestOutcome): string => `${o.file} > ${o.name}`;
const stubState = new Map(onStubs.outcomes.map((o) => [key(o), o.state]));

let good = 0;
let bad = 0;
const failures: string[] = [];
for (const c of writtenChapters) {
  console.log(`\nChapter ${c.number}: ${c.title}`);
  for (const ex of c.exercises) {
    const file = `test/exercises/${c.slug}/${ex.name}.test.ts`;
    const tests = onSolutions.outcomes.filter((o) => o.file.endsWith(file));
    const problems: string[] = [];
    if (tests.length === 0) problems.push(`no tests ran from ${file}`);
    for (const t of tests) {
      if (t.state !== 'passed') problems.push(`fails on the solution: ${t.name}${t.error ? `\n          ${t.error.split('\n')[0]}` : ''}`);
      const onStub = stubState.get(key(t));
      if (onStub !== 'failed') problems.push(`does not fail on the stub (${onStub ?? 'did not run'}): ${t.name}`);
    }
    if (problems.length === 0) good++;
    else {
      bad++;
      failures.push(`${ex.id} ${ex.name}: ${problems.join('; ')}`);
    }
    console.log(`  ${problems.length === 0 ? '✓' : '✗'} ${ex.id} ${ex.name}: ${tests.length} tests fail on the stub and pass on the solution${problems.length ? '  — NOT SO:' : ''}`);
    for (const p of problems) console.log(`      ${p}`);
  }
}
console.log('');
await reportTotals('check:exercises', good, bad, failures);
process.exit(bad === 0 ? 0 : 1);
