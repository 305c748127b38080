// The spec side: connect to the run's one chromium (started by global-setup.ts), open pages of the built
// site in fresh contexts, and collect everything that went wrong while they loaded.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { inject } from 'vitest';
import { watchDiagramErrors } from './in-page.ts';

let connected: Promise<Browser> | undefined;

/** The run's browser, connected once per test file; `disconnect()` in afterAll. */
export const browser = (): Promise<Browser> => (connected ??= chromium.connect(inject('wsEndpoint')));

/** Drops this file's connection (the browser itself belongs to the global setup, which closes it). */
export async function disconnect(): Promise<void> {
  const b = connected;
  connected = undefined;
  if (b) await (await b).close();
}

export const siteUrl = (path = '/'): string => new URL(path, inject('siteUrl')).href;

export const phone = { width: 390, height: 844 };
export const desktop = { width: 1280, height: 800 };

export interface Opened {
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors, failed requests and same-origin responses >= 400, as they happen. */
  problems: string[];
  close(): Promise<void>;
}

/** A fresh context (no shared cache, storage or service worker) with one page, watched from the start. */
export async function open(path: string, viewport = desktop): Promise<Opened> {
  const context = await (await browser()).newContext({ viewport, reducedMotion: 'reduce' });
  // Playwright's 30 s default is tight for a page with diagrams on a loaded 2-core machine.
  context.setDefaultTimeout(60_000);
  await context.addInitScript(watchDiagramErrors);
  const page = await context.newPage();
  const problems: string[] = [];
  const origin = new URL(siteUrl()).origin;
  let closing = false;
  page.on('console', (m) => {
    // Warnings matter only about fonts (a font that fails to decode or load falls back silently).
    if (m.type() === 'error' || (m.type() === 'warning' && /font/i.test(m.text()))) {
      // "Failed to load resource" names no URL in its text; the location does (the favicon has no request event).
      const at = m.location().url;
      problems.push(`console ${m.type()}: ${m.text()}${at && !m.text().includes(at) ? ` (${at})` : ''}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    if (!closing) problems.push(`request failed: ${req.url()} (${req.failure()?.errorText ?? '?'})`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && res.url().startsWith(origin)) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  await page.goto(siteUrl(path), { waitUntil: 'load' });
  return {
    context,
    page,
    problems,
    close: async () => {
      closing = true;
      await context.close();
    },
  };
}

/** Polls `fn` in the test until it returns true, or throws naming `what` after `ms`. */
export async function until(fn: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
