// Every exercise can stand in for the real module (`--mine`), and every answer is the real module.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chapters } from '../../chapters/index.ts';
import { repoRoot } from '../../chapters/tools/cut.ts';

const exercises = chapters.flatMap((c) => c.exercises.map((ex) => ({ c, ex })));

describe('exercise seams', () => {
  it.each(exercises.map(({ c, ex }) => [`${ex.id} ${ex.name}`, c.slug, ex] as const))('%s matches its seam', async (_label, slug, ex) => {
    const seam = (await import(join(repoRoot, ex.seam))) as Record<string, unknown>;
    const stub = (await import(join(repoRoot, 'exercises', slug, `${ex.name}.ts`))) as Record<string, unknown>;
    const solution = readFileSync(join(repoRoot, 'solutions', slug, `${ex.name}.ts`), 'utf8');
    expect(Object.keys(stub).sort(), `exercises/${slug}/${ex.name}.ts must export exactly what ${ex.seam} exports`).toEqual(Object.keys(seam).sort());
    expect(solution, `solutions/${slug}/${ex.name}.ts must re-export ${ex.seam}`).toContain(`export * from '../../${ex.seam}';`);
  });
});
