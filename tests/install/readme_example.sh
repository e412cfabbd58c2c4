#!/bin/sh
# Prints the README's C example (the first ```c block after "## A short C
# example"), with its database path replaced by $1.
# Usage: readme_example.sh README.md DB_PATH
awk '/^## A short C example/ { armed = 1; next }
     armed && /^```c$/ { inside = 1; next }
     inside && /^```$/ { exit }
     inside { print }' "$1" | sed "s|/tmp/example-db|$2|"
