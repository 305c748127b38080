// A recorded real run (`npm run chapter N -- --record FILE`, written by chapters/tools/record.ts): the
// trace lines of every process of every server a stage started, sorted by time, with the stage's
// headings. Pure TypeScript (no DOM, no node:): the playground reads it in the browser, tests in node.
import type { TraceEntry } from '../../../src/log/trace-shape.ts';

export type { TraceEntry };

export const RECORDING_FORMAT = 'prefork-recording/1';

export interface Recording {
  format: typeof RECORDING_FORMAT;
  chapter: number;
  /** The chapter's title. */
  title: string;
  /** ISO time the stage ended and the file was written. */
  recordedAt: string;
  machine: { cores: number; cpu: string; os: string; memoryGb: number };
  /** Node's version, e.g. v20.20.2. */
  node: string;
  /** How the run was made, e.g. `npm run chapter 5 -- --once --record docs/data/runs/05.json`. */
  command: string;
  /** Present when heartbeat steps were left out to keep the file small (the other entries are all there). */
  thinned?: { heartbeats: number; rule: string };
  /** Trace lines that could not be read (a process killed mid-write); normally absent. */
  unreadableLines?: number;
  /** In time order (ms since the epoch); equal times keep the order they were written in. */
  entries: TraceEntry[];
}

/** One server in a recording: a master (a pid that wrote `step` entries) and the workers it spawned. */
export interface Part {
  master: number;
  /**
   * The stage's heading current when the master wrote its first line; for a master started before the
   * stage printed any heading (chapter 5 starts its server first), the first heading written while it ran.
   */
  stage: string | null;
  /** Time span of the part's entries (ms since the epoch). */
  from: number;
  to: number;
  /** Pids of the workers it spawned ('spawned' events), in that order. */
  workers: number[];
  /** The master's entries and its workers' (steps, hooks, log lines), in time order. */
  entries: TraceEntry[];
}

export class RecordingError extends Error {}

const KINDS = ['step', 'hook', 'log', 'stage'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Checks that `json` (a parsed recording file) is a recording, entry by entry; throws a RecordingError that says what is wrong. */
export function parseRecording(json: unknown): Recording {
  const fail = (what: string): never => {
    throw new RecordingError(`not a prefork recording: ${what}`);
  };
  if (!isObject(json)) return fail('expected a JSON object');
  if (json.format !== RECORDING_FORMAT) {
    return fail(`"format" is ${JSON.stringify(json.format) ?? 'missing'}, expected "${RECORDING_FORMAT}" (written by npm run chapter N -- --record FILE)`);
  }
  const fields: [string, (v: unknown) => boolean, string][] = [
    ['chapter', isNumber, 'a number'],
    ['title', (v) => typeof v === 'string', 'a string'],
    ['recordedAt', (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)), 'an ISO date'],
    ['machine', (v) => isObject(v) && isNumber(v.cores) && typeof v.cpu === 'string' && typeof v.os === 'string' && isNumber(v.memoryGb), 'an object {cores, cpu, os, memoryGb}'],
    ['node', (v) => typeof v === 'string', 'a string'],
    ['command', (v) => typeof v === 'string', 'a string'],
    ['entries', Array.isArray, 'an array'],
  ];
  for (const [name, ok, expected] of fields) if (!ok(json[name])) fail(`"${name}" must be ${expected}`);
  (json.entries as unknown[]).forEach((e, i) => {
    const problem = entryProblem(e);
    if (problem) fail(`entries[${i}]: ${problem}`);
  });
  return json as unknown as Recording;
}

/** What is wrong with one entry, or null. */
function entryProblem(e: unknown): string | null {
  if (!isObject(e)) return 'expected an object';
  if (!isNumber(e.t) || !isNumber(e.pid)) return '"t" and "pid" must be numbers';
  switch (e.kind) {
    case 'step':
      if (!isObject(e.event) || typeof e.event.type !== 'string') return 'a step needs an "event" with a "type"';
      if (!Array.isArray(e.effects) || !e.effects.every((x) => isObject(x) && typeof x.type === 'string')) return 'a step needs "effects", each with a "type"';
      if (!Array.isArray(e.workers) || !e.workers.every((w) => isObject(w) && isNumber(w.age))) return 'a step needs "workers", each with an "age"';
      if (typeof e.phase !== 'string' || !isNumber(e.version)) return 'a step needs a "phase" and a "version"';
      return null;
    case 'hook':
      return typeof e.name === 'string' && Array.isArray(e.args) ? null : 'a hook needs a "name" and "args"';
    case 'log':
      return typeof e.level === 'string' && typeof e.message === 'string' ? null : 'a log line needs a "level" and a "message"';
    case 'stage':
      return typeof e.text === 'string' ? null : 'a stage heading needs a "text"';
    default:
      return `"kind" is ${JSON.stringify(e.kind)}, expected one of ${KINDS.join(', ')}`;
  }
}

/** Fetches and checks a recording (the site serves them as static JSON). */
export async function loadRecording(url: string, fetcher: typeof fetch = fetch): Promise<Recording> {
  const res = await fetcher(url);
  if (!res.ok) throw new RecordingError(`could not load the recording ${url}: HTTP ${res.status}`);
  return parseRecording(await res.json());
}

/**
 * The servers in a recording, in the order their masters started. A worker's entries go to the master
 * whose 'spawned' event named its pid (the latest one before the entry, should a pid be reused);
 * a master started by USR2 is a part of its own. Entries of no server (the stage's headings) stay out.
 */
export function parts(rec: Recording): Part[] {
  const masters = new Map<number, Part>();
  const spawns = new Map<number, { master: number; t: number }[]>();
  for (const e of rec.entries) {
    if (e.kind !== 'step') continue;
    if (!masters.has(e.pid)) masters.set(e.pid, { master: e.pid, stage: null, from: Infinity, to: -Infinity, workers: [], entries: [] });
    if (e.event.type === 'spawned') {
      const list = spawns.get(e.event.pid) ?? [];
      list.push({ master: e.pid, t: e.t });
      spawns.set(e.event.pid, list);
      masters.get(e.pid)!.workers.push(e.event.pid);
    }
  }
  const ownerOf = (e: TraceEntry): number | undefined => {
    if (masters.has(e.pid)) return e.pid;
    const list = spawns.get(e.pid);
    if (!list) return undefined;
    // A worker may write its first line a moment before its master logs 'spawned': then the first spawn.
    return (list.filter((s) => s.t <= e.t).at(-1) ?? list[0]!).master;
  };
  const headings = rec.entries.filter((e): e is Extract<TraceEntry, { kind: 'stage' }> => e.kind === 'stage');
  const firstOwn = new Map<number, number>();
  for (const e of rec.entries) {
    const owner = ownerOf(e);
    if (owner === undefined) continue;
    const part = masters.get(owner)!;
    if (owner === e.pid && !firstOwn.has(owner)) firstOwn.set(owner, e.t);
    part.entries.push(e);
    part.from = Math.min(part.from, e.t);
    part.to = Math.max(part.to, e.t);
  }
  for (const part of masters.values()) {
    const start = firstOwn.get(part.master)!;
    const before = headings.filter((h) => h.t <= start).at(-1);
    part.stage = (before ?? headings.find((h) => h.t <= part.to))?.text ?? null;
  }
  return [...masters.values()].sort((a, b) => a.from - b.from);
}
