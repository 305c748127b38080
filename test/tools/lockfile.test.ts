// The committed package-lock.json is the one npm writes: `npm install` on a fresh clone must leave it
// untouched. (.ci/complete-lockfile.mjs adds entries npm cannot write here, for platform packages the
// registry mirror lacks; it once wrote their keys in its own order, and every install rewrote them.)
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');

it('npm leaves the committed lockfile as it is', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prefork-lock-'));
  try {
    for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(repo, f), join(dir, f));
    // The installed tree stands in for the registry: --offline, and nothing is fetched or installed.
    symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const npm = spawnSync('npm', ['install', '--package-lock-only', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(npm.status, npm.stderr).toBe(0);
    const written = readFileSync(join(dir, 'package-lock.json'), 'utf8');
    expect(written === readFileSync(join(repo, 'package-lock.json'), 'utf8'), 'npm rewrote package-lock.json: commit the lock npm writes (see .ci/complete-lockfile.mjs)').toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
