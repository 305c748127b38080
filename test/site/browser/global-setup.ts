// Once per `npm run test:site`: serve the built site on loopback and start ONE chromium that every spec
// file connects to (each test opens its own context in it). Both end in the teardown, whatever failed.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { TestProject } from 'vitest/node';
import { chromiumArgs, chromiumPath, distDir, missingBuildMessage } from './site.ts';
import { serveStatic } from './serve.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    siteUrl: string;
    wsEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!existsSync(`${distDir}/index.html`)) throw new Error(missingBuildMessage);
  const site = await serveStatic(distDir);
  let browser;
  try {
    // launchServer: chromium runs under this (main) process, and the test workers connect over a
    // websocket on loopback, so a whole run starts one browser however many spec files there are.
    browser = await chromium.launchServer({ executablePath: chromiumPath(), args: chromiumArgs, headless: true });
  } catch (err) {
    await site.close();
    throw new Error(`could not start chromium at ${chromiumPath()} (set PREFORK_CHROMIUM to another binary; .ci/run installs Debian's chromium): ${String(err)}`);
  }
  project.provide('siteUrl', site.url);
  project.provide('wsEndpoint', browser.wsEndpoint());
  return async () => {
    await browser.close();
    await site.close();
  };
}
