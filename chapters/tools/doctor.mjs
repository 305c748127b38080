// `npm run doctor` starts here, in plain JavaScript, so that it answers even before `npm install`:
// Node's version and the install first, then the TypeScript checks (doctor.ts) through tsx.
import { existsSync } from 'node:fs';

const major = Number(process.versions.node.split('.')[0]);
if (major < 20) {
  console.log(`FAIL  node      ${process.version}: the workbook needs Node.js 20 or newer (20, 22 and 24 are tested). Install one (nvm, fnm, or nodejs.org), then run npm run doctor again.`);
  process.exit(1);
}
if (!existsSync(new URL('../../node_modules/tsx/package.json', import.meta.url))) {
  console.log('FAIL  install   node_modules is missing or incomplete: run npm install in this folder, then npm run doctor again.');
  process.exit(1);
}
const { register } = await import('tsx/esm/api');
register();
const { runDoctor } = await import('./doctor.ts');
process.exitCode = (await runDoctor()) > 0 ? 1 : 0;
