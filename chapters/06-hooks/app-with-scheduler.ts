// The mistake of the story: the app module starts the scheduler when it is imported.
//
// Every worker imports the app, so with -w 4 there are four schedulers and every job runs four times.
// (gunicorn without --preload behaves the same: each forked worker imports the app module.)
import { startScheduler } from './scheduler.ts';

startScheduler(); // <- runs in every process that imports this file

export { app } from './app.ts';
