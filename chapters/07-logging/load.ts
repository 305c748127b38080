// Load for the stage and the tests: many requests in parallel from this process, each numbered in a
// header, so every access log line can be matched to the request that caused it.
import { Agent, get } from 'node:http';

/** Sends `count` GET requests, `concurrency` at a time; request i carries `X-Seq: <first + i>`. Resolves with the statuses. */
export async function hammer(url: string, count: number, opts: { concurrency?: number; first?: number } = {}): Promise<number[]> {
  const concurrency = Math.min(opts.concurrency ?? 32, count);
  // Kept-alive connections, as a browser or a proxy keeps them.
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses: number[] = new Array(count);
  let next = 0;
  const first = opts.first ?? 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      statuses[i] = await getStatus(`${url}/r/${first + i}?n=${i}`, { 'x-seq': String(first + i), 'user-agent': 'hammer/1' }, agent);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, lane));
  } finally {
    agent.destroy();
  }
  return statuses;
}

/**
 * One GET. A worker closes a kept-alive connection that has idled for `keepalive` seconds; a client
 * that sends its next request on it at that moment sees the connection close with no answer. The
 * server never read that request (no access line), so, as browsers do, it is sent again once, on a
 * new connection (Node's docs for `request.reusedSocket` show the same retry). On a busy machine a
 * connection idles past 2 s easily.
 */
function getStatus(url: string, headers: Record<string, string>, agent: Agent, retried = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (req.reusedSocket && !retried && (err.code === 'ECONNRESET' || err.message === 'socket hang up')) resolve(getStatus(url, headers, agent, true));
      else reject(err);
    });
  });
}
