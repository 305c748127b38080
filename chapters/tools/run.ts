// `npm run chapter N [-- --once | --mine | --diff | --record FILE]`: runs stage N from the cut of chapter N.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chapters, findChapter, type Chapter } from '../index.ts';
import { cutAll, cutDir, diffFile, MarkerError, repoRoot } from './cut.ts';
import { swallowedFlags } from './npm-flags.ts';
import { page } from './pager.ts';
import { exerciseFile, fileHash, grade, isUntouchedStub, readGrades } from './grading.ts';

const [key, ...rest] = process.argv.slice(2);
const chapter = key === undefined ? undefined : findChapter(key);

if (!chapter || !chapter.stage) {
  if (key === undefined) console.error('Which chapter? e.g. npm run chapter 1');
  else if (!chapter) console.error(`There is no chapter "${key}".`);
  else console.error(`Chapter ${chapter.number} (${chapter.title}) is planned but not written yet.`);
  console.error('\nChapters:');
  for (const c of chapters) console.error(`  ${String(c.number).padStart(2)}  ${c.title}${c.stage ? '' : '  (planned)'}`);
  console.error('\nnpm run chapter N               run the stage, with a walkthrough; Ctrl-C stops it');
  console.error('npm run chapter N -- --once     run its scripted scenario and check it');
  console.error('npm run chapter N -- --mine     run it with your exercise code plugged in');
  console.error('npm run chapter N -- --diff     show what the chapter changed in src/');
  console.error('npm run chapter N -- --record FILE   run it and record what the server did, as JSON the site replays (chapters 5+)');
  process.exit(2);
}

const intended = swallowedFlags(process.env, key!, rest);
if (intended) {
  console.error(`npm kept the flags for itself: flags for the chapter go after --, so write\n  ${intended}`);
  process.exit(2);
}

const recording = rest.some((a) => a === '--record' || a.startsWith('--record='));
if (recording && chapter.number < 5) {
  console.error(`--record records a prefork master and its workers, which chapter 5 introduces: chapter ${chapter.number} has none to record.`);
  process.exit(2);
}

try {
  cutAll();
} catch (err) {
  if (!(err instanceof MarkerError)) throw err;
  console.error(`chapter markers: ${err.message}`);
  process.exit(1);
}

if (rest.includes('--diff')) {
  page(readFileSync(diffFile(chapter.number), 'utf8'));
  process.exit(0);
}

const mine = rest.includes('--mine');
const stage = join(cutDir(chapter.number), 'chapters', chapter.slug, 'stage.ts');
const nodeArgs = ['--import', 'tsx'];
const env = { ...process.env };
// What the recording says it was made with (the stage sees only its own arguments).
if (recording) env.PREFORK_RECORD_COMMAND = ['npm run chapter', key, '--', ...rest].join(' ');
if (mine) {
  nodeArgs.push('--import', pathToFileURL(join(repoRoot, 'chapters', 'tools', 'mine.mjs')).href);
  env.PREFORK_MINE = JSON.stringify(await mineSwaps(chapter));
}
const child = spawn(process.execPath, [...nodeArgs, stage, ...rest.filter((a) => a !== '--mine')], { stdio: 'inherit', env });
// Ctrl-C reaches the stage directly (same process group); forward TERM too, and mirror its exit.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));

/**
 * The exercises of chapters 1..N that pass their tests: the seam, in the cut and in src/, maps to the
 * learner's file. The rest stay on the reference, so an unfinished exercise never breaks the stage.
 * Verdicts come from .learner/grades.json when the file has not changed since it was graded.
 */
async function mineSwaps(upTo: Chapter): Promise<Record<string, string>> {
  const list = chapters.filter((x) => x.number <= upTo.number).flatMap((c) => c.exercises.map((ex) => ({ c, ex })));
  const grades = readGrades();
  const unknown = list.filter(({ c, ex }) => !isUntouchedStub(c, ex) && grades[ex.id]?.hash !== fileHash(exerciseFile(c, ex)));
  if (unknown.length) {
    console.log(`--mine: grading ${unknown.length} exercise${unknown.length > 1 ? 's' : ''} changed since last graded (${unknown.map((u) => u.ex.id).join(' ')})...`);
    const verdicts = await grade(unknown);
    unknown.forEach(({ ex }, i) => (grades[ex.id] = { ...grades[ex.id]!, pass: verdicts[i]!.pass }));
  }
  const swaps: Record<string, string> = {};
  const mine: string[] = [];
  const reference: string[] = [];
  for (const { c, ex } of list) {
    if (isUntouchedStub(c, ex) || !grades[ex.id]?.pass) {
      reference.push(`${ex.id}${isUntouchedStub(c, ex) ? '' : '*'}`);
      continue;
    }
    const mineFile = join(repoRoot, 'exercises', c.slug, `${ex.name}.ts`);
    for (const root of [cutDir(upTo.number), repoRoot]) swaps[pathToFileURL(join(root, ex.seam)).href] = pathToFileURL(mineFile).href;
    mine.push(ex.id);
  }
  console.log(`--mine: your code runs for ${mine.length ? mine.join(' ') : 'no exercise yet'}`);
  console.log(`        the reference runs for ${reference.length ? reference.join(' ') : 'nothing: the server is all yours'}`);
  if (reference.some((r) => r.endsWith('*'))) console.log('        (* started but not passing its tests yet: npm test exercises shows why)');
  console.log('');
  return swaps;
}
