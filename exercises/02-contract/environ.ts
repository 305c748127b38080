// Exercise 2.1: build the environ an application receives.
import type { CgiRequest } from '../../src/cgi/request.ts';
import type { ServerContext } from '../../src/app/environ.ts';
import type { Environ } from '../../src/app/types.ts';
import { todo } from '../todo.ts';

/**
 * Start from chapter 1's meta-variables (buildMetaVariables in src/cgi/meta-variables.ts), then add:
 * - RAW_URI: scriptName + pathInfo, plus "?" + query when there is a query (all still encoded);
 * - wsgi.version [1, 0], wsgi.url_scheme, wsgi.input, wsgi.errors, wsgi.multithread,
 *   wsgi.multiprocess, wsgi.run_once from `ctx`, and wsgi.input_terminated true.
 */
export function buildEnviron(req: CgiRequest, ctx: ServerContext): Environ {
  return todo('2.1 (exercises/02-contract/environ.ts)');
}
