// What a gateway knows about one request, in the shape CGI needs it. Chapter 1 fills it from
// node:http; later chapters fill it from our own HTTP parser. Paths and the query are kept raw
// (still percent-encoded), exactly as the client sent them.

/** A header as received: original name, value. Order and duplicates are kept. */
export type HeaderPair = [name: string, value: string];

export interface CgiRequest {
  /** Request method, e.g. GET. */
  method: string;
  /** e.g. HTTP/1.1 */
  protocol: string;
  /** Raw path prefix that names the script, e.g. /cgi-bin/env.sh ("" for an app mounted at the root). */
  scriptName: string;
  /** Raw rest of the path after scriptName, e.g. /extra/path. */
  pathInfo: string;
  /** Raw query string without the "?". */
  query: string;
  headers: HeaderPair[];
  /** Length of the body the gateway will hand over, or null when the request has none. */
  bodyLength: number | null;
  remoteAddr: string;
  remotePort: number;
  /** The address the request arrived on (not the Host header). */
  serverName: string;
  serverPort: number;
  serverSoftware: string;
}

/** A request as the HTTP front hands it to a gateway, before any script or app is chosen. */
export interface IncomingRequest {
  method: string;
  protocol: string;
  /** Raw path, still percent-encoded, without the query. */
  path: string;
  query: string;
  headers: HeaderPair[];
  body: Buffer;
  remoteAddr: string;
  remotePort: number;
  serverName: string;
  serverPort: number;
}

/** A complete response for the HTTP front to write. */
export interface OutgoingResponse {
  status: number;
  reason: string;
  headers: HeaderPair[];
  body: Buffer;
}
