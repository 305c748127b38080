// Checks every code snippet the docs import, before VitePress builds them.
//
//   node --import tsx docs/.vitepress/check-snippets.ts          fail (exit 1) on any problem
//   node --import tsx docs/.vitepress/check-snippets.ts --warn   report problems, exit 0 (docs:dev)
//
// Why: VitePress 1.6 imports `<<< @/file.ts#name` silently as the WHOLE file when the region `name`
// does not exist (a typo, or a region renamed in src/), and a page quietly shows the wrong code.
// This script finds every `<<< path` line and every `<!--@include: path-->` in docs/**/*.md and
// reports, with the page's file:line, a file that does not exist, a region without its
// `#region NAME` / `#endregion NAME` pair, an empty region, and highlighted lines past the snippet's end.
// Snippets from .cuts/ only exist after the cut: run `node --import tsx chapters/tools/cut.ts` first.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Problem {
  /** Absolute path of the Markdown file. */
  md: string;
  /** 1-based line in the Markdown file. */
  line: number;
  message: string;
}

export interface SnippetRef {
  kind: 'import' | 'include';
  /** 1-based line in the Markdown file. */
  line: number;
  /** The text after `<<<` (or inside the include comment), as written. */
  raw: string;
  /** Absolute path of the imported file. */
  file: string;
  /** Region name without the '#', or '' for the whole file. */
  region: string;
  /** Highlighted lines of a `<<<` import, as written between the braces ('' for none). */
  highlight: string;
}

// --- regions ---------------------------------------------------------------------------------------

/**
 * The region marker styles VitePress understands (same list and same rules as its snippet plugin).
 * Each matches one trimmed line and captures the tag ("region" or "endregion") and the name.
 * A region is closed only by an end marker of the style that opened it.
 */
const MARKER_STYLES: RegExp[] = [
  /^\/\/ ?#?((?:end)?region) ([\w*-]+)$/, // JS, TS:  // #region name
  /^\/\* ?#((?:end)?region) ([\w*-]+) ?\*\/$/, // CSS:  /* #region name */
  /^#pragma ((?:end)?region) ([\w*-]+)$/, // C, C++
  /^<!-- #?((?:end)?region) ([\w*-]+) -->$/, // HTML, Markdown
  /^# ?((?:end)?region) ([\w*-]+)$/, // sh, Python:  # region name
];

export type RegionResult =
  | { ok: true; /** 0-based, first line inside the region */ start: number; /** 0-based, the end marker */ end: number; style: RegExp }
  | { ok: false; message: string };

function marker(line: string, style: RegExp): { end: boolean; name: string } | null {
  const m = style.exec(line.trim());
  if (!m) return null;
  return { end: m[1] === 'endregion', name: m[2]! };
}

/** Every region name that has a start marker in the text, for "did you mean" messages. */
export function regionNames(text: string): string[] {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    for (const style of MARKER_STYLES) {
      const m = marker(line, style);
      if (m && !m.end) names.add(m.name);
    }
  }
  return [...names];
}

/** Finds region `name` in a file's text the way VitePress does, and says why when it cannot. */
export function findRegion(text: string, name: string): RegionResult {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    for (const style of MARKER_STYLES) {
      const open = marker(lines[i]!, style);
      if (!open || open.end || open.name !== name) continue;
      for (let j = i + 1; j < lines.length; j++) {
        const close = marker(lines[j]!, style);
        if (close && close.end && close.name === name) return { ok: true, start: i + 1, end: j, style };
      }
      return { ok: false, message: `region "${name}" opens at line ${i + 1} but has no matching "#endregion ${name}"` };
    }
  }
  const known = regionNames(text);
  const hint = known.length > 0 ? ` (regions in this file: ${known.join(', ')})` : ' (this file has no regions)';
  return { ok: false, message: `no "#region ${name}" in the file${hint}` };
}

/** The lines VitePress would show for an import of `region` ('' = the whole file). */
export function snippetLines(text: string, region: string): string[] | null {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (!region) return lines;
  const found = findRegion(text, region);
  if (!found.ok) return null;
  // Markers of nested regions (of the same style) are left out of the snippet.
  return lines.slice(found.start, found.end).filter((l) => !found.style.test(l.trim()));
}

// --- finding snippet references in Markdown --------------------------------------------------------

// `path[#region][ {lines lang attrs}][ [title]]`, the shape VitePress's snippet plugin accepts.
const IMPORT_SHAPE = /^(.+?(?:\.[a-z0-9]+)?)(#[\w-]+)?(?: ?\{(\d+(?:[,-]\d+)*)? ?(\S+)? ?(\S+)?\})? ?(?:\[(.+)\])?$/;
const INCLUDE = /<!--\s*@include:\s*(.*?)\s*-->/g;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** Parses the text after `<<<` into the imported path, region and highlighted lines. */
export function parseImport(raw: string): { path: string; region: string; highlight: string } {
  const m = IMPORT_SHAPE.exec(raw.trim());
  if (!m) return { path: raw.trim(), region: '', highlight: '' };
  return { path: m[1]!, region: (m[2] ?? '').slice(1), highlight: m[3] ?? '' };
}

/** Every snippet import and include in one Markdown file. `docsDir` is what `@` stands for. */
export function findSnippetRefs(mdText: string, mdPath: string, docsDir: string): SnippetRef[] {
  const refs: SnippetRef[] = [];
  const lines = mdText.replace(/\r\n/g, '\n').split('\n');
  let fence: string | null = null;
  lines.forEach((line, i) => {
    // Includes are expanded on the raw text, even inside code fences, so look everywhere.
    for (const m of line.matchAll(INCLUDE)) {
      let spec = m[1]!;
      if (!spec) continue;
      const region = /#([\w-]+)/.exec(spec);
      const range = /\{(\d*),(\d*)\}$/.exec(spec);
      if (region || range) spec = spec.slice(0, spec.length - (region?.[0].length ?? 0) - (range?.[0].length ?? 0));
      const file = spec.startsWith('@')
        ? join(docsDir, spec.slice(spec[1] === '/' ? 2 : 1))
        : join(dirname(mdPath), spec);
      refs.push({ kind: 'include', line: i + 1, raw: m[1]!, file, region: region?.[1] ?? '', highlight: '' });
    }

    // `<<<` lines inside a fenced code block are just text.
    const f = FENCE.exec(line);
    if (fence === null && f) {
      fence = f[1]!;
      return;
    }
    if (fence !== null) {
      if (f && f[1]![0] === fence[0] && f[1]!.length >= fence.length && line.trim() === f[1]) fence = null;
      return;
    }
    const s = /^ {0,3}<<<(.*)$/.exec(line);
    if (!s) return;
    const raw = s[1]!.trim();
    const { path, region, highlight } = parseImport(raw.replace(/^@/, docsDir));
    refs.push({ kind: 'import', line: i + 1, raw, file: resolve(dirname(mdPath), path), region, highlight });
  });
  return refs;
}

/** What is wrong with one reference, or null when it imports what it says. */
export function checkRef(ref: SnippetRef): string | null {
  if (!existsSync(ref.file) || !statSync(ref.file).isFile()) {
    const cut = /[\\/]\.cuts[\\/]/.test(ref.file) ? ' (run the cut first: node --import tsx chapters/tools/cut.ts)' : '';
    return `file not found: ${ref.file}${cut}`;
  }
  const text = readFileSync(ref.file, 'utf8');
  if (ref.region) {
    const found = findRegion(text, ref.region);
    if (!found.ok) return found.message;
  }
  const shown = snippetLines(text, ref.region) ?? [];
  if (ref.region && shown.every((l) => l.trim() === '')) return `region "${ref.region}" is empty`;
  if (ref.highlight) {
    const highest = Math.max(...ref.highlight.split(/[,-]/).map(Number));
    // A file's final newline leaves an empty last "line" that is not shown.
    const count = shown.length > 0 && shown[shown.length - 1] === '' ? shown.length - 1 : shown.length;
    if (highest > count) return `highlights line ${highest}, but the snippet has only ${count} lines`;
  }
  return null;
}

// --- the whole site --------------------------------------------------------------------------------

function* markdownFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // .vitepress (config, theme, cache, dist) holds no pages; node_modules never does.
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* markdownFiles(full);
    else if (entry.name.endsWith('.md')) yield full;
  }
}

export interface CheckResult {
  problems: Problem[];
  /** How many snippet references were checked, over how many pages. */
  checked: number;
  pages: number;
}

/** Checks every page under docsDir. */
export function checkSnippets(docsDir: string): CheckResult {
  const result: CheckResult = { problems: [], checked: 0, pages: 0 };
  for (const md of markdownFiles(docsDir)) {
    result.pages++;
    for (const ref of findSnippetRefs(readFileSync(md, 'utf8'), md, docsDir)) {
      result.checked++;
      const message = checkRef(ref);
      if (message) {
        const what = ref.kind === 'import' ? '<<<' : '@include:';
        result.problems.push({ md, line: ref.line, message: `${what} ${ref.raw}: ${message}` });
      }
    }
  }
  return result;
}

export function formatProblem(p: Problem, base: string): string {
  return `${relative(base, p.md)}:${p.line}: ${p.message}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const warnOnly = args.includes('--warn');
  const docsDir = resolve(args.find((a) => !a.startsWith('--')) ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const { problems, checked, pages } = checkSnippets(docsDir);
  const base = process.cwd();
  for (const p of problems) console.error(formatProblem(p, base));
  if (problems.length > 0) {
    console.error(`check-snippets: ${problems.length} of ${checked} snippet reference(s) are broken`);
    if (!warnOnly) process.exit(1);
  } else {
    console.log(`check-snippets: ${checked} snippet reference(s) in ${pages} page(s) under ${relative(base, docsDir) || '.'}/ all resolve`);
  }
}
