// The HTTP front of chapters 1 and 2: Node's own node:http parses requests and writes responses, so
// those chapters can focus on the gateway contract. Chapter 3 replaces it with our own parser.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenTracked, type Listening } from './listen.ts';
import type { HeaderPair, IncomingRequest, OutgoingResponse } from '../cgi/request.ts';

export class BodyTooLarge extends Error {}

export type RunningServer = Listening<Server>;

/** Everything but the body: the parts of a request that a gateway needs, raw. */
export function requestHead(req: IncomingMessage): Omit<IncomingRequest, 'body'> {
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const headers: HeaderPair[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  const local = req.socket.address() as AddressInfo;
  return {
    method: req.method ?? 'GET',
    protocol: `HTTP/${req.httpVersion}`,
    path: q === -1 ? target : target.slice(0, q),
    query: q === -1 ? '' : target.slice(q + 1),
    headers,
    remoteAddr: req.socket.remoteAddress ?? '',
    remotePort: req.socket.remotePort ?? 0,
    serverName: local.address ?? '',
    serverPort: local.port ?? 0,
  };
}

// #region read
/** Reads the whole request (node:http has already removed chunked framing). */
export async function readRequest(req: IncomingMessage, maxBody: number): Promise<IncomingRequest> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBody) throw new BodyTooLarge(`request body is larger than ${maxBody} bytes`);
    chunks.push(chunk);
  }
  return { ...requestHead(req), body: Buffer.concat(chunks) };
}
// #endregion read

export function writeResponse(res: ServerResponse, out: OutgoingResponse): void {
  res.statusCode = out.status;
  if (out.reason) res.statusMessage = out.reason;
  const hasLength = out.headers.some(([n]) => n.toLowerCase() === 'content-length');
  for (const [name, value] of out.headers) res.appendHeader(name, value);
  if (!hasLength) res.setHeader('Content-Length', out.body.length);
  res.end(out.body);
}

/** Listens on host:port (port 0 picks a free one); close() also drops open connections. */
export function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host: string,
  port: number,
): Promise<RunningServer> {
  return listenTracked(createServer(handler), host, port);
}
