import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import {
  checkSnippets,
  findRegion,
  findSnippetRefs,
  parseImport,
  snippetLines,
} from '../../docs/.vitepress/check-snippets.ts';

const source = [
  'import x from "y";',
  '// #region parse-line',
  'export function parseLine() {',
  '  // #region inner',
  '  return 1;',
  '  // #endregion inner',
  '}',
  '// #endregion parse-line',
  '# region py-style',
  'pass',
  '# endregion py-style',
  '',
].join('\n');

describe('findRegion', () => {
  it('finds a region and the lines between its markers', () => {
    const r = findRegion(source, 'parse-line');
    expect(r.ok).toBe(true);
    if (r.ok) expect([r.start, r.end]).toEqual([2, 7]);
    expect(findRegion(source, 'py-style').ok).toBe(true);
  });

  it('reports a mistyped region and lists the ones that exist', () => {
    const r = findRegion(source, 'parse-lines');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/no "#region parse-lines".*parse-line, inner, py-style/);
  });

  it('reports a region that is never closed', () => {
    const r = findRegion('// #region open\ncode\n// #endregion other\n', 'open');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/opens at line 1 but has no matching/);
  });

  it('drops nested markers from the snippet, as VitePress does', () => {
    expect(snippetLines(source, 'parse-line')).toEqual(['export function parseLine() {', '  return 1;', '}']);
  });
});

describe('parseImport and findSnippetRefs', () => {
  it('splits path, region and highlighted lines', () => {
    expect(parseImport('/d/../.cuts/01/src/cgi/x.ts#parse-line{2,4-5 ts} [x.ts]')).toEqual({
      path: '/d/../.cuts/01/src/cgi/x.ts',
      region: 'parse-line',
      highlight: '2,4-5',
    });
    expect(parseImport('/d/../.cuts/diffs/02.diff')).toEqual({ path: '/d/../.cuts/diffs/02.diff', region: '', highlight: '' });
  });

  it('ignores <<< inside a code fence', () => {
    const md = ['<<< @/a.ts#one', '```md', '<<< @/b.ts#two', '```', '<<< ./c.ts'].join('\n');
    const refs = findSnippetRefs(md, '/site/docs/guide/page.md', '/site/docs');
    expect(refs.map((r) => [r.line, r.file, r.region])).toEqual([
      [1, '/site/docs/a.ts', 'one'],
      [5, '/site/docs/guide/c.ts', ''],
    ]);
  });
});

describe('checkSnippets', () => {
  it('reports a mistyped region, a missing file and an out-of-range highlight with file:line', () => {
    const docs = mkdtempSync(join(tmpdir(), 'check-snippets-'));
    mkdirSync(join(docs, 'guide'));
    writeFileSync(join(docs, 'code.ts'), source);
    writeFileSync(
      join(docs, 'guide', 'page.md'),
      ['# Page', '<<< @/code.ts#parse-line', '<<< @/code.ts#parse-lines', '<<< @/nope.ts', '<<< @/code.ts#parse-line{9}'].join('\n'),
    );
    try {
      const { problems, checked } = checkSnippets(docs);
      expect(checked).toBe(4);
      expect(problems.map((p) => [p.line, p.message])).toEqual([
        [3, expect.stringMatching(/^<<< @\/code.ts#parse-lines: no "#region parse-lines"/)],
        [4, expect.stringMatching(/^<<< @\/nope.ts: file not found/)],
        [5, expect.stringMatching(/highlights line 9, but the snippet has only 3 lines/)],
      ]);
    } finally {
      rmSync(docs, { recursive: true, force: true });
    }
  });
});
