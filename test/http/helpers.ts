// @chapter 3
// Shared by the HTTP tests (test/http) and chapter 3's exercise tests.
import { HttpError } from '../../src/http/errors.ts';

/** The status of the HttpError that `run` throws, or 'ok'. Any other error (like "not implemented") fails the test. */
export function httpStatus(run: () => unknown): number | 'ok' {
  try {
    run();
    return 'ok';
  } catch (err) {
    if (err instanceof HttpError) return err.status;
    throw err;
  }
}

/** What a chunked decoder returns for each piece of input (src/http/chunked.ts, exercise 3.3). */
interface Decoder {
  push(input: Buffer): { data: Buffer[]; done: boolean; rest: Buffer | null };
}

/** Feeds the pieces in order; returns the decoded body, whether it is done, and the bytes after it. */
export function decodeChunks(decoder: Decoder, pieces: string[]): { body: string; done: boolean; rest: string } {
  let body = '';
  let rest = '';
  let done = false;
  for (const p of pieces) {
    const out = decoder.push(Buffer.from(p, 'latin1'));
    body += Buffer.concat(out.data).toString('latin1');
    done = out.done;
    if (out.rest) rest += out.rest.toString('latin1');
  }
  return { body, done, rest };
}
