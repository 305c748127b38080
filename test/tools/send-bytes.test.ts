// chapters/tools/send-bytes.mjs, the raw-bytes sender chapter 3's walkthrough uses instead of nc.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { afterExit } from '../../chapters/tools/stage.ts';

const tool = join(import.meta.dirname, '..', '..', 'chapters', 'tools', 'send-bytes.mjs');
let server: Server | null = null;
afterEach(() => server?.close());

/** Runs the tool with `input` on stdin; resolves with its exit code and output. */
async function send(input: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [tool, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('latin1')));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  child.stdin.end(Buffer.from(input, 'latin1'));
  const { code } = await afterExit(child);
  return { code, out, err };
}

/** A server that answers once it has `expect` bytes, then closes, as an HTTP server ends a connection. */
async function answering(expect: number): Promise<number> {
  server = createServer((sock) => {
    let got = '';
    sock.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (got.length >= expect) sock.end(Buffer.from(`got ${JSON.stringify(got)}\r\n`, 'latin1'));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

describe('send-bytes', () => {
  it('sends its input as it is, prints the answer, and ends when the server closes', async () => {
    const port = await answering(20);
    const bytes = 'GET / HTTP/1.1\r\n\r\n\u00e9\n';
    expect(await send(bytes, ['127.0.0.1', String(port)])).toEqual({ code: 0, out: `got ${JSON.stringify(bytes)}\r\n`, err: '' });
  });

  it('says what is wrong: usage, or a connection refused', async () => {
    const usage = await send('', ['127.0.0.1']);
    expect([usage.code, usage.err]).toEqual([2, expect.stringMatching(/^usage: node chapters\/tools\/send-bytes\.mjs HOST PORT/)]);
    const port = await answering(1);
    await new Promise<void>((r) => server!.close(() => r()));
    server = null;
    const refused = await send('x', ['127.0.0.1', String(port)]);
    expect([refused.code, refused.err]).toEqual([1, expect.stringMatching(/ECONNREFUSED/)]);
  });
});
