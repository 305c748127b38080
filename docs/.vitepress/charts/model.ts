// Benchmark results as charts. `npm run bench` writes docs/data/bench-*.json; a page imports one and
// hands it to <BenchChart :data>, which calls `chartFromData` (check the file, decide what to draw) and
// `layoutChart` (where every bar, line and label goes at the width the chart has on screen). Both are
// pure: no DOM, no node: imports. The component is left a thin SVG template, and
// test/site/charts.test.ts checks the real data files, and that every label fits a phone's text column,
// without a browser.
//
// A chart always states where and when it was measured: a file without its machine, date or load
// generator is refused with an error naming what is missing, never drawn unlabeled.

export type Metric = 'rps' | 'rssMb';
/** Ours (prefork) or a peer measured in the same run (gunicorn, node:cluster, a dev server). */
export type Tone = 'ours' | 'peer';

export interface Bar {
  name: string;
  value: number;
  peer: boolean;
}

export interface SeriesLine {
  name: string;
  peer: boolean;
  /** [seconds since the round started, value over the bucket that starts there]. */
  points: [number, number][];
  /** Seconds since the round started at which the signal was sent. */
  marks: number[];
  /** The same server's value without the signals (its steady row), drawn as a reference; null if absent. */
  steady: number | null;
}

export interface Series {
  /** What a point is, in words ("good responses per second, per 250 ms"). */
  what: string;
  /** The name of the moments in `marks` ("HUP"). */
  markLabel: string;
  bucketSeconds: number;
  durationSeconds: number;
  lines: SeriesLine[];
}

export interface Ratio {
  what: string;
  got: number;
}

export interface Chart {
  kind: 'bars' | 'series';
  title: string;
  machine: string;
  measuredAt: string;
  /** How the numbers were produced: the load generator, or how memory was read. */
  method: string;
  metric: Metric;
  /** The unit of a value, for the axis ("requests per second", "resident memory, MB"). */
  unit: string;
  bars: Bar[];
  scale: 'linear' | 'log';
  series: Series | null;
  /** Ours against a peer of the same run: the ratios the benchmark stated, else computed from the bars. */
  peerRatios: Ratio[];
}

// ---------------------------------------------------------------------------------------------------
// Reading a data file

/** Rows measured on another server in the same run. A row may also say so itself: "peer": true. */
const PEER_NAME = /\bgunicorn\b|node:cluster|\bdev server\b/i;
export const isPeerName = (name: string): boolean => PEER_NAME.test(name);

/** Bars whose largest value is this many times the smallest get a logarithmic axis (CGI vs in-process: 3,000×). */
export const LOG_SCALE_SPREAD = 50;

export class BenchDataError extends Error {
  override name = 'BenchDataError';
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Checks a benchmark file and turns it into a chart. Throws a BenchDataError that names the file
 * (`source`, else its title) and what is wrong, so that a build fails rather than drawing a chart
 * without its machine or date.
 */
export function chartFromData(data: unknown, source?: string): Chart {
  const title0 = isObject(data) ? text(data.title) : null;
  const where = `bench data ${source ?? (title0 ? `"${title0}"` : '(untitled)')}`;
  const fail = (why: string): never => {
    throw new BenchDataError(`${where}: ${why}`);
  };
  if (!isObject(data)) return fail('not a JSON object');
  const title = title0 ?? fail('no "title"');
  const machine = text(data.machine) ?? fail('no "machine": a chart must say what it was measured on');
  const measuredAt = text(data.measuredAt) ?? fail('no "measuredAt": a chart must say when it was measured');
  if (!/^\d{4}-\d{2}-\d{2}\b/.test(measuredAt)) fail(`"measuredAt" is "${measuredAt}", not a date (YYYY-MM-DD ...)`);
  const method = text(data.loadGenerator) ?? text(data.measuredWith) ?? fail('no "loadGenerator" (or "measuredWith"): a chart must say how it was measured');
  const metric: Metric = data.metric === undefined || data.metric === 'rps' ? 'rps' : data.metric === 'rssMb' ? 'rssMb' : fail(`unknown "metric" ${JSON.stringify(data.metric)}`);

  if (!Array.isArray(data.rows) || data.rows.length === 0) fail('no "rows"');
  const bars = (data.rows as unknown[]).map((row, i): Bar => {
    if (!isObject(row)) return fail(`row ${i + 1} is not an object`);
    const name = text(row.name) ?? fail(`row ${i + 1} has no "name"`);
    const value = row[metric];
    if (!finite(value) || value <= 0) fail(`row "${name}": "${metric}" is ${JSON.stringify(value)}, not a positive number`);
    return { name, value: value as number, peer: typeof row.peer === 'boolean' ? row.peer : isPeerName(name) };
  });

  const values = bars.map((b) => b.value);
  const scale = Math.max(...values) / Math.min(...values) >= LOG_SCALE_SPREAD ? 'log' : 'linear';
  const series = data.series === undefined ? null : readSeries(data.series, fail);
  return {
    kind: series ? 'series' : 'bars',
    title,
    machine,
    measuredAt,
    method,
    metric,
    unit: metric === 'rssMb' ? 'resident memory, MB' : 'requests per second',
    bars,
    scale,
    series,
    peerRatios: peerRatios(data, bars),
  };
}

function readSeries(s: unknown, fail: (why: string) => never): Series {
  if (!isObject(s)) return fail('"series" is not an object');
  const bucketMs = s.bucketMs;
  const duration = s.durationSeconds;
  if (!finite(bucketMs) || bucketMs <= 0) fail('"series.bucketMs" is not a positive number');
  if (!finite(duration) || duration <= 0) fail('"series.durationSeconds" is not a positive number');
  if (!Array.isArray(s.lines) || s.lines.length === 0) fail('"series.lines" is empty');
  const lines = (s.lines as unknown[]).map((l, i): SeriesLine => {
    if (!isObject(l)) return fail(`series line ${i + 1} is not an object`);
    const name = text(l.name) ?? fail(`series line ${i + 1} has no "name"`);
    const pts = l.points;
    if (!Array.isArray(pts) || pts.length === 0) fail(`series line "${name}" has no points`);
    const points = (pts as unknown[]).map((p): [number, number] => {
      if (!Array.isArray(p) || p.length !== 2 || !finite(p[0]) || !finite(p[1]) || p[0] < 0 || p[1] < 0) return fail(`series line "${name}": point ${JSON.stringify(p)} is not [seconds >= 0, value >= 0]`);
      return [p[0], p[1]];
    });
    const marks = l.marks === undefined ? [] : Array.isArray(l.marks) && l.marks.every((m) => finite(m) && m >= 0) ? (l.marks as number[]) : fail(`series line "${name}": "marks" is not a list of seconds`);
    const steady = l.steadyRps === undefined ? null : finite(l.steadyRps) && l.steadyRps > 0 ? l.steadyRps : fail(`series line "${name}": "steadyRps" is not a positive number`);
    return { name, peer: typeof l.peer === 'boolean' ? l.peer : isPeerName(name), points, marks, steady };
  });
  return {
    what: text(s.what) ?? 'good responses per second',
    markLabel: text(s.markLabel) ?? 'HUP',
    bucketSeconds: (bucketMs as number) / 1000,
    durationSeconds: duration as number,
    lines,
  };
}

/**
 * The ratios of ours against a peer: those the benchmark stated (its "target" and "ratios" entries of
 * the form "ours / peer"), else the first of our rows against each peer row.
 */
export function peerRatios(data: Json, bars: Bar[]): Ratio[] {
  const stated = [data.target, ...(Array.isArray(data.ratios) ? data.ratios : [])].flatMap((r): Ratio[] => {
    if (!isObject(r) || typeof r.what !== 'string' || !finite(r.got) || r.got <= 0) return [];
    const [, den] = r.what.split(' / ');
    return den !== undefined && isPeerName(den) ? [{ what: r.what, got: r.got }] : [];
  });
  if (stated.length) return stated;
  const ours = bars.find((b) => !b.peer);
  if (!ours) return [];
  return bars.filter((b) => b.peer).map((p) => ({ what: `${ours.name} / ${p.name}`, got: Number((ours.value / p.value).toFixed(3)) }));
}

// ---------------------------------------------------------------------------------------------------
// Numbers as text. Formatted by hand, not with toLocaleString, so the server-rendered HTML and the
// browser agree.

export function thousands(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A bar's value: "23,316" req/s, "51.2", "7.16"; memory with one decimal ("60.0"). */
export function formatValue(v: number, metric: Metric): string {
  if (metric === 'rssMb') return v.toFixed(1);
  return v >= 100 ? thousands(v) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** An axis tick: 0, 20, 2.5k, 10k, 100k. */
export function formatTick(v: number): string {
  if (v >= 1000) return `${Number((v / 1000).toFixed(1))}k`;
  return String(Number(v.toFixed(2)));
}

export const formatRatio = (r: Ratio): string => `${r.what}: ${r.got.toFixed(2)}×`;

// ---------------------------------------------------------------------------------------------------
// Scales and ticks

/** A round step (1, 2, 2.5 or 5 times a power of ten, or the `steps` given) that cuts `span` into about `count` parts. */
export function niceStep(span: number, count: number, steps: readonly number[] = [1, 2, 2.5, 5]): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of steps) if (m * power >= raw - 1e-9 * raw) return m * power;
  return 10 * power;
}

/** Ticks from 0 to the first round value at or above `max`, about `count` steps. */
export function linearTicks(max: number, count: number, steps?: readonly number[]): number[] {
  const step = niceStep(max, count, steps);
  const n = Math.max(1, Math.ceil(max / step - 1e-9));
  return Array.from({ length: n + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

/** Powers of ten from the one at or below `min` to the one at or above `max`. */
export function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
  return Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
}

/** Maps values onto [x0, x1] (the first and last tick at the ends). */
export function scaleFor(kind: 'linear' | 'log', ticks: number[], x0: number, x1: number): (v: number) => number {
  const first = ticks[0]!;
  const last = ticks[ticks.length - 1]!;
  if (kind === 'log') {
    const a = Math.log10(first);
    const b = Math.log10(last);
    return (v) => x0 + ((Math.log10(Math.max(v, first)) - a) / (b - a)) * (x1 - x0);
  }
  return (v) => x0 + ((v - first) / (last - first)) * (x1 - x0);
}

// ---------------------------------------------------------------------------------------------------
// Text: the layout cannot measure text without a browser, so it estimates generously (0.6 em a
// character is wider than the average of the theme's sans-serif, digits included) and wraps on that.

export const charWidth = (fontSize: number): number => fontSize * 0.6;
export const textWidth = (s: string, fontSize: number): number => s.length * charWidth(fontSize);

/** Greedy word wrap to lines of at most `maxChars` characters; a longer word is cut. */
export function wrapText(s: string, maxChars: number): string[] {
  const max = Math.max(4, Math.floor(maxChars));
  const lines: string[] = [];
  let line = '';
  for (let word of s.split(/\s+/).filter(Boolean)) {
    while (word.length > max) {
      if (line) lines.push(line);
      lines.push(word.slice(0, max));
      word = word.slice(max);
      line = '';
    }
    if (!line) line = word;
    else if (line.length + 1 + word.length <= max) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

// ---------------------------------------------------------------------------------------------------
// Scene: what the SVG draws, in the chart's own pixels (viewBox = 0 0 width height, so text keeps its size).

export type TextRole = 'label' | 'value' | 'tick' | 'axis' | 'mark';
export interface SceneText {
  x: number;
  y: number;
  text: string;
  anchor: 'start' | 'middle' | 'end';
  role: TextRole;
  size: number;
  tone?: Tone;
}
export interface SceneRect {
  x: number;
  y: number;
  width: number;
  height: number;
  tone: Tone;
}
export interface SceneLine {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  role: 'grid' | 'axis' | 'mark' | 'steady';
  tone?: Tone;
}
export interface ScenePath {
  d: string;
  tone: Tone;
}
export interface LegendEntry {
  tone: Tone;
  text: string;
  /** Drawn as a bar, a line, or a dashed line. */
  swatch: 'bar' | 'line' | 'dashed';
}
export interface Scene {
  width: number;
  height: number;
  rects: SceneRect[];
  lines: SceneLine[];
  paths: ScenePath[];
  texts: SceneText[];
  legend: LegendEntry[];
}

/** Below this width labels go above their bars instead of beside them. */
export const NARROW = 520;
const LABEL_SIZE = 13;
const VALUE_SIZE = 12;
const TICK_SIZE = 11;
const LINE_H = 16;
const BAR_H = 18;
const ROW_GAP = 10;

const r1 = (n: number): number => Math.round(n * 10) / 10;
const tone = (peer: boolean): Tone => (peer ? 'peer' : 'ours');

/** The scene for a chart at `width` px: its time series when it has one, else its bars. */
export function layoutChart(chart: Chart, width: number): Scene {
  const w = Math.max(240, Math.round(width));
  return chart.series ? layoutSeries(chart, chart.series, w) : layoutBars(chart, w);
}

/**
 * Tick labels under an axis at `y`: centred on their tick, moved inside the chart at its edges, and
 * every other one dropped while two would overlap.
 */
function tickLabels(ticks: number[], x: (v: number) => number, y: number, width: number): SceneText[] {
  for (let every = 1; every <= ticks.length; every++) {
    const out: SceneText[] = [];
    let right = -Infinity;
    let ok = true;
    ticks.forEach((t, i) => {
      if (i % every !== 0 && i !== ticks.length - 1) return;
      const label = formatTick(t);
      const w = textWidth(label, TICK_SIZE);
      const cx = x(t);
      let anchor: SceneText['anchor'] = 'middle';
      let left = cx - w / 2;
      if (left < 0) [anchor, left] = ['start', Math.max(0, cx)];
      else if (cx + w / 2 > width) [anchor, left] = ['end', cx - w];
      if (left < right + 6) {
        if (i === ticks.length - 1) ok = false;
        return;
      }
      right = left + w;
      out.push({ x: r1(anchor === 'start' ? left : cx), y, text: label, anchor, role: 'tick', size: TICK_SIZE });
    });
    if (ok) return out;
  }
  return [];
}

export function layoutBars(chart: Chart, width: number): Scene {
  const narrow = width < NARROW;
  const { bars, metric } = chart;
  const valueW = Math.max(...bars.map((b) => textWidth(formatValue(b.value, metric), VALUE_SIZE))) + 8;
  const labelGap = 10;
  const longest = Math.max(...bars.map((b) => textWidth(b.name, LABEL_SIZE)));
  // Wide: a label column on the left, wrapped at 40% of the width. Narrow: labels above the bars.
  const labelW = narrow ? 0 : Math.min(longest, width * 0.4 - labelGap) + labelGap;
  const maxChars = narrow ? width / charWidth(LABEL_SIZE) : (labelW - labelGap) / charWidth(LABEL_SIZE);
  const plotX = narrow ? 1 : labelW;
  const plotW = width - plotX - valueW;

  const values = bars.map((b) => b.value);
  const count = Math.max(2, Math.floor(plotW / 70));
  const ticks = chart.scale === 'log' ? logTicks(Math.min(...values), Math.max(...values)) : linearTicks(Math.max(...values), count);
  const x = scaleFor(chart.scale, ticks, plotX, plotX + plotW);

  const rects: SceneRect[] = [];
  const texts: SceneText[] = [];
  const lines: SceneLine[] = [];
  let y = 4;
  for (const bar of bars) {
    const label = wrapText(bar.name, maxChars);
    const t = tone(bar.peer);
    let barY: number;
    if (narrow) {
      label.forEach((l, i) => texts.push({ x: 0, y: r1(y + LINE_H * 0.75 + i * LINE_H), text: l, anchor: 'start', role: 'label', size: LABEL_SIZE, tone: t }));
      barY = y + label.length * LINE_H + 2;
      y = barY + BAR_H + ROW_GAP;
    } else {
      const rowH = Math.max(BAR_H, label.length * LINE_H);
      const textTop = y + (rowH - label.length * LINE_H) / 2;
      label.forEach((l, i) => texts.push({ x: r1(labelW - labelGap), y: r1(textTop + LINE_H * 0.75 + i * LINE_H), text: l, anchor: 'end', role: 'label', size: LABEL_SIZE, tone: t }));
      barY = y + (rowH - BAR_H) / 2;
      y += rowH + ROW_GAP;
    }
    const end = x(bar.value);
    rects.push({ x: r1(plotX), y: r1(barY), width: r1(Math.max(1, end - plotX)), height: BAR_H, tone: t });
    texts.push({ x: r1(Math.max(end, plotX + 1) + 4), y: r1(barY + BAR_H / 2 + VALUE_SIZE * 0.35), text: formatValue(bar.value, metric), anchor: 'start', role: 'value', size: VALUE_SIZE, tone: t });
  }
  const axisY = y - ROW_GAP + 4;
  for (const tk of ticks) lines.push({ x1: r1(x(tk)), y1: 0, x2: r1(x(tk)), y2: r1(axisY), role: 'grid' });
  lines.push({ x1: r1(plotX), y1: r1(axisY), x2: r1(plotX + plotW), y2: r1(axisY), role: 'axis' });
  texts.push(...tickLabels(ticks, x, r1(axisY + 15), width));
  const axisTitle = `${chart.unit}${chart.scale === 'log' ? ' (log scale: each gridline 10×)' : ''}`;
  const titleLines = wrapText(axisTitle, (width - plotX) / charWidth(TICK_SIZE));
  titleLines.forEach((l, i) => texts.push({ x: r1(plotX), y: r1(axisY + 31 + i * 14), text: l, anchor: 'start', role: 'axis', size: TICK_SIZE }));

  const legend: LegendEntry[] = bars.some((b) => b.peer)
    ? [
        { tone: 'ours', text: 'prefork (this workbook)', swatch: 'bar' },
        { tone: 'peer', text: 'peer, measured in the same run', swatch: 'bar' },
      ]
    : [];
  return { width, height: r1(axisY + 24 + titleLines.length * 14), rects, lines, paths: [], texts, legend };
}

/** A step path: each bucket drawn flat from its start to the next one's; a gap in time lifts the pen. */
export function stepPath(points: [number, number][], bucket: number, x: (t: number) => number, y: (v: number) => number): string {
  let d = '';
  let prevEnd = -Infinity;
  for (const [t, v] of points) {
    const x0 = r1(x(t));
    const x1 = r1(x(t + bucket));
    const yy = r1(y(v));
    d += Math.abs(t - prevEnd) < bucket / 2 ? `V${yy}H${x1}` : `${d ? ' ' : ''}M${x0} ${yy}H${x1}`;
    prevEnd = t + bucket;
  }
  return d;
}

export function layoutSeries(chart: Chart, series: Series, width: number): Scene {
  const narrow = width < NARROW;
  const plotH = narrow ? 170 : 220;
  // The y axis title on top, wrapped, then a row for the mark labels.
  const title = wrapText(series.what, width / charWidth(TICK_SIZE));
  const top = title.length * 14 + 20;
  const all = series.lines.flatMap((l) => [...l.points.map((p) => p[1]), ...(l.steady ? [l.steady] : [])]);
  const yTicks = linearTicks(Math.max(1, ...all), narrow ? 4 : 5);
  const plotX = Math.max(...yTicks.map((t) => textWidth(formatTick(t), TICK_SIZE))) + 8;
  const plotW = width - plotX - 8;
  const end = series.durationSeconds;
  const xTicks = linearTicks(end, Math.max(2, Math.floor(plotW / 50)), [1, 2, 5]); // seconds: no 2.5
  const xMax = xTicks[xTicks.length - 1]!;
  const x = scaleFor('linear', xTicks, plotX, plotX + plotW);
  const y = scaleFor('linear', yTicks, top + plotH, top);
  const bottom = top + plotH;

  const lines: SceneLine[] = [];
  const texts: SceneText[] = [];
  title.forEach((l, i) => texts.push({ x: 0, y: 12 + i * 14, text: l, anchor: 'start', role: 'axis', size: TICK_SIZE }));
  for (const t of yTicks) {
    lines.push({ x1: r1(plotX), y1: r1(y(t)), x2: r1(plotX + plotW), y2: r1(y(t)), role: 'grid' });
    texts.push({ x: r1(plotX - 6), y: r1(y(t) + TICK_SIZE * 0.35), text: formatTick(t), anchor: 'end', role: 'tick', size: TICK_SIZE });
  }
  lines.push({ x1: r1(plotX), y1: r1(bottom), x2: r1(plotX + plotW), y2: r1(bottom), role: 'axis' });
  texts.push(...tickLabels(xTicks, x, r1(bottom + 15), width));
  texts.push({ x: r1(plotX), y: r1(bottom + 31), text: `seconds into the ${end} s round`, anchor: 'start', role: 'axis', size: TICK_SIZE });

  // The moments of the signal: one dashed line each, labelled where there is room.
  const markLabelW = textWidth(series.markLabel, 10);
  let lastLabelRight = -Infinity;
  const marks = [...new Set(series.lines.flatMap((l) => l.marks.map((m) => Math.round(m * 20) / 20)))].sort((a, b) => a - b);
  for (const m of marks.filter((m) => m <= xMax)) {
    const mx = r1(x(m));
    lines.push({ x1: mx, y1: top - 6, x2: mx, y2: r1(bottom), role: 'mark' });
    const left = Math.min(Math.max(0, mx - markLabelW / 2), width - markLabelW);
    if (left > lastLabelRight + 4) {
      texts.push({ x: r1(left + markLabelW / 2), y: top - 10, text: series.markLabel, anchor: 'middle', role: 'mark', size: 10 });
      lastLabelRight = left + markLabelW;
    }
  }

  const paths: ScenePath[] = [];
  const legend: LegendEntry[] = [];
  for (const l of series.lines) {
    const t = tone(l.peer);
    const inside = l.points.filter(([s]) => s + series.bucketSeconds <= xMax + 1e-9);
    paths.push({ d: stepPath(inside, series.bucketSeconds, x, y), tone: t });
    legend.push({ tone: t, text: l.name, swatch: 'line' });
    if (l.steady !== null) {
      lines.push({ x1: r1(plotX), y1: r1(y(l.steady)), x2: r1(plotX + plotW), y2: r1(y(l.steady)), role: 'steady', tone: t });
      legend.push({ tone: t, text: `${l.name.split(',')[0]} without signals: ${thousands(l.steady)} ${chart.metric === 'rssMb' ? 'MB' : 'req/s'}`, swatch: 'dashed' });
    }
  }
  return { width, height: r1(bottom + 38), rects: [], lines, paths, texts, legend };
}

// ---------------------------------------------------------------------------------------------------
// Words: what a screen reader hears (the SVG's aria-label) and the caption under the picture.

const unitShort = (m: Metric): string => (m === 'rssMb' ? 'resident memory in MB' : 'requests per second');
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export function ariaLabel(chart: Chart): string {
  const when = `Measured on ${chart.machine}, ${chart.measuredAt}.`;
  if (chart.series) {
    const s = chart.series;
    const marks = [...new Set(s.lines.flatMap((l) => l.marks.map((m) => m.toFixed(1))))];
    const each = s.lines.map((l) => {
      const vs = l.points.map((p) => p[1]);
      return `${l.name}${l.peer ? ' (peer)' : ''}: from ${thousands(Math.min(...vs))} to ${thousands(Math.max(...vs))}, ${thousands(mean(vs))} on average${l.steady !== null ? `, against ${thousands(l.steady)} without signals` : ''}`;
    });
    return `Step chart of ${s.what} over a ${s.durationSeconds} s round${marks.length ? `, ${s.markLabel} sent at ${marks.join(', ')} s` : ''}. ${each.join('. ')}. ${when}`;
  }
  const each = chart.bars.map((b) => `${b.name}${b.peer ? ' (peer)' : ''}: ${formatValue(b.value, chart.metric)}${chart.metric === 'rssMb' ? ' MB' : ''}`);
  return `Bar chart, ${unitShort(chart.metric)}${chart.scale === 'log' ? ' on a log scale' : ''}. ${each.join('; ')}. ${when}`;
}

/** The caption under the chart, one entry a line: title, where and when, how, ratios against the peer. */
export function captionLines(chart: Chart): { title: string; measured: string; method: string; ratios: string[] } {
  return {
    title: chart.title,
    measured: `measured on ${chart.machine}, ${chart.measuredAt}`,
    method: chart.method,
    ratios: chart.peerRatios.map(formatRatio),
  };
}
