// @chapter 3
// Byte classes of RFC 9110 as lookup tables: one array read per byte, no regular expressions and no
// string building on the parser's hot path.

// #region tables
function table(accepts: (byte: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = accepts(b) ? 1 : 0;
  return t;
}

/** tchar (RFC 9110 5.6.2): what a method, a header name or a chunk extension name is made of. */
export const TOKEN = table((b) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(b)));

/** A header value's bytes (field-vchar, SP, HTAB, obs-text): no control byte other than HTAB, no DEL. */
export const FIELD_VALUE = table((b) => b === 0x09 || (b >= 0x20 && b !== 0x7f));

/** A request target's bytes: visible ASCII and obs-text; no space, no control byte, no DEL. */
export const TARGET = table((b) => b > 0x20 && b !== 0x7f);

/** HEXDIG: its value, or 255 for a byte that is not a hex digit. */
export const HEX = (() => {
  const t = new Uint8Array(256).fill(255);
  for (let d = 0; d < 10; d++) t[0x30 + d] = d;
  for (let d = 0; d < 6; d++) t[0x41 + d] = t[0x61 + d] = 10 + d;
  return t;
})();
// #endregion tables

export const SP = 0x20;
export const HTAB = 0x09;
export const CR = 0x0d;
export const LF = 0x0a;

/**
 * Removes SP and HTAB, the only whitespace HTTP has (OWS). String.prototype.trim() would also remove
 * U+00A0 and U+0085, which are bytes 0xA0 and 0x85 here: "\xA0chunked" would pass as chunked, a
 * smuggling trick (gunicorn #3364).
 */
export function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === SP || s.charCodeAt(a) === HTAB)) a++;
  while (b > a && (s.charCodeAt(b - 1) === SP || s.charCodeAt(b - 1) === HTAB)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}
