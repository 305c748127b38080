// @chapter 2
// The environ an application receives: chapter 1's meta-variables, plus the wsgi.* keys.
import { buildMetaVariables } from '../cgi/meta-variables.ts';
import type { CgiRequest } from '../cgi/request.ts';
import type { InputStream } from './input.ts';
import type { Environ, ErrorStream } from './types.ts';

/** What the server knows that the request does not say. */
export interface ServerContext {
  input: InputStream;
  errors: ErrorStream;
  urlScheme: 'http' | 'https';
  /** More than one worker process serves the app. */
  multiprocess: boolean;
  /** This process may serve several requests at once (the async worker of chapter 4). */
  multithread: boolean;
  /** The process serves one request and exits (CGI). */
  runOnce: boolean;
}

// #region build
export function buildEnviron(req: CgiRequest, ctx: ServerContext): Environ {
  const target = req.scriptName + req.pathInfo;
  return {
    ...buildMetaVariables(req),
    RAW_URI: req.query ? `${target}?${req.query}` : target,
    'wsgi.version': [1, 0],
    'wsgi.url_scheme': ctx.urlScheme,
    'wsgi.input': ctx.input,
    'wsgi.errors': ctx.errors,
    'wsgi.multithread': ctx.multithread,
    'wsgi.multiprocess': ctx.multiprocess,
    'wsgi.run_once': ctx.runOnce,
    'wsgi.input_terminated': true,
  } as Environ;
}
// #endregion build
