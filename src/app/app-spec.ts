// @chapter 2
// "path/to/file.ts:exportName", the way gunicorn takes "module:variable".

export interface AppSpec {
  /** The file, as given (relative paths are resolved against the working directory later). */
  file: string;
  /** The export to use: "app" when the spec names none; "default" for a default export. */
  exportName: string;
}

/** A spec or an app file that cannot be used; the message says which and why. */
export class AppSpecError extends Error {}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

// #region parse
export function parseAppSpec(spec: string): AppSpec {
  const text = spec.trim();
  const colon = text.lastIndexOf(':');
  // No ":" (or one inside the path, as in a Windows drive "C:\\app.ts"): the export is "app".
  const name = colon === -1 ? 'app' : text.slice(colon + 1);
  const file = colon === -1 || /[\\/]/.test(name) ? text : text.slice(0, colon);
  const exportName = /[\\/]/.test(name) ? 'app' : name;
  if (file === '') throw new AppSpecError(`no file in app spec ${JSON.stringify(spec)}; expected path/to/file.ts:name`);
  if (!IDENTIFIER.test(exportName)) {
    throw new AppSpecError(`${JSON.stringify(exportName)} in app spec ${JSON.stringify(spec)} is not an export name`);
  }
  return { file, exportName };
}
// #endregion parse
