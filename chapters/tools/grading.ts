// Grading the learner's exercises: runs their tests quietly, turns each exercise's outcome into one line
// in plain words, and remembers the verdicts (with a hash of the file graded) in .learner/grades.json,
// so that `npm run chapter N -- --mine` and `npm run grade` know what passes without running it again.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Chapter, Exercise } from '../../chapters/index.ts';
import { repoRoot } from './cut.ts';
import type { TestOutcome } from './vitest-run.ts';

/** The learner's own state: grades, hints shown, files kept aside by `npm run reset`. Git-ignored. */
export const learnerDir = process.env.PREFORK_LEARNER_DIR ?? join(repoRoot, '.learner');
const gradesFile = join(learnerDir, 'grades.json');

export interface Verdict {
  id: string;
  pass: boolean;
  /** Not started: the stub still throws NotImplementedYet everywhere it failed. */
  untouched: boolean;
  /** Failing: the first failed expectation's first line; its test's name. */
  why?: string;
  test?: string;
  /** The whole first error with its stack trace, for --verbose. */
  detail?: string;
}

export interface Grade {
  pass: boolean;
  /** sha1 of the exercise file when it was graded. */
  hash: string;
  gradedAt: string;
  /** When it first passed (kept across later gradings). */
  firstPassedAt?: string;
  why?: string;
}

export const exerciseFile = (c: Chapter, ex: Exercise): string => join(repoRoot, 'exercises', c.slug, `${ex.name}.ts`);
export const fileHash = (path: string): string => (existsSync(path) ? createHash('sha1').update(readFileSync(path)).digest('hex') : '');
/** A stub nobody has started: it still calls todo() with its own id. */
export const isUntouchedStub = (c: Chapter, ex: Exercise): boolean => {
  const path = exerciseFile(c, ex);
  return existsSync(path) && readFileSync(path, 'utf8').includes(`todo('${ex.id} `);
};

export function readGrades(): Record<string, Grade> {
  try {
    return JSON.parse(readFileSync(gradesFile, 'utf8')) as Record<string, Grade>;
  } catch {
    return {};
  }
}

/** Runs the tests of these exercises against exercises/ and returns one verdict per exercise. */
export async function grade(list: { c: Chapter; ex: Exercise }[]): Promise<Verdict[]> {
  const files = [...new Set(list.map(({ c, ex }) => `test/exercises/${c.slug}/${ex.name}.test.ts`))];
  const { runVitest } = await import('./vitest-run.ts'); // vitest is heavy: only the commands that grade load it
  const result = await runVitest('exercises', files, { quiet: true });
  const verdicts = list.map(({ c, ex }) => verdict(ex, result.outcomes.filter((o) => o.file.endsWith(`test/exercises/${c.slug}/${ex.name}.test.ts`)), isUntouchedStub(c, ex)));
  remember(list, verdicts);
  return verdicts;
}

function verdict(ex: Exercise, outcomes: TestOutcome[], stub: boolean): Verdict {
  const failing = outcomes.filter((o) => o.state !== 'passed');
  if (outcomes.length > 0 && failing.length === 0) return { id: ex.id, pass: true, untouched: false };
  if (outcomes.length === 0) return { id: ex.id, pass: false, untouched: false, why: 'its test file did not load: a syntax or import error in your file? (--verbose shows it)' };
  const first = failing.find((o) => o.error) ?? failing[0]!;
  // Not started: every check met the stub's NotImplementedYet, or the file is the stub and fails them all.
  const untouched = failing.every((o) => o.error?.includes('Not implemented yet')) || (stub && failing.length === outcomes.length);
  const line = (first.error ?? `${first.state}`).split('\n').find((l) => l.trim()) ?? '';
  return {
    id: ex.id,
    pass: false,
    untouched,
    why: untouched ? 'not started yet' : `${failing.length} of ${outcomes.length} checks fail. ${plain(line)}`,
    test: first.name,
    ...(first.error ? { detail: first.stack && !first.stack.includes(first.error) ? `${first.error}\n${first.stack}` : (first.stack ?? first.error) } : {}),
  };
}

/** The test runner's decoration dropped: the error's class name, and how vitest compared. */
function plain(line: string): string {
  return line.replace(/^AssertionError: /, '').replace(/ \/\/ Object\.is equality$/, '').trim();
}

function remember(list: { c: Chapter; ex: Exercise }[], verdicts: Verdict[]): void {
  const grades = readGrades();
  const now = new Date().toISOString();
  list.forEach(({ c, ex }, i) => {
    const v = verdicts[i]!;
    const before = grades[ex.id];
    grades[ex.id] = {
      pass: v.pass,
      hash: fileHash(exerciseFile(c, ex)),
      gradedAt: now,
      ...(v.pass ? { firstPassedAt: before?.firstPassedAt ?? now } : before?.firstPassedAt ? { firstPassedAt: before.firstPassedAt } : {}),
      ...(v.why ? { why: v.why } : {}),
    };
  });
  mkdirSync(learnerDir, { recursive: true });
  writeFileSync(gradesFile, `${JSON.stringify(grades, null, 2)}\n`);
}

/** One line per exercise: ✓, or ✗ with the first failed expectation in plain words. */
export function verdictLines(list: { c: Chapter; ex: Exercise }[], verdicts: Verdict[], verbose = false): string[] {
  const width = process.stdout.columns && process.stdout.columns > 60 ? process.stdout.columns : 120;
  const lines: string[] = [];
  list.forEach(({ ex }, i) => {
    const v = verdicts[i]!;
    const head = `${v.pass ? '✓' : v.untouched ? '·' : '✗'} ${ex.id.padEnd(4)} ${ex.title}`;
    if (v.pass) lines.push(head);
    else {
      const line = `${head}: ${v.why}`;
      lines.push(line.length > width ? `${line.slice(0, width - 1)}…` : line);
      // The test runner's own frames say nothing about the learner's code.
      const detail = v.detail?.split('\n').filter((l) => !/node_modules\/|^\s*at new Promise/.test(l));
      if (verbose && detail) lines.push(`     in "${v.test}":`, ...detail.map((l) => `     ${l}`), '');
    }
  });
  return lines;
}

/** The progress table: exercises passing per chapter. */
export function progressTable(chapters: Chapter[], passed: (id: string) => boolean): string[] {
  const rows = chapters.map((c) => [`${String(c.number).padStart(2)}  ${c.title}`, c.exercises.filter((e) => passed(e.id)).length, c.exercises.length] as const);
  const width = Math.max(...rows.map(([t]) => t.length), 'chapter'.length) + 2;
  const bar = (p: number, t: number): string => '█'.repeat(p) + '░'.repeat(t - p);
  const total = rows.reduce((s, [, p]) => s + p, 0);
  const all = rows.reduce((s, [, , t]) => s + t, 0);
  return [
    `  ${'chapter'.padEnd(width)}passing`,
    ...rows.map(([title, p, t]) => `  ${title.padEnd(width)}${p} / ${t}  ${bar(p, t)}`),
    `  ${'total'.padEnd(width)}${total} / ${all}`,
  ];
}
