// @chapter 2
// startResponse and write, with PEP 3333's rules: the status and headers are only recorded; they are
// sent just before the first body byte, so an app can still change its mind (after an error) until then.
import type { Headers, StartResponse, Write } from './types.ts';

/** Where a response goes: the HTTP front implements it. */
export interface ResponseSink {
  sendHead(status: string, headers: Headers): void;
  sendBody(chunk: Uint8Array): void | Promise<void>;
}

/** The app broke the contract (the server answers 500 if nothing was sent yet). */
export class ContractError extends Error {}

export interface Responder {
  startResponse: StartResponse;
  /** Sends one body chunk (the head first, if it has not gone yet). */
  write: Write;
  /** Ends the response: sends the head if the body was empty. */
  finish(): void;
  headersSent(): boolean;
}

const STATUS = /^[1-9]\d\d [^\r\n]*$/;

// #region responder
export function createResponder(sink: ResponseSink): Responder {
  let head: { status: string; headers: Headers } | null = null;
  let sent = false;

  const sendHeadOnce = (): void => {
    if (sent) return;
    if (!head) throw new ContractError('the app produced a body before calling startResponse');
    sent = true;
    sink.sendHead(head.status, head.headers);
  };

  const write: Write = async (chunk) => {
    if (!(chunk instanceof Uint8Array)) {
      throw new ContractError(`body chunks must be bytes (Uint8Array or Buffer), got ${typeof chunk}`);
    }
    sendHeadOnce();
    if (chunk.length > 0) await sink.sendBody(chunk);
  };

  const startResponse: StartResponse = (status, headers, excInfo) => {
    if (head && excInfo === undefined) {
      throw new ContractError('startResponse was already called; a second call must pass excInfo');
    }
    // After an error, replacing the head is allowed until it is on the wire; then only re-raising is.
    if (excInfo !== undefined && sent) throw excInfo;
    if (!STATUS.test(status)) throw new ContractError(`status must look like "200 OK", got ${JSON.stringify(status)}`);
    if (!Array.isArray(headers) || !headers.every((h) => Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string')) {
      throw new ContractError('headers must be an array of [name, value] string pairs');
    }
    head = { status, headers };
    return write;
  };

  return { startResponse, write, finish: sendHeadOnce, headersSent: () => sent };
}
// #endregion responder
