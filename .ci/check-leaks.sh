#!/usr/bin/env bash
# Lists processes started from this checkout that are still running (leaked servers, workers, scripts).
# Prints them and exits 1 if there are any; the CI counts that as a failed check.
top=$(cd "$(dirname "$0")/.." && pwd)
mine=" $$ $PPID "
leaked=0
for p in $(ls /proc | grep -E '^[0-9]+$'); do
  case "$mine" in *" $p "*) continue ;; esac
  cwd=$(readlink "/proc/$p/cwd" 2>/dev/null) || continue
  case "$cwd" in "$top"|"$top"/*) ;; *) continue ;; esac
  comm=$(cat "/proc/$p/comm" 2>/dev/null)
  case "$comm" in node|sh|python3|sleep|nginx|gunicorn|esbuild|chromium|chrome_crashpad) ;; *) continue ;; esac
  # Skip our own shell pipeline (this script's ancestors).
  a=$$; skip=0
  while [ "$a" -gt 1 ] 2>/dev/null; do
    [ "$a" = "$p" ] && { skip=1; break; }
    a=$(awk '/^PPid:/{print $2}' "/proc/$a/status" 2>/dev/null || echo 1)
  done
  [ $skip = 1 ] && continue
  echo "leaked: pid $p ($comm): $(tr '\0' ' ' < /proc/$p/cmdline | cut -c1-150)"
  leaked=1
done
exit $leaked
