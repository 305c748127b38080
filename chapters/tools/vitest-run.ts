// Runs vitest in this process against exercises/ or solutions/ and returns every test's outcome.
import { relative } from 'node:path';
import { startVitest } from 'vitest/node';

export type Answers = 'exercises' | 'solutions';

export interface TestOutcome {
  /** e.g. test/exercises/01-cgi/meta-variables.test.ts */
  file: string;
  name: string;
  state: 'passed' | 'failed' | 'skipped' | 'pending';
  /** The first error's message, for failed tests. */
  error?: string;
  /** ... and its stack trace, for --verbose. */
  stack?: string;
}

export interface RunResult {
  outcomes: TestOutcome[];
  /** vitest's own verdict: false also for errors outside tests (a file that does not import, say). */
  ok: boolean;
  /** Test files that failed before any test ran (syntax errors, a missing export). */
  brokenFiles: string[];
}

export async function runVitest(answers: Answers, filters: string[], opts: { quiet?: boolean; config?: string } = {}): Promise<RunResult> {
  process.env.PREFORK_ANSWERS = answers;
  const vitest = await startVitest('test', filters, {
    run: true,
    watch: false,
    ...(opts.quiet ? { reporters: [{}] } : {}),
    // The browser tests (test/site/browser/) have a config of their own.
    ...(opts.config ? { config: opts.config } : {}),
  });
  const outcomes: TestOutcome[] = [];
  const brokenFiles: string[] = [];
  for (const mod of vitest.state.getTestModules()) {
    const file = relative(process.cwd(), mod.moduleId);
    if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) brokenFiles.push(file);
    for (const test of mod.children.allTests()) {
      const result = test.result();
      const first = result.state === 'failed' ? result.errors?.[0] : undefined;
      outcomes.push({ file, name: test.fullName, state: result.state, ...(first?.message ? { error: first.message } : {}), ...(first?.stack ? { stack: first.stack } : {}) });
    }
  }
  const ok = process.exitCode === undefined || process.exitCode === 0;
  process.exitCode = 0; // the callers decide the exit code
  await vitest.close();
  return { outcomes, ok, brokenFiles };
}

/**
 * "N passed, N failed", for the CI's totals: appended to $PREFORK_TOTALS_FILE when it is set, and what
 * failed to $PREFORK_FAILURES_FILE, so the end of a long CI log names it.
 */
export async function reportTotals(label: string, passed: number, failed: number, failures: string[] = []): Promise<void> {
  console.log(`${label}: ${passed} passed, ${failed} failed`);
  const { appendFileSync } = await import('node:fs');
  const totals = process.env.PREFORK_TOTALS_FILE;
  if (totals) appendFileSync(totals, `${passed} ${failed}\n`);
  const named = process.env.PREFORK_FAILURES_FILE;
  if (named && failures.length) appendFileSync(named, failures.map((f) => `${label}: ${f.replace(/\s*\n\s*/g, ' / ')}\n`).join(''));
}

/** One line per failed test, for reportTotals. */
export const failureLines = (outcomes: TestOutcome[], brokenFiles: string[] = []): string[] => [
  ...outcomes.filter((o) => o.state === 'failed').map((o) => `${o.file} > ${o.name}${o.error ? `: ${o.error.slice(0, 300)}` : ''}`),
  ...brokenFiles.map((f) => `${f}: the file did not load`),
];
