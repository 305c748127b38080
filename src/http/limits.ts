// @chapter 3
// gunicorn's three request limits, with its defaults and the same clamping of out-of-range values.
// They bound what one request can make a worker buffer before the app ever sees it.

export interface Limits {
  /** Longest request line, CRLF excluded. 0 = no limit of its own (the head cap below still applies). */
  requestLine: number;
  /** Most header fields in one request. */
  fields: number;
  /** Longest header line, its CRLF included. */
  fieldSize: number;
}

// #region defaults
export const DEFAULT_LIMITS: Readonly<Limits> = { requestLine: 4094, fields: 100, fieldSize: 8190 };
export const MAX_REQUEST_LINE = 8190;
export const MAX_FIELDS = 32768;

/**
 * The settings as a user gave them (limit_request_line, limit_request_fields, limit_request_field_size),
 * clamped the way gunicorn clamps them:
 * - request line: below 0 or from 8190 up becomes 8190; 0 means unlimited;
 * - fields: 0 or less, or above 32768, becomes 32768;
 * - field size: 0 or less becomes 8190 (current gunicorn; 20.1 read 0 as unlimited).
 */
export function normaliseLimits(settings: Partial<Limits> = {}): Limits {
  const line = settings.requestLine ?? DEFAULT_LIMITS.requestLine;
  const fields = settings.fields ?? DEFAULT_LIMITS.fields;
  const size = settings.fieldSize ?? DEFAULT_LIMITS.fieldSize;
  return {
    requestLine: line < 0 || line >= MAX_REQUEST_LINE ? MAX_REQUEST_LINE : Math.floor(line),
    fields: fields <= 0 || fields > MAX_FIELDS ? MAX_FIELDS : Math.floor(fields),
    fieldSize: size <= 0 ? DEFAULT_LIMITS.fieldSize : Math.floor(size),
  };
}

/** The most bytes a header block may take (gunicorn's "max buffer headers"): 819,204 by default. */
export function headerBlockCap(limits: Limits): number {
  return limits.fields * (limits.fieldSize + 2) + 4;
}
// #endregion defaults
