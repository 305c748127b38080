// @chapter 10
// Differential parsing: the same bytes to our parser and to Node's llhttp (a node:http server with
// its default options), on a hand-written corpus of RFC 9112 edge cases and on requests from the
// fuzzer's grammar. Both must accept or both refuse, and what both accept must read the same: method,
// target, version, headers (names case-insensitively, values, order, repeats) and body. Every
// disagreement we mean is listed, with its RFC rule, in docs/data/parser-differences.json; the test
// fails on a disagreement that is not listed, and on a listed one that no longer happens.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS } from './corpus.ts';
import { fuzzCase, serialize, validRequest } from './grammar.ts';
import { disagreement, LlhttpReader, ourReading, summary, type Reading } from './readings.ts';

type Part = string | { repeat: string; times: number };
interface Difference {
  name: string;
  request: string | Part[];
  ours: string;
  llhttp: string;
  rule: string;
  reason: string;
}

const file = join(import.meta.dirname, '..', '..', 'docs', 'data', 'parser-differences.json');
const LISTED = (JSON.parse(readFileSync(file, 'utf8')) as { differences: Difference[] }).differences;
const SEED = Number(process.env.PREFORK_FUZZ_SEED ?? 20261010);
/** Generated cases: valid requests from the grammar, and mutated ones. */
const VALID = 2000;
const MUTATED = 2000;

const bytesOf = (request: Difference['request']): Buffer =>
  Buffer.from((typeof request === 'string' ? [request] : request).map((p) => (typeof p === 'string' ? p : p.repeat.repeat(p.times))).join(''), 'latin1');
const show = (bytes: Buffer): string => JSON.stringify(bytes.toString('latin1').slice(0, 300)) + (bytes.length > 300 ? `... (${bytes.length} bytes)` : '');

const reader = new LlhttpReader();
beforeAll(() => reader.start());
afterAll(() => reader.close());

describe('differential parsing against llhttp (node:http, default options)', () => {
  it('every listed difference still happens, as listed', async () => {
    const stale: string[] = [];
    for (const d of LISTED) {
      const bytes = bytesOf(d.request);
      const found = disagreement(ourReading(bytes), await reader.read(bytes));
      if (found !== `${d.ours} / ${d.llhttp}`) stale.push(`${d.name}: listed as "${d.ours} / ${d.llhttp}", now ${found === null ? 'both agree' : `"${found}"`}`);
    }
    expect(stale, `update docs/data/parser-differences.json:\n${stale.join('\n')}`).toEqual([]);
    expect(new Set(LISTED.map((d) => d.name)).size, 'names are unique').toBe(LISTED.length);
    for (const d of LISTED) expect(d.rule, `${d.name}: the RFC rule`).toMatch(/^RFC \d+ /);
  });

  it(`the corpus (${CORPUS.length} cases) and ${VALID + MUTATED} generated requests: both accept or both refuse, and read the same; or a listed difference`, async () => {
    const kinds = new Map(LISTED.map((d) => [`${d.ours} / ${d.llhttp}`, d.name]));
    const cases: { label: string; bytes: Buffer; valid?: boolean }[] = [
      ...CORPUS.map(([name, text]) => ({ label: `corpus: ${name}`, bytes: Buffer.from(text, 'latin1') })),
      ...fc.sample(validRequest, { seed: SEED, numRuns: VALID }).map((r, i) => ({ label: `valid #${i} (seed ${SEED})`, bytes: serialize(r), valid: true })),
      ...fc.sample(fuzzCase, { seed: SEED, numRuns: MUTATED }).map((c, i) => ({ label: `mutated #${i} (seed ${SEED}, ${c.how})`, bytes: c.bytes })),
    ];
    const tally = { agree: 0, bothAccept: 0, listed: 0, validAccepted: 0, valid: 0 };
    const seen = new Map<string, number>();
    const unlisted: string[] = [];
    for (const c of cases) {
      const ours = ourReading(c.bytes);
      const theirs: Reading = await reader.read(c.bytes);
      const d = disagreement(ours, theirs);
      if (c.valid) {
        tally.valid++;
        if (d === null && ours.messages.length > 0) tally.validAccepted++;
      }
      if (d === null) {
        tally.agree++;
        if (ours.messages.length > 0) tally.bothAccept++;
      } else if (kinds.has(d)) {
        tally.listed++;
        seen.set(d, (seen.get(d) ?? 0) + 1);
      } else if (unlisted.length < 15) unlisted.push(`${c.label}: ${d}\n  ours: ${summary(ours)}; llhttp: ${summary(theirs)}\n  request ${show(c.bytes)}`);
      else unlisted.push('');
    }
    console.log(
      `differential: ${cases.length + LISTED.length} cases tried (${CORPUS.length} corpus, ${VALID} valid and ${MUTATED} mutated generated, seed ${SEED}; ${LISTED.length} listed): ` +
        `${tally.agree} agree (${tally.bothAccept} accepted by both, the rest refused by both), ${tally.listed} listed disagreements ` +
        `(${seen.size} of the ${LISTED.length} listed kinds), ${unlisted.length} unlisted; fixed in the parser: 0 (the fuzzer's finding is in test/http/parser.test.ts)`,
    );
    for (const [kind, n] of [...seen].sort((a, b) => b[1] - a[1])) console.log(`  ${n} x ${kinds.get(kind)}`);
    expect(unlisted.filter(Boolean), `${unlisted.length} disagreements not in docs/data/parser-differences.json (fix the parser, or list them with their rule):\n${unlisted.join('\n')}`).toEqual([]);
    // The harness reads what it should: nearly every valid request is accepted by both, identically.
    expect(tally.validAccepted).toBeGreaterThan(0.9 * tally.valid);
  }, 120_000);
});
