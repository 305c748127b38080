#!/usr/bin/env node
// @chapter 5
// The `prefork` command. The master reads TypeScript (config files, apps), so it registers the
// TypeScript loader in this same process: one node process, no wrapper in between, so the pid you
// signal is the master's. Workers run a plain JavaScript bundle (src/worker/bundle.ts).
import { register as registerCommonJs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';

// Both halves, as `node --import tsx` does: a .ts file in a package without "type": "module" is
// loaded as CommonJS, and needs the CommonJS hooks.
register();
registerCommonJs();
const { main } = await import('./cli.ts');
process.exit(await main(process.argv.slice(2)));
