// @chapter 5
// What loading TypeScript costs, on the Node.js that runs this script (docs/guide/node-versions.md has the
// numbers for Node 20, 22 and 24):
//   node --import tsx chapters/tools/loaders-bench.ts [rounds]
//
// A worker, one at a time, on hello.ts: milliseconds from fork() to its "booted" message, the CPU time it
// used to get there (less disturbed than the wall clock when other work shares the machine), and its
// resident memory (ps -o rss) once it has been idle for a second, with its children's: tsx keeps an esbuild
// process while it has transformed anything not in its disk cache; then one request, to check it serves.
//   bundle  plain JavaScript that esbuild made in the master: what workers run (src/worker/bundle.ts)
//   tsx     the sources through tsx's loader: --mine, and the fallback when bundling fails
//   strip   the sources through Node's own TypeScript support (22.18+ and 24), no loader at all. The
//           sources use enums and parameter properties, which plain stripping refuses, so this needs
//           --experimental-transform-types (an experimental flag, whose warning is silenced here).
// Every worker gets --max-semi-space-size=1, as bundled workers do, so only the loader differs.
// Then a TypeScript CGI script (chapter 1's form.ts), a new process per request: tsx vs Node's own stripping.
// And the master, `prefork hello.ts:app -w 1`, which always runs on tsx: ms from spawn to the line its
// worker prints first ("Booting worker"): loading the CLI and the config, bundling, forking.
// Variants alternate within each round, so a burst of other work on the machine hits them alike; each
// row shows the median of its rounds.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAddress } from '../../src/sock/address.ts';
import { bind, closeListeners } from '../../src/sock/bind.ts';
import { workerEntry } from '../../src/worker/bundle.ts';
import { sourceEntry, type WorkerEntry } from '../../src/worker/entry.ts';
import { spawnWorker } from '../../src/worker/spawn.ts';
import { handBoot } from '../05-prefork/bench/boot.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const rounds = Number(process.argv[2] ?? 5);
const spec = join(root, 'chapters', '02-contract', 'apps', 'hello.ts') + ':app';
const formScript = join(root, 'chapters', '01-cgi', 'cgi-bin', 'form.ts');
/** Node's own TypeScript support: 'strip' on 22.18+ and 24 (earlier 22s only behind a flag), none on 20. */
const nativeTs = (process.features as { typescript?: string }).typescript;
const semi = '--max-semi-space-size=1';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** CPU milliseconds a process has used (utime + stime in /proc/PID/stat, in clock ticks of 10 ms). */
const cpuMs = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
const rssMb = (pid: number): number =>
  spawnSync('ps', ['-o', 'rss=', '-p', String(pid), '--ppid', String(pid)], { encoding: 'utf8' })
    .stdout.trim().split(/\s+/).reduce((sum, kb) => sum + Number(kb) / 1024, 0);
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fetchOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    }).on('error', () => resolve(false));
  });
}

/** One worker: fork to "booted", RSS after a second idle, one request; then TERM and wait for its exit. */
async function oneWorker(entry: WorkerEntry): Promise<{ ms: number; cpu: number; mb: number }> {
  const listener = bind(parseAddress('127.0.0.1:0'));
  const boot = handBoot(spec, { cwd: root, workerClass: 'async', procName: 'loaders-bench' });
  let exited!: () => void;
  const gone = new Promise<void>((r) => (exited = r));
  let booted!: () => void;
  const up = new Promise<void>((resolve, reject) => {
    booted = resolve;
    void gone.then(() => reject(new Error('the worker exited before it booted')));
  });
  const started = performance.now();
  const child = spawnWorker(entry, boot, () => [listener], {
    booted: () => booted(),
    listenError: (_pid, message) => console.error(`worker cannot listen: ${message}`),
    exit: () => exited(),
  });
  try {
    await up;
    const ms = performance.now() - started;
    const cpu = cpuMs(child.pid!);
    await pause(1000); // idle: what a worker holds between requests
    const mb = rssMb(child.pid!);
    if (!(await fetchOk(listener.name))) throw new Error('the worker did not answer 200');
    return { ms, cpu, mb };
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
    closeListeners([listener]);
  }
}

/** One CGI run of form.ts as the gateway starts it (only meta-variables in the environment): wall ms. */
function oneCgi(args: string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, [...args, formScript], {
    input: 'name=ada',
    env: { REQUEST_METHOD: 'POST', CONTENT_LENGTH: '8', CONTENT_TYPE: 'application/x-www-form-urlencoded' },
  });
  const ms = performance.now() - started;
  if (r.status !== 0 || !r.stdout.toString().startsWith('Status: 201')) throw new Error(`form.ts failed: ${r.stderr}`);
  return ms;
}

/** `prefork hello.ts:app -w 1`: ms from spawn to "Booting worker"; then TERM and wait for its exit. */
async function oneMaster(): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(root, 'src', 'prefork.mjs'), spec, '-w', '1', '-b', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const gone = new Promise((r) => child.once('exit', r));
  try {
    let text = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (c: Buffer) => {
        text += c.toString();
        if (text.includes('Booting worker with pid')) resolve();
      });
      child.once('exit', () => reject(new Error(`prefork exited before it forked a worker:\n${text}`)));
    });
    return performance.now() - started;
  } finally {
    child.kill('SIGTERM');
    await gone;
  }
}

console.log(`Node ${process.version}, native TypeScript: ${nativeTs ?? 'none'}, ${rounds} rounds, medians`);
let built = performance.now();
const bundled = await workerEntry(spec, root, (why) => {
  throw new Error(`could not bundle: ${why}`);
});
console.log(`bundle built by the master in ${(performance.now() - built).toFixed(0)} ms (esbuild, once per app and reload)`);
const bundleMs: number[] = [];
for (let i = 0; i < 3; i++) {
  built = performance.now();
  await workerEntry(spec, root, () => {});
  bundleMs.push(performance.now() - built);
}
console.log(`  again, the app unchanged: ${median(bundleMs).toFixed(0)} ms`);

const tsx = sourceEntry();
const workers: [string, WorkerEntry][] = [
  ['bundle', bundled],
  ['tsx', { ...tsx, execArgv: [...tsx.execArgv, semi] }],
];
const strip = ['--experimental-transform-types', '--disable-warning=ExperimentalWarning'];
if (nativeTs) workers.push(['strip', { file: tsx.file, execArgv: [...strip, semi] }]);
const cgis: [string, string[]][] = [['tsx', ['--import', import.meta.resolve('tsx')]]];
if (nativeTs) cgis.push(['strip', []]);

const results = new Map<string, { ms: number[]; cpu: number[]; mb: number[] }>();
for (let round = 0; round < rounds; round++) {
  for (const [name, entry] of workers) {
    const r = await oneWorker(entry);
    const seen = results.get(`worker ${name}`) ?? { ms: [], cpu: [], mb: [] };
    seen.ms.push(r.ms);
    seen.cpu.push(r.cpu);
    seen.mb.push(r.mb);
    results.set(`worker ${name}`, seen);
  }
  for (const [name, args] of cgis) {
    const seen = results.get(`cgi ${name}`) ?? { ms: [], cpu: [], mb: [] };
    seen.ms.push(oneCgi(args));
    results.set(`cgi ${name}`, seen);
  }
  const master = results.get('master, to its fork') ?? { ms: [], cpu: [], mb: [] };
  master.ms.push(await oneMaster());
  results.set('master, to its fork', master);
}
const cell = (xs: number[], digits: number): string => (xs.length ? median(xs).toFixed(digits) : '-').padStart(11);
console.log('\n  what                     start-up ms  CPU ms to boot  idle RSS MB');
for (const [name, r] of results) console.log(`  ${name.padEnd(24)} ${cell(r.ms, 0)}  ${cell(r.cpu, 0).padStart(14)}  ${cell(r.mb, 1)}`);
console.log(`  (cgi: the whole run of form.ts, from spawn to exit)`);
