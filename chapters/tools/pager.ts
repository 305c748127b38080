// Long output (a chapter's diff runs to well over a thousand lines) goes through a pager on a terminal,
// as git's does: $PAGER, else `less -R`. Piped or redirected output, or no pager at all, is printed as is.
import { spawnSync } from 'node:child_process';

/** The pager command for this output, or null to print it directly. */
export function pagerCommand(env: NodeJS.ProcessEnv, isTTY: boolean): string | null {
  if (!isTTY) return null;
  return env.PAGER?.trim() || 'less -R';
}

/** Shows `text` through the pager when there is one; returns once the reader quits it. */
export function page(text: string, env: NodeJS.ProcessEnv = process.env, isTTY = process.stdout.isTTY === true): void {
  const command = pagerCommand(env, isTTY);
  if (command) {
    // Ctrl-C in less must not kill this process and leave less behind, holding the terminal.
    const ignore = (): void => {};
    process.on('SIGINT', ignore);
    // A shell runs it: $PAGER may carry arguments. LESS=FRX unless set, as git does: quit at once on a
    // text shorter than the screen, keep colours, and leave the text on the screen after quitting.
    const shown = spawnSync(command, { shell: true, input: text, stdio: ['pipe', 'inherit', 'inherit'], env: { LESS: 'FRX', ...env } });
    process.off('SIGINT', ignore);
    // 127: the shell found no such command. EPIPE: the reader quit before the end, which is fine.
    const started = shown.status !== 127 && (!shown.error || (shown.error as NodeJS.ErrnoException).code === 'EPIPE');
    if (started) return;
  }
  process.stdout.write(text);
}
