#!/usr/bin/env bash
# Runs the README's SQLite session through Debian's sqlite3 CLI and checks
# its output against the README's expected output, so the documented example
# is always one that works.
#   cli_session_test.sh <sqlite3> <libcairn_sqlite.so> <README.md>
set -euo pipefail
sqlite3_cli="$1" extension="$2" readme="$3"
work="$(mktemp -d)"
# DROP TABLE destroys the store with its shared-memory segments (rm alone
# would leak them).
cleanup() {
  if [[ -f "$work/demo.db" ]]; then
    printf '.load %s\nDROP TABLE IF EXISTS kv;\n' "${extension%.so}" \
      | (cd "$work" && "$sqlite3_cli" demo.db) >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The session is the ```sql block after "<!-- sqlite-session -->", its output
# the ```text block after "<!-- sqlite-session-output -->".
block() {
  awk -v marker="$1" '
    $0 == marker { armed = 1; next }
    armed && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }' "$readme"
}
block "<!-- sqlite-session -->" > "$work/session.sql"
block "<!-- sqlite-session-output -->" > "$work/expected.txt"
[[ -s "$work/session.sql" && -s "$work/expected.txt" ]] || {
  echo "cli_session_test: README has no sqlite-session blocks" >&2; exit 1; }

# The README loads ./build-python/plugin/libcairn_sqlite; use this build's.
sed -i "s|^\.load .*|.load ${extension%.so}|" "$work/session.sql"
(cd "$work" && "$sqlite3_cli" -bail demo.db < session.sql) > "$work/actual.txt" 2>&1 || {
  echo "cli_session_test: sqlite3 failed:" >&2; cat "$work/actual.txt" >&2; exit 1; }
if ! diff -u "$work/expected.txt" "$work/actual.txt"; then
  echo "cli_session_test: output differs from the README" >&2
  exit 1
fi
# A second run reconnects to the same store: the data is still there.
printf '.load %s\nSELECT count(*) FROM kv;\n' "${extension%.so}" \
  | (cd "$work" && "$sqlite3_cli" -bail demo.db) > "$work/again.txt"
[[ "$(cat "$work/again.txt")" != "0" ]] || { echo "cli_session_test: data lost on reconnect" >&2; exit 1; }
echo "cli_session_test: README session OK ($(wc -l < "$work/session.sql") lines)"
