// @chapter 4
// A worker started on the TypeScript sources (no bundle): the worker imports the app file itself.
import { runWorker } from './main.ts';

await runWorker();
