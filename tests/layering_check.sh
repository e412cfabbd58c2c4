#!/bin/sh
# The house rule of DESIGN.md: engine/ never includes replication/ or
# plugin/, and replication/ never includes plugin/. Run by the build (the
# layering_check target) and by ctest. Usage: layering_check.sh SOURCE_DIR
set -eu
src=${1:?source dir}
status=0
check() {  # check DIR FORBIDDEN...
  dir=$1; shift
  for forbidden in "$@"; do
    hits=$(grep -rnE "#[[:space:]]*include[[:space:]]*[<\"]$forbidden/" \
             "$src/$dir" --include='*.h' --include='*.cc' --include='*.c' || true)
    if [ -n "$hits" ]; then
      echo "layering: $dir/ must not include $forbidden/:" >&2
      echo "$hits" >&2
      status=1
    fi
  done
}
check engine replication plugin bindings
check replication plugin bindings
exit $status
