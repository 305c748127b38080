// Exercise 2.2: startResponse and write, with the rules of PEP 3333.
import type { Headers, StartResponse, Write } from '../../src/app/types.ts';
import { todo } from '../todo.ts';

/** Where a response goes: the HTTP front implements it. */
export interface ResponseSink {
  sendHead(status: string, headers: Headers): void;
  sendBody(chunk: Uint8Array): void | Promise<void>;
}

/** Throw this when the app breaks the contract. */
export class ContractError extends Error {}

export interface Responder {
  startResponse: StartResponse;
  write: Write;
  finish(): void;
  headersSent(): boolean;
}

/**
 * - startResponse(status, headers, excInfo?) only records the head and returns `write`. The status must
 *   look like "200 OK" (3 digits, a space, a reason); headers must be [string, string] pairs. Otherwise
 *   throw ContractError.
 * - A second call without excInfo: throw ContractError. With excInfo: replace the head if it has not been
 *   sent yet; if it has, throw excInfo itself.
 * - write(chunk): chunk must be a Uint8Array (else ContractError). Send the head first if not sent
 *   (ContractError if startResponse was never called), then the chunk unless it is empty. Return a promise.
 * - finish(): send the head if it has not gone yet (an empty body). headersSent(): has it gone?
 */
export function createResponder(sink: ResponseSink): Responder {
  return todo('2.2 (exercises/02-contract/start-response.ts)');
}
