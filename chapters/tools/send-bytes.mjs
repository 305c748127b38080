#!/usr/bin/env node
// Sends its standard input to HOST PORT as raw bytes and prints every byte that comes back, until the
// server closes the connection: what `nc HOST PORT` does in chapter 3's walkthrough, with nothing to
// install. Like nc, it keeps its side open once the input ends, so a keep-alive connection stays open
// until the server's timeout closes it.
//   printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | node chapters/tools/send-bytes.mjs 127.0.0.1 8000
import { connect } from 'node:net';

const [host, portText, ...extra] = process.argv.slice(2);
const port = Number(portText);
if (!host || !Number.isInteger(port) || port < 1 || port > 65535 || extra.length > 0) {
  console.error('usage: node chapters/tools/send-bytes.mjs HOST PORT   (the bytes to send come on standard input; PORT from 1 to 65535)');
  process.exit(2);
}

const socket = connect(port, host);
let answered = false;
socket.on('connect', () => process.stdin.on('data', (chunk) => socket.write(chunk)));
socket.on('data', (chunk) => {
  answered = true;
  process.stdout.write(chunk);
});
socket.on('error', (err) => {
  // A server that refuses a request answers, then closes while the rest of it is still coming: the
  // reset that follows is the end of the conversation, not a failure.
  if (answered && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) process.exit(0);
  console.error(`send-bytes: ${host}:${port}: ${err.message}`);
  process.exit(1);
});
// Once the server closes, nothing more can come back: stop reading the input too.
socket.on('close', () => process.exit(0));
