// The answers-off-the-page check finds an answer's code in a page, and not inside its folded reference answer.
import { describe, expect, it } from 'vitest';
import { answerLines, leaks, referenceAnswer } from './answers.ts';

const seam = [
  '// The count of requests.',
  'export interface Budget { take(): boolean }',
  'export function requestBudget(max: number): Budget {',
  '  const limit = max <= 0 ? Infinity : max;',
  '  let used = 0;',
  '  return { take: () => ++used < limit };',
  '}',
].join('\n');
const stub = ['export interface Budget { take(): boolean }', 'export function requestBudget(max: number): Budget {', "  return todo('4.2 (x)');", '}'].join('\n');
// What Shiki makes of a line of code: one span per token, entities for < > & and quotes.
const shiki = (line: string): string =>
  `<span class="line">${line.split(' ').map((t) => `<span style="--shiki-light:#D73A49">${t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</span>`).join(' ')}</span>`;

describe('answers off the page', () => {
  it('the answer is what the seam has and the stub has not, long enough to be telling', () => {
    expect(answerLines(seam, stub)).toEqual(['const limit = max <= 0 ? Infinity : max;', 'return { take: () => ++used < limit };']);
  });

  it('finds an answer line in a highlighted code block', () => {
    const html = `<p>Text</p><pre><code>${shiki('const limit = max <= 0 ? Infinity : max;')}\n</code></pre>`;
    expect(leaks(html, answerLines(seam, stub))).toEqual(['const limit = max <= 0 ? Infinity : max;']);
  });

  it('allows it inside a folded Reference answer block only', () => {
    const folded = `<details class="details custom-block"><summary>Reference answer 4.2 (try the exercise first)</summary><pre><code>${shiki('const limit = max <= 0 ? Infinity : max;')}</code></pre></details>`;
    const hint = `<details class="details custom-block"><summary>Hint</summary><pre><code>${shiki('const limit = max <= 0 ? Infinity : max;')}</code></pre></details>`;
    expect(leaks(folded, answerLines(seam, stub))).toEqual([]);
    expect(leaks(hint, answerLines(seam, stub))).toHaveLength(1);
  });
});

describe('the folded reference answer', () => {
  it('is found by its exercise id, and only that one', () => {
    const html = `<details class="details custom-block"><summary>Reference answer 4.2 (try the exercise first)</summary><pre><code>${shiki('let used = 0;')}</code></pre></details><details class="details custom-block"><summary>Reference answer 4.21</summary>OTHER-ANSWER</details>`;
    expect(referenceAnswer(html, '4.2')).toContain('let used = 0;');
    expect(referenceAnswer(html, '4.2')).not.toContain('OTHER-ANSWER');
    expect(referenceAnswer(html, '4.3')).toBe('');
  });
});
