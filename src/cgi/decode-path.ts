/**
 * Percent-decodes a URL path as UTF-8. A malformed escape ("%zz", or bytes that are not UTF-8) leaves
 * the path as it was sent rather than guessing. gunicorn decodes to latin-1 instead, which keeps every
 * byte; JavaScript strings and environment variables are Unicode, so UTF-8 is the honest choice here.
 */
export function decodePath(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
