// @chapter 2
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildEnviron } from '../../src/app/environ.ts';
import { InputStream } from '../../src/app/input.ts';
import { AppLoadError, loadApp } from '../../src/app/load-app.ts';
import { runApp } from '../../src/app/run-app.ts';
import type { App } from '../../src/app/types.ts';

const fixtures = join(import.meta.dirname, 'fixtures');
const failure = (spec: string, kind?: 'wsgi' | 'fetch'): Promise<AppLoadError> =>
  loadApp(spec, { cwd: fixtures, ...(kind ? { kind } : {}) }).then(
    () => {
      throw new Error(`${spec} loaded`);
    },
    (err: AppLoadError) => err,
  );

async function body(app: App): Promise<string> {
  const chunks: Buffer[] = [];
  const environ = buildEnviron(
    { method: 'GET', protocol: 'HTTP/1.1', scriptName: '', pathInfo: '/', query: '', headers: [], bodyLength: null, remoteAddr: '127.0.0.1', remotePort: 1, serverName: '127.0.0.1', serverPort: 80, serverSoftware: 't' },
    { input: InputStream.from(Buffer.alloc(0)), errors: { write() {}, flush() {} }, urlScheme: 'http', multiprocess: false, multithread: false, runOnce: false },
  );
  await runApp(app, environ, { sendHead() {}, sendBody: (c) => void chunks.push(Buffer.from(c)) });
  return Buffer.concat(chunks).toString();
}

describe('loadApp', () => {
  it('loads both shapes and tells them apart', async () => {
    const wsgi = await loadApp('apps.ts', { cwd: fixtures });
    expect([wsgi.kind, wsgi.exportName, await body(wsgi.app)]).toEqual(['wsgi', 'app', 'wsgi']);
    const fetchStyle = await loadApp('apps.ts:handler', { cwd: fixtures });
    expect([fetchStyle.kind, await body(fetchStyle.app)]).toEqual(['fetch', 'fetch']);
    const object = await loadApp('apps.ts:default', { cwd: fixtures });
    expect([object.kind, await body(object.app)]).toEqual(['fetch', 'default fetch']);
  });

  it('lets the kind be forced for functions whose arity says nothing', async () => {
    expect((await failure('apps.ts:variadic')).message).toMatch(/takes 0 parameters/);
    expect((await loadApp('apps.ts:variadic', { cwd: fixtures, kind: 'wsgi' })).kind).toBe('wsgi');
  });

  it('names the reason for each failure', async () => {
    const cases: [string, string, RegExp][] = [
      ['missing.ts:app', 'not-found', /the file .*missing\.ts does not exist/],
      ['throws.ts', 'import-failed', /importing .*throws\.ts failed: connection refused/],
      ['apps.ts:nothing', 'no-export', /no export named "nothing" \(it exports: .*app.*handler/],
      ['apps.ts:notAnApp', 'not-an-app', /export "notAnApp" .* is number, not a function/],
      ['apps.ts:', 'bad-spec', /not an export name/],
    ];
    for (const [spec, reason, message] of cases) {
      const err = await failure(spec);
      expect(err, spec).toBeInstanceOf(AppLoadError);
      expect(err.reason, spec).toBe(reason);
      expect(err.message, spec).toMatch(message);
    }
  });

  it('says how to serve a default export when the name asked for is missing', async () => {
    expect((await failure('apps.ts:nothing')).message).toMatch(/\(it exports: .*default.*\); to serve the default export, write "apps\.ts:default"$/);
  });

  // >>> chapter 4
  it('checks a module it is handed (a worker bundle) the same way, without needing the file', async () => {
    const importModule = async (): Promise<Record<string, unknown>> => ({ default: { fetch: () => new Response('compiled in') } });
    const loaded = await loadApp('gone.ts:default', { cwd: fixtures, importModule });
    expect([loaded.kind, await body(loaded.app)]).toEqual(['fetch', 'compiled in']);
    const err = await loadApp('gone.ts:app', { cwd: fixtures, importModule }).then(
      () => null,
      (e: AppLoadError) => e,
    );
    expect([err?.reason, err?.message]).toEqual(['no-export', expect.stringMatching(/no export named "app" \(it exports: default\)/)]);
  });
  // <<< chapter 4
});
