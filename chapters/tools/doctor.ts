// `npm run doctor`: is this laptop ready for the workshop? Each check prints one line, `ok`, `warn` or
// `FAIL`, with what to do about it, and the exit code is 1 when any check FAILs. It takes a few seconds,
// so run it before the workshop and again whenever one laptop behaves oddly.
//
// The verdicts are small pure functions (exported, and unit-tested in test/tools/doctor.test.ts); the
// checks around them only gather facts from the machine.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Verdict = 'ok' | 'warn' | 'FAIL';
export interface Result {
  verdict: Verdict;
  /** What was found and, unless it is ok, what to do about it: one line. */
  text: string;
}

const ok = (text: string): Result => ({ verdict: 'ok', text });
const warn = (text: string): Result => ({ verdict: 'warn', text });
const fail = (text: string): Result => ({ verdict: 'FAIL', text });

// Not cut.ts's repoRoot: importing cut.ts imports chapters/index.ts, and a broken chapter map must show
// as a FAIL line of the cuts check, not crash the doctor before it prints anything.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// ---------------------------------------------------------------------------------------------------
// Verdicts

/** Node 20, 22 and 24 are the tested LTS lines. `--import tsx` and `--mine` need module.register (20.6). */
export function nodeVerdict(version: string): Result {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 6)) {
    return fail(`${version} is too old: install Node.js 20.6 or newer (22 or 24 are fine too), e.g. with nvm or fnm`);
  }
  if (major % 2 === 1) return warn(`${version} is not an LTS line: it should work, but only 20, 22 and 24 are tested`);
  if (major > 24) return warn(`${version} is newer than the tested lines (20, 22, 24): it should work`);
  return ok(`${version} (a tested LTS line)`);
}

/** WSL's kernel names itself in /proc/version: "...-microsoft-standard-WSL2" on WSL 2, "...-Microsoft" on WSL 1. */
export function wslVersion(procVersion: string | null): 1 | 2 | null {
  if (!procVersion || !/microsoft|wsl/i.test(procVersion)) return null;
  return /microsoft-standard|wsl2/i.test(procVersion) ? 2 : 1;
}

export const WINDOWS_HELP =
  'Windows has no Unix processes or signals, which the server is made of: install WSL 2 ' +
  '(`wsl --install` in an administrator PowerShell, then restart), clone the repository inside Linux ' +
  '(under ~, not /mnt/c) and run npm install and npm run doctor there';

/** The operating system, and for WSL where the repository lives. */
export function systemVerdict(platform: NodeJS.Platform, procVersion: string | null, repoDir: string): Result {
  if (platform === 'win32') return fail(WINDOWS_HELP);
  if (platform === 'darwin') return ok('macOS');
  if (platform !== 'linux') return warn(`${platform} is untested: the server needs POSIX signals and fork-style processes`);
  const wsl = wslVersion(procVersion);
  if (wsl === 1) return warn('WSL 1: upgrade this distribution to WSL 2 (`wsl --set-version <distro> 2` in PowerShell)');
  if (wsl === 2 && /^\/mnt\/[a-z](\/|$)/i.test(repoDir)) {
    return warn(`WSL 2, but the repository is on a Windows drive (${repoDir}): file access and watching are slow there; clone it under ~ instead`);
  }
  return ok(wsl === 2 ? 'Linux on WSL 2: fine' : 'Linux');
}

/** A tool that must run (`--version` exits 0): macOS ships stubs of python3 and git that only offer an install. */
export function toolVerdict(name: string, firstLine: string | null, why: string, severity: 'warn' | 'FAIL'): Result {
  if (firstLine !== null) return ok(firstLine);
  const fix = `install ${name} (macOS: xcode-select --install or brew install ${name}; Debian/Ubuntu/WSL: sudo apt install ${name})`;
  return { verdict: severity, text: `${name} not found or does not run: ${why}; ${fix}` };
}

/** Every devDependency of package.json must be in node_modules. */
export function installVerdict(devDependencies: string[], present: (name: string) => boolean): Result {
  const missing = devDependencies.filter((d) => !present(d));
  if (missing.length === 0) return ok(`node_modules holds all ${devDependencies.length} devDependencies`);
  const shown = missing.length > 4 ? `${missing.slice(0, 4).join(', ')} and ${missing.length - 4} more` : missing.join(', ');
  return fail(`missing ${shown}: run npm install (behind a proxy, set npm's proxy first: see the set-up checklist)`);
}

/**
 * What `tsc` said about one cut. Errors only in exercises/ are the learner's work in progress; any other
 * error means the install or the repository is broken.
 */
export function typeCheckVerdict(chapters: number, tsc: { status: number | null; output: string; timedOut: boolean }): Result {
  const cut = `${chapters} chapters cut`;
  if (tsc.timedOut) return warn(`${cut}; chapter 1's type check took over 20 s and was skipped (a slow or busy machine)`);
  if (tsc.status === 0) return ok(`${cut}; chapter 1 type-checks`);
  const errors = tsc.output.split('\n').filter((l) => /error TS\d+/.test(l));
  const first = (errors[0] ?? tsc.output.trim().split('\n')[0] ?? '').replace(/^.*\.cuts[\\/]\d+[\\/]/, '');
  if (errors.length > 0 && errors.every((l) => /[\\/]exercises[\\/]/.test(l))) {
    return warn(`${cut}; your code in exercises/ has type errors (fine mid-exercise): ${first}`);
  }
  return fail(`${cut}, but chapter 1 does not type-check: ${first}; run npm install again, and if it stays, git status shows what changed`);
}

export function diskVerdict(freeBytes: number): Result {
  const text = freeBytes >= 2 ** 30 ? `${(freeBytes / 2 ** 30).toFixed(1)} GB free` : `${Math.round(freeBytes / 2 ** 20)} MB free`;
  return freeBytes < 500 * 2 ** 20 ? warn(`${text}: logs, cuts and npm's cache need room; free at least 500 MB`) : ok(text);
}

// ---------------------------------------------------------------------------------------------------
// Checks: each gathers its facts and returns a verdict

/** The first line `cmd --version` prints, or null when it is missing or fails. */
function versionOf(cmd: string): string | null {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) return null;
  // "curl 7.88.1 (x86_64-pc-linux-gnu) libcurl/7.88.1 ..." is shown as "curl 7.88.1".
  return (`${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? cmd).replace(/ \(.*$/, '');
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Rejects with `what` when the promise takes longer than `ms`. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Every stage listens on 127.0.0.1 and every test connects to it: bind port 0, connect, read a reply. */
async function loopback(): Promise<Result> {
  const server = createServer((socket) => socket.end('pong'));
  try {
    server.listen(0, '127.0.0.1');
    await within(3000, 'could not listen on 127.0.0.1', once(server, 'listening'));
    const { port } = server.address() as AddressInfo;
    const reply = await within(3000, `connecting to 127.0.0.1:${port} got no answer (a firewall or VPN client?)`, new Promise<string>((resolve, reject) => {
      let text = '';
      const client = connect(port, '127.0.0.1');
      client.on('data', (d) => (text += d)).on('end', () => resolve(text)).on('error', reject);
    }));
    return reply === 'pong' ? ok(`bound 127.0.0.1:${port} and talked to it`) : fail(`127.0.0.1:${port} answered "${reply}" instead of "pong"`);
  } finally {
    server.close();
  }
}

// The child says "ready" once its handler is installed, and exits 0 when SIGUSR2 reaches that handler.
const SIGNAL_CHILD = `process.on('SIGUSR2', () => process.exit(0)); console.log('ready'); setTimeout(() => process.exit(3), 10000);`;

/** The master drives its workers with signals (TERM, QUIT, USR1, ...): a child process must receive one. */
async function signals(): Promise<Result> {
  if (process.platform === 'win32') return fail('Windows has no SIGUSR2 (nor HUP, TTIN, ...): run the workbook in WSL 2');
  const child = spawn(process.execPath, ['-e', SIGNAL_CHILD], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    exited.catch(() => {}); // a spawn error rejects it before it is awaited; the 'data' wait reports it
    await within(5000, 'the child process did not start', once(child.stdout, 'data'));
    child.kill('SIGUSR2');
    const [code, signal] = await within(5000, 'the child did not react to SIGUSR2', exited);
    return code === 0 ? ok('a child process received SIGUSR2') : fail(`the child ended with ${signal ?? `code ${code}`} instead of handling SIGUSR2`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

async function install(): Promise<Result> {
  if (!existsSync(join(root, 'node_modules'))) return fail('no node_modules: run npm install in the repository');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
  const found = installVerdict(Object.keys(pkg.devDependencies ?? {}), (d) => existsSync(join(root, 'node_modules', d, 'package.json')));
  if (found.verdict !== 'ok') return found;
  // Every npm script starts with `node --import tsx`.
  try {
    await import('tsx/esm/api');
  } catch (err) {
    return fail(`tsx cannot be imported (${(err as Error).message.split('\n')[0]}): run npm install again`);
  }
  return ok(`${found.text}; tsx loads`);
}

/** The stages and the docs run from the cuts: cut every chapter, then type-check the first one. */
async function cuts(): Promise<Result> {
  let cut: typeof import('./cut.ts');
  try {
    cut = await import('./cut.ts');
    cut.cutAll();
  } catch (err) {
    return fail(`the chapters cannot be cut: ${(err as Error).message.split('\n')[0]}`);
  }
  const { writtenChapters } = await import('../index.ts');
  const tscBin = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tscBin)) return warn(`${writtenChapters.length} chapters cut; not type-checked (no typescript: run npm install)`);
  // Incremental: a second run only re-checks what changed (the build info lives beside the cuts).
  const args = ['--noEmit', '--incremental', '--tsBuildInfoFile', join(cut.cutsRoot, 'doctor-01.tsbuildinfo'), '-p', join(cut.cutDir(1), 'tsconfig.json')];
  const tsc = spawnSync(process.execPath, [tscBin, ...args], { cwd: root, encoding: 'utf8', timeout: 20_000 });
  return typeCheckVerdict(writtenChapters.length, { status: tsc.status, output: `${tsc.stdout}${tsc.stderr}`, timedOut: tsc.error !== undefined });
}

function disk(): Result {
  const fs = statfsSync(root);
  return diskVerdict(fs.bavail * fs.bsize);
}

const checks: [name: string, run: () => Result | Promise<Result>][] = [
  ['node', () => nodeVerdict(process.version)],
  ['system', () => systemVerdict(process.platform, readOrNull('/proc/version'), root)],
  ['curl', () => toolVerdict('curl', versionOf('curl'), 'every chapter talks to its server with curl', 'FAIL')],
  ['python3', () => toolVerdict('python3', versionOf('python3'), "chapter 1's env.py CGI script runs on it", 'FAIL')],
  ['git', () => toolVerdict('git', versionOf('git'), '`npm run chapter N -- --diff` uses it, and `npm run grade` reads your name from it', 'warn')],
  ['loopback', loopback],
  ['signals', signals],
  ['install', install],
  ['cuts', cuts],
  ['disk', disk],
];

/** The names of the checks, in the order they print. */
export const checkNames = checks.map(([name]) => name);

export function formatLine(name: string, result: Result): string {
  return `${result.verdict.padEnd(5)} ${name.padEnd(9)} ${result.text}`;
}

/** Runs every check, prints one line each and a summary; resolves to the number of FAILs. */
export async function runDoctor(print: (line: string) => void = console.log): Promise<number> {
  const started = Date.now();
  print('Checking this machine for the prefork workbook:');
  const verdicts: Verdict[] = [];
  for (const [name, run] of checks) {
    let result: Result;
    try {
      result = await run();
    } catch (err) {
      result = fail((err as Error).message.split('\n')[0] ?? String(err));
    }
    verdicts.push(result.verdict);
    print(formatLine(name, result));
  }
  const count = (v: Verdict): number => verdicts.filter((x) => x === v).length;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const tally = `${count('ok')} ok, ${count('warn')} warn, ${count('FAIL')} FAIL, ${seconds} s`;
  print(count('FAIL') === 0 ? `Ready (${tally}). Next: npm run chapter 1` : `Not ready (${tally}): fix the FAIL lines, then run npm run doctor again`);
  return count('FAIL');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = (await runDoctor()) > 0 ? 1 : 0;
}
