// @chapter 9
// A steady stream of requests from a few concurrent clients, counting what came back.

export interface LoadResult {
  ok: number;
  failed: number;
  /** Why each failed request failed (status or error), for the test's message. */
  errors: string[];
  /** The first word of each answer (the app's version), with when its request was sent, in order of arrival. */
  versions: { version: string; sent: number }[];
}

/** Starts `clients` loops of one request after another (a new connection each); stop() ends them. */
export function load(url: string, clients = 4): { result: LoadResult; stop(): Promise<LoadResult> } {
  const result: LoadResult = { ok: 0, failed: 0, errors: [], versions: [] };
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      const sent = Date.now();
      try {
        const res = await fetch(url, { headers: { connection: 'close' }, signal: AbortSignal.timeout(15_000) });
        const text = await res.text();
        if (res.status === 200) {
          result.ok += 1;
          result.versions.push({ version: text.split(' ')[0]!, sent });
        } else {
          result.failed += 1;
          result.errors.push(`status ${res.status}`);
        }
      } catch (err) {
        result.failed += 1;
        result.errors.push(String((err as Error).cause ?? err));
      }
    }
  };
  const loops = Array.from({ length: clients }, loop);
  return {
    result,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}
