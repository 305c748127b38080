import { describe, expect, it } from 'vitest';
import { ContractError, createResponder } from '@answers/02-contract/start-response.ts';
import type { Headers } from '../../../src/app/types.ts';

/** A sink that records what would go on the wire, in order. */
function recorder(): { events: string[]; sink: { sendHead(s: string, h: Headers): void; sendBody(c: Uint8Array): void } } {
  const events: string[] = [];
  return {
    events,
    sink: {
      sendHead: (status, headers) => void events.push(`head ${status} ${headers.map(([n, v]) => `${n}=${v}`).join(',')}`),
      sendBody: (chunk) => void events.push(`body ${Buffer.from(chunk).toString()}`),
    },
  };
}
const fail = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return 'no error';
};

describe('exercise 2.2: startResponse rules', () => {
  it('records the head and sends it only with the first body byte', async () => {
    const { events, sink } = recorder();
    const r = createResponder(sink);
    const write = r.startResponse('200 OK', [['Content-Type', 'text/plain']]);
    expect(events, 'startResponse alone sends nothing').toEqual([]);
    expect(r.headersSent(), 'headersSent() is false before any body').toBe(false);
    await write(Buffer.from('hi'));
    expect(events, 'the head goes out right before the first chunk').toEqual(['head 200 OK Content-Type=text/plain', 'body hi']);
    expect(r.headersSent(), 'headersSent() is true after a body chunk').toBe(true);
  });

  it('sends the head at finish() for an empty body, once', async () => {
    const { events, sink } = recorder();
    const r = createResponder(sink);
    r.startResponse('204 No Content', []);
    await r.write(new Uint8Array(0));
    r.finish();
    expect(events, 'an empty chunk sends the head but no body; finish() does not send it twice').toEqual(['head 204 No Content ']);
  });

  it('refuses a second call without excInfo', () => {
    const r = createResponder(recorder().sink);
    r.startResponse('200 OK', []);
    expect(fail(() => r.startResponse('500 Internal Server Error', [])), 'calling startResponse twice without excInfo throws ContractError').toBeInstanceOf(ContractError);
  });

  it('lets an app replace the head after an error, until it is sent', async () => {
    const { events, sink } = recorder();
    const r = createResponder(sink);
    r.startResponse('200 OK', [['Content-Type', 'text/html']]);
    const write = r.startResponse('500 Internal Server Error', [['Content-Type', 'text/plain']], new Error('boom'));
    await write(Buffer.from('sorry'));
    expect(events[0], 'the replacement head is the one sent').toBe('head 500 Internal Server Error Content-Type=text/plain');
  });

  it('rethrows excInfo when the head has already been sent', async () => {
    const r = createResponder(recorder().sink);
    await r.startResponse('200 OK', [])(Buffer.from('partial'));
    const original = new Error('boom');
    expect(fail(() => r.startResponse('500 Internal Server Error', [], original)), 'too late to change the head: throw the original error itself').toBe(original);
  });

  it('refuses a body before startResponse', async () => {
    const r = createResponder(recorder().sink);
    await expect(r.write(Buffer.from('x')), 'write() before startResponse rejects with ContractError').rejects.toBeInstanceOf(ContractError);
    expect(fail(() => r.finish()), 'finish() before startResponse throws ContractError').toBeInstanceOf(ContractError);
  });

  it('refuses chunks that are not bytes', async () => {
    const r = createResponder(recorder().sink);
    const write = r.startResponse('200 OK', []);
    await expect(write('text' as unknown as Uint8Array), 'a string chunk rejects with ContractError: encode it first').rejects.toBeInstanceOf(ContractError);
  });

  it('checks the status and header shapes', () => {
    const r = createResponder(recorder().sink);
    expect(fail(() => r.startResponse('OK', [])), 'a status without a code is refused').toBeInstanceOf(ContractError);
    expect(fail(() => r.startResponse('200', [])), 'a status without a reason is refused ("200 OK")').toBeInstanceOf(ContractError);
    expect(fail(() => r.startResponse('200 OK', [['X-Count', 1 as unknown as string]])), 'header values must be strings').toBeInstanceOf(ContractError);
    expect(fail(() => r.startResponse('200 OK', { 'X-A': 'b' } as unknown as Headers)), 'headers must be an array of pairs').toBeInstanceOf(ContractError);
  });
});
