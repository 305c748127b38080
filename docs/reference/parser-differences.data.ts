// Build-time data for the parser-differences page: docs/data/parser-differences.json, the same file
// test/hardening/differential.test.ts checks against llhttp, so the page cannot drift from the tests.
import { readFileSync } from 'node:fs';

type Part = string | { repeat: string; times: number };

export interface DifferenceRow {
  name: string;
  /** The request bytes, with CR, LF and every other invisible byte written as an escape. */
  request: string;
  ours: string;
  llhttp: string;
  rule: string;
  reason: string;
}

declare const data: DifferenceRow[];
export { data };

/** Bytes as readable text: \r \n \t, \xNN for the rest outside printable ASCII; repeats as a{×N} or (...){×N}. */
function show(part: Part): string {
  if (typeof part !== 'string') {
    const unit = show(part.repeat);
    if (part.repeat.length === 1) return `${unit}{×${part.times}}`;
    return `(${unit.length > 16 ? `${unit.slice(0, 16)}…` : unit}){×${part.times}}`;
  }
  return part.replace(/[^\x20-\x7e]/g, (c) => {
    if (c === '\r') return '\\r';
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

export default {
  watch: ['../data/parser-differences.json'],
  load(files: string[]): DifferenceRow[] {
    const { differences } = JSON.parse(readFileSync(files[0]!, 'utf8')) as { differences: (Omit<DifferenceRow, 'request'> & { request: string | Part[] })[] };
    return differences.map((d) => ({ ...d, request: (typeof d.request === 'string' ? [d.request] : d.request).map(show).join('') }));
  },
};
