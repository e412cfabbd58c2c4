#!/bin/sh
# Prints the README's C example (the first ```c block after "## A short C
# example"), with its database path (the one it passes to cairn_open)
# replaced by $2 everywhere. Fails if there is no such block or path, so the
# install tests never run the example against a path of the README's
# choosing.
# Usage: readme_example.sh README.md DB_PATH
set -eu
example=$(awk '/^## A short C example/ { armed = 1; next }
               armed && /^```c$/ { inside = 1; next }
               inside && /^```$/ { exit }
               inside { print }' "$1")
path=$(printf '%s\n' "$example" |
       sed -n 's/.*cairn_open([^"]*"\([^"]*\)".*/\1/p' | head -n 1)
if [ -z "$path" ]; then
  echo "readme_example.sh: no C example opening a literal path in $1" >&2
  exit 1
fi
printf '%s\n' "$example" | sed "s|\"$path\"|\"$2\"|g"
