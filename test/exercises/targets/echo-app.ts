// @chapter 3
// The app the exercise tester serves: it answers with what it was given, as JSON, so a test can check
// what the learner's parser handed the app. GET /sleep?ms=N waits N ms first (the event loop stays free).
import type { App } from '../../../src/app/types.ts';

export const app: App = async (env, start) => {
  const ms = Number(new URLSearchParams(env.QUERY_STRING).get('ms') ?? 0);
  if (env.PATH_INFO === '/sleep') await new Promise((r) => setTimeout(r, ms));
  const body = await env['wsgi.input'].read();
  const headers = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('HTTP_') || k === 'CONTENT_TYPE' || k === 'CONTENT_LENGTH'));
  const text = JSON.stringify({ pid: process.pid, method: env.REQUEST_METHOD, path: env.PATH_INFO, query: env.QUERY_STRING, protocol: env.SERVER_PROTOCOL, headers, body: body.toString('latin1') });
  start('200 OK', [['Content-Type', 'application/json'], ['Content-Length', String(Buffer.byteLength(text))]]);
  return [Buffer.from(text)];
};
