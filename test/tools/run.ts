// `npm test`                  the project's suite: reference tests + exercise tests against solutions/
// `npm test exercises [N]`    grades the learner: exercise tests against exercises/, with a progress table
// `npm test <filter...>`      the project's suite, only the files matching the filters
import { findChapter, writtenChapters, type Chapter } from '../../chapters/index.ts';
import { failureLines, reportTotals, runVitest, type TestOutcome } from './vitest-run.ts';

const [first, ...rest] = process.argv.slice(2);

if (first === 'exercises') {
  const chosen = rest.length ? rest.map(pickChapter) : writtenChapters;
  const result = await runVitest('exercises', chosen.map((c) => `test/exercises/${c.slug}/`));
  const done = progressTable(chosen, result.outcomes);
  process.exit(done && result.ok ? 0 : 1);
} else {
  const result = await runVitest('solutions', first === undefined ? [] : [first, ...rest]);
  const passed = result.outcomes.filter((o) => o.state === 'passed').length;
  const failed = result.outcomes.filter((o) => o.state === 'failed').length + result.brokenFiles.length;
  await reportTotals('npm test', passed, failed, failureLines(result.outcomes, result.brokenFiles));
  process.exit(result.ok && failed === 0 ? 0 : 1);
}

function pickChapter(key: string): Chapter {
  const c = findChapter(key);
  if (c?.stage) return c;
  console.error(`There is no written chapter "${key}". Chapters with exercises: ${writtenChapters.map((x) => `${x.number} (${x.slug})`).join(', ')}`);
  process.exit(2);
}

/** Prints exercises passing per chapter, then what is left with its hint. Returns true when all pass. */
function progressTable(chosen: Chapter[], outcomes: TestOutcome[]): boolean {
  const todo: string[] = [];
  const rows: [string, number, number][] = [];
  for (const c of chosen) {
    let passing = 0;
    for (const ex of c.exercises) {
      const mine = outcomes.filter((o) => o.file.endsWith(`test/exercises/${c.slug}/${ex.name}.test.ts`));
      const failing = mine.filter((o) => o.state !== 'passed');
      if (mine.length > 0 && failing.length === 0) {
        passing++;
        continue;
      }
      const why = mine.length === 0 ? 'its test file did not run (see the error above)' : `${failing.length} of ${mine.length} tests fail`;
      todo.push(`  ${ex.id}  ${ex.title}\n       exercises/${c.slug}/${ex.name}.ts: ${why}\n       hint: ${ex.hint}`);
    }
    rows.push([`${String(c.number).padStart(2)}  ${c.title}`, passing, c.exercises.length]);
  }
  const width = Math.max(...rows.map(([t]) => t.length), 'chapter'.length) + 2;
  const bar = (p: number, t: number): string => '█'.repeat(p) + '░'.repeat(t - p);
  console.log(`\nProgress\n  ${'chapter'.padEnd(width)}exercises passing`);
  for (const [title, p, t] of rows) console.log(`  ${title.padEnd(width)}${p} / ${t}  ${bar(p, t)}`);
  const total = rows.reduce((s, [, p]) => s + p, 0);
  const all = rows.reduce((s, [, , t]) => s + t, 0);
  console.log(`  ${'total'.padEnd(width)}${total} / ${all}`);
  if (todo.length) console.log(`\nStill to do:\n${todo.join('\n')}\n`);
  else console.log(`\nAll ${all} exercises pass. Run a stage with your code: npm run chapter ${chosen.at(-1)?.number ?? 1} -- --mine\n`);
  return todo.length === 0;
}

