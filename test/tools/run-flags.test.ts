// The stage runner's command line as a learner types it: flags npm swallows, and the diff's pager.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { swallowedFlags } from '../../chapters/tools/npm-flags.ts';
import { page, pagerCommand } from '../../chapters/tools/pager.ts';

const repo = join(import.meta.dirname, '..', '..');
const underNpm = (config: Record<string, string>): NodeJS.ProcessEnv => ({ npm_lifecycle_event: 'chapter', ...config });

describe('flags npm keeps for itself', () => {
  it('says how to pass them on, with the values npm left as stray arguments', () => {
    expect(swallowedFlags(underNpm({ npm_config_diff: 'true' }), '3', [])).toBe('npm run chapter 3 -- --diff');
    expect(swallowedFlags(underNpm({ npm_config_port: 'true', npm_config_mine: 'true' }), '3', ['9000'])).toBe('npm run chapter 3 -- --mine --port 9000');
    expect(swallowedFlags(underNpm({ npm_config_port: '9001' }), 'http', [])).toBe('npm run chapter http -- --port=9001');
  });

  it('says nothing when the flags came through, or outside npm run chapter', () => {
    expect(swallowedFlags(underNpm({}), '3', ['--diff'])).toBeNull();
    expect(swallowedFlags({ npm_config_diff: 'true' }, '3', [])).toBeNull();
  });

  it('npm run chapter 3 --diff stops with the command to type instead of running the stage', () => {
    const run = spawnSync('npm', ['run', 'chapter', '3', '--diff'], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toContain('npm kept the flags for itself: flags for the chapter go after --, so write\n  npm run chapter 3 -- --diff');
  });
});

describe('the pager for long output', () => {
  it('is $PAGER, else less -R, and only on a terminal', () => {
    expect(pagerCommand({ PAGER: 'most' }, true)).toBe('most');
    expect(pagerCommand({ PAGER: ' ' }, true)).toBe('less -R');
    expect(pagerCommand({}, true)).toBe('less -R');
    expect(pagerCommand({ PAGER: 'most' }, false)).toBeNull();
  });

  it('hands the text to the pager command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prefork-pager-'));
    try {
      const file = join(dir, 'paged.txt');
      page('line 1\nline 2\n', { ...process.env, PAGER: `cat > '${file}'` }, true);
      expect(readFileSync(file, 'utf8')).toBe('line 1\nline 2\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
