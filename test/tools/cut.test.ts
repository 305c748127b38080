import { describe, expect, it } from 'vitest';
import { cutText, fileRange, MarkerError, withoutAnswers } from '../../chapters/tools/cut.ts';

const src = (...lines: string[]): string => lines.join('\n');

describe('cut: chapter markers', () => {
  it('keeps unmarked files from chapter 1 on, and chapter folders from their chapter', () => {
    expect(fileRange('src/x.ts', ['const a = 1;']).range).toEqual({ from: 1, to: Infinity });
    expect(fileRange('exercises/03-http/parse.ts', []).range.from).toBe(3);
    expect(fileRange('test/exercises/02-contract/x.test.ts', []).range.from).toBe(2);
  });

  it('reads a @chapter line at the top, and drops it from the cut', () => {
    const text = src('// @chapter 2', 'export const a = 1;');
    expect(cutText('src/a.ts', text, 1)).toBeNull();
    expect(cutText('src/a.ts', text, 2)).toBe('export const a = 1;');
    expect(cutText('src/a.sh', src('#!/bin/sh', '# @chapter 3', 'echo'), 3)).toBe('#!/bin/sh\necho');
  });

  it('drops a replaced file after its last chapter', () => {
    const text = src('// @chapter 1-2', 'old');
    expect([1, 2, 3].map((n) => cutText('src/old.ts', text, n))).toEqual(['old', 'old', null]);
  });

  it('adds marked lines from their chapter on', () => {
    const text = src('a', '// >>> chapter 3', 'b', '// <<< chapter 3', 'c');
    expect(cutText('src/f.ts', text, 2)).toBe('a\nc');
    expect(cutText('src/f.ts', text, 3)).toBe('a\nb\nc');
  });

  it('brings back commented-out old code in the chapters that had it', () => {
    const text = src('/* >>> chapters 1-2', "import http from 'node:http';", '<<< chapters 1-2 */', '// >>> chapter 3', "import { ours } from './http.ts';", '// <<< chapter 3');
    expect(cutText('src/f.ts', text, 2)).toBe("import http from 'node:http';");
    expect(cutText('src/f.ts', text, 3)).toBe("import { ours } from './http.ts';");
  });

  it('nests blocks', () => {
    const text = src('// >>> chapter 2', 'x', '// >>> chapter 4', 'y', '// <<< chapter 4', '// <<< chapter 2');
    expect([1, 2, 4].map((n) => cutText('src/f.ts', text, n))).toEqual(['', 'x', 'x\ny']);
  });

  it('reports broken markers with file and line', () => {
    expect(() => cutText('src/f.ts', src('// >>> chapter 2', 'x'), 2)).toThrow(new MarkerError('src/f.ts:1: block is never closed'));
    expect(() => cutText('src/f.ts', src('// >>> chapter 2', '// <<< chapter 3'), 2)).toThrow(/src\/f\.ts:2: .* closes no matching/);
    expect(() => cutText('src/f.ts', src('/* >>> chapter 2', '<<< chapter 2 */'), 2)).toThrow(/must say which chapters/);
    expect(() => cutText('src/f.ts', src('/* >>> chapters 1-2', '// <<< chapters 1-2'), 2)).toThrow(/must close with \*\//);
  });
});

describe("a chapter's diff", () => {
  it('leaves out the modules that exercises re-implement, and says so', () => {
    const diff = [
      ' /dev/null => src/worker/loops.ts    | 89 +++',
      ' {03 => 04}/src/app/load-app.ts      |  8 ++--',
      ' 2 files changed',
      '',
      'diff --git a/src/worker/loops.ts b/src/worker/loops.ts',
      '+++ b/src/worker/loops.ts',
      '+export function workerLoop() {}',
      'diff --git a/src/app/load-app.ts b/src/app/load-app.ts',
      '+++ b/src/app/load-app.ts',
      '+const x = 1;',
      '',
    ].join('\n');
    const shown = withoutAnswers(diff);
    expect(shown).not.toContain('workerLoop');
    expect(shown).not.toContain('src/worker/loops.ts    |');
    expect(shown).toContain('+const x = 1;');
    expect(shown).toContain(' {03 => 04}/src/app/load-app.ts');
    expect(shown.split('\n')[0]).toBe('# Left out: src/worker/loops.ts (exercise answers; each chapter page shows its own, folded).');
  });
});
