// @chapter 10
// The request parser under a seeded fuzzer: first in process (a fast-check property with shrinking),
// then 100,000 generated and mutated requests over real sockets against a running prefork.
//
// Reproduce a run: PREFORK_FUZZ_SEED=<the seed printed> npx vitest run test/hardening/fuzz.test.ts
// A shorter run while working: PREFORK_FUZZ_COUNT=10000.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpError } from '../../src/http/errors.ts';
import { normaliseLimits, type Limits } from '../../src/http/limits.ts';
import { RequestParser } from '../../src/http/parser.ts';
import { killAll, startPrefork } from '../arbiter/server.ts';
import { exchange, expectFor, type Expectation, type Outcome } from './exchange.ts';
import { fuzzCase, type Case } from './grammar.ts';

const SEED = Number(process.env.PREFORK_FUZZ_SEED ?? 20261010);
const COUNT = Number(process.env.PREFORK_FUZZ_COUNT ?? 100_000);
const BATCH = 10_000;
/** Connections in flight at once. */
const LANES = 64;
/** One exchange, from connect to close, on a loaded 2-core machine: normally a few milliseconds. */
const DEADLINE_MS = 15_000;
const app = join(import.meta.dirname, 'fixtures', 'app.ts');

console.log(`fuzz seed: ${SEED} (PREFORK_FUZZ_SEED=${SEED} reproduces this run)`);
afterAll(killAll);

// #region property
/**
 * Feeds `bytes` to a parser in the pieces that `cuts` makes, asking for heads and body bytes after
 * each piece as a connection does. Returns what came out, one line per event. Throws (failing the
 * property) if the parser throws anything but an HttpError, loops, or takes bytes back.
 */
function drive(bytes: Buffer, cuts: number[], limits: Limits): string[] {
  const p = new RequestParser(limits);
  const events: string[] = [];
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces = [...points, bytes.length].map((end, i) => bytes.subarray(i === 0 ? 0 : points[i - 1], end));
  let body: Buffer[] | null = null;
  let steps = 0;
  try {
    for (const piece of pieces) {
      const before = p.buffered;
      p.feed(piece);
      if (p.buffered !== before + piece.length) throw new Error(`feed kept ${p.buffered - before} of ${piece.length} bytes`);
      for (;;) {
        // Each step hands out a head or some bytes, or stops: more steps than bytes is a loop.
        if (++steps > 2 * bytes.length + 20) throw new Error('the parser loops');
        const had = p.buffered;
        if (body) {
          const out = p.readBody();
          if (p.buffered > had) throw new Error('readBody took bytes back');
          body.push(...out.data);
          if (out.done) {
            events.push(`body ${JSON.stringify(Buffer.concat(body).toString('latin1'))}`);
            body = null;
          } else if (p.buffered === had) break; // needs more bytes
          continue;
        }
        const head = p.nextHead();
        if (p.buffered > had) throw new Error('nextHead took bytes back');
        if (head === null) break;
        events.push(`head ${head.method} ${head.target} ${head.version.join('.')} ${JSON.stringify(head.headers)} ${JSON.stringify(head.framing)} ${head.keepAlive}`);
        if (p.inBody) body = [];
      }
    }
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    events.push(`error ${err.status}`);
    return events;
  }
  events.push(p.midRequest ? 'incomplete' : 'end');
  return events;
}
// #endregion property

/** A case for a failure message: short, and every byte visible. */
const show = (bytes: Buffer): string => JSON.stringify(bytes.toString('latin1').slice(0, 400)) + (bytes.length > 400 ? `... (${bytes.length} bytes)` : '');

/** Resident memory of a process, in KiB, from /proc (Linux). */
function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** Hand-picked extremes, sent before the generated cases: sizes a generator rarely reaches. */
function extremes(): Case[] {
  const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
  const big = (s: string): Case => ({ how: `extreme: ${s.slice(0, 40)}`, bytes: Buffer.from(s, 'latin1') });
  return [
    big(`GET /${'a'.repeat(1 << 20)} HTTP/1.1\r\nHost: x\r\n\r\n`), // 1 MiB request line: 414 at 4 KiB
    big(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(1 << 20)}\r\n\r\n`), // 1 MiB header value: 431 at 8 KiB
    big(`GET / HTTP/1.1\r\nHost: x\r\n${'X-F: 1\r\n'.repeat(5000)}\r\n`), // 5,000 fields: 431 at the 101st
    big('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10737418240\r\n\r\nhello'), // 10 GB announced, 5 bytes sent
    big(`POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${'5\r\nhello\r\n'.repeat(2000)}`), // a chunked body that never ends
    big(get('/').repeat(200)), // 200 pipelined requests in one write
    big(`${'\r\n'.repeat(5000)}${get('/')}`), // empty lines before a request line
    big(`POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n${'z'.repeat(200000)}${get('/')}`), // unread body over the drain cap
    big(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n${'z'.repeat(100000)}${get('/after')}`),
    { how: 'extreme: every byte value', bytes: Buffer.from(Array.from({ length: 256 }, (_, i) => i)) },
    big(`GET / HTTP/1.1\r\nHost: x\r\n${'X: y\r\n'.repeat(99)}\r\n`), // 100 fields with Host: the limit, accepted
    big(`GET /${'a'.repeat(4089)} HTTP/1.1\r\nHost: x\r\n\r\n`), // a 4094-byte request line: the limit, accepted
    big(`GET / HTTP/1.1\r\nHost: x\r\nX: ${'v'.repeat(8185)}\r\n\r\n`), // an 8190-byte field line: the limit, accepted
  ];
}

describe('fuzzing the request parser', () => {
  it('in process: never throws anything but HttpError, never loops, never takes bytes back, and answers the same however the bytes are split', () => {
    const limits = fc.oneof(
      fc.constant(normaliseLimits()),
      // tiny limits, so that short inputs reach them often
      fc.record({ requestLine: fc.integer({ min: 0, max: 120 }), fields: fc.integer({ min: 1, max: 6 }), fieldSize: fc.integer({ min: 10, max: 120 }) }).map((l) => normaliseLimits(l)),
    );
    const pieces = ['\r\n', '\r', '\n', ' ', '\t', ':', ';', '0', 'GET / HTTP/1.1\r\n', 'Host: x\r\n', 'Transfer-Encoding: chunked\r\n', 'Content-Length: 3\r\n', '\r\n\r\n', '5;a=b\r\n', 'abc'];
    const bytes = fc.oneof(
      { weight: 4, arbitrary: fuzzCase.map((c) => c.bytes) },
      { weight: 1, arbitrary: fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 4 })), { maxLength: 30 }).map((a) => Buffer.from(a.join(''), 'latin1')) },
    );
    const runs = 20_000;
    const started = performance.now();
    const details = fc.check(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 8 }), limits, (input, cuts, l) => {
        const whole = drive(input, [], l);
        const split = drive(input, cuts, l);
        if (whole.join('\n') !== split.join('\n')) throw new Error(`whole: ${whole.at(-1)}; split: ${split.at(-1)}`);
      }),
      { seed: SEED, numRuns: runs },
    );
    const ms = Math.round(performance.now() - started);
    console.log(`property: ${details.numRuns} runs, ${details.numShrinks} shrinks, ${ms} ms`);
    if (details.failed) {
      const [input, cuts, l] = details.counterexample!;
      throw new Error(`RequestParser property failed (seed ${SEED}, path ${details.counterexamplePath}): ${String(details.errorInstance)}\n` + `bytes ${show(input)}, cuts [${cuts}], limits ${JSON.stringify(l)}`);
    }
    expect(details.numRuns).toBe(runs);
  });

  it(`${COUNT.toLocaleString('en')} generated and mutated requests over real sockets: well-formed answers or clean closes, no hang, no worker lost, memory bounded`, async () => {
    const server = await startPrefork([app, '-k', 'async', '-w', '2', '-b', '127.0.0.1:0'], { workers: 2 });
    const port = Number(new URL(server.url).port);
    const pids = server.workerPids();
    const rss = { boot: pids.map(rssKiB), warm: [] as number[], end: [] as number[] };

    const tally = { cases: 0, pairs: 0, unmutated: 0, answered: 0, closedWithoutAnswer: 0, incomplete: 0, resets: 0, failed: 0 };
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    const started = performance.now();

    /** Runs the cases with LANES connections in flight. */
    const run = async (cases: Case[], label: (i: number) => string): Promise<void> => {
      const expectations: Expectation[] = cases.map((c) => expectFor(c.bytes));
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < cases.length) {
          const i = next++;
          const c = cases[i]!;
          const o: Outcome = await exchange(port, c.bytes, expectations[i]!, DEADLINE_MS);
          tally.cases++;
          if (c.how.startsWith('pipelined')) tally.pairs++;
          if (c.how.endsWith('unmutated')) tally.unmutated++;
          if (!expectations[i]!.complete) tally.incomplete++;
          for (const s of o.statuses) statuses.set(s, (statuses.get(s) ?? 0) + 1);
          if (o.reset) tally.resets++;
          if (o.kind === 'answered') tally.answered++;
          else if (o.kind === 'closed') tally.closedWithoutAnswer++;
          else if (++tally.failed <= 20) failures.push(`${o.kind} (${label(i)}, ${c.how}): ${o.detail}\n  request ${show(c.bytes)}`);
        }
      };
      await Promise.all(Array.from({ length: LANES }, lane));
    };

    await run(extremes(), (i) => `extreme #${i}`);
    for (let batch = 0, sent = 0; sent < COUNT; batch++) {
      const n = Math.min(BATCH, COUNT - sent);
      sent += n;
      const cases = fc.sample(fuzzCase, { seed: SEED + batch, numRuns: n });
      await run(cases, (i) => `seed ${SEED + batch}, case ${i} of fc.sample(fuzzCase)`);
      if (batch === 0) rss.warm = pids.map(rssKiB);
      const s = (performance.now() - started) / 1000;
      console.log(`fuzz: ${tally.cases} cases in ${s.toFixed(1)} s (${Math.round(tally.cases / s)}/s), ${tally.failed} failures`);
    }
    rss.end = pids.map(rssKiB);

    const byStatus = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ');
    console.log(
      `fuzz: ${tally.cases} connections (${tally.pairs} pipelined pairs, ${tally.unmutated} unmutated), ${tally.answered} answered, ` +
        `${tally.closedWithoutAnswer} closed without an answer (${tally.incomplete} sent an incomplete request), ${tally.resets} ended by a reset after their answers, ${tally.failed} failed; ` +
        `responses by status: ${byStatus}`,
    );
    const mb = (k: number): string => (k / 1024).toFixed(1);
    console.log(`fuzz: worker RSS (MiB) at boot ${rss.boot.map(mb)}, after the first batch ${rss.warm.map(mb)}, at the end ${rss.end.map(mb)}`);

    expect(tally.failed, `${tally.failed} failed exchanges, the first ones:\n${failures.join('\n')}`).toBe(0);
    expect(tally.cases).toBeGreaterThanOrEqual(COUNT);
    // No worker died or was replaced, none timed out, nothing threw where only HttpError may.
    expect(server.workerPids()).toEqual(pids);
    expect(server.log()).not.toMatch(/Worker \(pid:\d+\)|WORKER TIMEOUT|\[ERROR\]|\[CRITICAL\]/);
    // Memory: what the fuzzing added after the first batch (JIT, pools) stays far below a leak.
    for (let i = 0; i < pids.length; i++) expect(rss.end[i]! - rss.warm[i]!).toBeLessThan(64 * 1024);
    // Every kind of answer was exercised.
    for (const s of [200, 400, 414, 417, 431, 501, 505]) expect(statuses.get(s) ?? 0, `responses with status ${s}`).toBeGreaterThan(0);
  }, 170_000);
});
