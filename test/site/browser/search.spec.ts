// (3) VitePress's local search, opened from the keyboard as a reader would, finds `graceful_timeout`,
// and its first result leads to a page that has the word.
import { afterAll, expect, it } from 'vitest';
import { disconnect, open, until } from './browser.ts';

afterAll(disconnect);

it('local search finds graceful_timeout and its first result leads to it', async () => {
  const { page, problems, close } = await open('/');
  try {
    // '/' opens the search box once the page is hydrated (its key handler is registered then): press
    // it again until the box is there.
    const input = page.locator('#localsearch-input');
    await until(async () => {
      await page.keyboard.press('/');
      return input.waitFor({ state: 'visible', timeout: 1_000 }).then(() => true, () => false);
    }, 20_000, 'the search box to open on /');
    await input.fill('graceful_timeout');
    const first = page.locator('.VPLocalSearchBox .results a.result').first();
    await first.waitFor({ state: 'visible', timeout: 15_000 });
    const href = await first.getAttribute('href');
    expect(href).toBeTruthy();
    const target = new URL(href!, page.url());
    // Enter opens the selected (first) result.
    await input.press('Enter');
    await page.waitForURL((u) => u.pathname === target.pathname, { timeout: 15_000 });
    await expect.poll(() => page.locator('.vp-doc').innerText(), { timeout: 15_000 }).toContain('graceful_timeout');
    expect(problems).toEqual([]);
  } finally {
    await close();
  }
});
