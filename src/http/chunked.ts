// @chapter 3
// The chunked transfer coding (RFC 9112 section 7.1), decoded incrementally: bytes go in as they come
// off the socket, body bytes come out at once, so a body of any size streams to the app in constant
// memory.
//
//   chunked-body = *( chunk-size [ chunk-ext ] CRLF chunk-data CRLF )
//                  "0" [ chunk-ext ] CRLF *( trailer-field CRLF ) CRLF
import type { HeaderPair } from '../cgi/request.ts';
import { CR, HEX, HTAB, LF, SP, TOKEN } from './chars.ts';
import { HttpError, quote } from './errors.ts';
import { parseHeaders } from './headers.ts';
import { DEFAULT_LIMITS, headerBlockCap, type Limits } from './limits.ts';

export interface ChunkedOutput {
  /** Body bytes decoded from this push (views of the input, not copies), in order. */
  data: Buffer[];
  /** The last chunk and the trailer section have been read: the body is complete. */
  done: boolean;
  /** When done: the bytes that came after the body (the start of the next request), else null. */
  rest: Buffer | null;
}

const enum State {
  Size,
  Data,
  DataCR,
  DataLF,
  Trailer,
  Done,
}

// #region decoder
export class ChunkedDecoder {
  /** The trailer fields, parsed and checked, once done. Never merged into the request's headers. */
  trailers: HeaderPair[] = [];
  private state = State.Size;
  /** Chunk-data bytes still to come in the current chunk. */
  private remaining = 0;
  /** A size or trailer line that arrived in pieces. */
  private partial: Buffer[] = [];
  private partialLength = 0;
  /** The trailer lines so far, each with its CRLF. */
  private trailerLines: Buffer[] = [];
  private trailerLength = 0;

  constructor(private readonly limits: Limits = DEFAULT_LIMITS) {}

  get done(): boolean {
    return this.state === State.Done;
  }

  /** Decodes the next bytes of the body. Throws HttpError (400, or 431 for oversized trailers). */
  push(input: Buffer): ChunkedOutput {
    const data: Buffer[] = [];
    let pos = 0;
    while (pos < input.length) {
      switch (this.state) {
        case State.Size: {
          const line = this.line(input, pos);
          if (line === null) return { data, done: false, rest: null };
          pos = line.next;
          this.remaining = chunkSize(line.bytes);
          this.state = this.remaining === 0 ? State.Trailer : State.Data;
          break;
        }
        case State.Data: {
          const take = Math.min(this.remaining, input.length - pos);
          data.push(input.subarray(pos, pos + take));
          pos += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = State.DataCR;
          break;
        }
        case State.DataCR:
        case State.DataLF: {
          const want = this.state === State.DataCR ? CR : LF;
          if (input[pos] !== want) throw new HttpError(400, 'Chunk data is not followed by CRLF');
          pos++;
          this.state = this.state === State.DataCR ? State.DataLF : State.Size;
          break;
        }
        case State.Trailer: {
          const line = this.line(input, pos);
          if (line === null) return { data, done: false, rest: null };
          pos = line.next;
          if (line.bytes.length === 2) {
            // the empty line: the body is complete
            this.trailers = parseHeaders(Buffer.concat(this.trailerLines), this.limits, 'trailer');
            this.trailerLines = [];
            this.state = State.Done;
            return { data, done: true, rest: pos < input.length ? input.subarray(pos) : null };
          }
          this.trailerLength += line.bytes.length;
          if (this.trailerLength > headerBlockCap(this.limits)) throw new HttpError(431, 'Trailer section is too large');
          this.trailerLines.push(line.bytes);
          break;
        }
        case State.Done:
          return { data, done: true, rest: input.subarray(pos) };
      }
    }
    return { data, done: this.state === State.Done, rest: null };
  }

  /**
   * The next line, CRLF included, once its LF has arrived; null (keeping the piece) until then.
   * A line is at most limit_request_field_size bytes, and must end with CRLF, not a bare LF.
   */
  private line(input: Buffer, pos: number): { bytes: Buffer; next: number } | null {
    const lf = input.indexOf(LF, pos);
    const piece = input.subarray(pos, lf === -1 ? input.length : lf + 1);
    this.partialLength += piece.length;
    if (this.partialLength > this.limits.fieldSize) {
      throw new HttpError(this.state === State.Trailer ? 431 : 400, `${this.state === State.Trailer ? 'Trailer' : 'Chunk size'} line is too large`);
    }
    if (lf === -1) {
      this.partial.push(piece);
      return null;
    }
    const bytes = this.partial.length === 0 ? piece : Buffer.concat([...this.partial, piece]);
    this.partial = [];
    this.partialLength = 0;
    if (bytes.length < 2 || bytes[bytes.length - 2] !== CR) throw new HttpError(400, 'Bare LF in chunked body: lines must end with CRLF');
    return { bytes, next: lf + 1 };
  }
}
// #endregion decoder

// #region size
/** chunk-size [ chunk-ext ] CRLF: hex digits only (no sign, no 0x, no spaces), extensions checked, then ignored. */
function chunkSize(line: Buffer): number {
  const end = line.length - 2; // the CRLF
  let size = 0;
  let i = 0;
  for (; i < end && HEX[line[i]!] !== 255; i++) {
    if (i === 16) throw new HttpError(400, 'Chunk size has more than 16 hex digits');
    size = size * 16 + HEX[line[i]!]!;
  }
  if (i === 0) throw new HttpError(400, `Invalid chunk size ${quote(line.toString('latin1', 0, end))}`);
  if (size > Number.MAX_SAFE_INTEGER) throw new HttpError(400, 'Chunk size is too large');
  if (i < end) checkExtensions(line, i, end);
  return size;
}
// #endregion size

const isWs = (b: number | undefined): boolean => b === SP || b === HTAB;

/** *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ), from `i` up to `end`. */
function checkExtensions(line: Buffer, i: number, end: number): void {
  const bad = (): never => {
    throw new HttpError(400, `Invalid chunk extension in ${quote(line.toString('latin1', 0, end))}`);
  };
  while (i < end) {
    while (isWs(line[i])) i++;
    if (line[i] !== 0x3b) bad(); // ;
    i++;
    while (isWs(line[i])) i++;
    const name = i;
    while (i < end && TOKEN[line[i]!] === 1) i++;
    if (i === name) bad();
    while (i < end && isWs(line[i])) i++;
    if (i < end && line[i] === 0x3d) {
      // =
      i++;
      while (isWs(line[i])) i++;
      if (line[i] === 0x22) i = quotedString(line, i + 1, end, bad);
      else {
        const value = i;
        while (i < end && TOKEN[line[i]!] === 1) i++;
        if (i === value) bad();
      }
    }
  }
}

/** A quoted-string's body from `i` (after the opening quote); returns the index after the closing quote. */
function quotedString(line: Buffer, i: number, end: number, bad: () => never): number {
  for (; i < end; i++) {
    const b = line[i]!;
    if (b === 0x22) return i + 1;
    if (b === 0x5c) {
      // backslash: quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
      const next = line[++i]!;
      if (i >= end || (next !== HTAB && (next < 0x20 || next === 0x7f))) bad();
    } else if (b !== HTAB && (b < 0x20 || b === 0x7f)) bad();
  }
  return bad();
}
