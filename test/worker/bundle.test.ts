// @chapter 9
// The worker bundle cache: a reload that changed the app writes a new bundle beside the old ones, and
// only the newest few of one app stay on disk.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { workerEntry } from '../../src/worker/bundle.ts';

const root = mkdtempSync(join(tmpdir(), 'prefork-bundle-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An app in its own folder with a node_modules, so that its bundles land in a cache of its own. */
function appFolder(): { dir: string; cache: string; write: (version: number) => void } {
  const dir = mkdtempSync(join(root, 'app-'));
  mkdirSync(join(dir, 'node_modules'));
  const write = (version: number): void =>
    writeFileSync(join(dir, 'app.ts'), `export const app = (_e: unknown, start: (s: string, h: [string, string][]) => void) => { start('200 OK', []); return ['v${version}']; };\n`);
  return { dir, cache: join(dir, 'node_modules', '.cache', 'prefork'), write };
}

const build = async (dir: string): Promise<string> => {
  const entry = await workerEntry('app.ts:app', dir, (why) => {
    throw new Error(`bundling failed: ${why}`);
  });
  return entry.file;
};

describe('worker bundles', () => {
  it('are named by content: the same app gives the same file, a changed one a new file beside it', async () => {
    const { dir, write } = appFolder();
    write(1);
    const first = await build(dir);
    expect(await build(dir)).toBe(first);
    write(2);
    const second = await build(dir);
    expect(second).not.toBe(first);
    expect(existsSync(first) && existsSync(second)).toBe(true);
  });

  it('keep the newest three of an app, so the one in use and the previous one survive many reloads', async () => {
    const { dir, cache, write } = appFolder();
    const files: string[] = [];
    for (let v = 1; v <= 6; v++) {
      write(v);
      files.push(await build(dir));
    }
    const left = readdirSync(cache).filter((f) => f.endsWith('.mjs'));
    expect(left.sort()).toEqual(files.slice(-3).map((f) => f.split('/').at(-1)).sort());
    expect(readdirSync(cache).filter((f) => f.endsWith('.mjs.map'))).toHaveLength(3);
    // Going back to an older version rebuilds its file, and it counts as the newest again.
    write(1);
    expect(await build(dir)).toBe(files[0]);
    expect(existsSync(files[0]!) && existsSync(files[5]!) && existsSync(files[4]!)).toBe(true);
    expect(existsSync(files[3]!)).toBe(false);
  }, 60_000);
});
