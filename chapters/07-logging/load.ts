// Load for the stage and the tests: many requests in parallel from this process, each numbered in a
// header, so every access log line can be matched to the request that caused it.

/** Sends `count` GET requests, `concurrency` at a time; request i carries `X-Seq: <first + i>`. Resolves with the statuses. */
export async function hammer(url: string, count: number, opts: { concurrency?: number; first?: number } = {}): Promise<number[]> {
  const statuses: number[] = new Array(count);
  let next = 0;
  const first = opts.first ?? 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const res = await fetch(`${url}/r/${first + i}?n=${i}`, { headers: { 'x-seq': String(first + i), 'user-agent': 'hammer/1' } });
      await res.arrayBuffer();
      statuses[i] = res.status;
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 32, count) }, lane));
  return statuses;
}
