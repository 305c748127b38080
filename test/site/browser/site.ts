// Where the built site and the browser are, shared by the runner, the global setup and the specs.
import { readdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const distDir = join(repoRoot, 'docs', '.vitepress', 'dist');
export const screenshotDir = join(repoRoot, 'test', 'site', 'browser', 'screenshots');

export const missingBuildMessage = `the site is not built (no ${relative(repoRoot, distDir)}/index.html): run \`npm run docs:build\` first, then \`npm run test:site\``;

/** A mermaid diagram's box on a page: the class config.ts gives it (mermaidPlugin.class). */
export const diagramSelector = '.vp-doc .mermaid-diagram';

/** Debian's chromium; never a downloaded one (playwright-core downloads nothing by itself). */
export const chromiumPath = (): string => process.env.PREFORK_CHROMIUM || '/usr/bin/chromium';

/** No sandbox (CI runs as root), no GPU, and nothing that phones home or updates itself mid-test. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Every page of the built site as a URL path (`/`, `/chapters/01-cgi.html`, ...), 404.html left out. */
export function sitePages(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.html')) found.push(relative(distDir, full).split(sep).join('/'));
    }
  };
  walk(distDir);
  return found
    .filter((p) => p !== '404.html')
    .map((p) => `/${p}`.replace(/(^|\/)index\.html$/, '$1'))
    .sort();
}
