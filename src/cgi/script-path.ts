// Which part of a URL path names the script, and which part is extra path for it (RFC 3875 4.1.5, 4.1.13).

export interface ScriptPath {
  /** Raw path prefix up to and including the script's segment, e.g. /cgi-bin/env.sh */
  scriptName: string;
  /** Raw rest of the path, "" or starting with "/", e.g. /a/b */
  pathInfo: string;
  /** Decoded segments of scriptName, for the gateway to turn into a file path. */
  segments: string[];
}

// #region split
/**
 * Splits a raw URL path at the first prefix that names a script. `isScript` is asked about decoded
 * segment lists, shortest first (["cgi-bin"], then ["cgi-bin", "env.sh"], ...). Returns null when no
 * prefix names a script, or when the path tries to climb out of the scripts folder: a "." or ".."
 * segment anywhere (encoded or not), or a script segment that is empty or hides "/", "\\" or NUL.
 */
export function splitScriptPath(path: string, isScript: (segments: string[]) => boolean): ScriptPath | null {
  if (!path.startsWith('/')) return null;
  const raw = path.slice(1).split('/');
  if (raw.some((part) => DOT_SEGMENT.test(part))) return null;
  const segments: string[] = [];
  let end = 0; // index in `path` just past the segments looked at so far
  for (const part of raw) {
    const segment = decodeSegment(part);
    if (segment === null || segment === '') return null;
    segments.push(segment);
    end += 1 + part.length;
    if (isScript(segments)) return { scriptName: path.slice(0, end), pathInfo: path.slice(end), segments };
  }
  return null;
}
// #endregion split

/** "." or "..", also spelled %2e. */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/** Decodes one segment; null for a malformed escape or one that hides a separator or NUL. */
function decodeSegment(part: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(part);
  } catch {
    return null;
  }
  return /[/\\\0]/.test(decoded) ? null : decoded;
}
