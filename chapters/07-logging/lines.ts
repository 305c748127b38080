// The lines the writers write, and how to check them: every line says who wrote it and its number, and
// has a length that depends on both, so a line cut or overwritten by another one is recognised as torn.

/** "P2 L417 xxxx…\n": 40 to 199 x's, a different length for each line. */
export function lineFor(id: number, seq: number): string {
  return `P${id} L${seq} ${'x'.repeat(40 + ((seq * 37 + id * 11) % 160))}\n`;
}

export interface Count {
  /** Lines the writers wrote, all together. */
  written: number;
  /** Lines found whole, each once. */
  intact: number;
  /** Lines written but found nowhere whole. */
  lost: number;
  /** Text that is not a whole line: pieces of lines cut or overwritten by another process. */
  torn: number;
  /** Lines found whole more than once. */
  duplicated: number;
}

const LINE = /^P(\d+) L(\d+) (x+)$/;

/** Checks the contents of the log files (the live one and any rotated ones) against what was written. */
export function countLines(texts: string[], processes: number, linesEach: number): Count {
  const seen = new Set<string>();
  let torn = 0;
  let duplicated = 0;
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const m = LINE.exec(line);
      if (!m || lineFor(Number(m[1]), Number(m[2])) !== `${line}\n` || Number(m[1]) >= processes || Number(m[2]) >= linesEach) {
        torn++;
        continue;
      }
      const key = `${m[1]}:${m[2]}`;
      if (seen.has(key)) duplicated++;
      else seen.add(key);
    }
  }
  const written = processes * linesEach;
  return { written, intact: seen.size, lost: written - seen.size, torn, duplicated };
}
