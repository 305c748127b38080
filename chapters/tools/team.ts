// A workshop room's progress: the records learners hand in (`npm run grade -- --json`), merged into one table.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writtenChapters } from '../index.ts';

/** What one learner hands in: who, when, and every exercise's verdict. */
export interface GradeRecord {
  learner: string;
  host: string;
  node: string;
  gradedAt: string;
  exercises: { id: string; title: string; pass: boolean; firstPassedAt?: string; why?: string }[];
}

/** Every grade-*.json (or *.json) record in a folder; a file that is not a record is named and skipped. */
export function readRecords(dir: string): GradeRecord[] {
  const records: GradeRecord[] = [];
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    try {
      const r = JSON.parse(readFileSync(join(dir, name), 'utf8')) as GradeRecord;
      if (typeof r.learner !== 'string' || !Array.isArray(r.exercises)) throw new Error('not a grade record');
      records.push(r);
    } catch (err) {
      console.error(`skipping ${name}: ${(err as Error).message}`);
    }
  }
  return records;
}

/** One row per exercise (how many pass, who is stuck), the hardest first; then one row per learner. */
export function teamTable(records: GradeRecord[]): string[] {
  if (records.length === 0) return ['No grade records found.'];
  const ids = writtenChapters.flatMap((c) => c.exercises.map((e) => e));
  const lines = [`Team: ${records.length} learners, ${ids.length} exercises`, '', '  exercise                                               passing  not yet'];
  const rows = ids.map((ex) => {
    const stuck = records.filter((r) => !r.exercises.find((e) => e.id === ex.id)?.pass).map((r) => r.learner);
    return { ex, passing: records.length - stuck.length, stuck };
  });
  for (const { ex, passing, stuck } of rows) {
    const title = `${ex.id.padEnd(4)} ${ex.title}`.slice(0, 52).padEnd(54);
    lines.push(`  ${title} ${String(passing).padStart(3)}/${records.length}  ${stuck.slice(0, 4).join(', ')}${stuck.length > 4 ? ` +${stuck.length - 4}` : ''}`);
  }
  const stuckMost = [...rows].filter((r) => r.passing < records.length && r.passing > 0).sort((a, b) => a.passing - b.passing).slice(0, 3);
  if (stuckMost.length) lines.push('', `Where the room is stuck (passed by some, not yet by all): ${stuckMost.map((r) => `${r.ex.id} (${r.passing}/${records.length})`).join(', ')}`);
  lines.push('', '  learner                    passing  last graded');
  for (const r of [...records].sort((a, b) => b.exercises.filter((e) => e.pass).length - a.exercises.filter((e) => e.pass).length)) {
    lines.push(`  ${r.learner.slice(0, 26).padEnd(26)} ${String(r.exercises.filter((e) => e.pass).length).padStart(3)}/${ids.length}  ${r.gradedAt.slice(0, 16).replace('T', ' ')}`);
  }
  return lines;
}
