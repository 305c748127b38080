// @chapter 5
// A stand-in worker for exercise 5.4's unit tests: plain JavaScript, so it starts in a few tens of ms.
// It writes what it was started with to the file named by SPAWN_TEST_REPORT (an environment variable of
// the test, which reaches it only if the master passes its environment on), then follows the script in
// its boot's `fake` field: ask for socket copies, listen on one and say "booted" (connections get its
// pid); then send the scripted messages, and exit with a code if one is given. Without an IPC channel,
// it can only write the report.
import { renameSync, writeFileSync } from 'node:fs';
import net from 'node:net';

const raw = process.env.PREFORK_WORKER;
const boot = raw ? JSON.parse(raw) : null;
const report = { pid: process.pid, boot, argv: process.argv.slice(2), execArgv: process.execArgv, ipc: typeof process.send === 'function' };
if (process.env.SPAWN_TEST_REPORT) {
  // Written aside, then renamed: the test polls for the file, and must never read it half written.
  writeFileSync(`${process.env.SPAWN_TEST_REPORT}.part`, JSON.stringify(report));
  renameSync(`${process.env.SPAWN_TEST_REPORT}.part`, process.env.SPAWN_TEST_REPORT);
}
if (!report.ipc || !boot?.fake) process.exit(0);

const fake = boot.fake;
// Nobody to talk to any more (the test process went): go.
process.on('disconnect', () => process.exit(0));
const send = (m) => new Promise((resolve) => process.send(m, resolve));

/** After the socket copies (if any were asked for): the scripted messages, then the exit code. */
const script = async () => {
  for (const message of fake.then ?? []) await send(message);
  if (typeof fake.exitCode === 'number') process.exit(fake.exitCode);
};

const copies = [];
let listening = false;
process.on('message', async (m, handle) => {
  if (m?.cmd !== 'handle') return;
  if (!handle || m.listener !== 0) {
    await send({ cmd: 'listen-error', message: `fake worker: got ${JSON.stringify(m)} ${handle ? 'with' : 'without'} a socket` });
    return;
  }
  copies.push(handle);
  if (copies.length < fake.copies || listening) return;
  listening = true;
  const server = net.createServer((socket) => socket.end(`${process.pid}\n`));
  server.listen(copies[0], async () => {
    await send({ cmd: 'booted' });
    await script();
  });
});

if (fake.copies > 0) {
  // A listener the master does not have first, then the real one: IPC keeps the order, so anything
  // sent for the first arrives before the copies of the second.
  await send({ cmd: 'handles', listener: 3, count: 1 });
  await send({ cmd: 'handles', listener: 0, count: fake.copies });
} else await script();
