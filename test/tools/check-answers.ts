// `npm run check:answers`: searches the built site (docs/.vitepress/dist, from `npm run docs:build`) for
// every exercise's reference code outside its folded "Reference answer" block. One check per exercise.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writtenChapters } from '../../chapters/index.ts';
import { repoRoot } from '../../chapters/tools/cut.ts';
import { commonLines, exerciseAnswerLines, leaks, referenceAnswer } from './answers.ts';
import { reportTotals } from '../../chapters/tools/vitest-run.ts';

const dist = join(repoRoot, 'docs', '.vitepress', 'dist');
if (!existsSync(dist)) {
  console.error('No built site: run npm run docs:build first.');
  process.exit(2);
}
const pages = (readdirSync(dist, { recursive: true }) as string[]).filter((f) => f.endsWith('.html')).map((f) => ({ file: relative(repoRoot, join(dist, f)), html: readFileSync(join(dist, f), 'utf8') }));

const common = commonLines(writtenChapters.flatMap((c) => c.exercises.map((e) => e.seam)));
let passed = 0;
let failed = 0;
const failures: string[] = [];
for (const c of writtenChapters) {
  for (const ex of c.exercises) {
    let lines: string[];
    try {
      lines = exerciseAnswerLines(c, ex, common);
    } catch (err) {
      failed++;
      failures.push(`${ex.id} ${ex.name}: ${(err as Error).message}`);
      console.log(`  ✗ ${ex.id} ${ex.name}: ${(err as Error).message}`);
      continue;
    }
    const found = pages.flatMap((p) => leaks(p.html, lines).map((l) => `${p.file}: ${l}`));
    // ... and the answer is there, folded, on its chapter's page.
    const page = pages.find((p) => p.file.endsWith(`chapters/${c.slug}.html`));
    const folded = page ? referenceAnswer(page.html, ex.id) : '';
    if (!folded || (lines.length > 0 && !lines.some((l) => folded.includes(l)))) found.push(`chapters/${c.slug}.html has no folded "Reference answer ${ex.id}" block with its code`);
    if (found.length === 0) {
      passed++;
      console.log(`  ✓ ${ex.id} ${ex.name}: its ${lines.length} answer lines are on the site only in its folded reference answer`);
    } else {
      failed++;
      failures.push(`${ex.id} ${ex.name}: ${found[0]}${found.length > 1 ? ` (and ${found.length - 1} more)` : ''}`);
      console.log(`  ✗ ${ex.id} ${ex.name}:`);
      for (const f of found.slice(0, 5)) console.log(`      ${f}`);
    }
  }
}
console.log(`(${pages.length} pages searched)`);
await reportTotals('check:answers', passed, failed, failures);
process.exit(failed === 0 ? 0 : 1);
