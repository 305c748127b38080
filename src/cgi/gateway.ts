// The CGI gateway: one request in, one script run, one response out. It does not know about sockets;
// the HTTP front (node:http in chapters 1 and 2) hands it a complete request.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseCgiResponse, CgiResponseError } from './cgi-response.ts';
import { buildMetaVariables } from './meta-variables.ts';
import type { CgiRequest, IncomingRequest, OutgoingResponse } from './request.ts';
import { runScript, type ScriptRun } from './run-script.ts';
import { splitScriptPath } from './script-path.ts';

export interface GatewayOptions {
  /** Folder that holds the scripts. */
  scriptsDir: string;
  /** URL prefix the scripts are served under, e.g. /cgi-bin */
  mount: string;
  /** A script running longer is killed and the client gets 504. */
  timeoutMs: number;
  /** A script printing more is killed and the client gets 502. */
  maxOutput: number;
  serverSoftware: string;
  /** Receives one line per event worth an operator's eye (stderr of scripts, broken scripts). */
  log: (line: string) => void;
  /** Called once per script run: the stage uses it to show a new pid for every request. */
  onRun?: (run: { script: string; pid: number | undefined; outcome: string; ms: number }) => void;
}

export const gatewayDefaults = { mount: '/cgi-bin', timeoutMs: 10_000, maxOutput: 10 << 20 };

/** Local redirects followed for one request before giving up (a script redirecting to itself). */
const MAX_LOCAL_REDIRECTS = 5;

export function plain(status: number, reason: string, text = `${status} ${reason}\n`): OutgoingResponse {
  return { status, reason, headers: [['Content-Type', 'text/plain; charset=utf-8']], body: Buffer.from(text) };
}

// #region handle
export async function handleCgi(req: IncomingRequest, opts: GatewayOptions): Promise<OutgoingResponse> {
  let current = req;
  for (let hop = 0; hop <= MAX_LOCAL_REDIRECTS; hop++) {
    const found = findScript(current.path, opts);
    if (!found) return plain(404, 'Not Found');
    const cgiReq: CgiRequest = {
      ...current,
      scriptName: found.scriptName,
      pathInfo: found.pathInfo,
      bodyLength: hasBody(current) ? current.body.length : null,
      serverSoftware: opts.serverSoftware,
    };
    const started = performance.now();
    const run = await runScript({
      file: found.file,
      env: buildMetaVariables(cgiReq),
      body: current.body,
      timeoutMs: opts.timeoutMs,
      maxOutput: opts.maxOutput,
    });
    const result = toResponse(run, found.scriptName, opts);
    opts.onRun?.({
      script: found.scriptName,
      pid: run.pid,
      outcome: 'location' in result ? `local redirect to ${result.location}` : String(result.status),
      ms: performance.now() - started,
    });
    if (!('location' in result)) return result;
    // A local redirect: serve the new path as a fresh GET; the client never sees it (RFC 3875 6.2.2).
    const [path = '', query = ''] = result.location.split('?', 2);
    current = { ...current, method: 'GET', path, query, body: Buffer.alloc(0) };
  }
  opts.log(`more than ${MAX_LOCAL_REDIRECTS} local redirects for ${req.path}`);
  return plain(500, 'Internal Server Error');
}
// #endregion handle

/** CONTENT_LENGTH is set when the request carried a body, even an empty one with Content-Length: 0. */
function hasBody(req: IncomingRequest): boolean {
  return req.body.length > 0 || req.headers.some(([n]) => n.toLowerCase() === 'content-length');
}

// #region to-response
/** Turns a script run into a response, or a local redirect to follow. Never throws. */
function toResponse(run: ScriptRun, script: string, opts: GatewayOptions): OutgoingResponse | { location: string } {
  const who = `${script} (pid ${run.pid ?? '-'})`;
  for (const line of run.stderr.split('\n')) if (line.trim()) opts.log(`${who} stderr: ${line}`);
  if (run.spawnError) {
    opts.log(`${script}: could not start: ${run.spawnError.message}`);
    return plain(502, 'Bad Gateway');
  }
  if (run.timedOut) {
    opts.log(`${who}: still running after ${opts.timeoutMs} ms, killed`);
    return plain(504, 'Gateway Timeout');
  }
  if (run.tooLarge) {
    opts.log(`${who}: printed more than ${opts.maxOutput} bytes, killed`);
    return plain(502, 'Bad Gateway');
  }
  const exited = run.signal ? `killed by ${run.signal}` : `exit code ${run.exitCode}`;
  try {
    const parsed = parseCgiResponse(run.stdout);
    if (run.exitCode !== 0) opts.log(`${who}: ${exited}, but its output is a valid response: sent`);
    if (parsed.type === 'local-redirect') return { location: parsed.location };
    return { status: parsed.status, reason: parsed.reason, headers: parsed.headers, body: parsed.body };
  } catch (err) {
    if (!(err instanceof CgiResponseError)) throw err;
    opts.log(`${who}: not a CGI response (${err.message}); ${exited}`);
    return plain(502, 'Bad Gateway');
  }
}
// #endregion to-response

/** Maps a URL path under the mount to a script file, or null (404). */
function findScript(path: string, opts: GatewayOptions): { file: string; scriptName: string; pathInfo: string } | null {
  if (path !== opts.mount && !path.startsWith(`${opts.mount}/`)) return null;
  const rest = path.slice(opts.mount.length);
  const split = splitScriptPath(rest, (segments) => isFile(join(opts.scriptsDir, ...segments)));
  if (!split) return null;
  return {
    file: join(opts.scriptsDir, ...split.segments),
    scriptName: opts.mount + split.scriptName,
    pathInfo: split.pathInfo,
  };
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
