// The home page's "time needed" and the chapter map's time column are computed from the registry;
// these tests pin the arithmetic and the wording, and keep hand-typed totals off the home page.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chapters, writtenChapters } from '../../chapters/index.ts';
import {
  exerciseMinutes,
  formatMinutes,
  roundHours,
  studyTime,
} from '../../docs/.vitepress/theme/study-time.ts';

describe('study time', () => {
  it('adds up every exercise of the written chapters', () => {
    const all = writtenChapters.flatMap((c) => c.exercises);
    const t = studyTime(writtenChapters);
    expect(t.exercises).toBe(all.length);
    expect(t.minutes).toBe(all.reduce((s, e) => s + e.minutes, 0));
    expect(t.least).toBe(Math.min(...writtenChapters.map(exerciseMinutes)));
    expect(t.most).toBe(Math.max(...writtenChapters.map(exerciseMinutes)));
  });

  it('leaves chapters without exercises out of the lightest chapter', () => {
    const empty = { ...chapters[0]!, exercises: [] };
    const t = studyTime([empty, chapters[0]!]);
    expect(t.least).toBe(exerciseMinutes(chapters[0]!));
    expect(studyTime([])).toEqual({ exercises: 0, minutes: 0, least: 0, most: 0 });
  });

  it('formats minutes for a table cell and rounds the total to hours', () => {
    expect(formatMinutes(55)).toBe('55 min');
    expect(formatMinutes(60)).toBe('1 h');
    expect(formatMinutes(130)).toBe('2 h 10 min');
    expect(roundHours(775)).toBe(13);
    expect(roundHours(10)).toBe(1);
  });

  it('the home page computes its time line instead of typing it', () => {
    const home = readFileSync(new URL('../../docs/index.md', import.meta.url), 'utf8');
    const section = home.slice(home.indexOf('## Time needed'), home.indexOf('## Set up'));
    expect(section).toContain('{{ roundHours(time.minutes) }}');
    expect(section).not.toMatch(/\b\d+ (hours?|min)\b/);
  });
});
