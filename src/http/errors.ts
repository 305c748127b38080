// @chapter 3
// What can be wrong with a request, as the status code the client gets. Every parse error is an
// HttpError; the connection answers it with that status and Connection: close, logs it once, and the
// worker goes on serving other connections.

// #region statuses
export const REASONS: Readonly<Record<number, string>> = {
  100: 'Continue',
  200: 'OK',
  204: 'No Content',
  304: 'Not Modified',
  400: 'Bad Request',
  404: 'Not Found',
  413: 'Content Too Large',
  414: 'URI Too Long',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  505: 'HTTP Version Not Supported',
};

/**
 * A request we refuse. The status says why:
 * - 400 malformed: request line, header syntax, body framing, chunk encoding;
 * - 414 the request line is over limit_request_line;
 * - 417 an Expect other than 100-continue;
 * - 431 too many header fields, a header line over limit_request_field_size, or the block too big;
 * - 501 a transfer coding we do not implement (anything but chunked);
 * - 505 an HTTP version other than 1.0 and 1.1.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: 400 | 414 | 417 | 431 | 501 | 505,
    message: string,
  ) {
    super(message);
  }

  get reason(): string {
    return REASONS[this.status] ?? 'Bad Request';
  }
}
// #endregion statuses

/** The client went away (or cut its request short): nothing to answer, nobody to answer to. */
export class ClientDisconnected extends Error {
  override name = 'ClientDisconnected';
}

/**
 * A short, safe rendering of client bytes for an error message and a log line: quoted, cut at 40
 * characters, every byte outside printable ASCII escaped, so no CR or LF ever reaches a log or a page.
 */
export function quote(text: string): string {
  const cut = text.length > 40 ? `${text.slice(0, 40)}...` : text;
  return JSON.stringify(cut).replace(/[\u007f-\uffff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
