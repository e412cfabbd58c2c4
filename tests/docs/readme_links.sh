#!/bin/sh
# The README links nothing outside the repository (issue 15): no web
# address anywhere in it, and every Markdown link is an anchor or a path of
# this tree that exists. Usage: readme_links.sh SOURCE_DIR
set -eu
src=${1:?source dir}
readme="$src/README.md"
status=0
web=$(grep -noE '(https?|ftp)://[^ )>`"]*' "$readme" || true)
if [ -n "$web" ]; then
  echo "README.md links outside the repository (line:address):" >&2
  echo "$web" >&2
  status=1
fi
for target in $(grep -oE '\]\([^)#][^)]*\)' "$readme" | sed 's/^](//; s/)$//; s/#.*//'); do
  if [ ! -e "$src/$target" ]; then
    echo "README.md links to $target, which is not in the tree" >&2
    status=1
  fi
done
exit $status
