// Exercise 2.4: parse an application spec, the way gunicorn takes "module:variable".
import { todo } from '../todo.ts';

export interface AppSpec {
  file: string;
  exportName: string;
}

/** Throw this for a spec that cannot be used. */
export class AppSpecError extends Error {}

/**
 * "path/to/file.ts:name" -> { file: "path/to/file.ts", exportName: "name" }. Split at the LAST ":".
 * No ":" means the export is "app". Trim spaces around the spec. Throw AppSpecError when the file part
 * is empty or the name is not a JavaScript identifier (letters, digits, _ and $, not starting with a
 * digit). If what follows the last ":" contains "/" or "\", the ":" was part of the path (a Windows
 * drive, "C:\app.ts"): the whole spec is the file and the export is "app".
 */
export function parseAppSpec(spec: string): AppSpec {
  return todo('2.4 (exercises/02-contract/app-spec.ts)');
}
