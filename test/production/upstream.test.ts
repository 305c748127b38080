// @chapter 10
// Several instances: two prefork instances behind one nginx upstream (the shipped config, passive health
// checks: max_fails=1 fail_timeout=1s), a constant load through nginx, and instance A stopped and started
// again. The failed requests are counted with and without nginx's retries (proxy_next_upstream); with
// them, an idempotent GET never fails. The measurement is chapters/10-production/upstream.ts's.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { killAll } from '../arbiter/server.ts';
import { counts, Instance, killInFlight, measure, type Outcome } from '../../chapters/10-production/upstream.ts';
import { killAllNginx, NGINX_MISSING, nginxAvailable, openTempDir } from './nginx.ts';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const available = nginxAvailable();
if (!available) console.log(`SKIPPED test/production/upstream.test.ts: ${NGINX_MISSING}`);
const root = available ? openTempDir('prefork-upstream-test-') : '';
afterAll(async () => {
  await killAllNginx();
  await killAll();
  if (root) rmSync(root, { recursive: true, force: true });
});

let runs = 0;
const dirFor = (): string => {
  const dir = join(root, `run-${runs++}`);
  mkdirSync(dir);
  return dir;
};
const summary = (o: Outcome): string =>
  `${o.action}, retries ${o.retries ? 'on' : 'off'}: ${o.failed} failed of ${o.ok + o.failed} in ${(o.ms / 1000).toFixed(1)} s` +
  `${o.failed ? ` (${counts(o.why)})` : ''}; nginx: ${counts(o.upstreamErrors) || 'no upstream error'}, ${o.retried} retried`;

describe.skipIf(!available)('two instances behind an nginx upstream, instance A stopped and started under load', () => {
  let a: Instance;
  let b: Instance;
  beforeAll(async () => {
    a = new Instance('a', root);
    b = new Instance('b', root);
    await Promise.all([a.start(), b.start()]);
  });

  for (const action of ['term', 'kill'] as const) {
    it(`${action === 'term' ? 'graceful TERM' : 'kill -9 of master and workers'}, down 1 s, start: failures counted without retries, none with proxy_next_upstream`, async () => {
      const [off, on] = await measure(a, b, { action, clients: 3, downMs: 1000, failTimeout: '1s', dir: dirFor() });
      // Without retries: measured and printed, not asserted (it depends on timing: how many requests
      // nginx sends to A before it marks A down, and again each time fail_timeout runs out).
      console.log(summary(off));
      console.log(summary(on));
      expect(off.ok).toBeGreaterThan(0);
      expect(on.failed, summary(on)).toBe(0);
    });
  }

  it('a request in flight on a killed instance: nginx sends a GET again to the other one, never a POST', async () => {
    const get = await killInFlight([a, b], 'GET', dirFor());
    console.log(`GET in flight, its instance killed -9: ${get.status}, tried ${get.tried.join(' then ')}`);
    expect(get.status).toBe(200);
    expect(get.tried).toHaveLength(2);
    await get.killed.start();
    const post = await killInFlight([a, b], 'POST', dirFor());
    console.log(`POST in flight, its instance killed -9: ${post.status}, tried ${post.tried.join(' then ')}`);
    expect(post.status).toBe(502);
    expect(post.tried).toHaveLength(1);
  });
});
