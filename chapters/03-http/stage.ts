// Stage 3: our own HTTP/1.1. The same kind of app as chapter 2, but every byte between the socket and
// the app now goes through src/http/: the request parser, its limits, the body framing, the writer.
import { connect } from 'node:net';
import { join, relative } from 'node:path';
import { startHttpServer } from '../../src/http/server.ts';
import { Checklist, heading, listenSomewhere, narrate, note, outsideCut, stageArgs, stopOnSignals } from '../tools/stage.ts';
import { app } from './app.ts';

const args = stageArgs();
const logged: string[] = [];
const show = (level: string) => (line: string): void => {
  logged.push(`${level} ${line}`);
  note(`    ${level}: ${line.split('\n')[0]}`);
};
const server = await listenSomewhere(
  (port) => startHttpServer({ app, host: args.host, port, log: { error: show('error'), warning: show('warning'), info: show('info') } }),
  args.port,
);
const { url, port } = server;
// Raw bytes go out through a few lines of node (nc does the same, where it is installed).
const send = `node ${relative(process.cwd(), outsideCut(join(import.meta.dirname, '..', 'tools', 'send-bytes.mjs')))} ${args.host} ${port}`;

if (args.once) process.exit(await scenario());

heading('Chapter 3 — HTTP/1.1 by hand');
narrate([
  `Our own parser and writer now speak HTTP on ${url}; node:http is gone. Requests are bytes, so send bytes`,
  '(send-bytes.mjs writes its input to the socket and prints the answer, like nc):',
  '',
  `$ printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' | ${send}`,
  '  (the answer comes at once; the connection stays open for the 2 s keep-alive timeout, then closes)',
  `$ printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nGET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' | ${send}`,
  '  (two pipelined requests, two answers in order, one client port)',
  `$ curl -v -H 'Transfer-Encoding: chunked' -d 'sent in chunks' ${url}/echo`,
  `$ curl -i ${url}/stream                  # no length from the app: Transfer-Encoding: chunked`,
  `$ curl -I ${url}/                        # HEAD: the headers, never a body`,
  '',
  'And the ones the server refuses, each with its status and one warning line here:',
  `$ printf 'GET /%s HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' $(head -c 5000 /dev/zero | tr '\\0' a) | ${send}      # 414`,
  `$ (printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\n'; for i in $(seq 101); do printf 'X-%s: 1\\r\\n' $i; done; printf '\\r\\n') | ${send}   # 431`,
  `$ printf 'POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 4\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n' | ${send}   # 400: smuggling`,
  `$ printf 'POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: gzip\\r\\n\\r\\n' | ${send}   # 501`,
  `$ printf 'GET / HTTP/2.0\\r\\nHost: x\\r\\n\\r\\n' | ${send}   # 505`,
  `$ curl -i '${url}/bad-header?x'         # the app tried response splitting: 500, the header never sent`,
  '',
  'Press Ctrl-C to stop.',
]);
stopOnSignals(() => server.close());

/**
 * One connection: sends `bytes`, then calls `reply` with everything received so far after each read;
 * reply may return more bytes to send. Resolves with all that was received once the connection closes.
 */
function converse(bytes: string, reply: (got: string) => string | undefined = () => undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, args.host);
    let got = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no close within 5 s; got ${JSON.stringify(got.slice(0, 200))}`));
    }, 5000);
    sock.on('connect', () => sock.write(Buffer.from(bytes, 'latin1')));
    sock.on('data', (c) => {
      got += c.toString('latin1');
      const more = reply(got);
      if (more !== undefined) sock.write(Buffer.from(more, 'latin1'));
    });
    sock.on('error', reject);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
  });
}
function statusOf(response: string): number {
  return Number(response.slice(9, 12));
}
function statuses(response: string): number[] {
  return [...response.matchAll(/^HTTP\/1\.1 (\d{3}) /gm)].map((m) => Number(m[1]));
}

async function scenario(): Promise<number> {
  heading(`Chapter 3 scenario against ${url}`);
  const list = new Checklist();
  const host = 'Host: stage\r\n';

  const good = await converse(`GET / HTTP/1.1\r\n${host}Connection: close\r\n\r\n`);
  list.check('a good request gets 200 with a Content-Length, Date and Server', statusOf(good) === 200 && /\r\nContent-Length: \d+\r\n/.test(good) && /\r\nDate: .* GMT\r\n/.test(good) && good.includes('\r\nServer: '));

  const pair = await converse(`GET / HTTP/1.1\r\n${host}\r\nGET /nowhere HTTP/1.1\r\n${host}Connection: close\r\n\r\n`);
  list.check('a pipelined pair is answered in order on one connection', statuses(pair).join() === '200,404', statuses(pair).join());

  // Keep-alive: the second request goes out only after the first answer came back on the same socket.
  let asked = false;
  const twice = await converse(`GET / HTTP/1.1\r\n${host}\r\n`, (got) => {
    if (asked || !got.endsWith('\n') || !got.includes('client port')) return undefined;
    asked = true;
    return `GET / HTTP/1.1\r\n${host}Connection: close\r\n\r\n`;
  });
  const ports = [...twice.matchAll(/client port (\d+)/g)].map((m) => m[1]);
  list.check('keep-alive: a second request on the same connection (same client port)', ports.length === 2 && ports[0] === ports[1], ports.join(' = '));

  const upload = await converse(`POST /echo HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n6\r\nchunky\r\n7\r\n upload\r\n0\r\n\r\n`);
  list.check('a chunked upload reaches the app de-chunked', statusOf(upload) === 200 && upload.endsWith('\r\n\r\nchunky upload'));

  const stream = await converse(`GET /stream HTTP/1.1\r\n${host}Connection: close\r\n\r\n`);
  list.check('a streamed response without a length goes out chunked', stream.includes('Transfer-Encoding: chunked') && stream.endsWith('0\r\n\r\n'));

  const head = await converse(`HEAD / HTTP/1.1\r\n${host}Connection: close\r\n\r\n`);
  list.check('HEAD gets the headers and no body', statusOf(head) === 200 && head.endsWith('\r\n\r\n'));

  // The client sends its body only once the server said "100 Continue".
  const continued = await converse(`POST /echo HTTP/1.1\r\n${host}Expect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n`, (got) =>
    got === 'HTTP/1.1 100 Continue\r\n\r\n' ? 'ok' : undefined,
  );
  list.check('Expect: 100-continue gets "100 Continue", then the body is read', continued.startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK') && continued.endsWith('ok'));

  const refusals: [string, string, number][] = [
    ['a 5000-byte request line gets 414 URI Too Long', `GET /${'a'.repeat(5000)} HTTP/1.1\r\n${host}\r\n`, 414],
    ['101 header fields get 431 Request Header Fields Too Large', `GET / HTTP/1.1\r\n${host}${'X-Many: 1\r\n'.repeat(101)}\r\n`, 431],
    ['Content-Length with Transfer-Encoding (smuggling) gets 400', `POST /echo HTTP/1.1\r\n${host}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
    ['obs-fold gets 400', `GET / HTTP/1.1\r\n${host}X-Folded: a\r\n b\r\n\r\n`, 400],
    ['Transfer-Encoding: gzip gets 501 Not Implemented', `POST /echo HTTP/1.1\r\n${host}Transfer-Encoding: gzip\r\n\r\n`, 501],
    ['HTTP/2.0 gets 505 HTTP Version Not Supported', `GET / HTTP/2.0\r\n${host}\r\n`, 505],
  ];
  for (const [what, bytes, status] of refusals) {
    const before = logged.length;
    const got = await converse(bytes);
    const lines = logged.slice(before);
    list.check(what, statusOf(got) === status && got.includes('\r\nConnection: close\r\n') && lines.length === 1 && lines[0]!.startsWith('warning Invalid request from ip='), `got ${statusOf(got)}`);
  }

  const before = logged.length;
  const bad = await converse(`GET /bad-header?x HTTP/1.1\r\n${host}\r\n`);
  list.check('an app header with CR/LF: 500, the header never sent, the error logged', statusOf(bad) === 500 && !bad.includes('stolen') && logged.slice(before).some((l) => l.startsWith('error Error handling request GET /bad-header')));

  const after = await converse(`GET / HTTP/1.1\r\n${host}Connection: close\r\n\r\n`);
  list.check('after all that, the same server still answers', statusOf(after) === 200);

  await server.close();
  return list.finish();
}
