// Every page of the built site, each loaded once in a fresh context, first on a 390 px phone and then
// resized to a 1280 px desktop:
// (1) it loads cleanly: no console error, no uncaught exception, no failed request, no HTTP error from
//     our server, and every web font it asked for loaded;
// (2) every mermaid diagram is drawn (an <svg>, never mermaid's error picture, not even for a moment),
//     and at 390 px the page does not scroll sideways (a failure names the element that sticks out);
// (5) the home page, a chapter with a diagram and the playground leave screenshots at both sizes in
//     test/site/browser/screenshots/ (git-ignored), for a person to look at.
// One load per page for all three keeps the run short: a page with diagrams costs seconds of CPU.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { desktop, disconnect, open, phone, until } from './browser.ts';
import { failedFonts, fontsReady, mermaidState, overflow, scrollToStart, seenDiagramErrors, type MermaidState } from './in-page.ts';
import { diagramSelector, screenshotDir, sitePages } from './site.ts';

/** Pages to photograph, and what to scroll into view first. */
const screenshots: Record<string, { name: string; at?: string }> = {
  '/': { name: 'home' },
  '/chapters/05-prefork.html': { name: 'chapter-05-diagram', at: diagramSelector },
  '/guide/playground.html': { name: 'playground', at: '[data-testid=playground]' },
};

beforeAll(() => mkdirSync(screenshotDir, { recursive: true }));
afterAll(disconnect);

async function screenshot(page: Page, path: string, size: string): Promise<void> {
  const shot = screenshots[path];
  if (!shot) return;
  if (shot.at) await page.evaluate(scrollToStart, shot.at);
  await page.screenshot({ path: join(screenshotDir, `${shot.name}-${size}.png`) });
}

describe.concurrent('every page: loads cleanly, draws its diagrams, fits 390 px', () => {
  it('the screenshot pages exist', ({ expect }) => {
    expect(sitePages()).toEqual(expect.arrayContaining(Object.keys(screenshots)));
  });

  for (const path of sitePages()) {
    it(path, async ({ expect }) => {
      const { page, problems, close } = await open(path, phone);
      try {
        // Lazy chunks (mermaid, a replay's recording) load after 'load': let the network settle, then
        // let the diagrams be drawn, one after another, after hydration.
        await page.waitForLoadState('networkidle', { timeout: 30_000 });
        // A diagram mermaid cannot parse logs an error and is never drawn: stop waiting at the first problem.
        let state: MermaidState = { total: 0, rendered: 0, errors: [] };
        const drawn = (): string => `${state.rendered} of ${state.total} diagrams drawn on ${path}; errors: ${state.errors.join(' | ') || 'none'}; problems: ${problems.join(' | ') || 'none'}`;
        await until(
          async () => (state = await page.evaluate(mermaidState, diagramSelector)).rendered === state.total || problems.length > 0,
          60_000,
          `the diagrams on ${path}`,
        ).catch((err: Error) => {
          throw new Error(`${err.message}: ${drawn()}`);
        });
        if (state.rendered < state.total) throw new Error(drawn());
        expect.soft(await page.evaluate(seenDiagramErrors), `error pictures drawn on ${path}, even briefly`).toEqual([]);
        await page.evaluate(fontsReady);
        expect.soft(await page.evaluate(failedFonts), `fonts that failed to load on ${path}`).toEqual([]);
        const o = await page.evaluate(overflow);
        expect.soft(o.scrollWidth, `${path} scrolls sideways at 390 px: ${o.widest ?? '?'}`).toBeLessThanOrEqual(o.clientWidth + 1);
        await screenshot(page, path, '390');

        await page.setViewportSize(desktop);
        await page.evaluate(fontsReady);
        await screenshot(page, path, 'desktop');
        await page.waitForLoadState('networkidle', { timeout: 30_000 });
        expect(problems, `problems on ${path}`).toEqual([]);
      } finally {
        await close();
      }
    });
  }
});
