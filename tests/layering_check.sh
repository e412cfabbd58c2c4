#!/bin/sh
# The house rule of DESIGN.md: engine/ never includes replication/,
# cluster/ or plugin/, replication/ never includes cluster/ or plugin/, and
# cluster/ never includes plugin/. Inside the engine, one
# library per folder, each depending only on those below it:
#   cairn_engine (engine/) -> cairn_cache (engine/cache) -> cairn_ring
#   (engine/ring)
# so engine/ring never includes engine/cache, and neither includes the
# engine's own headers except the header-only helpers listed below (they
# sit in engine/ for history; they have no .cc of their own that the lower
# libraries would need, except version.cc, whose functions they must not
# call: the link checks in tests/CMakeLists.txt prove it).
# Run by the build (the layering_check target) and by ctest.
# Usage: layering_check.sh SOURCE_DIR
set -eu
src=${1:?source dir}
status=0
fail() {  # fail MESSAGE HITS
  echo "layering: $1:" >&2
  echo "$2" >&2
  status=1
}
includes() {  # includes DIR PATTERN: include lines of DIR's own files
  grep -rnE "#[[:space:]]*include[[:space:]]*[<\"]$2" "$src/$1" \
    --include='*.h' --include='*.cc' --include='*.c' || true
}
check() {  # check DIR FORBIDDEN...
  dir=$1; shift
  for forbidden in "$@"; do
    hits=$(includes "$dir" "$forbidden/")
    [ -z "$hits" ] || fail "$dir/ must not include $forbidden/" "$hits"
  done
}
# The engine's headers a lower engine library may include.
helpers='(version|mutex|value_dest|info_log|thread_shard|strings)\.h'
check_below_engine() {  # check_below_engine DIR
  hits=$(includes "$1" 'engine/[A-Za-z0-9_]+\.h' |
         grep -vE "[<\"]engine/$helpers[>\"]" || true)
  [ -z "$hits" ] || fail "$1/ must not include engine/ headers other than \
the helpers $helpers" "$hits"
}
check engine replication cluster plugin bindings
check replication cluster plugin bindings
check cluster plugin bindings
check engine/ring engine/cache
check_below_engine engine/ring
check_below_engine engine/cache
exit $status
