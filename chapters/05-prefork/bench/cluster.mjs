// The baseline: node:cluster + node:http serving the same hello-world page as
// chapters/02-contract/apps/hello.ts, with the same headers (Server, Date, Connection, Content-Type,
// Content-Length). Plain JavaScript, so its workers run without a TypeScript loader, as prefork's do.
//
//   node cluster.mjs WORKERS [PORT]
//
// Prints one JSON line when every worker listens: {"url":"http://127.0.0.1:PORT","workers":[pid,...]}.
// The primary stops its workers on TERM/INT, and when its stdin closes (its parent died).
// Scheduling: node's default on Linux (round-robin: the primary accepts, workers serve);
// NODE_CLUSTER_SCHED_POLICY=none makes the workers accept on the shared socket, like prefork's.
import cluster from 'node:cluster';
import http from 'node:http';

const body = Buffer.from('Hello, world!\n');

if (cluster.isPrimary) {
  const count = Number(process.argv[2] ?? 2);
  const port = Number(process.argv[3] ?? 0);
  cluster.setupPrimary({ args: [String(count), String(port)] });
  const pids = [];
  let url = '';
  cluster.on('listening', (worker, address) => {
    pids.push(worker.process.pid);
    url = `http://127.0.0.1:${address.port}`;
    if (pids.length === count) process.stdout.write(`${JSON.stringify({ url, workers: pids })}\n`);
  });
  // Port 0 in cluster mode: every worker gets the same port from the primary.
  for (let i = 0; i < count; i++) cluster.fork();
  const stop = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop).on('error', stop).resume();
} else {
  const port = Number(process.argv[3] ?? 0);
  const server = http.createServer((req, res) => {
    res.writeHead(200, {
      Server: 'node-cluster/20',
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': String(body.length),
    });
    res.end(body);
  });
  server.keepAliveTimeout = 5000;
  server.listen(port, '127.0.0.1');
}
