// Runs one CGI script: a fresh process per request, the meta-variables as its whole environment, the
// request body on stdin, the response on stdout. Nothing here goes through a shell.
import { spawn } from 'node:child_process';
import { extname } from 'node:path';

export interface ScriptRun {
  /** What the script printed on stdout, up to maxOutput bytes. */
  stdout: Buffer;
  /** What it printed on stderr (kept for the error log, capped like stdout). */
  stderr: string;
  pid: number | undefined;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Killed because it ran longer than timeoutMs. */
  timedOut: boolean;
  /** Killed because it printed more than maxOutput bytes. */
  tooLarge: boolean;
  /** It could not be started at all (missing interpreter, not executable...). */
  spawnError: Error | null;
}

export interface RunOptions {
  file: string;
  env: Record<string, string>;
  body: Buffer;
  timeoutMs: number;
  maxOutput: number;
  /** Called with the pid as soon as the process exists (the stage prints it). */
  onSpawn?: (pid: number) => void;
}

// #region command
/** How to start a script: by its extension, so scripts need not be executable; otherwise exec it. */
export function commandFor(file: string): [string, string[]] {
  switch (extname(file)) {
    case '.ts':
      // TypeScript through tsx's loader, resolved from here so scripts anywhere find it.
      return [process.execPath, ['--import', import.meta.resolve('tsx'), file]];
    case '.js':
    case '.mjs':
      return [process.execPath, [file]];
    case '.py':
      return ['python3', [file]];
    case '.sh':
      return ['sh', [file]];
    default:
      return [file, []];
  }
}
// #endregion command

// #region run
export function runScript(opts: RunOptions): Promise<ScriptRun> {
  const [command, args] = commandFor(opts.file);
  return new Promise((resolve) => {
    // detached: the script leads its own process group, so a timeout kills whatever it started too.
    const child = spawn(command, args, { env: opts.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let timedOut = false;
    let tooLarge = false;
    let spawnError: Error | null = null;
    const killGroup = (): void => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutMs);
    if (child.pid) opts.onSpawn?.(child.pid);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > opts.maxOutput) {
        tooLarge = true;
        killGroup();
      } else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < opts.maxOutput) stderr += chunk.toString('utf8');
    });
    // A script may exit without reading its stdin; that EPIPE is not an error of the request.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.body);
    child.on('error', (err) => {
      spawnError = err;
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      // The script has exited, but anything it left running in its group must not outlive the request.
      killGroup();
      resolve({ stdout: Buffer.concat(out), stderr, pid: child.pid, exitCode, signal, timedOut, tooLarge, spawnError });
    });
  });
}
// #endregion run
