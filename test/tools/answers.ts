// Answers off the page: no line of an exercise's reference code may appear on the built site, except
// inside that exercise's folded "Reference answer" block. `npm run check:answers` (after docs:build).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Chapter, Exercise } from '../../chapters/index.ts';
import { repoRoot } from '../../chapters/tools/cut.ts';

/** A line shorter than this (a brace, `return null;`) says nothing about whose code it is. */
const MIN_LENGTH = 24;
const MARKER = /^\s*(\/\/|\/\*|\*|#)|^\s*<<<|^\s*import\s|^\s*export\s+(type|interface)\s/;

/**
 * The lines that ARE the answer: the seam's code lines that its stub does not also contain (the stub
 * carries the types, signatures and doc comments; those are the question, not the answer).
 */
export function answerLines(seamText: string, stubText: string, common: Set<string> = new Set()): string[] {
  const given = new Set([...stubText.split('\n').map((l) => l.trim()), ...common]);
  const lines = seamText
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length >= MIN_LENGTH && !MARKER.test(l) && !given.has(l));
  return [...new Set(lines)];
}

/**
 * Lines that the server also has outside every exercise's module (`const lower = name.toLowerCase();`,
 * `for (const [name, value] of headers) {`): idioms, not anyone's answer, and free to show.
 */
export function commonLines(seams: string[]): Set<string> {
  const others = (readdirSync(join(repoRoot, 'src'), { recursive: true }) as string[])
    .map((f) => join('src', f))
    .filter((f) => f.endsWith('.ts') && !seams.includes(f));
  return new Set(others.flatMap((f) => readFileSync(join(repoRoot, f), 'utf8').split('\n').map((l) => l.trim())));
}

export const exerciseAnswerLines = (c: Chapter, ex: Exercise, common: Set<string>): string[] =>
  answerLines(readFileSync(join(repoRoot, ex.seam), 'utf8'), readFileSync(join(repoRoot, 'exercises', c.slug, `${ex.name}.ts`), 'utf8'), common);

/** The page's visible text outside its "Reference answer" blocks: tags dropped, entities decoded. */
export function textOutsideAnswers(html: string): string {
  const body = html
    .replace(/<script[\s\S]*?<\/script>/g, '')
    .replace(/<details[^>]*>\s*<summary>\s*Reference answer[\s\S]*?<\/details>/g, '')
    .replace(/<[^>]+>/g, '');
  return body
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&');
}

/** The answer lines that this page shows outside a reference answer. */
export function leaks(html: string, lines: string[]): string[] {
  const text = textOutsideAnswers(html);
  return lines.filter((l) => text.includes(l));
}

/** The text of the folded "Reference answer N.M" block(s) of a page, tags dropped; '' when there is none. */
export function referenceAnswer(html: string, id: string): string {
  const escaped = id.replace('.', '\\.');
  const blocks = html.match(new RegExp(`<details[^>]*>\\s*<summary>\\s*Reference answer ${escaped}\\b[\\s\\S]*?</details>`, 'g')) ?? [];
  return blocks.map((b) => textOutsideAnswers(b.replace(/<summary>\s*Reference answer/, '<summary>'))).join('\n');
}
