// The benchmark charts (docs/.vitepress/charts/model.ts, drawn by theme/BenchChart.vue), checked on the
// real data files: every file a page imports gives a labelled chart (machine, date, load generator,
// finite positive values), every page that shows a benchmark table also shows its chart, every label
// fits a 342 px phone text column, and a file without its machine or date is refused.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  BenchDataError,
  ariaLabel,
  captionLines,
  chartFromData,
  formatTick,
  layoutChart,
  linearTicks,
  logTicks,
  niceStep,
  stepPath,
  textWidth,
  wrapText,
  type Chart,
  type Scene,
} from '../../docs/.vitepress/charts/model.ts';
import benchLoader from '../../docs/.vitepress/charts/bench.data.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docs = join(root, 'docs');
const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

/** Every page (*.md under docs/, not .vitepress) with its text. */
function pages(dir = docs): { file: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name.startsWith('.') || e.name === 'node_modules' ? [] : pages(p);
    return e.name.endsWith('.md') ? [{ file: p, text: readFileSync(p, 'utf8') }] : [];
  });
}

/** `import NAME from '../data/bench-*.json'` in a page: NAME -> file. */
function benchImports(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^import\s+(\w+)\s+from\s+['"](?:\.\.\/)+data\/(bench-[\w-]+\.json)['"]/gm)].map((m) => [m[1]!, m[2]!]));
}

const referenced = [...new Set(pages().flatMap((p) => [...benchImports(p.text).values()]))].sort();
const charts = new Map<string, Chart>(referenced.map((f) => [f, chartFromData(readJson(join(docs, 'data', f)), f)]));
const chart = (f: string): Chart => charts.get(f) ?? chartFromData(readJson(join(docs, 'data', f)), f);

/** Every coordinate of a scene is a finite number, and every shape and (estimated) text lies inside it. */
function expectInside(scene: Scene): void {
  expect(Number.isFinite(scene.height) && scene.height > 0).toBe(true);
  for (const r of scene.rects) {
    expect([r.x, r.y, r.width, r.height].every(Number.isFinite)).toBe(true);
    expect(r.width).toBeGreaterThan(0);
    expect(r.x).toBeGreaterThanOrEqual(0);
    expect(r.x + r.width).toBeLessThanOrEqual(scene.width + 0.5);
    expect(r.y + r.height).toBeLessThanOrEqual(scene.height);
  }
  for (const l of scene.lines) {
    expect([l.x1, l.y1, l.x2, l.y2].every(Number.isFinite)).toBe(true);
    expect(Math.min(l.x1, l.x2)).toBeGreaterThanOrEqual(0);
    expect(Math.max(l.x1, l.x2)).toBeLessThanOrEqual(scene.width + 0.5);
  }
  for (const p of scene.paths) {
    expect(p.d).toMatch(/^M/);
    for (const n of p.d.match(/-?[\d.]+(e-?\d+)?|NaN|Infinity/g) ?? []) expect(Number.isFinite(Number(n)), `${n} in ${p.d}`).toBe(true);
  }
  for (const t of scene.texts) {
    expect([t.x, t.y].every(Number.isFinite)).toBe(true);
    const w = textWidth(t.text, t.size);
    const left = t.anchor === 'start' ? t.x : t.anchor === 'end' ? t.x - w : t.x - w / 2;
    expect(left, `"${t.text}" starts at ${left}`).toBeGreaterThanOrEqual(-0.5);
    expect(left + w, `"${t.text}" ends at ${left + w} of ${scene.width}`).toBeLessThanOrEqual(scene.width + 0.5);
    expect(t.y - t.size).toBeGreaterThanOrEqual(-2);
    expect(t.y).toBeLessThanOrEqual(scene.height);
  }
}

/** A series like the one chapter 9's bench writes (its shape, made-up numbers). */
function withSeries(): Record<string, unknown> {
  const base = readJson(join(docs, 'data', 'bench-09-reload.json')) as Record<string, unknown>;
  const line = (name: string, level: number, dip: number): Record<string, unknown> => ({
    name,
    steadyRps: level,
    marks: [2.003, 4.001, 6.002, 8.004],
    points: Array.from({ length: 40 }, (_, i) => [i * 0.25, i % 8 === 0 || i % 8 === 1 ? level * dip : level * 0.95] as [number, number]),
  });
  return {
    ...base,
    series: {
      what: 'good responses per second, per 250 ms (the median round)',
      markLabel: 'HUP',
      bucketMs: 250,
      durationSeconds: 10,
      lines: [line('prefork sync worker, HUP every 2 s', 5000, 0.3), line('gunicorn sync worker, HUP every 2 s', 8600, 0)],
    },
  };
}

describe('the data files the pages chart', () => {
  it('finds the benchmark files the chapters import', () => {
    expect(referenced).toEqual(expect.arrayContaining(['bench-02-contract.json', 'bench-05-close.json', 'bench-05-keepalive.json', 'bench-05-memory.json', 'bench-09-reload.json', 'bench-10-devserver.json']));
  });

  it.each(referenced)('%s: machine, date, load generator and finite positive values', (f) => {
    const c = chart(f);
    expect(c.machine).toMatch(/\d+ cores?/);
    expect(c.measuredAt).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    expect(c.method.length).toBeGreaterThan(5);
    expect(c.bars.length).toBeGreaterThan(0);
    for (const b of c.bars) expect(Number.isFinite(b.value) && b.value > 0, `${b.name}: ${b.value}`).toBe(true);
    for (const l of c.series?.lines ?? []) for (const [t, v] of l.points) expect(Number.isFinite(t) && Number.isFinite(v) && v >= 0).toBe(true);
    const caption = captionLines(c);
    expect(caption.measured).toContain(c.machine);
    expect(caption.measured).toContain(c.measuredAt);
    // What a screen reader hears: every value, and where and when.
    const label = ariaLabel(c);
    expect(label).toContain(c.machine);
    expect(label).toContain(c.measuredAt);
    if (c.kind === 'bars') for (const b of c.bars) expect(label).toContain(b.name);
  });

  it.each(referenced)('%s: fits a 342 px phone column, a 390 px screen and the 688 px desktop column', (f) => {
    for (const width of [342, 390, 688]) {
      const scene = layoutChart(chart(f), width);
      expect(scene.width).toBe(width);
      expectInside(scene);
    }
  });

  it('every page that shows a benchmark table also draws its chart', () => {
    for (const p of pages()) {
      for (const m of p.text.matchAll(/<BenchTable\s+:data="(\w+)"/g)) {
        expect(new RegExp(`<BenchChart\\s+:data="${m[1]}"`).test(p.text), `${basename(p.file)}: <BenchTable :data="${m[1]}"> without <BenchChart :data="${m[1]}">`).toBe(true);
      }
      for (const m of p.text.matchAll(/<BenchChart\s+:data="(\w+)"/g)) expect(benchImports(p.text).has(m[1]!), `${basename(p.file)}: ${m[1]} is not imported from docs/data`).toBe(true);
    }
  });

  it('highlights the peer of the same run and states the ratio against it', () => {
    const peers = (f: string): string[] => chart(f).bars.filter((b) => b.peer).map((b) => b.name);
    expect(peers('bench-02-contract.json')).toEqual([]);
    expect(peers('bench-05-close.json')).toEqual(['gunicorn sync worker', 'node:cluster + node:http']);
    expect(peers('bench-05-keepalive.json')).toEqual(['node:cluster + node:http']);
    expect(peers('bench-05-memory.json')).toEqual(['node:cluster worker']);
    expect(peers('bench-09-reload.json')).toEqual(['gunicorn sync worker, steady', 'gunicorn sync worker, HUP every 2 s']);
    expect(peers('bench-10-devserver.json').every((n) => n.startsWith('dev server'))).toBe(true);

    // The benchmark's own "ours / peer" ratios, not its ratios of a server against itself.
    expect(chart('bench-09-reload.json').peerRatios.map((r) => r.what)).toEqual(['prefork / gunicorn, steady', 'prefork / gunicorn, HUP every 2 s']);
    expect(chart('bench-05-close.json').peerRatios).toEqual([{ what: 'prefork sync / gunicorn sync, Connection: close', got: 0.597 }]);
    expect(chart('bench-10-devserver.json').peerRatios).toHaveLength(4); // sync and async, / and mix
    // No stated ratio against the peer: the first of our rows against it, from the rows.
    const mem = chart('bench-05-memory.json');
    expect(mem.peerRatios).toEqual([{ what: 'prefork worker, bundled (default) / node:cluster worker', got: Number((60 / 55.7).toFixed(3)) }]);
    expect(captionLines(mem).ratios).toEqual(['prefork worker, bundled (default) / node:cluster worker: 1.08×']);
  });

  it('draws the 3,000× spread of CGI vs in-process on a log axis, the others on a linear one', () => {
    expect(chart('bench-02-contract.json').scale).toBe('log');
    for (const f of referenced.filter((f) => f !== 'bench-02-contract.json')) expect(chart(f).scale, f).toBe('linear');
    const scene = layoutChart(chart('bench-02-contract.json'), 390);
    expect(scene.texts.filter((t) => t.role === 'tick').map((t) => t.text)).toEqual(['1', '10', '100', '1k', '10k', '100k']);
    // The smallest bar (7 req/s) is still visible, and the order of the bars is the order of the values.
    const widths = scene.rects.map((r) => r.width);
    expect(Math.min(...widths)).toBeGreaterThan(20);
    expect([...widths].sort((a, b) => b - a)).toEqual(widths);
  });

  it('puts labels beside the bars on a desktop and above them on a phone', () => {
    const c = chart('bench-10-devserver.json');
    const wide = layoutChart(c, 688);
    const narrow = layoutChart(c, 342);
    const labels = (s: Scene): string[] => s.texts.filter((t) => t.role === 'label').map((t) => t.anchor);
    expect(new Set(labels(wide))).toEqual(new Set(['end']));
    expect(new Set(labels(narrow))).toEqual(new Set(['start']));
    // Above: each bar starts below the last line of its label.
    for (const r of narrow.rects) {
      const own = narrow.texts.filter((t) => t.role === 'label' && t.y < r.y && t.y > r.y - 60);
      expect(own.length).toBeGreaterThan(0);
    }
    expect(narrow.rects.every((r) => r.x <= 2)).toBe(true);
    expect(wide.rects.every((r) => r.x > 100)).toBe(true);
  });

  it('shows a time series, with its signals and the steady reference, when the data has one', () => {
    const c = chartFromData(withSeries(), 'a series');
    expect(c.kind).toBe('series');
    for (const width of [342, 688]) {
      const scene = layoutChart(c, width);
      expectInside(scene);
      expect(scene.paths.map((p) => p.tone)).toEqual(['ours', 'peer']);
      expect(scene.lines.filter((l) => l.role === 'mark')).toHaveLength(4);
      expect(scene.lines.filter((l) => l.role === 'steady')).toHaveLength(2);
      expect(scene.texts.filter((t) => t.role === 'mark').length).toBeGreaterThanOrEqual(2);
      expect(scene.legend.map((e) => e.swatch)).toEqual(['line', 'dashed', 'line', 'dashed']);
    }
    expect(ariaLabel(c)).toMatch(/HUP sent at 2\.0, 4\.0, 6\.0, 8\.0 s/);
    expect(ariaLabel(c)).toContain('gunicorn sync worker, HUP every 2 s (peer): from 0 to 8,170');
    // The real chapter 9 file: bars of its totals until the bench records a series, a series after.
    expect(chart('bench-09-reload.json').kind).toBe('series' in (readJson(join(docs, 'data', 'bench-09-reload.json')) as object) ? 'series' : 'bars');
  });
});

describe('a bad data file fails loudly', () => {
  const good = (): Record<string, unknown> => readJson(join(docs, 'data', 'bench-05-close.json')) as Record<string, unknown>;
  const without = (key: string): Record<string, unknown> => {
    const d = good();
    delete d[key];
    return d;
  };

  it.each([
    ['machine', /bench-x\.json: no "machine": a chart must say what it was measured on/],
    ['measuredAt', /bench-x\.json: no "measuredAt": a chart must say when it was measured/],
    ['loadGenerator', /no "loadGenerator"/],
    ['title', /no "title"/],
    ['rows', /no "rows"/],
  ])('refuses a file without %s', (key, message) => {
    expect(() => chartFromData(without(key), 'bench-x.json')).toThrow(BenchDataError);
    expect(() => chartFromData(without(key), 'bench-x.json')).toThrow(message);
  });

  it('fails the site build: the data loader BenchChart imports checks every docs/data/bench-*.json', async () => {
    const all = readdirSync(join(docs, 'data')).filter((f) => /^bench-.*\.json$/.test(f));
    expect(await benchLoader.load!(all.map((f) => join(docs, 'data', f)))).toEqual({ files: all });
    const dir = mkdtempSync(join(tmpdir(), 'charts-test-'));
    try {
      const bad = join(dir, 'bench-bad.json');
      writeFileSync(bad, JSON.stringify(without('measuredAt')));
      await expect(async () => benchLoader.load!([bad])).rejects.toThrow(/docs\/data\/bench-bad\.json: no "measuredAt"/);
      await expect(async () => benchLoader.load!([])).rejects.toThrow(/no bench-\*\.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an empty machine, a date that is not one, a missing or non-positive value, a broken series', () => {
    expect(() => chartFromData({ ...good(), machine: '  ' })).toThrow(/"A new connection per request.*no "machine"/);
    expect(() => chartFromData({ ...good(), measuredAt: 'yesterday' })).toThrow(/not a date/);
    const rows = (good().rows as Record<string, unknown>[]).map((r) => ({ ...r }));
    rows[1]!.rps = 0;
    expect(() => chartFromData({ ...good(), rows })).toThrow(/row "gunicorn sync worker": "rps" is 0, not a positive number/);
    delete rows[1]!.rps;
    expect(() => chartFromData({ ...good(), rows })).toThrow(/"rps" is undefined/);
    rows[1]!.rps = Number.NaN; // JSON cannot hold NaN, but a hand-made object can
    expect(() => chartFromData({ ...good(), rows })).toThrow(/not a positive number/);
    const s = withSeries();
    (s.series as { lines: { points: unknown[] }[] }).lines[0]!.points.push([10, -1]);
    expect(() => chartFromData(s)).toThrow(/point \[10,-1\]/);
    expect(() => chartFromData(null)).toThrow(/not a JSON object/);
  });
});

describe('scales, ticks and text', () => {
  it('picks round steps and ticks', () => {
    expect(niceStep(23316, 5)).toBe(5000);
    expect(niceStep(89.8, 4)).toBe(25);
    expect(niceStep(10, 5)).toBe(2);
    expect(linearTicks(23316, 5)).toEqual([0, 5000, 10000, 15000, 20000, 25000]);
    expect(linearTicks(50778, 4)).toEqual([0, 20000, 40000, 60000]);
    expect(linearTicks(10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(linearTicks(0.3, 3)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(logTicks(7.16, 23316)).toEqual([1, 10, 100, 1000, 10000, 100000]);
    expect(logTicks(10, 100)).toEqual([10, 100]);
    expect([0, 20, 2500, 10000, 100000].map(formatTick)).toEqual(['0', '20', '2.5k', '10k', '100k']);
  });

  it('wraps labels on words and cuts a word longer than a line', () => {
    expect(wrapText('dev server (node:http, 1 process), /', 20)).toEqual(['dev server', '(node:http, 1', 'process), /']);
    expect(wrapText('abcdefghijkl', 5)).toEqual(['abcde', 'fghij', 'kl']);
    expect(wrapText('', 10)).toEqual(['']);
  });

  it('draws a step path that lifts the pen over a gap in time', () => {
    const id = (n: number): number => n;
    expect(stepPath([[0, 5], [1, 3], [3, 4]], 1, id, id)).toBe('M0 5H1V3H2 M3 4H4');
  });
});
