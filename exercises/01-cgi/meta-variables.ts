// Exercise 1.1: build the CGI meta-variables for a request (RFC 3875, section 4.1).
// The server runs your version with `npm run chapter 1 -- --mine`; grade it with `npm test exercises 1`.
import type { CgiRequest } from '../../src/cgi/request.ts';
import { todo } from '../todo.ts';

/**
 * Return the environment for the script, as an object of strings:
 * - GATEWAY_INTERFACE "CGI/1.1"; SERVER_SOFTWARE, SERVER_NAME, SERVER_PORT, SERVER_PROTOCOL,
 *   REQUEST_METHOD, QUERY_STRING, REMOTE_ADDR, REMOTE_HOST (= the address), REMOTE_PORT from `req`;
 * - SCRIPT_NAME and PATH_INFO percent-decoded (`decodePath` from src/cgi/decode-path.ts does it);
 * - CONTENT_LENGTH from req.bodyLength, only when it is not null;
 * - CONTENT_TYPE from the Content-Type header; every other header as HTTP_NAME ("X-Demo" -> HTTP_X_DEMO),
 *   repeated headers joined with ", " (Cookie with "; ");
 * - never: the Content-Length header as HTTP_*, Authorization, Proxy-Authorization, Proxy (httpoxy!),
 *   or a header whose name contains "_" (it could pose as one with "-").
 */
export function buildMetaVariables(req: CgiRequest): Record<string, string> {
  return todo('1.1 (exercises/01-cgi/meta-variables.ts)');
}
