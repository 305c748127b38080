// @chapter 2
// Calling an application: what a server does for every request once the environ is built.
import { ContractError, createResponder, type ResponseSink } from './start-response.ts';
import type { App, Body, Environ } from './types.ts';

// #region run
/**
 * Calls the app, sends its body chunk by chunk, and always calls the body's close(), even when the app
 * or the client fails half-way. Errors propagate: the caller answers 500 if `headersSent()` is false.
 */
export async function runApp(app: App, environ: Environ, sink: ResponseSink): Promise<void> {
  const responder = createResponder(sink);
  let body: Body | undefined;
  try {
    body = await app(environ, responder.startResponse);
    if (typeof body === 'string') {
      throw new ContractError('the app returned a string; return [Buffer.from(text)], an iterable of byte chunks');
    }
    if (body == null || typeof body !== 'object') {
      throw new ContractError(`the app must return an iterable of byte chunks, got ${String(body)}`);
    }
    for await (const chunk of body) await responder.write(chunk);
    responder.finish();
  } finally {
    await body?.close?.();
  }
}
// #endregion run
