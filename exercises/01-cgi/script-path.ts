// Exercise 1.2: which part of a URL path names the script, and which part is PATH_INFO for it.
import { todo } from '../todo.ts';

export interface ScriptPath {
  /** Raw path prefix up to and including the script's segment, e.g. /cgi-bin/env.sh */
  scriptName: string;
  /** Raw rest of the path, "" or starting with "/", e.g. /a/b */
  pathInfo: string;
  /** Decoded segments of scriptName, e.g. ["cgi-bin", "env.sh"] */
  segments: string[];
}

/**
 * Walk the raw `path` one segment at a time; after each one, ask `isScript(decodedSegmentsSoFar)`.
 * At the first yes, split there. Return null when no prefix is a script, when the path does not start
 * with "/", or when it could let a client escape the scripts folder: any segment of the whole path that
 * is "." or ".." (also encoded, "%2e%2e"), or a segment before the split that is empty, contains "/",
 * "\" or NUL once decoded, or is not valid percent-encoding (decodeURIComponent throws).
 */
export function splitScriptPath(path: string, isScript: (segments: string[]) => boolean): ScriptPath | null {
  return todo('1.2 (exercises/01-cgi/script-path.ts)');
}
