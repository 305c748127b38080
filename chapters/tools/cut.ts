// Cuts the workbook as it stands at the end of chapter N into .cuts/NN/ (git-ignored).
//
// src/ is the complete server. Chapter markers say when each piece appears:
//   - a file says `// @chapter 3` in its first lines: it appears in chapter 3 (`// @chapter 1-2`: it
//     exists in chapters 1 and 2 only, a later chapter replaced it). `#` instead of `//` in sh and py.
//   - files under a chapter folder (chapters/NN-*, exercises/NN-*, solutions/NN-*, test/exercises/NN-*)
//     belong to chapter NN without a marker; every other unmarked file belongs to chapter 1.
//   - lines between `// >>> chapter 3` and `// <<< chapter 3` appear in chapter 3;
//   - code that a later chapter replaced stays, commented out, between `/* >>> chapters 1-2` and
//     `<<< chapters 1-2 */`: cuts 1 and 2 get it back as live code, later cuts drop it.
// A cut holds no marker lines, so readers and the docs see plain code.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chapters, pad2, writtenChapters } from '../index.ts';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cutsRoot = join(repoRoot, '.cuts');
export const cutDir = (n: number): string => join(cutsRoot, pad2(n));
export const diffFile = (n: number): string => join(cutsRoot, 'diffs', `${pad2(n)}.diff`);

/** What a cut contains: these folders (filtered by chapter) and files (copied as they are). */
const TREES = ['src', 'chapters', 'exercises', 'solutions', 'test'];
const FILES = ['package.json', 'tsconfig.json', 'vitest.config.ts', 'README.md'];
/** The workbook's own test machinery, and the site's tests (they import docs/), run on the whole tree, not per chapter. */
const SKIP = ['test/tools/', 'test/site/'];
const TEXT = /\.(ts|mts|js|mjs|sh|py|md|json|txt|html)$/;

export interface Range {
  from: number;
  to: number;
}

export class MarkerError extends Error {}

const FILE_MARK = /^\s*(?:\/\/|#)\s*@chapter\s+(\d+)(?:-(\d+))?\s*$/;
const OPEN = /^\s*(\/\/|#|\/\*)\s*>>>\s*chapters?\s+(\d+)(?:-(\d+))?\s*$/;
const CLOSE = /^\s*(?:\/\/|#)?\s*<<<\s*chapters?\s+(\d+)(?:-(\d+))?\s*(\*\/)?\s*$/;
const CHAPTER_FOLDER = /^(?:chapters|exercises|solutions|test\/exercises)\/(\d\d)-/;

function range(from: string, to: string | undefined): Range {
  return { from: Number(from), to: to === undefined ? Infinity : Number(to) };
}

/** The chapters a file exists in: from its folder, or from a `@chapter` line among its first five. */
export function fileRange(relPath: string, lines: string[]): { range: Range; markLine: number } {
  const folder = CHAPTER_FOLDER.exec(relPath.split('\\').join('/'));
  for (let i = 0; i < Math.min(lines.length, 5); i++) {
    const m = FILE_MARK.exec(lines[i]!);
    if (m) return { range: range(m[1]!, m[2]), markLine: i };
  }
  return { range: { from: folder ? Number(folder[1]) : 1, to: Infinity }, markLine: -1 };
}

/** The text of one file as it stands at the end of chapter n, or null when the file does not exist yet. */
export function cutText(relPath: string, text: string, n: number): string | null {
  const lines = text.split('\n');
  const { range: file, markLine } = fileRange(relPath, lines);
  if (n < file.from || n > file.to) return null;
  const out: string[] = [];
  const open: { range: Range; commented: boolean; line: number }[] = [];
  lines.forEach((line, i) => {
    if (i === markLine) return;
    const o = OPEN.exec(line);
    if (o) {
      const commented = o[1] === '/*';
      if (commented && o[3] === undefined) {
        throw new MarkerError(`${relPath}:${i + 1}: a commented-out block must say which chapters keep it (N-M)`);
      }
      open.push({ range: range(o[2]!, o[3]), commented, line: i + 1 });
      return;
    }
    const c = CLOSE.exec(line);
    if (c) {
      const top = open.pop();
      const closes = range(c[1]!, c[2]);
      if (!top || top.range.from !== closes.from || top.range.to !== closes.to) {
        throw new MarkerError(`${relPath}:${i + 1}: "${line.trim()}" closes no matching ">>> chapter" line`);
      }
      if (top.commented !== (c[3] !== undefined)) {
        throw new MarkerError(`${relPath}:${i + 1}: a block opened with /* must close with */ and only then`);
      }
      return;
    }
    if (open.every((b) => n >= b.range.from && n <= b.range.to)) out.push(line);
  });
  const unclosed = open.pop();
  if (unclosed) throw new MarkerError(`${relPath}:${unclosed.line}: block is never closed`);
  return out.join('\n');
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else yield full;
  }
}

/** Files of the repository that a cut is made from, as paths relative to the repository. */
export function sourceFiles(): string[] {
  const files: string[] = [];
  for (const tree of TREES) {
    const root = join(repoRoot, tree);
    if (!existsSync(root)) continue;
    for (const f of walk(root)) {
      const rel = relative(repoRoot, f).split('\\').join('/');
      if (!SKIP.some((s) => rel.startsWith(s))) files.push(rel);
    }
  }
  return files;
}

/**
 * Brings .cuts/NN/ up to date. Returns the files that chapter n itself introduces.
 *
 * Cuts are read while they are written: a stage's server (and every worker it respawns) runs from its
 * cut while another stage, `docs:dev` or a second terminal cuts again. So a cut is never deleted and
 * rewritten: each file is replaced whole (written beside it, then renamed over it) and only when its
 * text changed, and a file is removed only when its source is gone.
 */
export function cutChapter(n: number): string[] {
  const dest = cutDir(n);
  const introduced: string[] = [];
  const written = new Set<string>();
  for (const rel of sourceFiles()) {
    const src = join(repoRoot, rel);
    const target = join(dest, rel);
    if (!TEXT.test(rel)) {
      // Binary or unknown files follow their folder's chapter.
      if (fileRange(rel, []).range.from > n) continue;
      replaceIfChanged(target, readFileSync(src), statSync(src).mode);
      written.add(target);
      continue;
    }
    const text = readFileSync(src, 'utf8');
    const cut = cutText(rel, text, n);
    if (cut === null) continue;
    if (fileRange(rel, text.split('\n')).range.from === n) introduced.push(rel);
    replaceIfChanged(target, cut, statSync(src).mode);
    written.add(target);
  }
  for (const f of FILES) {
    replaceIfChanged(join(dest, f), readFileSync(join(repoRoot, f)), statSync(join(repoRoot, f)).mode);
    written.add(join(dest, f));
  }
  for (const stale of walk(dest)) if (!written.has(stale) && !stale.endsWith(TMP_SUFFIX)) rmSync(stale, { force: true });
  return introduced;
}

const TMP_SUFFIX = '.cut-tmp';

/** Writes `content` to `target` unless it already holds exactly that; readers see the old file or the new one, never a part. */
function replaceIfChanged(target: string, content: string | Buffer, mode: number): void {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  try {
    if (readFileSync(target).equals(bytes)) return;
  } catch {
    // not there yet
  }
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}${TMP_SUFFIX}`;
  writeFileSync(tmp, bytes, { mode });
  renameSync(tmp, target);
}

/** The diff of src/ between the previous written chapter and the end of chapter n, as `git diff` shows it. */
export function diffCuts(n: number): string {
  const previous = writtenChapters.filter((c) => c.number < n).at(-1);
  const before = previous ? join(pad2(previous.number), 'src') : join('diffs', 'empty');
  mkdirSync(join(cutsRoot, 'diffs', 'empty'), { recursive: true });
  let out: string;
  try {
    out = execFileSync('git', ['diff', '--no-index', '--no-color', '--stat=100', '--patch', before, join(pad2(n), 'src')], {
      cwd: cutsRoot,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
  } catch (err) {
    // git diff exits 1 when the trees differ, which is the normal case here.
    const e = err as { status?: number; stdout?: string; code?: string };
    if (e.status === 1 && typeof e.stdout === 'string') out = e.stdout;
    else if (e.code === 'ENOENT') return 'git is not installed, so the diff cannot be shown.\n';
    else throw err;
  }
  // Show paths as src/… rather than the cut folders.
  return withoutAnswers(out.replaceAll(`${before}/`, 'src/').replaceAll(`${pad2(n)}/src/`, 'src/').replaceAll('diffs/empty', 'src'));
}

/**
 * The diff without the modules that exercises re-implement: their code is the exercises' answer, shown
 * only folded on the chapter pages (and in solutions/). The diff says which files it leaves out.
 */
export function withoutAnswers(diff: string): string {
  const seams = new Set(chapters.flatMap((c) => c.exercises.map((e) => e.seam)));
  const isSeam = (path: string): boolean => seams.has(path.trim());
  const [stat = '', ...files] = diff.split(/^(?=diff --git )/m);
  const left = files.filter((f) => isSeam(/^diff --git a\/(\S+)/.exec(f)?.[1] ?? '') || isSeam(/ b\/(\S+)\n/.exec(f)?.[1] ?? ''));
  if (left.length === 0) return diff;
  // A stat line names the file after the change: "/dev/null => src/a.ts", "{03 => 04}/src/a.ts".
  const statPath = (line: string): string => (line.split('|')[0] ?? '').replace(/\{[^}]* => ([^}]*)\}/g, '$1').split(' => ').at(-1)!.replace(/^\d\d\//, '');
  const shownStat = stat.split('\n').filter((line) => !isSeam(statPath(line))).join('\n');
  const names = [...new Set(left.map((f) => / b\/(\S+)\n/.exec(f)?.[1]))].join(', ');
  return `# Left out: ${names} (exercise answers; each chapter page shows its own, folded).\n${shownStat}${files.filter((f) => !left.includes(f)).join('')}`;
}

/** Cuts every written chapter and writes the diff between consecutive cuts. */
export function cutAll(): void {
  mkdirSync(join(cutsRoot, 'diffs'), { recursive: true });
  for (const c of writtenChapters) cutChapter(c.number);
  for (const c of writtenChapters) replaceIfChanged(diffFile(c.number), diffCuts(c.number), 0o644);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    cutAll();
    console.log(`cut ${writtenChapters.length} chapters into ${relative(process.cwd(), cutsRoot) || '.'}/`);
  } catch (err) {
    if (err instanceof MarkerError) {
      console.error(`chapter markers: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}
