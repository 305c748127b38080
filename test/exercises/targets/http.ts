// @chapter 3
// Chapter 3's server in one process, for the exercise tester: `node http.ts`, prints where it listens.
import { startHttpServer } from '../../../src/http/server.ts';
import { app } from './echo-app.ts';

const server = await startHttpServer({ app, port: 0, keepalive: 2 });
console.log(`Listening at: ${server.url}`);
console.log(`Booting worker with pid: ${process.pid}`);
process.on('SIGTERM', () => process.exit(0));
