#!/bin/sh
# exported_symbols_test.sh LIB [HEADER [SONAME]]
#
# Checks that libcairn.so exports the C ABI and nothing else:
#  - every defined dynamic symbol is cairn_* (besides the linker's _init,
#    _fini, _edata, _end, __bss_start and the version-script node names);
#  - cairn_get_api, and every function HEADER declares with CAIRN_EXPORT, is
#    exported as a function;
#  - the SONAME is SONAME (default libcairn.so.1).
# Prints every problem found, then exits 1 if there was any.
set -u

lib=${1:?usage: exported_symbols_test.sh LIB [HEADER [SONAME]]}
header=${2:-}
want_soname=${3:-libcairn.so.1}
failed=0

fail() {
  echo "exported_symbols_test: $*" >&2
  failed=1
}

for tool in nm readelf; do
  command -v "$tool" >/dev/null 2>&1 || { echo "missing tool: $tool" >&2; exit 1; }
done
[ -f "$lib" ] || { echo "no such library: $lib" >&2; exit 1; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# "ADDRESS TYPE NAME[@[@]VERSION]" -> "TYPE NAME"; undefined symbols excluded.
if ! nm -D --defined-only "$lib" >"$tmp/nm.out"; then
  echo "nm -D failed on $lib" >&2
  exit 1
fi
awk 'NF >= 3 { name = $3; sub(/@.*/, "", name); print $2, name }' \
  "$tmp/nm.out" | sort -u >"$tmp/defined"

# Version-definition names (CAIRN_1, ...) show up as absolute symbols.
readelf -V --wide "$lib" 2>/dev/null |
  sed -n 's/.*Rev: *[0-9]* *Flags: *[A-Za-z]* *Index: *[0-9]* *Cnt: *[0-9]* *Name: *\([^ ]*\).*/\1/p' \
  >"$tmp/version_nodes"

while read -r type name; do
  case "$name" in
    cairn_*) continue ;;
    _init | _fini | _edata | _end | __bss_start) continue ;;
  esac
  if [ "$type" = A ] && grep -qxF "$name" "$tmp/version_nodes"; then
    continue
  fi
  fail "exports non-ABI symbol '$name' (type $type)"
done <"$tmp/defined"

is_exported_function() {
  grep -qE "^[TtiW] $1\$" "$tmp/defined"
}

is_exported_function cairn_get_api || fail "cairn_get_api is not exported"

if [ -n "$header" ]; then
  [ -f "$header" ] || { echo "no such header: $header" >&2; exit 1; }
  sed -n 's/^CAIRN_EXPORT .*[^a-z_]\(cairn_[a-z0-9_]*\)(.*/\1/p' "$header" |
    sort -u >"$tmp/declared"
  [ -s "$tmp/declared" ] || fail "found no CAIRN_EXPORT functions in $header"
  while read -r fn; do
    is_exported_function "$fn" || fail "$fn is declared in cairn.h but not exported"
  done <"$tmp/declared"
fi

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$soname" != "$want_soname" ]; then
  fail "SONAME is '${soname:-<none>}', expected '$want_soname'"
fi

if [ "$failed" -ne 0 ]; then
  echo "exported_symbols_test: FAILED for $lib" >&2
  exit 1
fi
count=$(grep -c ' cairn_' "$tmp/defined")
echo "exported_symbols_test: $count cairn_* symbols, nothing else; SONAME $soname"
