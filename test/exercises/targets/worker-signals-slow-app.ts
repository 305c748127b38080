// @chapter 9
// The echo app, slow to load on purpose: its import waits until the file named by $BOOT_GATE exists, so
// that a test can signal a worker that is certainly still loading its app, then let it go on (9.3).
import { existsSync } from 'node:fs';

while (!existsSync(process.env.BOOT_GATE!)) await new Promise((r) => setTimeout(r, 20));
export { app } from './echo-app.ts';
