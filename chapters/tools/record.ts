// @chapter 5
// `npm run chapter N -- --record FILE`: the stage runs as usual, and every process of every server it
// starts appends what it does to a temp file (PREFORK_TRACE, src/log/trace.ts), the stage its headings
// too. When the stage ends, however it ends, the lines become one JSON file that the site's playground
// replays (docs/.vitepress/playground/recording.ts reads it). What the processes wrote is kept as it is:
// sorted by time, nothing added; only heartbeats may be thinned, and the file says so.
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chapters } from '../index.ts';

export const RECORDING_FORMAT = 'prefork-recording/1';

// Paths in log lines (a stack trace) name the checkout, here .cuts/NN or the repository: a recording
// says <repo> instead, so that a shipped file carries no one's home directory.
const cutRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const roots = [cutRoot, cutRoot.replace(/[\\/]\.cuts[\\/]\d+$/, '')].map((r) => JSON.stringify(r).slice(1, -1));
const withoutRoot = (line: string): string => roots.reduce((l, r) => l.split(r).join('<repo>'), line);
/** Above this, heartbeat steps are thinned (a stage of chapter 8 or 9 beats many times a second). */
export const MAX_BYTES = 400_000;
/** When thinning: at most one heartbeat step per worker per this many ms. */
export const HEARTBEAT_GAP_MS = 500;

/** One line of the trace, loosely: the recorder sorts and counts, the site's loader checks the shape. */
interface Entry {
  t: number;
  pid: number;
  kind: string;
  event?: { type?: string; pid?: number };
  effects?: unknown[];
}

interface Active {
  file: string;
  dir: string;
  trace: string;
  chapter: number;
  title: string;
  command: string;
}

let active: Active | null = null;

/**
 * Starts recording into `file` (relative to where `npm run` was typed): sets PREFORK_TRACE, which every
 * server the stage starts inherits (startPrefork, and the stages that spawn `prefork` themselves, pass
 * process.env on; a master started by USR2 inherits it from its parent), and writes `file` at exit.
 */
export function startRecording(file: string, stageFile = process.argv[1] ?? ''): void {
  const target = resolve(process.env.INIT_CWD ?? process.cwd(), file);
  if (!existsSync(dirname(target)) || !statSync(dirname(target)).isDirectory()) {
    console.error(`--record: there is no folder ${dirname(target)} to write ${file} into`);
    process.exit(2);
  }
  // The chapter, from the stage's path (chapters/NN-slug/stage.ts); 0 if it is not a chapter's stage.
  const number = Number(/(\d\d)-[^\\/]+[\\/]stage\.ts$/.exec(stageFile)?.[1] ?? 0);
  const chapter = chapters.find((c) => c.number === number);
  const dir = mkdtempSync(join(os.tmpdir(), 'prefork-record-'));
  const trace = join(dir, 'trace.jsonl');
  writeFileSync(trace, '');
  process.env.PREFORK_TRACE = trace;
  const command = process.env.PREFORK_RECORD_COMMAND ?? ['node', relative(process.cwd(), stageFile), ...process.argv.slice(2)].join(' ');
  active = { file: target, dir, trace, chapter: number, title: chapter?.title ?? '', command };
  // 'exit' comes however the stage ends: --once done, Ctrl-C or TERM (stopOnSignals), an error exit.
  process.on('exit', finish);
}

/** The stage's headings go into the recording, so the site can tell which part of the stage a server belongs to. */
export function recordStage(text: string): void {
  if (!active) return;
  try {
    appendFileSync(active.trace, `${JSON.stringify({ t: Date.now(), pid: process.pid, kind: 'stage', text })}\n`);
  } catch {
    // recording must never break the stage
  }
}

function finish(): void {
  if (!active) return;
  const { file, dir, trace } = active;
  try {
    const { text, entries, dropped } = recordingText(readFileSync(trace, 'utf8'), active);
    writeFileSync(file, text);
    const thinned = dropped ? `; ${dropped} heartbeat steps thinned out` : '';
    const shown = relative(process.cwd(), file);
    console.log(`\nrecorded ${entries} entries (${Math.round(text.length / 1024)} KB${thinned}) into ${shown.startsWith('..') ? file : shown}`);
  } catch (err) {
    console.error(`--record: could not write ${file}: ${(err as Error).message}`);
    process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    active = null;
  }
}

/** The recording's JSON: the header, then one entry a line (readable, and diffs stay small). */
export function recordingText(
  jsonl: string,
  meta: { chapter: number; title: string; command: string },
): { text: string; entries: number; dropped: number } {
  const parsed: Entry[] = [];
  let unreadable = 0;
  for (const line of jsonl.split('\n')) {
    if (!line.trim()) continue;
    try {
      parsed.push(JSON.parse(withoutRoot(line)) as Entry);
    } catch {
      unreadable++; // a process killed in the middle of a write; never seen with one write per line
    }
  }
  // Several processes append to one file: a line can land a moment after a later one. Array sort is stable.
  const sorted = parsed.sort((a, b) => a.t - b.t);
  const cpus = os.cpus();
  const header = {
    format: RECORDING_FORMAT,
    chapter: meta.chapter,
    title: meta.title,
    recordedAt: new Date().toISOString(),
    machine: { cores: cpus.length, cpu: cpus[0]?.model.trim() ?? 'unknown', os: `${os.type()} ${os.release()} (${os.arch()})`, memoryGb: Math.round(os.totalmem() / 2 ** 30) },
    node: process.version,
    command: meta.command,
    ...(unreadable ? { unreadableLines: unreadable } : {}),
  };
  let text = render(header, sorted);
  if (text.length <= MAX_BYTES) return { text, entries: sorted.length, dropped: 0 };
  const kept = thinHeartbeats(sorted);
  const dropped = sorted.length - kept.length;
  text = render({ ...header, thinned: { heartbeats: dropped, rule: `at most one heartbeat step per worker per ${HEARTBEAT_GAP_MS} ms; the steps left out decided nothing` } }, kept);
  return { text, entries: kept.length, dropped };
}

/**
 * Leaves out heartbeat steps that decided nothing (no effects) and came less than HEARTBEAT_GAP_MS after
 * the last one kept for the same worker of the same master. Every other entry stays.
 */
export function thinHeartbeats<T extends Entry>(entries: T[]): T[] {
  const last = new Map<string, number>();
  return entries.filter((e) => {
    if (e.kind !== 'step' || e.event?.type !== 'heartbeat' || (e.effects?.length ?? 0) > 0) return true;
    const key = `${e.pid}:${e.event.pid}`;
    const before = last.get(key);
    if (before !== undefined && e.t - before < HEARTBEAT_GAP_MS) return false;
    last.set(key, e.t);
    return true;
  });
}

function render(header: object, entries: Entry[]): string {
  const head = JSON.stringify(header, null, 2).replace(/\n}$/, '');
  const body = entries.map((e) => `    ${JSON.stringify(e)}`).join(',\n');
  return `${head},\n  "entries": [\n${body}${entries.length ? '\n' : ''}  ]\n}\n`;
}
