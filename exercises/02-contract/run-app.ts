// Exercise 2.3: drive an application.
import { createResponder, type ResponseSink } from '../../src/app/start-response.ts';
import type { App, Environ } from '../../src/app/types.ts';
import { todo } from '../todo.ts';

/**
 * Call app(environ, responder.startResponse) (it may return a promise), then send every chunk of the
 * body (sync or async iterable) with responder.write, then responder.finish(). Whatever happens (the app
 * throws, a chunk is not bytes, the sink fails), call the body's close() if it has one, and let the error
 * propagate. A body that is a string or not an object: throw ContractError (from start-response.ts).
 */
export async function runApp(app: App, environ: Environ, sink: ResponseSink): Promise<void> {
  void createResponder;
  return todo('2.3 (exercises/02-contract/run-app.ts)');
}
