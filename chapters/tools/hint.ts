// `npm run hint 4.2`: the next hint of exercise 4.2, after the ones already shown (remembered in
// .learner/hints.json). `npm run hint 4.2 -- --all` shows them all; `npm run hint` lists the exercises.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chapters } from '../index.ts';
import { learnerDir } from './grading.ts';

const stateFile = join(learnerDir, 'hints.json');
const [id] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const all = process.argv.includes('--all');
const found = chapters.flatMap((c) => c.exercises.map((ex) => ({ c, ex }))).find((x) => x.ex.id === id);

if (!found) {
  console.error(id ? `There is no exercise "${id}".` : 'Which exercise? e.g. npm run hint 4.2');
  console.error(`Exercises: ${chapters.flatMap((c) => c.exercises.map((e) => e.id)).join(' ')}`);
  process.exit(2);
}

const { c, ex } = found;
let shown: Record<string, number> = {};
try {
  shown = JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, number>;
} catch {
  // no hint shown yet
}
const count = all ? ex.hints.length : Math.min((shown[ex.id] ?? 0) + 1, ex.hints.length);
console.log(`${ex.id} ${ex.title}  (exercises/${c.slug}/${ex.name}.ts)\n`);
ex.hints.slice(0, count).forEach((h, i) => console.log(`Hint ${i + 1} of ${ex.hints.length}: ${h}\n`));
if (count < ex.hints.length) console.log(`Try with this one first. Run the same command again for hint ${count + 1}.`);
else console.log(`That was the last hint. The reference answer is on chapter ${c.number}'s page, folded at the end of its Exercises section.`);
shown[ex.id] = Math.max(shown[ex.id] ?? 0, count);
mkdirSync(learnerDir, { recursive: true });
writeFileSync(stateFile, `${JSON.stringify(shown, null, 2)}\n`);
