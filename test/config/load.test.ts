// @chapter 5
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings, parseCommandLine, shellSplit } from '../../src/config/load.ts';
import { ConfigError, SETTINGS } from '../../src/config/settings.ts';

const fixtures = join(import.meta.dirname, 'fixtures');
const load = (argv: string[], env: Record<string, string> = {}, cwd = '/nonexistent-dir') => loadSettings(argv, env, cwd);
const error = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'no error',
    (e: Error) => (e instanceof ConfigError ? e.message : `not a ConfigError: ${e.message}`),
  );

describe('settings: command line', () => {
  it('has gunicorn defaults', async () => {
    const { settings } = await load([]);
    expect(settings).toMatchObject({ bind: ['127.0.0.1:8000'], workers: 1, worker_class: 'sync', backlog: 2048, timeout: 30, graceful_timeout: 30, keepalive: 2, limit_request_line: 4094, limit_request_fields: 100, limit_request_field_size: 8190, worker_connections: 1000 });
  });

  it('reads short, long, attached and repeated flags, and the app', async () => {
    const { settings } = await load(['app.ts:main', '-w4', '--worker-class=async', '-b', '127.0.0.1:1', '--bind', 'unix:/tmp/x.sock', '--preload', '-t', '0', '-m', '0022']);
    expect(settings).toMatchObject({ app: 'app.ts:main', workers: 4, worker_class: 'async', bind: ['127.0.0.1:1', 'unix:/tmp/x.sock'], preload_app: true, timeout: 0, umask: 0o22 });
  });

  it('names the setting, the value and what is allowed', async () => {
    expect(await error(load(['-w', 'lots']))).toBe('Invalid value for workers (-w/--workers) from the command line: "lots": must be a whole number >= 1');
    expect(await error(load(['-w', '0']))).toMatch(/must be a whole number >= 1/);
    expect(await error(load(['-k', 'gevent']))).toBe('Invalid value for worker_class (-k/--worker-class) from the command line: "gevent": must be one of sync, async');
    expect(await error(load(['--workerz', '2']))).toBe('Unknown option --workerz in the command line. See prefork --help.');
    expect(await error(load(['-w']))).toMatch(/-w in the command line needs a value/);
    expect(await error(load(['a.ts', 'b.ts']))).toMatch(/Expected one application, got 2/);
  });

  it('reads decimal numbers only, except umask which takes octal', async () => {
    expect((await load(['-w', '010'])).settings.workers).toBe(10);
    expect((await load(['-m', '0o027'])).settings.umask).toBe(0o27);
    expect(await error(load(['--backlog', '0x10']))).toMatch(/backlog .* must be a whole number/);
    expect(await error(load(['-m', '0089']))).toMatch(/umask .* must be a whole number/);
  });

  it('parses flags without knowing values: -- ends the options', () => {
    expect(parseCommandLine(['-w', '2', '--', '-odd-name.ts']).positional).toEqual(['-odd-name.ts']);
  });
});

describe('settings: precedence', () => {
  it('command line > PREFORK_CMD_ARGS > config file > defaults; lists are replaced', async () => {
    const fromFile = await load([], {}, fixtures);
    expect(fromFile.configFile).toBe(join(fixtures, 'prefork.config.ts'));
    expect(fromFile.settings).toMatchObject({ workers: availableParallelism() * 2 + 1, keepalive: 5, timeout: 10, bind: ['127.0.0.1:9001', 'unix:/tmp/prefork-test.sock'] });
    const env = await load([], { PREFORK_CMD_ARGS: '-w 3 --bind "127.0.0.1:7000"' }, fixtures);
    expect(env.settings).toMatchObject({ workers: 3, bind: ['127.0.0.1:7000'], keepalive: 5 });
    const cli = await load(['-w', '7'], { PREFORK_CMD_ARGS: '-w 3' }, fixtures);
    expect(cli.settings.workers).toBe(7);
    expect(cli.settings.bind).toEqual(['127.0.0.1:9001', 'unix:/tmp/prefork-test.sock']);
  });

  it('warns about names that are not settings', async () => {
    const { warnings } = await load([], {}, fixtures);
    expect(warnings).toEqual([expect.stringMatching(/Ignoring "wokers" .* no such setting \(did you mean workers\?\)/)]);
  });

  it('reports a bad value in the config file and a missing config file', async () => {
    expect(await error(load(['-c', join(fixtures, 'broken.config.ts')]))).toMatch(/Invalid value for workers \(-w\/--workers\) from the config file .*broken\.config\.ts: "many"/);
    expect(await error(load(['-c', 'missing.config.ts']))).toMatch(/missing\.config\.ts does not exist/);
  });

  it('takes WEB_CONCURRENCY and PORT as defaults, like gunicorn', async () => {
    const { settings } = await load([], { WEB_CONCURRENCY: '6', PORT: '5000' });
    expect([settings.workers, settings.bind]).toEqual([6, ['0.0.0.0:5000']]);
  });
});

describe('settings: bind addresses', () => {
  /* >>> chapters 5-9
  const forms = 'Allowed: HOST:PORT, [IPv6]:PORT, HOST alone (port 8000), :PORT (every interface) or unix:PATH, with HOST an IP address and PORT from 0 to 65535';
  <<< chapters 5-9 */
  // >>> chapter 10
  const forms = 'Allowed: HOST:PORT, [IPv6]:PORT, HOST alone (port 8000), :PORT (every interface), unix:PATH or fd://N, with HOST an IP address, PORT from 0 to 65535 and N from 3 on';
  // <<< chapter 10

  it('takes every form the server binds', async () => {
    const ok = ['127.0.0.1:0', '0.0.0.0', ':8001', '[::1]:65535', '[::]', 'tcp://127.0.0.1:1', 'unix:/tmp/app.sock', 'unix:///tmp/app.sock'];
    // >>> chapter 10
    ok.push('fd://3');
    // <<< chapter 10
    expect((await load(ok.flatMap((b) => ['-b', b]))).settings.bind).toEqual(ok);
  });

  it('refuses the others, naming the setting, the address, what is wrong and the allowed forms', async () => {
    expect(await error(load(['-b', 'nonsense']))).toBe(
      `Invalid value for bind (-b/--bind) from the command line: "nonsense": "nonsense" is not an IP address (names are not looked up: for localhost, write 127.0.0.1). ${forms}`,
    );
    expect(await error(load(['-b', '127.0.0.1:8000', '-b', '127.0.0.1:99999']))).toBe(
      `Invalid value for bind (-b/--bind) from the command line: "127.0.0.1:99999": "99999" is not a valid port number (0 to 65535). ${forms}`,
    );
    /* >>> chapters 5-9
    for (const bad of ['localhost:8000', '127.0.0.1:', '127.0.0.1:-1', '::1:80', '[::1', 'unix:', 'fd://3']) {
    <<< chapters 5-9 */
    // >>> chapter 10
    for (const bad of ['localhost:8000', '127.0.0.1:', '127.0.0.1:-1', '::1:80', '[::1', 'unix:', 'fd://', 'fd://x', 'fd://1']) {
    // <<< chapter 10
      const message = await error(load(['-b', bad]));
      expect(message.startsWith(`Invalid value for bind (-b/--bind) from the command line: ${JSON.stringify(bad)}: `) && message.endsWith(forms), message).toBe(true);
    }
    expect(await error(load([], { PREFORK_CMD_ARGS: '-b 127.0.0.1:70000' }))).toMatch(/^Invalid value for bind \(-b\/--bind\) from PREFORK_CMD_ARGS: "127\.0\.0\.1:70000"/);
    expect(await error(load([], { PORT: 'eighty' }))).toMatch(/^Invalid value for bind \(-b\/--bind\) from PORT: "0\.0\.0\.0:eighty": "eighty" is not a valid port number/);
  });

  it('checks the addresses of a config file too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prefork-bind-'));
    try {
      writeFileSync(join(dir, 'bind.config.mjs'), "export const bind = ['127.0.0.1:8000', 'example.test:80'];\n");
      expect(await error(load(['-c', join(dir, 'bind.config.mjs')]))).toMatch(/^Invalid value for bind \(-b\/--bind\) from the config file .*bind\.config\.mjs: "example\.test:80": "example\.test" is not an IP address/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('shellSplit', () => {
  it('splits like a shell', () => {
    expect(shellSplit(`-w 2  --name 'my app' -e "A=b c" x\\ y`)).toEqual(['-w', '2', '--name', 'my app', '-e', 'A=b c', 'x y']);
    expect(() => shellSplit('"open')).toThrow(/unclosed/);
  });
});

describe('the registry', () => {
  it('has unique names and flags, and defaults that pass their own validation', async () => {
    const flags = SETTINGS.flatMap((s) => s.flags);
    expect(new Set(flags).size).toBe(flags.length);
    expect(new Set(SETTINGS.map((s) => s.name)).size).toBe(SETTINGS.length);
  });
});

// >>> chapter 6
describe('settings: hooks', () => {
  it('takes hooks from the config file, checking they are functions of the right size', async () => {
    const { settings } = await load([], {}, fixtures);
    expect(typeof settings.on_starting).toBe('function');
    expect(settings.when_ready).toBeNull();
    expect(await error(load(['-c', join(fixtures, 'bad-hook.config.ts')]))).toBe(
      `Invalid value for on_exit from the config file ${join(fixtures, 'bad-hook.config.ts')}: "not a function": must be a function taking (server)`,
    );
  });
});
// <<< chapter 6
