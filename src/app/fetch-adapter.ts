// @chapter 2
// Runs a web-standard handler, `(request: Request) => Response`, the shape Hono, itty-router and the
// service-worker world use, on the same contract: the adapter is itself an App.
import { STATUS_CODES } from 'node:http';
// >>> chapter 5
import { lazyRequest, lightParts } from './light-fetch.ts';
// <<< chapter 5
import { ContractError } from './start-response.ts';
import type { App, Body, Environ } from './types.ts';

export type FetchHandler = (request: Request) => Response | Promise<Response>;

// #region adapter
export function fromFetch(handler: FetchHandler): App {
  return async (environ, startResponse) => {
    /* >>> chapters 2-4
    const response = await handler(toRequest(environ));
    <<< chapters 2-4 */
    // >>> chapter 5
    const response = await handler(lazyRequest(environ.REQUEST_METHOD, () => urlOf(environ), () => headersOf(environ), (h) => toRequest(environ, h)));
    // A Response that only kept its arguments (light-fetch.ts): no need to ask undici for them back.
    const light = lightParts(response);
    if (light) {
      startResponse(`${light.status} ${light.statusText || STATUS_CODES[light.status] || 'Unknown'}`, light.headers);
      return [light.body];
    }
    // <<< chapter 5
    if (!(response instanceof Response)) {
      throw new ContractError(`a fetch handler must return a Response, got ${typeof response}`);
    }
    const reason = response.statusText || STATUS_CODES[response.status] || 'Unknown';
    // Iterating Headers yields each Set-Cookie on its own, as HTTP requires.
    startResponse(`${response.status} ${reason}`, [...response.headers]);
    return toBody(response);
  };
}
// #endregion adapter

// #region request
/** Builds the Request a fetch handler expects from the environ. */
export function toRequest(environ: Environ, headers = headersOf(environ)): Request {
  const method = environ.REQUEST_METHOD;
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(urlOf(environ), {
    method,
    headers,
    // The body streams from wsgi.input; duplex 'half' is what Node requires for a streamed body.
    ...(hasBody ? { body: streamOf(environ['wsgi.input']), duplex: 'half' } : {}),
  } as RequestInit);
}

/** The request headers, back from their CGI names: HTTP_X_DEMO becomes x-demo. */
function headersOf(environ: Environ): Headers {
  const headers = new Headers();
  for (const [key, value] of Object.entries(environ)) {
    if (typeof value !== 'string') continue;
    if (key.startsWith('HTTP_')) headers.append(key.slice(5).replaceAll('_', '-').toLowerCase(), value);
    else if (key === 'CONTENT_TYPE') headers.set('content-type', value);
    else if (key === 'CONTENT_LENGTH') headers.set('content-length', value);
  }
  return headers;
}

function urlOf(environ: Environ): string {
  return new URL(environ.RAW_URI, origin(environ)).href;
}
// #endregion request

function streamOf(input: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = input[Symbol.asyncIterator]();
  return new ReadableStream({
    async pull(controller) {
      const next = await it.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await it.return?.();
    },
  });
}

/** scheme://host from the Host header when it is a valid host, otherwise from the listening address. */
function origin(environ: Environ): string {
  const scheme = environ['wsgi.url_scheme'];
  const host = typeof environ.HTTP_HOST === 'string' ? environ.HTTP_HOST : '';
  if (host && URL.canParse(`${scheme}://${host}/`)) return `${scheme}://${host}`;
  const name = environ.SERVER_NAME.includes(':') ? `[${environ.SERVER_NAME}]` : environ.SERVER_NAME;
  return `${scheme}://${name}:${environ.SERVER_PORT}`;
}

// #region body
/** The Response body as our Body: chunks as the stream yields them; close() cancels the stream. */
function toBody(response: Response): Body {
  const stream = response.body;
  if (!stream) return [];
  const reader = stream.getReader();
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    },
    close: () => reader.cancel().catch(() => {}),
  };
}
// #endregion body
