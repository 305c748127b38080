// `npm test`                  the project's suite: reference tests + exercise tests against solutions/
// `npm test exercises [N...]` grades the learner: one line per exercise, then the progress table
//        --verbose            ... with the whole failed expectation of each failing exercise
//        --watch              ... and again whenever a file under exercises/ is saved (Ctrl-C ends)
// `npm test <filter...>`      the project's suite, only the files matching the filters
import { watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findChapter, writtenChapters, type Chapter } from '../../chapters/index.ts';
import { repoRoot } from '../../chapters/tools/cut.ts';
import { grade, progressTable, verdictLines } from '../../chapters/tools/grading.ts';
import { failureLines, reportTotals, runVitest } from '../../chapters/tools/vitest-run.ts';

const args = process.argv.slice(2);
const [first, ...rest] = args.filter((a) => !a.startsWith('--'));
// npm keeps `--watch` and `--verbose` for itself unless they follow `--`; it still tells us in the environment.
const flag = (name: string): boolean => args.includes(`--${name}`) || process.env[`npm_config_${name}`] === 'true' || (name === 'verbose' && process.env.npm_config_loglevel === 'verbose');

if (first === 'exercises') {
  const chosen = rest.length ? rest.map(pickChapter) : writtenChapters;
  const done = await gradeAndShow(chosen);
  if (!flag('watch')) process.exit(done ? 0 : 1);
  watchAndGrade(chosen);
} else {
  const result = await runVitest('solutions', [first, ...rest].filter((a): a is string => a !== undefined));
  // CI hands these outcomes to check:exercises, which then need not run the exercise tests on the solutions again.
  if (process.env.PREFORK_OUTCOMES_FILE) writeFileSync(process.env.PREFORK_OUTCOMES_FILE, JSON.stringify(result.outcomes));
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

/** Grades these chapters and prints the result; true when every exercise passes. */
async function gradeAndShow(chosen: Chapter[]): Promise<boolean> {
  const list = chosen.flatMap((c) => c.exercises.map((ex) => ({ c, ex })));
  console.log(`Grading ${list.length} exercises (chapter${chosen.length > 1 ? 's' : ''} ${chosen.map((c) => c.number).join(', ')})...`);
  const verdicts = await grade(list);
  for (const line of verdictLines(list, verdicts, flag('verbose'))) console.log(line);
  const passing = new Set(verdicts.filter((v) => v.pass).map((v) => v.id));
  console.log(`\n${progressTable(chosen, (id) => passing.has(id)).join('\n')}`);
  const next = list.find((_, i) => !verdicts[i]!.pass);
  if (!next) {
    console.log(`\nAll pass. Run the server on your code: npm run chapter ${chosen.at(-1)!.number} -- --mine`);
    return true;
  }
  const failing = verdicts.some((v) => !v.pass && !v.untouched);
  console.log(
    `\nNext: ${next.ex.id} ${next.ex.title}, in exercises/${next.c.slug}/${next.ex.name}.ts (${next.ex.kind}, about ${next.ex.minutes} min).\n` +
      `Stuck? npm run hint ${next.ex.id}.${failing && !flag('verbose') ? ' The whole failed expectation: npm test exercises -- --verbose' : ''}`,
  );
  return false;
}

/** --watch: grades a chapter again each time one of its exercise files is saved. */
function watchAndGrade(chosen: Chapter[]): void {
  console.log('\nWatching exercises/ (Ctrl-C to stop)...');
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  const changed = new Set<Chapter>();
  watch(join(repoRoot, 'exercises'), { recursive: true }, (_event, file) => {
    const c = chosen.find((x) => file?.toString().startsWith(x.slug));
    if (!c) return;
    changed.add(c);
    clearTimeout(timer);
    timer = setTimeout(async function regrade() {
      if (running) return void (timer = setTimeout(regrade, 200));
      running = true;
      const batch = [...changed];
      changed.clear();
      console.log(`\n${'─'.repeat(40)} ${new Date().toLocaleTimeString()}`);
      await gradeAndShow(batch);
      console.log('\nWatching exercises/ (Ctrl-C to stop)...');
      running = false;
    }, 200);
  });
}
