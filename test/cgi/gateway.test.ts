// The CGI server end to end: real scripts, real processes, real sockets.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCgiServer } from '../../src/cgi/server.ts';
import type { RunningServer } from '../../src/front/node-http.ts';
import { processAlive, waitFor } from '../helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'cgi-test-'));
const script = (name: string, body: string): void => {
  writeFileSync(join(dir, name), body);
  chmodSync(join(dir, name), 0o755);
};
script('hello.sh', `printf 'Content-Type: text/plain\\n\\nhi %s\\n' "$$"`);
script('env.sh', `printf 'Content-Type: text/plain\\n\\n'; env | sort`);
script('cat.sh', `printf 'Content-Type: application/octet-stream\\nX-Length: %s\\n\\n' "$CONTENT_LENGTH"; cat`);
script('teapot.py', `print("Status: 418 I'm a teapot\\r\\nContent-Type: text/plain\\r\\n\\r\\nshort and stout", end="")`);
script('node.mjs', `process.stdout.write('Content-Type: text/plain\\n\\nnode ' + process.env.REQUEST_METHOD)`);
script('redirect.sh', `printf 'Location: /cgi-bin/hello.sh\\n\\n'`);
script('loop.sh', `printf 'Location: /cgi-bin/loop.sh\\n\\n'`);
script('away.sh', `printf 'Location: https://example.test/\\n\\n'`);
script('garbage.sh', `echo garbage; echo 'something broke' >&2; exit 3`);
script('exit1.sh', `printf 'Content-Type: text/plain\\n\\npartial success\\n'; exit 1`);
script('slow.sh', `sleep 30 & echo $! > "${dir}/slow-child.pid"; wait`);
script('huge.sh', `printf 'Content-Type: text/plain\\n\\n'; head -c 200000 /dev/zero`);
writeFileSync(join(dir, 'noexec.bin'), 'not a program');

const log: string[] = [];
let server: RunningServer;
beforeAll(async () => {
  server = await startCgiServer({ scriptsDir: dir, timeoutMs: 1500, maxOutput: 100_000, maxBody: 1000, log: (l) => log.push(l) });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) {
  return fetch(`${server.url}${path}`, { redirect: 'manual', ...init }).then(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() }));
}

function rawStatus(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpRequest(`${server.url}${path}`, { path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

describe('CGI gateway', () => {
  it('runs every request in a new process', async () => {
    const a = await get('/cgi-bin/hello.sh');
    const b = await get('/cgi-bin/hello.sh');
    expect(a.status).toBe(200);
    expect(a.text).toMatch(/^hi \d+\n$/);
    expect(a.text).not.toBe(b.text);
  });

  it('passes the meta-variables and only them', async () => {
    const r = await get('/cgi-bin/env.sh/x%20y?q=1', { headers: { 'X-Trace': 'abc' } });
    const env = Object.fromEntries(r.text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(env).toMatchObject({ SCRIPT_NAME: '/cgi-bin/env.sh', PATH_INFO: '/x y', QUERY_STRING: 'q=1', HTTP_X_TRACE: 'abc', REQUEST_METHOD: 'GET' });
    expect(env.SERVER_PORT).toBe(String(server.port));
    // The server's own environment (HOME, PATH of the test runner...) does not leak to scripts.
    expect(env.HOME).toBeUndefined();
  });

  it('puts the body on stdin and its length in CONTENT_LENGTH', async () => {
    const r = await get('/cgi-bin/cat.sh', { method: 'POST', body: 'a=1&b=2' });
    expect(r.text).toBe('a=1&b=2');
    expect(r.headers.get('x-length')).toBe('7');
  });

  it('takes the status from Status, in any language', async () => {
    const r = await get('/cgi-bin/teapot.py');
    expect(r.status).toBe(418);
    expect(r.text).toBe('short and stout');
    expect((await get('/cgi-bin/node.mjs', { method: 'DELETE' })).text).toBe('node DELETE');
  });

  it('follows local redirects inside the server and stops a redirect loop', async () => {
    expect((await get('/cgi-bin/redirect.sh')).text).toMatch(/^hi \d+/);
    expect((await get('/cgi-bin/loop.sh')).status).toBe(500);
    expect(log.some((l) => l.includes('local redirects'))).toBe(true);
  });

  it('passes client redirects to the client', async () => {
    const r = await get('/cgi-bin/away.sh');
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('https://example.test/');
  });

  it('answers 502 for garbage and logs the script stderr and exit code', async () => {
    expect((await get('/cgi-bin/garbage.sh')).status).toBe(502);
    expect(log.some((l) => l.includes('garbage.sh') && l.includes('stderr: something broke'))).toBe(true);
    expect(log.some((l) => l.includes('garbage.sh') && l.includes('exit code 3'))).toBe(true);
  });

  it('sends a valid response even when the script exits non-zero, and logs it', async () => {
    const r = await get('/cgi-bin/exit1.sh');
    expect([r.status, r.text]).toEqual([200, 'partial success\n']);
    expect(log.some((l) => l.includes('exit1.sh') && l.includes('exit code 1'))).toBe(true);
  });

  it('answers 504 for a script that runs too long and kills what it started', async () => {
    const r = await get('/cgi-bin/slow.sh');
    expect(r.status).toBe(504);
    const { readFileSync } = await import('node:fs');
    const child = Number(readFileSync(join(dir, 'slow-child.pid'), 'utf8'));
    await waitFor(() => !processAlive(child), 5000, 'the sleep started by slow.sh to be killed');
  });

  it('answers 502 for output over the limit and for scripts that cannot start', async () => {
    expect((await get('/cgi-bin/huge.sh')).status).toBe(502);
    expect((await get('/cgi-bin/noexec.bin')).status).toBe(502);
    expect(log.some((l) => l.includes('noexec.bin') && l.includes('could not start'))).toBe(true);
  });

  it('answers 404 outside the scripts and for escapes', async () => {
    expect((await get('/cgi-bin/missing.sh')).status).toBe(404);
    expect((await get('/elsewhere')).status).toBe(404);
    // fetch() would normalise these URLs; node:http sends the path exactly as written.
    for (const path of ['/cgi-bin/%2e%2e/cgi-bin/hello.sh', '/cgi-bin/../cgi-bin/hello.sh', '/cgi-bin/..%2fpackage.json']) {
      expect(await rawStatus(path), path).toBe(404);
    }
  });

  it('answers 413 for a body over the limit', async () => {
    expect((await get('/cgi-bin/cat.sh', { method: 'POST', body: 'x'.repeat(5000) })).status).toBe(413);
  });

  it('keeps serving after all of that', async () => {
    expect((await get('/cgi-bin/hello.sh')).status).toBe(200);
  });

  it('sets CONTENT_LENGTH from the de-chunked body of a chunked request', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${server.url}/cgi-bin/cat.sh`, { method: 'POST' }, (res) => {
        let data = '';
        res.on('data', (c: Buffer) => (data += c.toString()));
        res.on('end', () => resolve(`${res.headers['x-length']}:${data}`));
      });
      req.on('error', reject);
      req.write('abc'); // no Content-Length: node:http sends chunked
      req.end('de');
    });
    expect(text).toBe('5:abcde');
  });
});
