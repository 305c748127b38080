// `npm run test:site [filter...]`: the browser tests against the built site, with their own vitest
// config; the totals go where `npm test`'s go, so .ci/run's last line counts them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { failureLines, reportTotals, runVitest } from '../../../chapters/tools/vitest-run.ts';
import { distDir, missingBuildMessage, repoRoot } from './site.ts';

if (!existsSync(join(distDir, 'index.html'))) {
  console.error(missingBuildMessage);
  await reportTotals('test:site', 0, 1, [missingBuildMessage]);
  process.exit(1);
}
const started = Date.now();
const result = await runVitest('solutions', process.argv.slice(2), { config: join(repoRoot, 'test', 'site', 'browser', 'vitest.config.ts') });
const passed = result.outcomes.filter((o) => o.state === 'passed').length;
// A run that failed outside any test (the global setup could not start chromium, say) counts as one failure.
const failedTests = result.outcomes.filter((o) => o.state === 'failed').length + result.brokenFiles.length;
const failed = failedTests || (result.ok ? 0 : 1);
console.log(`test:site took ${((Date.now() - started) / 1000).toFixed(1)} s`);
await reportTotals('test:site', passed, failed, failedTests || result.ok ? failureLines(result.outcomes, result.brokenFiles) : ['the run failed before any test (see the error above)']);
process.exit(result.ok && failed === 0 ? 0 : 1);
