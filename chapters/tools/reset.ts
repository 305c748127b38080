// `npm run reset 4.2`: puts exercise 4.2's stub back, as the workbook shipped it. The learner's version
// is never lost: it is copied to .learner/kept/ first (the command prints where).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { chapters } from '../index.ts';
import { repoRoot } from './cut.ts';
import { learnerDir } from './grading.ts';

const [id] = process.argv.slice(2);
const found = chapters.flatMap((c) => c.exercises.map((ex) => ({ c, ex }))).find((x) => x.ex.id === id);
if (!found) {
  console.error(id ? `There is no exercise "${id}".` : 'Which exercise? e.g. npm run reset 4.2');
  process.exit(2);
}
const { c, ex } = found;
const rel = `exercises/${c.slug}/${ex.name}.ts`;
const path = join(repoRoot, rel);
const stub = shippedStub(rel, ex.id);
if (stub === null) {
  console.error(`Cannot find the original stub of ${rel} in this clone's git history (is this a git clone?).`);
  process.exit(1);
}
const mine = readFileSync(path, 'utf8');
if (mine === stub) {
  console.log(`${rel} is already the untouched stub: nothing to do.`);
  process.exit(0);
}
const kept = join(learnerDir, 'kept', `${ex.name}.${new Date().toISOString().replace(/[:.]/g, '-')}.ts`);
mkdirSync(join(learnerDir, 'kept'), { recursive: true });
copyFileSync(path, kept);
writeFileSync(path, stub);
console.log(`Your version is kept in ${relative(process.cwd(), kept)}.\n${rel} is the stub again: npm test exercises ${c.number}`);

/**
 * The newest version of the file in git's history that is still a stub (it calls todo with its own id):
 * HEAD's, unless the learner committed their work, then an older one.
 */
function shippedStub(file: string, exerciseId: string): string | null {
  try {
    const commits = execFileSync('git', ['log', '--format=%H', '--', file], { cwd: repoRoot, encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const commit of commits) {
      const text = execFileSync('git', ['show', `${commit}:${file}`], { cwd: repoRoot, encoding: 'utf8' });
      if (text.includes(`todo('${exerciseId} `)) return text;
    }
  } catch {
    // not a git clone, or git missing
  }
  return null;
}
