#!/usr/bin/env bash
# A learner's and a workshop lead's first hour, checked: on a fresh clone, `npm test exercises` is short
# and fails; the stages run on the reference with untouched stubs and on the learner's code with every
# exercise solved; doctor passes; grade writes a record and a team table merges three.
set -u
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
checks=0
failures=0
check() { # check NAME COMMAND...: one counted check
  local name=$1; shift
  if "$@"; then echo "  ✓ $name"; checks=$((checks + 1)); else echo "  ✗ $name"; failures=$((failures + 1)); echo "learner flow: $name" >> "${PREFORK_FAILURES_FILE:-/dev/null}"; fi
}

# 1. A fresh clone: every stub untouched.
npm test exercises > "$work/fresh.txt" 2>&1; fresh_status=$?
lines=$(wc -l < "$work/fresh.txt")
cat "$work/fresh.txt"
check "npm test exercises on a fresh clone exits non-zero" test "$fresh_status" -ne 0
check "npm test exercises on a fresh clone prints under 60 lines ($lines)" test "$lines" -lt 60
check "... and no stack trace" bash -c "! grep -q '    at ' '$work/fresh.txt'"

npm run chapter 9 -- --mine --once > "$work/mine-stubs.txt" 2>&1; status=$?
head -5 "$work/mine-stubs.txt"; tail -2 "$work/mine-stubs.txt"
check "chapter 9 --mine --once with untouched stubs passes on the reference" test "$status" -eq 0
check "... and says the reference runs for every exercise" grep -q "your code runs for no exercise yet" "$work/mine-stubs.txt"

check "npm run doctor passes" npm run --silent doctor
npm run --silent grade -- --json --name "Stub Learner" > "$work/grade.txt" 2>&1
check "npm run grade -- --json writes a record" test -s grade-stub-learner.json
mkdir -p "$work/team" && mv grade-stub-learner.json "$work/team/"

# 2. A learner who solved everything: the reference answers copied over the stubs, in a clone.
git clone -q "$repo" "$work/solved"
ln -s "$repo/node_modules" "$work/solved/node_modules"
(cd "$work/solved" && for f in solutions/*/*.ts; do cp "$f" "exercises/${f#solutions/}"; done)
# --mine grades every changed exercise itself (as for a learner who never ran npm test exercises).
(cd "$work/solved" && npm run chapter 9 -- --mine --once > "$work/mine-solved.txt" 2>&1); status=$?
head -5 "$work/mine-solved.txt"; tail -2 "$work/mine-solved.txt"
check "chapter 9 --mine --once on the learner's code passes" test "$status" -eq 0
check "... and says the server is all the learner's (every exercise passed its tests)" grep -q "the server is all yours" "$work/mine-solved.txt"
(cd "$work/solved" && npm run --silent grade -- --json --name "Solved Learner" > /dev/null 2>&1 && mv grade-solved-learner.json "$work/team/")
# A third learner half-way: the solved record with the later chapters not done.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  r.learner = "Half Learner";
  for (const e of r.exercises) if (Number(e.id.split(".")[0]) > 4) { e.pass = false; delete e.firstPassedAt; }
  require("fs").writeFileSync(process.argv[2], JSON.stringify(r));
' "$work/team/grade-solved-learner.json" "$work/team/grade-half-learner.json"
npm run --silent grade -- --team "$work/team" > "$work/team.txt" 2>&1; status=$?
cat "$work/team.txt"
check "npm run grade -- --team merges three records" bash -c "test $status -eq 0 && grep -q 'Team: 3 learners' '$work/team.txt'"

echo "learner flow: $checks passed, $failures failed"
[ -n "${PREFORK_TOTALS_FILE:-}" ] && echo "$checks $failures" >> "$PREFORK_TOTALS_FILE"
[ "$failures" -eq 0 ]
