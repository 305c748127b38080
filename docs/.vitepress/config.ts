// The docs site. Navigation comes from the chapter registry, so adding a chapter there is enough to
// list it here; chapter pages import their code from the cuts in .cuts/NN/ (see chapters/tools/cut.ts).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import type { DefaultTheme } from 'vitepress';
import { withMermaid } from 'vitepress-plugin-mermaid';
import { chapters, writtenChapters, type Chapter } from '../../chapters/index.ts';
import { cutAll, MarkerError } from '../../chapters/tools/cut.ts';
import { checkSnippets, formatProblem } from './check-snippets.ts';

const docsDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(docsDir, '..');

const pageOf = (c: Chapter): string => `/chapters/${c.slug}`;

// A chapter with a stage gets a link. Sidebar links are not covered by VitePress's dead-link check,
// so we make sure here that every linked chapter has its page.
const missingPages = writtenChapters.filter((c) => !existsSync(join(docsDir, 'chapters', `${c.slug}.md`)));
if (missingPages.length > 0) {
  throw new Error(
    `docs: chapter(s) ${missingPages.map((c) => c.number).join(', ')} have a stage but no page: ` +
      missingPages.map((c) => `docs/chapters/${c.slug}.md`).join(', '),
  );
}

// Listed twice, in the nav's Reference menu and in the sidebar.
const referencePages: DefaultTheme.NavItemWithLink[] = [
  { text: 'Settings', link: '/reference/settings' },
  { text: 'Parser differences from llhttp', link: '/reference/parser-differences' },
];

function chapterItem(c: Chapter): DefaultTheme.SidebarItem {
  return c.stage
    ? { text: `${c.number}. ${c.title}`, link: pageOf(c) }
    : { text: `${c.number}. ${c.title} (planned)` };
}

/**
 * In `docs:dev`, re-cut the chapters when the code changes, so pages that import snippets from
 * .cuts/ follow src/ without restarting the server. A marker error mid-edit is only reported.
 */
function recutOnChange(): Plugin {
  const watched = ['src', 'chapters', 'exercises', 'solutions', 'test'].map((d) => join(repoRoot, d));
  let timer: NodeJS.Timeout | undefined;
  return {
    name: 'prefork-workbook:recut',
    apply: 'serve',
    configureServer(server) {
      server.watcher.add(watched);
      const onEvent = (file: string): void => {
        if (!watched.some((d) => file === d || file.startsWith(d + sep))) return;
        clearTimeout(timer);
        timer = setTimeout(() => {
          try {
            cutAll();
            const { problems } = checkSnippets(docsDir);
            for (const p of problems) server.config.logger.warn(formatProblem(p, repoRoot));
            server.config.logger.info(`re-cut chapters after a change in ${relative(repoRoot, file)}`, {
              timestamp: true,
            });
          } catch (err) {
            const message = err instanceof MarkerError ? `chapter markers: ${err.message}` : String(err);
            server.config.logger.warn(`cut failed, the snippets show the last good cut. ${message}`);
          }
        }, 150);
      };
      server.watcher.on('change', onEvent).on('add', onEvent).on('unlink', onEvent);
    },
  };
}

const config = withMermaid({
  title: 'prefork-workbook',
  description: 'Build a pre-fork application server (the gunicorn/unicorn model) in Node.js, chapter by chapter.',
  lang: 'en-US',
  // Without an icon every browser asks for /favicon.ico, gets a 404 and logs it as a console error (the
  // browser tests fail on any). An inline SVG needs no file: a master and its two workers.
  head: [
    [
      'link',
      {
        rel: 'icon',
        type: 'image/svg+xml',
        href: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Cpath d='M16 9v6M16 15L7 22M16 15l9 7' stroke='%233451b2' stroke-width='3'/%3E%3Ccircle cx='16' cy='7' r='5' fill='%233451b2'/%3E%3Ccircle cx='7' cy='25' r='4' fill='%2310b981'/%3E%3Ccircle cx='25' cy='25' r='4' fill='%2310b981'/%3E%3C/svg%3E",
      },
    ],
  ],
  // JSON for components (benchmark results) lives in data/; nothing there is a page.
  srcExclude: ['data/**'],
  themeConfig: {
    search: { provider: 'local' },
    // The site title links home; the nav names the ways in (Start, Playground) before the material.
    nav: [
      { text: 'Start', link: '/guide/how-to-use' },
      { text: 'Playground', link: '/guide/playground' },
      {
        text: 'Chapters',
        items: writtenChapters.map((c) => ({ text: `${c.number}. ${c.title}`, link: pageOf(c) })),
      },
      { text: 'Workshop', link: '/workshop/' },
      { text: 'Reference', items: referencePages },
    ],
    sidebar: [
      {
        text: 'Start here',
        items: [
          { text: 'Home', link: '/' },
          { text: 'How to use this workbook', link: '/guide/how-to-use' },
          { text: 'Playground', link: '/guide/playground' },
          { text: 'Node.js versions', link: '/guide/node-versions' },
        ],
      },
      { text: 'Chapters', items: chapters.map(chapterItem) },
      {
        text: 'Workshop',
        items: [
          { text: "Facilitator's guide", link: '/workshop/' },
          { text: 'Agendas', link: '/workshop/agendas' },
          { text: 'Set-up checklist', link: '/workshop/setup' },
          { text: 'Discussion questions', link: '/workshop/discussion' },
          { text: 'Unblocking learners', link: '/workshop/unblocking' },
          { text: 'A mixed room', link: '/workshop/mixed-room' },
        ],
      },
      { text: 'Reference', items: referencePages },
    ],
    outline: { level: [2, 3] },
    footer: { message: 'MIT licensed. The code on these pages is cut from the real, tested server.' },
  },
  vite: {
    // Snippets are read from ../.cuts and components import ../chapters/index.ts: both live outside docs/.
    server: { fs: { allow: [repoRoot] } },
    plugins: [recutOnChange()],
    // Mermaid ships a few big chunks (loaded only on pages with diagrams); do not warn about them.
    build: { chunkSizeWarningLimit: 1500 },
  },
  // Diagrams must stay readable on a 390 px phone, where the text column is about 342 px wide and a
  // wider SVG is scaled down. Narrow actors and wrapped messages keep a three-participant sequence
  // diagram under 500 px (scaled to 70% at worst); flowcharts wrap their labels early. A diagram
  // that needs more room per node can override this with an init directive of its own.
  mermaid: {
    sequence: { actorMargin: 20, width: 110, wrap: true, noteMargin: 6, boxMargin: 6 },
    flowchart: { wrappingWidth: 120, nodeSpacing: 30, rankSpacing: 40 },
  },
  // Not the plugin's default class "mermaid": mermaid, once imported, renders every `.mermaid` element
  // itself on window load (its startOnLoad; the plugin turns that off only on its first render, often
  // later). That pass read our empty boxes, or a diagram the plugin had already drawn, as diagram text
  // and drew "Syntax error" over it, for a moment or for good (found by test/site/browser/).
  mermaidPlugin: { class: 'mermaid-diagram' },
});

// Dev server only: pre-bundle mermaid itself, or its CommonJS dependencies (fastdom) fail to load
// ("does not provide an export named 'default'") and diagrams stay blank. The plugin also lists a
// few of mermaid's dependencies to pre-bundle; drop those that are not installed (debug), which
// would only print a warning.
const require = createRequire(join(repoRoot, 'package.json'));
const installed = (dep: string): boolean => {
  try {
    require.resolve(`${dep}/package.json`);
    return true;
  } catch {
    return existsSync(join(repoRoot, 'node_modules', dep));
  }
};
const optimizeDeps = (config.vite ??= {}).optimizeDeps ??= {};
optimizeDeps.include = ['mermaid', ...(optimizeDeps.include ?? []).filter(installed)];

export default config;
