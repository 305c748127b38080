import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  checkNames,
  diskVerdict,
  formatLine,
  installVerdict,
  nodeVerdict,
  systemVerdict,
  toolVerdict,
  typeCheckVerdict,
  WINDOWS_HELP,
  wslVersion,
} from '../../chapters/tools/doctor.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

// Real /proc/version lines: a WSL 2 kernel, a WSL 1 "kernel" (Windows' translation layer), plain Linux.
const WSL2 = 'Linux version 5.15.153.1-microsoft-standard-WSL2 (root@941d701f84f1) (gcc (GCC) 11.2.0, GNU ld (GNU Binutils) 2.37) #1 SMP Fri Mar 29 23:14:13 UTC 2024';
const WSL1 = 'Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com) (gcc version 5.4.0 (GCC) ) #1237-Microsoft Sat Sep 11 14:32:00 PST 2021';
const LINUX = 'Linux version 6.8.0-45-generic (buildd@lcy02-amd64-115) (x86_64-linux-gnu-gcc-13 (Ubuntu 13.2.0-23ubuntu4) 13.2.0) #45-Ubuntu SMP';

describe('doctor: verdicts', () => {
  it('accepts the tested Node lines, warns on odd and newer ones, fails before 20.6', () => {
    for (const v of ['v20.6.0', 'v20.20.2', 'v22.23.5', 'v24.22.3']) expect(nodeVerdict(v).verdict).toBe('ok');
    for (const v of ['v21.7.3', 'v23.11.0', 'v25.0.0', 'v26.1.0']) expect(nodeVerdict(v).verdict).toBe('warn');
    for (const v of ['v18.20.4', 'v20.5.1', 'v16.0.0']) {
      expect(nodeVerdict(v)).toEqual({ verdict: 'FAIL', text: expect.stringContaining('install Node.js 20.6 or newer') });
    }
  });

  it('tells WSL 2 from WSL 1 and from plain Linux by /proc/version', () => {
    expect(wslVersion(WSL2)).toBe(2);
    expect(wslVersion(WSL1)).toBe(1);
    expect(wslVersion(LINUX)).toBeNull();
    expect(wslVersion(null)).toBeNull();
  });

  it('fails native Windows and says how to use WSL 2 instead', () => {
    const r = systemVerdict('win32', null, 'C:\\Users\\ada\\prefork-workbook');
    expect(r).toEqual({ verdict: 'FAIL', text: WINDOWS_HELP });
    expect(WINDOWS_HELP).toContain('wsl --install');
    expect(WINDOWS_HELP).toContain('WSL 2');
    expect(WINDOWS_HELP).toMatch(/not \/mnt\/c/);
  });

  it('accepts Linux, macOS and WSL 2, and warns on WSL 1, on a Windows drive and on other systems', () => {
    expect(systemVerdict('linux', LINUX, '/home/ada/prefork-workbook')).toEqual({ verdict: 'ok', text: 'Linux' });
    expect(systemVerdict('linux', LINUX, '/mnt/c/work')).toEqual({ verdict: 'ok', text: 'Linux' });
    expect(systemVerdict('linux', null, '/work')).toEqual({ verdict: 'ok', text: 'Linux' });
    expect(systemVerdict('darwin', null, '/Users/ada/prefork-workbook').verdict).toBe('ok');
    expect(systemVerdict('linux', WSL2, '/home/ada/prefork-workbook')).toEqual({ verdict: 'ok', text: 'Linux on WSL 2: fine' });
    const onC = systemVerdict('linux', WSL2, '/mnt/c/Users/ada/prefork-workbook');
    expect(onC.verdict).toBe('warn');
    expect(onC.text).toMatch(/Windows drive .*clone it under ~/);
    expect(systemVerdict('linux', WSL1, '/home/ada/x').text).toContain('wsl --set-version');
    expect(systemVerdict('freebsd', null, '/home/ada/x').verdict).toBe('warn');
  });

  it('says how to install a missing tool, at the severity the tool deserves', () => {
    expect(toolVerdict('curl', 'curl 8.5.0', 'why', 'FAIL')).toEqual({ verdict: 'ok', text: 'curl 8.5.0' });
    const curl = toolVerdict('curl', null, 'every chapter uses it', 'FAIL');
    expect(curl.verdict).toBe('FAIL');
    expect(curl.text).toContain('every chapter uses it');
    expect(curl.text).toMatch(/xcode-select --install.*apt install curl/);
    expect(toolVerdict('git', null, 'diffs', 'warn').verdict).toBe('warn');
  });

  it('lists the devDependencies missing from node_modules', () => {
    expect(installVerdict(['tsx', 'vitest'], () => true)).toEqual({ verdict: 'ok', text: 'node_modules holds all 2 devDependencies' });
    const one = installVerdict(['tsx', 'vitest'], (d) => d !== 'vitest');
    expect(one).toEqual({ verdict: 'FAIL', text: expect.stringMatching(/^missing vitest: run npm install/) });
    expect(installVerdict(['a', 'b', 'c', 'd', 'e', 'f'], () => false).text).toMatch(/^missing a, b, c, d and 2 more:/);
  });

  it("reads tsc's verdict on chapter 1's cut: clean, slow, the learner's errors, or a broken install", () => {
    expect(typeCheckVerdict(9, { status: 0, output: '', timedOut: false })).toEqual({ verdict: 'ok', text: '9 chapters cut; chapter 1 type-checks' });
    expect(typeCheckVerdict(9, { status: null, output: '', timedOut: true }).verdict).toBe('warn');
    const mine = ".cuts/01/exercises/01-cgi/script-path.ts(4,7): error TS2322: Type 'number' is not assignable to type 'string'.";
    expect(typeCheckVerdict(9, { status: 2, output: mine, timedOut: false })).toEqual({
      verdict: 'warn',
      text: expect.stringContaining("exercises/ has type errors (fine mid-exercise): exercises/01-cgi/script-path.ts(4,7): error TS2322"),
    });
    const broken = `${mine}\n.cuts/01/src/cgi/gateway.ts(1,20): error TS2307: Cannot find module 'node:http'.`;
    const r = typeCheckVerdict(9, { status: 2, output: broken, timedOut: false });
    expect(r.verdict).toBe('FAIL');
    expect(r.text).toContain('run npm install again');
  });

  it('warns under 500 MB of free disk', () => {
    expect(diskVerdict(100 * 2 ** 20)).toEqual({ verdict: 'warn', text: expect.stringMatching(/^100 MB free: .*500 MB/) });
    expect(diskVerdict(12.34 * 2 ** 30)).toEqual({ verdict: 'ok', text: '12.3 GB free' });
  });

  it('prints aligned lines', () => {
    expect(formatLine('git', { verdict: 'warn', text: 'x' })).toBe('warn  git       x');
    expect(formatLine('loopback', { verdict: 'FAIL', text: 'y' })).toBe('FAIL  loopback  y');
  });
});

describe('doctor: on this machine', () => {
  it('is what `npm run doctor` runs', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.doctor).toBe('node chapters/tools/doctor.mjs');
  });

  it('passes every check, one line each, and exits 0', async () => {
    const run = promisify(execFile)(process.execPath, ['chapters/tools/doctor.mjs'], { cwd: root, timeout: 80_000 });
    const { stdout } = await run.catch((err: { code?: number; stdout?: string }) => {
      throw new Error(`npm run doctor exited with ${err.code}:\n${err.stdout ?? String(err)}`);
    });
    const lines = stdout.trimEnd().split('\n');
    expect(lines.length).toBeLessThan(25);
    for (const name of checkNames) expect(stdout).toMatch(new RegExp(`^(ok|warn) +${name} +\\S`, 'm'));
    expect(lines.filter((l) => /^(ok|warn|FAIL) /.test(l))).toHaveLength(checkNames.length);
    expect(lines.at(-1)).toMatch(/^Ready \(\d+ ok, \d+ warn, 0 FAIL, [\d.]+ s\)/);
  }, 90_000);
});
