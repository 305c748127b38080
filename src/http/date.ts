// @chapter 3
// The Date header (RFC 9110 6.6.1, IMF-fixdate: "Sun, 22 Nov 2026 09:34:50 GMT"). Every response
// needs it, and formatting a date costs more than the rest of a small head; it only changes once a
// second, so it is formatted at most once a second, as node:http and nginx do.

// #region date
let cached: string | null = null;

export function httpDate(): string {
  if (cached === null) {
    const now = Date.now();
    cached = new Date(now).toUTCString();
    // Forget it at the next second boundary; unref: this timer must not keep a process alive.
    setTimeout(() => (cached = null), 1000 - (now % 1000)).unref();
  }
  return cached;
}
// #endregion date
