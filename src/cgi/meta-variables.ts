// RFC 3875 section 4.1: the meta-variables a CGI script receives as its environment.
import { decodePath } from './decode-path.ts';
import type { CgiRequest } from './request.ts';

// #region dropped
/**
 * Request headers never passed to scripts. Authorization carries credentials (RFC 3875 4.1.18 says to
 * remove it); Proxy would become HTTP_PROXY, which HTTP clients read as their proxy (httpoxy, 2016).
 */
const DROPPED_HEADERS = new Set(['authorization', 'proxy-authorization', 'proxy']);
// #endregion dropped

// #region build
/** The CGI/1.1 meta-variables for one request. */
export function buildMetaVariables(req: CgiRequest): Record<string, string> {
  const vars: Record<string, string> = {
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_SOFTWARE: req.serverSoftware,
    SERVER_NAME: req.serverName,
    SERVER_PORT: String(req.serverPort),
    SERVER_PROTOCOL: req.protocol,
    REQUEST_METHOD: req.method,
    SCRIPT_NAME: decodePath(req.scriptName),
    PATH_INFO: decodePath(req.pathInfo),
    QUERY_STRING: req.query,
    REMOTE_ADDR: req.remoteAddr,
    REMOTE_HOST: req.remoteAddr, // no reverse DNS lookup: RFC 3875 4.1.9 allows the address
    REMOTE_PORT: String(req.remotePort),
  };
  if (req.bodyLength !== null) vars.CONTENT_LENGTH = String(req.bodyLength);
  for (const [name, value] of req.headers) {
    const lower = name.toLowerCase();
    if (lower === 'content-type') {
      vars.CONTENT_TYPE = value;
      continue;
    }
    // The gateway sets CONTENT_LENGTH from the body it really passes on, not from the header.
    if (lower === 'content-length' || DROPPED_HEADERS.has(lower)) continue;
    // "X_User" and "X-User" would both become HTTP_X_USER: a client could spoof a header that a
    // proxy in front set or stripped. Names with "_" are dropped, as nginx and gunicorn do.
    if (lower.includes('_')) continue;
    const key = `HTTP_${name.toUpperCase().replaceAll('-', '_')}`;
    const previous = vars[key];
    // Repeated headers become one value with the same meaning: a list. Cookie uses "; ".
    vars[key] = previous === undefined ? value : `${previous}${lower === 'cookie' ? '; ' : ', '}${value}`;
  }
  return vars;
}
// #endregion build
