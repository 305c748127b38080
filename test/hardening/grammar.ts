// @chapter 10
// The fuzzer's grammar: valid HTTP/1.1 requests as fast-check arbitraries, then mutations that break
// them the ways real clients and attackers do (stray CR, LF, NUL, folded lines, two lengths, a chunk
// size that is not hex, values past every limit). Shared by fuzz.test.ts and differential.test.ts.
import fc from 'fast-check';

export type Pair = [name: string, value: string];

/** A request as a model, before it becomes bytes: mutations that need structure work on this. */
export interface Req {
  method: string;
  target: string;
  version: string;
  headers: Pair[];
  body: { kind: 'none' } | { kind: 'length'; data: string } | { kind: 'chunked'; chunks: { data: string; ext: string; size?: string }[]; trailers: Pair[] };
}

const TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const PCHAR = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@";
const VCHAR = Array.from({ length: 94 }, (_, i) => String.fromCharCode(0x21 + i)).join('');

/** A position in the bytes, 0 to 1, spread evenly (fast-check's doubles crowd near 0). */
const at = fc.noBias(fc.integer({ min: 0, max: 1_000_000 })).map((n) => n / 1_000_000);

const from = (chars: string, min: number, max: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...chars), { minLength: min, maxLength: max }).map((a) => a.join(''));

export const token = (min = 1, max = 12): fc.Arbitrary<string> => from(TCHAR, min, max);

/** A field value: visible ASCII, obs-text, SP and HTAB inside; sometimes OWS around it (trimmed by a parser). */
const fieldValue: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('', '', '', ' ', '\t', '  '),
    fc.array(fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...VCHAR) }, { weight: 1, arbitrary: fc.constantFrom(' ', '\t', '\x80', '\xe9', '\xff') }), { maxLength: 24 }),
    fc.constantFrom('', '', '', ' ', '\t'),
  )
  .map(([a, v, b]) => {
    const inner = v.join('').replace(/^[ \t]+|[ \t]+$/g, '');
    return a + inner + (inner === '' ? '' : b);
  });

const segment = from(PCHAR.replace(';', ''), 0, 10);
const pct = fc.constantFrom('%20', '%2F', '%41', '%e9', '%00', '%zz');
const path: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('/', '/stream', '/ignore', '/a', '/echo'), fc.array(fc.oneof({ weight: 4, arbitrary: segment }, { weight: 1, arbitrary: pct }), { maxLength: 4 }))
  .map(([first, rest]) => (rest.length ? `${first}/${rest.join('/')}` : first));
const query = fc.option(from(`${PCHAR}/?`, 0, 16), { nil: undefined, freq: 2 });
const originForm = fc.tuple(path, query).map(([p, q]) => (q === undefined ? p : `${p}?${q}`));

const bodyText = (max: number): fc.Arbitrary<string> =>
  fc.oneof({ weight: 3, arbitrary: from('abcdefghij0123456789\r\n', 0, max) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b).toString('latin1')) });

const chunk = fc.record({
  data: bodyText(40).filter((d) => d.length > 0),
  ext: fc.oneof({ weight: 5, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom(';a', ';a=b', ';a="q s"', ' ;x=1', ';k=v;k2') }),
});

const body: fc.Arbitrary<Req['body']> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 3, arbitrary: bodyText(120).map((data) => ({ kind: 'length' as const, data })) },
  {
    weight: 2,
    arbitrary: fc
      .record({ chunks: fc.array(chunk, { maxLength: 4 }), trailers: fc.array(fc.tuple(token(), fieldValue), { maxLength: 2 }) })
      .map((c) => ({ kind: 'chunked' as const, ...c })),
  },
);

/** A valid request: what both our parser and llhttp must accept (methods here are ones llhttp knows). */
export const validRequest: fc.Arbitrary<Req> = fc
  .record({
    method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
    form: fc.constantFrom('origin', 'origin', 'origin', 'origin', 'origin', 'absolute', 'asterisk'),
    target: originForm,
    version: fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0'),
    host: fc.constantFrom('example.com', 'localhost:8000', '127.0.0.1', '[::1]:80', 'a.b-c.d'),
    extra: fc.array(fc.tuple(token(1, 16), fieldValue), { maxLength: 6 }),
    connection: fc.constantFrom(null, null, null, 'close', 'keep-alive', 'Keep-Alive, x'),
    expect: fc.boolean(),
    body,
  })
  .map((r) => {
    const headers: Pair[] = [];
    if (r.version === 'HTTP/1.1' || r.expect) headers.push(['Host', r.host]);
    // Names that change the meaning of the request are only added on purpose, below or by a mutation.
    for (const [n, v] of r.extra) if (!/^(host|content-length|transfer-encoding|connection|expect|content-type|upgrade|te|trailer)$/i.test(n)) headers.push([n, v]);
    if (r.connection) headers.push(['Connection', r.connection]);
    let b = r.body;
    if (b.kind === 'chunked' && r.version === 'HTTP/1.0') b = { kind: 'none' };
    if (b.kind === 'length') headers.push(['Content-Length', String(Buffer.byteLength(b.data, 'latin1'))]);
    if (b.kind === 'chunked') headers.push(['Transfer-Encoding', 'chunked']);
    if (r.expect && b.kind !== 'none' && r.version === 'HTTP/1.1') headers.push(['Expect', '100-continue']);
    let target = r.target;
    let method = r.method;
    if (r.form === 'absolute') target = `http://${r.host}${target}`;
    if (r.form === 'asterisk') {
      method = 'OPTIONS';
      target = '*';
    }
    return { method, target, version: r.version, headers, body: b };
  });

const CRLF = '\r\n';

/** The request as bytes (latin1: one character, one byte). */
export function serialize(r: Req): Buffer {
  let out = `${r.method} ${r.target} ${r.version}${CRLF}`;
  for (const [n, v] of r.headers) out += `${n}:${v === '' || v.startsWith(' ') || v.startsWith('\t') ? '' : ' '}${v}${CRLF}`;
  out += CRLF;
  const b = r.body;
  if (b.kind === 'length') out += b.data;
  if (b.kind === 'chunked') {
    for (const c of b.chunks) out += `${c.size ?? Buffer.byteLength(c.data, 'latin1').toString(16)}${c.ext}${CRLF}${c.data}${CRLF}`;
    out += `0${CRLF}`;
    for (const [n, v] of b.trailers) out += `${n}: ${v}${CRLF}`;
    out += CRLF;
  }
  return Buffer.from(out, 'latin1');
}

// #region mutations
/** Mutations of the model: the structure is still there, one rule is broken. */
const modelMutation: fc.Arbitrary<(r: Req) => void> = fc.oneof(
  // a header repeated (Host, Content-Length, Transfer-Encoding included)
  fc.nat().map((i) => (r: Req) => {
    if (r.headers.length) r.headers.splice(i % r.headers.length, 0, r.headers[i % r.headers.length]!);
  }),
  // a value past limit_request_field_size, or just under it
  fc.constantFrom(4000, 8150, 8186, 8187, 8200, 12000).map((n) => (r: Req) => void r.headers.push(['X-Big', 'v'.repeat(n)])),
  // around limit_request_fields
  fc.constantFrom(95, 99, 100, 101, 120).map((n) => (r: Req) => {
    while (r.headers.length < n) r.headers.push([`X-F${r.headers.length}`, 'x']);
  }),
  // a request line around limit_request_line (4094)
  fc.constantFrom(4000, 4080, 4094, 4095, 4200, 9000).map((n) => (r: Req) => {
    const room = n - `${r.method}  ${r.version}`.length - r.target.length;
    if (room > 0 && r.target.startsWith('/')) r.target += `${r.target.includes('?') ? '' : '?'}${'q'.repeat(room - (r.target.includes('?') ? 0 : 1))}`;
  }),
  // chunk sizes that are not plain hex
  fc.constantFrom('-1', '0x5', '+5', ' 5', '5 ', 'fffffffffffffffff', '', 'g', '5\t;x', '05', '0000000000000003', 'A', 'ffffffffffff').map(
    (size) => (r: Req) => {
      if (r.body.kind === 'chunked' && r.body.chunks.length) r.body.chunks[0]!.size = size;
      else r.body = { kind: 'chunked', chunks: [{ data: 'hello', ext: '', size }], trailers: [] };
      if (!r.headers.some(([n]) => /^transfer-encoding$/i.test(n))) r.headers.push(['Transfer-Encoding', 'chunked']);
    },
  ),
  // Content-Length and Transfer-Encoding together (CL.TE, TE.CL)
  fc.constantFrom('0', '5', '6', '100').map((cl) => (r: Req) => {
    if (!r.headers.some(([n]) => /^transfer-encoding$/i.test(n))) r.headers.push(['Transfer-Encoding', 'chunked']);
    r.headers.push(['Content-Length', cl]);
    if (r.body.kind !== 'chunked') r.body = { kind: 'chunked', chunks: [{ data: 'hello', ext: '', }], trailers: [] };
  }),
  // Transfer-Encoding values a parser may read differently
  fc
    .constantFrom('chunked, chunked', 'gzip', 'gzip, chunked', 'chunked, gzip', ' chunked', '\xa0chunked', 'Chunked', 'identity', 'chunked;q=1', 'xchunked', ',chunked', 'chunked,', 'identity, chunked', '\tchunked')
    .map((te) => (r: Req) => {
      r.headers = r.headers.filter(([n]) => !/^(content-length|transfer-encoding)$/i.test(n));
      r.headers.push(['Transfer-Encoding', te]);
      if (r.body.kind !== 'chunked') r.body = { kind: 'chunked', chunks: [{ data: 'hello', ext: '' }], trailers: [] };
    }),
  // Content-Length values a parser may read differently
  fc.constantFrom('+5', '5, 5', '-1', '1e3', '00005', '99999999999999999', '', ' 5 ', '5\t', '0x5', '5.0', '10737418240').map((cl) => (r: Req) => {
    r.headers = r.headers.filter(([n]) => !/^(content-length|transfer-encoding)$/i.test(n));
    r.headers.push(['Content-Length', cl]);
    r.body = { kind: 'length', data: 'hello' };
  }),
  // two lengths, the same or not
  fc.constantFrom('5', '6').map((second) => (r: Req) => {
    r.headers = r.headers.filter(([n]) => !/^(content-length|transfer-encoding)$/i.test(n));
    r.headers.push(['Content-Length', '5'], ['Content-Length', second]);
    r.body = { kind: 'length', data: 'hello' };
  }),
  // versions
  fc.constantFrom('HTTP/1.2', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.10', 'http/1.1', 'HTTP/1', 'HTTP/1.1 ', 'HTTP/3.0', 'HTTP/11').map((v) => (r: Req) => void (r.version = v)),
  // methods: unknown tokens, lower case, not tokens
  fc.constantFrom('get', 'FOO', 'M-SEARCH', 'PURGE', 'G@T', 'GET\x00', '', 'CONNECT', 'PRI', 'SOURCE', 'QUERY').map((m) => (r: Req) => void (r.method = m)),
  // targets: each form with the wrong method, bytes llhttp or we may refuse
  fc.constantFrom('*', 'example.com:80', 'http://h', 'a', '//x', '/a b', '/\x7f', '/\xff', '/"{}|\\^`', '/a#frag', 'HTTP://H/', '/%', 'mailto:x').map((t) => (r: Req) => void (r.target = t)),
  // obs-fold: a value continued on the next line
  fc.constantFrom(' ', '\t', '  ').map((ws) => (r: Req) => void r.headers.push(['X-Folded', `one\r\n${ws}two`])),
  // a header name with a space, a tab or nothing before the colon, or no colon
  fc.constantFrom('Host :x', 'X-A\t: b', ': empty', 'NoColon', 'X\x00Y: z', 'Bad[Name]: v', ' Leading: v').map((line) => (r: Req) => {
    r.headers.push([line, '\x00marker']);
  }),
  // Host: none on HTTP/1.1, or two; two Content-Types; Expect values
  fc.constantFrom('nohost', 'twohosts', 'twocts', 'expect-other', 'expect-10').map((k) => (r: Req) => {
    if (k === 'nohost') r.headers = r.headers.filter(([n]) => n.toLowerCase() !== 'host');
    if (k === 'twohosts') r.headers.push(['Host', 'other.example']);
    if (k === 'twocts') r.headers.push(['Content-Type', 'a/b'], ['Content-Type', 'c/d']);
    if (k === 'expect-other') r.headers.push(['Expect', 'the-unexpected']);
    if (k === 'expect-10') r.headers.push(['Expect', '100-continue']);
  }),
  // a body shorter or longer than its Content-Length says
  fc.constantFrom(-3, -1, 1, 40).map((delta) => (r: Req) => {
    if (r.body.kind !== 'length') {
      r.body = { kind: 'length', data: 'hello' };
      r.headers = r.headers.filter(([n]) => !/^(content-length|transfer-encoding)$/i.test(n));
      r.headers.push(['Content-Length', '5']);
    }
    const n = r.body.data.length + delta;
    r.body.data = n < 0 ? '' : (r.body.data + 'x'.repeat(Math.max(0, delta))).slice(0, n);
  }),
  // trailers that repeat framing fields
  fc.constantFrom('Content-Length', 'Transfer-Encoding', 'Host', 'X-T').map((n) => (r: Req) => {
    if (r.body.kind !== 'chunked') {
      r.headers = r.headers.filter(([h]) => !/^(content-length|transfer-encoding)$/i.test(h));
      r.headers.push(['Transfer-Encoding', 'chunked']);
      r.body = { kind: 'chunked', chunks: [{ data: 'abc', ext: '' }], trailers: [] };
    }
    r.body.trailers.push([n, '1']);
  }),
);

const INSERTS = ['\r', '\n', '\0', ' ', '\t', '\r\n ', '\r\n\t', '\r\n', '\r\n\r\n', ':', '\x7f', '\xff', '\x0b', '\x0c', '"', ';', ','];

/** Mutations of the bytes: where they land is up to chance. */
const byteMutation: fc.Arbitrary<(b: Buffer) => Buffer> = fc.oneof(
  fc.tuple(at, fc.integer({ min: 0, max: 255 })).map(([at, byte]) => (b: Buffer) => {
    if (b.length === 0) return b;
    const c = Buffer.from(b);
    c[Math.floor(at * (c.length - 1))] = byte;
    return c;
  }),
  fc.tuple(at, fc.constantFrom(...INSERTS)).map(([at, s]) => (b: Buffer) => {
    const i = Math.floor(at * b.length);
    return Buffer.concat([b.subarray(0, i), Buffer.from(s, 'latin1'), b.subarray(i)]);
  }),
  fc.tuple(at, fc.integer({ min: 1, max: 3 })).map(([at, n]) => (b: Buffer) => {
    const i = Math.floor(at * b.length);
    return Buffer.concat([b.subarray(0, i), b.subarray(i + n)]);
  }),
  // truncation: a request cut short anywhere (the connection then ends: it must get an answer or a close)
  at.map((at) => (b: Buffer) => b.subarray(0, Math.floor(at * b.length))),
  // upper/lower case swapped somewhere in the head
  at.map((at) => (b: Buffer) => {
    const c = Buffer.from(b);
    const i = Math.floor(at * Math.max(0, c.indexOf('\r\n\r\n')));
    const x = c[i]!;
    if ((x | 0x20) >= 0x61 && (x | 0x20) <= 0x7a) c[i] = x ^ 0x20;
    return c;
  }),
);
// #endregion mutations

export interface Case {
  /** How the case was made, for a failure message. */
  how: string;
  bytes: Buffer;
}

/** A fuzz case: one or two valid requests (pipelined), then up to three mutations, or none. */
export const fuzzCase: fc.Arbitrary<Case> = fc
  .record({
    first: validRequest,
    second: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: validRequest }),
    models: fc.array(fc.tuple(fc.nat({ max: 1 }), modelMutation), { maxLength: 2 }),
    bytes: fc.array(byteMutation, { maxLength: 3 }),
    clean: fc.integer({ min: 0, max: 4 }),
  })
  .map(({ first, second, models, bytes, clean }) => {
    const reqs = second ? [first, second] : [first];
    const how: string[] = [second ? 'pipelined pair' : 'one request'];
    // One case in five goes out as generated: valid requests must be served, not just survived.
    if (clean > 0) {
      for (const [which, m] of models) m(reqs[Math.min(which, reqs.length - 1)]!);
    }
    let out: Buffer = Buffer.concat(reqs.map(serialize));
    if (clean > 0) for (const m of bytes) out = m(out);
    how.push(clean > 0 ? `${models.length} model, ${bytes.length} byte mutations` : 'unmutated');
    return { how: how.join(', '), bytes: out };
  });
