// (4) The playground answers as the server would, driven only through its DOM contract (data-testid,
// data-* and aria-* attributes; listed in docs/.vitepress/README.md): no test hook in the page.
// A playground scrolled out of view stands still, so each test scrolls its playground into view first.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { afterAll, describe, it } from 'vitest';
import { disconnect, open, phone, until } from './browser.ts';
import { overflow } from './in-page.ts';
import { sitePages } from './site.ts';

afterAll(disconnect);

const FREE = '/guide/playground.html';
const runs = fileURLToPath(new URL('../../../docs/data/runs/', import.meta.url));
const chapterPage = (n: string): string => {
  const path = sitePages().find((p) => p.startsWith(`/chapters/${n}-`));
  if (!path) throw new Error(`no chapter ${n} page in the built site`);
  return path;
};

interface Row {
  pid: number;
  age: number;
  status: string;
}

/** The worker rows as the page shows them. */
const rows = async (pg: Locator): Promise<Row[]> =>
  (
    await pg.locator('[data-testid=pg-worker]').evaluateAll((els) =>
      els.map((e) => [e.getAttribute('data-pid'), e.getAttribute('data-age'), e.getAttribute('data-status')] as const),
    )
  ).map(([pid, age, status]) => ({ pid: Number(pid), age: Number(age), status: status ?? '' }));

/** Workers that are up (not retiring, aborted or exited). */
const up = async (pg: Locator): Promise<Row[]> => (await rows(pg)).filter((r) => ['booting', 'idle', 'busy'].includes(r.status));
const idlePids = async (pg: Locator): Promise<number[]> =>
  (await rows(pg)).filter((r) => r.status === 'idle').map((r) => r.pid).sort((a, b) => a - b);
const timelineText = async (pg: Locator): Promise<string[]> => pg.locator('[data-testid=pg-line]').allTextContents();

/** Pids from the timeline's "Booting worker with pid: N" lines, in order. */
const bootedPids = (lines: string[]): number[] =>
  lines.flatMap((l) => {
    const m = /Booting worker with pid: (\d+)/.exec(l);
    return m ? [Number(m[1])] : [];
  });

/** Waits until exactly `n` workers are up and all of them idle (booted, serving nothing); returns their pids. */
async function settled(pg: Locator, n: number, what: string): Promise<number[]> {
  let last: Row[] = [];
  await until(async () => {
    last = await up(pg);
    return last.length === n && last.every((r) => r.status === 'idle');
  }, 45_000, `${n} idle workers ${what} (have ${JSON.stringify(last)})`);
  return last.map((r) => r.pid).sort((a, b) => a - b);
}

/** The page's first playground of this mode, scrolled into view and running at `speed`x. */
async function playground(page: Page, mode: 'simulate' | 'replay' = 'simulate', speed = 10): Promise<Locator> {
  const pg = page.locator(`[data-testid=playground][data-mode=${mode}]`).first();
  await pg.waitFor({ state: 'attached', timeout: 20_000 });
  await pg.scrollIntoViewIfNeeded();
  await pg.locator('[data-testid=pg-speed]').selectOption(String(speed));
  if (mode === 'simulate' && (await pg.locator('[data-testid=pg-play]').getAttribute('aria-pressed')) !== 'true') {
    await pg.locator('[data-testid=pg-play]').click();
  }
  return pg;
}

describe.concurrent('the playground', () => {
  it('TTIN adds a worker', async ({ expect }) => {
    const { page, problems, close } = await open(FREE);
    try {
      const pg = await playground(page);
      const before = await settled(pg, 2, 'after boot');
      await pg.locator('[data-testid=pg-signal-SIGTTIN]').click();
      const after = await settled(pg, 3, 'after TTIN');
      expect(after.filter((p) => !before.includes(p))).toHaveLength(1);
      expect(after).toEqual(expect.arrayContaining(before));
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('HUP replaces every worker with new pids', async ({ expect }) => {
    const { page, problems, close } = await open(FREE);
    try {
      const pg = await playground(page);
      const before = await settled(pg, 2, 'after boot');
      await pg.locator('[data-testid=pg-signal-SIGHUP]').click();
      let now: number[] = [];
      await until(async () => {
        now = await idlePids(pg);
        return now.length === 2 && now.every((p) => !before.includes(p)) && (await up(pg)).length === 2;
      }, 45_000, `two new idle workers after HUP (old ${before}, now ${now})`);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('a stuck request past the timeout: the worker is aborted and replaced (chapter 8 preset)', async ({ expect }) => {
    const { page, problems, close } = await open(chapterPage('08'));
    try {
      // The preset sends a stuck request 1.5 s in (simulated) to two sync workers with a 3 s timeout.
      const pg = await playground(page);
      let lines: string[] = [];
      await until(async () => (lines = await timelineText(pg)).some((l) => /WORKER TIMEOUT \(pid:\d+\)/.test(l)), 45_000, 'a WORKER TIMEOUT line');
      const stuck = Number(/WORKER TIMEOUT \(pid:(\d+)\)/.exec(lines.find((l) => l.includes('WORKER TIMEOUT'))!)![1]);
      const first = bootedPids(lines).slice(0, 2);
      expect(first, 'the timed-out worker is one of the first two').toContain(stuck);
      let now: number[] = [];
      await until(async () => {
        now = await idlePids(pg);
        return now.length === 2 && !now.includes(stuck) && (await up(pg)).length === 2;
      }, 45_000, `worker ${stuck} replaced (idle now: ${now})`);
      expect(now.filter((p) => !first.includes(p)), 'one new worker').toHaveLength(1);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('a HUP with a broken app rolls back: the old workers stay (chapter 9 preset)', async ({ expect }) => {
    const { page, problems, close } = await open(chapterPage('09'));
    try {
      // The preset breaks the app at 1.5 s and sends HUP at 2 s (simulated).
      const pg = await playground(page);
      let lines: string[] = [];
      await until(async () => (lines = await timelineText(pg)).some((l) => l.includes('Reload failed')), 45_000, "a 'Reload failed' line");
      const first = bootedPids(lines).slice(0, 2).sort((a, b) => a - b);
      expect(first).toHaveLength(2);
      expect(await settled(pg, 2, 'after the rollback')).toEqual(first);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('break app, then HUP: the reload fails and the old workers stay', async ({ expect }) => {
    const { page, problems, close } = await open(FREE);
    try {
      const pg = await playground(page);
      const before = await settled(pg, 2, 'after boot');
      const breakApp = pg.locator('[data-testid=pg-break-app]');
      await breakApp.click();
      expect(await breakApp.getAttribute('aria-pressed')).toBe('true');
      await pg.locator('[data-testid=pg-signal-SIGHUP]').click();
      await until(async () => (await timelineText(pg)).some((l) => l.includes('Reload failed')), 45_000, "a 'Reload failed' line");
      expect(await settled(pg, 2, 'after the rollback')).toEqual(before);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('the keyboard alone sends HUP (Tab to the button, Enter)', async ({ expect }) => {
    const { page, problems, close } = await open(FREE);
    try {
      const pg = await playground(page);
      const before = await settled(pg, 2, 'after boot');
      // A keyboard user reaches the playground (Tab through the page, or a link to it); from its start,
      // Tab until the HUP button has the focus. (Tabbing through the whole page's nav and sidebar first
      // would test VitePress, and cost a round trip per key.)
      await pg.focus();
      const hup = pg.locator('[data-testid=pg-signal-SIGHUP]');
      let presses = 0;
      while (!(await hup.evaluate((b) => b === b.ownerDocument.activeElement))) {
        if (++presses > 20) throw new Error('20 Tabs from the start of the playground did not reach the HUP button');
        await page.keyboard.press('Tab');
      }
      await page.keyboard.press('Enter');
      let now: number[] = [];
      await until(async () => {
        now = await idlePids(pg);
        return now.length === 2 && now.every((p) => !before.includes(p)) && (await up(pg)).length === 2;
      }, 45_000, `two new idle workers after HUP by keyboard (old ${before}, now ${now})`);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('works on a 390 px screen: no sideways scroll, and TTIN still adds a worker', async ({ expect }) => {
    const { page, problems, close } = await open(FREE, phone);
    try {
      const pg = await playground(page);
      const before = await settled(pg, 2, 'after boot');
      const o = await page.evaluate(overflow);
      expect(o.scrollWidth, `the playground page scrolls sideways at 390 px: ${o.widest ?? '?'}`).toBeLessThanOrEqual(o.clientWidth + 1);
      await pg.locator('[data-testid=pg-signal-SIGTTIN]').click();
      expect(await settled(pg, 3, 'after TTIN')).toEqual(expect.arrayContaining(before));
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('a recording of your own opens from a file; a file that is not one says why', async ({ expect }) => {
    const { page, problems, close } = await open(FREE);
    try {
      const pg = await playground(page, 'replay', 50);
      const file = pg.locator('[data-testid=pg-open]');
      await file.setInputFiles({ name: 'mine.json', mimeType: 'application/json', buffer: readFileSync(join(runs, '06.json')) });
      await until(async () => /chapter 6 /.test((await pg.locator('.pg-intro').first().textContent()) ?? ''), 20_000, 'the intro names the chapter 6 command');
      await pg.locator('[data-testid=pg-play]').click();
      await pg.locator('[data-testid=pg-worker]').first().waitFor({ state: 'attached', timeout: 45_000 });
      await file.setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"format": "something else"}') });
      await until(async () => /notes\.json: .*format/.test((await pg.locator('[role=alert]').first().textContent().catch(() => '')) ?? ''), 20_000, 'an error naming the file and its format');
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });

  it('a recorded run replays: a worker row appears', async ({ expect }) => {
    const { page, problems, close } = await open(FREE);
    try {
      const pg = await playground(page, 'replay', 50);
      await pg.locator('[data-testid=pg-play]').click();
      await pg.locator('[data-testid=pg-worker]').first().waitFor({ state: 'attached', timeout: 45_000 });
      expect(await pg.locator('[data-testid=pg-line]').count()).toBeGreaterThan(0);
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
  });
});
