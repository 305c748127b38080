// @chapter 2
// wsgi.input: the request body as the app reads it. The server has already applied the framing
// (Content-Length or chunked), so reading to the end never reads into the next request.

const EMPTY = Buffer.alloc(0);

export class InputStream implements AsyncIterable<Buffer> {
  private buffered: Buffer = EMPTY;
  private done = false;
  /** Created on the first read: most requests have no body, and most apps never read it. */
  private iterator: AsyncIterator<Buffer> | Iterator<Buffer> | null = null;

  constructor(private readonly source: AsyncIterable<Buffer> | Iterable<Buffer>) {}

  static from(body: Buffer): InputStream {
    return new InputStream(body.length > 0 ? [body] : []);
  }

  // #region read
  /** Reads up to `size` bytes, or everything that is left when size is omitted. "" at the end. */
  async read(size = Infinity): Promise<Buffer> {
    while (this.buffered.length < size && (await this.fill()));
    const n = Math.min(size, this.buffered.length);
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  /** Reads one line, including its "\n" (at most `limit` bytes). */
  async readline(limit = Infinity): Promise<Buffer> {
    for (;;) {
      const nl = this.buffered.indexOf(0x0a);
      if (nl !== -1 && nl < limit) return this.read(nl + 1);
      if (this.buffered.length >= limit || !(await this.fill())) return this.read(limit);
    }
  }

  /** Chunks as they arrive (not lines, unlike PEP 3333: byte chunks are how JavaScript streams iterate). */
  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      if (this.buffered.length === 0 && !(await this.fill())) return;
      yield await this.read(this.buffered.length);
    }
  }
  // #endregion read

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const src = this.source;
    this.iterator ??= Symbol.asyncIterator in src ? src[Symbol.asyncIterator]() : src[Symbol.iterator]();
    const next = await this.iterator.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    this.buffered = this.buffered.length === 0 ? next.value : Buffer.concat([this.buffered, next.value]);
    return true;
  }
}
