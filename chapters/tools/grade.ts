// `npm run grade`                     grades every exercise (changed since last graded) and prints the progress table
// `npm run grade -- --json [--name N]`  ... and writes one record, grade-<name>.json, to hand in
// `npm run grade -- --team DIR`        merges a folder of those records into one table for the room
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { writtenChapters } from '../index.ts';
import { exerciseFile, fileHash, grade, isUntouchedStub, progressTable, readGrades, verdictLines, type Verdict } from './grading.ts';
import { readRecords, teamTable, type GradeRecord } from './team.ts';

const args = process.argv.slice(2);
const value = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=');
};

const teamDir = value('team');
if (teamDir) {
  const records = readRecords(teamDir);
  console.log(teamTable(records).join('\n'));
  process.exit(0);
}

const list = writtenChapters.flatMap((c) => c.exercises.map((ex) => ({ c, ex })));
// An exercise whose file has not changed since it was last graded keeps its verdict (--fresh: grade all).
const known = readGrades();
const stale = list.filter(({ c, ex }) => args.includes('--fresh') || known[ex.id]?.hash !== fileHash(exerciseFile(c, ex)));
console.log(`Grading ${stale.length} of ${list.length} exercises (the others have not changed since they were graded)...`);
const fresh = stale.length ? await grade(stale) : [];
const verdicts: Verdict[] = list.map(({ c, ex }) => {
  const i = stale.findIndex((x) => x.ex.id === ex.id);
  if (i >= 0) return fresh[i]!;
  const g = known[ex.id]!;
  return { id: ex.id, pass: g.pass, untouched: isUntouchedStub(c, ex), ...(g.why ? { why: g.why } : {}) };
});
for (const line of verdictLines(list, verdicts)) console.log(line);
const passing = new Set(verdicts.filter((v) => v.pass).map((v) => v.id));
console.log(`\n${progressTable(writtenChapters, (id) => passing.has(id)).join('\n')}`);

if (args.includes('--json')) {
  const learner = value('name') ?? gitName() ?? process.env.USER ?? 'anonymous';
  const grades = readGrades();
  const record: GradeRecord = {
    learner,
    host: hostname(),
    node: process.version,
    gradedAt: new Date().toISOString(),
    exercises: list.map(({ ex }, i) => ({
      id: ex.id,
      title: ex.title,
      pass: verdicts[i]!.pass,
      ...(grades[ex.id]?.firstPassedAt ? { firstPassedAt: grades[ex.id]!.firstPassedAt } : {}),
      ...(verdicts[i]!.why ? { why: verdicts[i]!.why } : {}),
    })),
  };
  const file = `grade-${learner.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'anonymous'}.json`;
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`\nWrote ${file}: hand it to your facilitator (npm run grade -- --team <folder of records>).`);
}

function gitName(): string | undefined {
  try {
    return execFileSync('git', ['config', 'user.name'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
