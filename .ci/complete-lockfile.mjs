// Adds lock entries for platform-specific optional packages that npm left out of package-lock.json.
//
// Why: the registry mirror these machines use does not serve every platform build of some packages
// (rollup's android, darwin, windows... binaries answer 404). npm then writes no entry for them, and
// `npm ci` refuses the lock ("Missing: @rollup/rollup-darwin-arm64 from lock file"). An entry that says
// which os/cpu the package is for lets `npm ci` skip it here, and fetch it on a machine that needs it.
// Run after `npm install` changes the lock: node .ci/complete-lockfile.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const PLATFORM = /-(android|darwin|freebsd|linux|openbsd|openharmony|win32)-(arm64|arm|x64|ia32|loong64|ppc64|riscv64|s390x)(?:-(gnu|musl|gnueabihf|musleabihf|msvc|eabi))?$/;
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key] || lock.packages[`${path}/${key}`]) continue;
    const m = PLATFORM.exec(name);
    if (!m || !/^\d+\.\d+\.\d+$/.test(range)) continue;
    const [, os, cpu, abi] = m;
    // The keys in the order npm writes them (alphabetical after version), so that `npm install` on a
    // fresh clone leaves the committed lock as it is.
    lock.packages[key] = {
      version: range,
      cpu: [cpu],
      dev: entry.dev ?? undefined,
      ...(abi && abi.startsWith('musl') ? { libc: ['musl'] } : abi && abi.startsWith('gnu') ? { libc: ['glibc'] } : {}),
      license: entry.license,
      optional: true,
      os: [os],
    };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} platform entries`);
