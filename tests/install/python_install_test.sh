#!/bin/sh
# pip install of the Python package against an installed Cairn, offline, the
# way the README says: cmake --install into a temporary prefix, a virtual
# environment made with --system-site-packages (Debian's setuptools and
# pybind11), `pip install ./bindings/python` with PKG_CONFIG_PATH at the
# prefix, then `import cairn` from another directory: the extension must
# load the prefix's libcairn.so.1 and work. pip builds in the source
# directory itself: the source tree must be left exactly as it was (no
# build/, no cairn.egg-info, nothing else new or changed).
# Usage: python_install_test.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() { echo "python_install_test: FAILED: $*" >&2; exit 1; }

prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null || fail "cmake --install"
lib=$(dirname "$(find "$prefix" -name libcairn.so.1 | head -n 1)")
# The source tree's listing (names, sizes, times), before and after.
listing() { (cd "$src/bindings/python" && find . -path ./tests -prune -o \
             -name __pycache__ -prune -o -printf '%p %s %T@\n' | sort); }
listing >"$tmp/before"
/usr/bin/python3 -m venv --system-site-packages "$tmp/venv" || fail "venv"
PKG_CONFIG_PATH="$lib/pkgconfig" "$tmp/venv/bin/python" -m pip install \
  --no-input --disable-pip-version-check "$src/bindings/python" \
  >"$tmp/pip.log" 2>&1 || { cat "$tmp/pip.log"; fail "pip install"; }
listing >"$tmp/after"
diff "$tmp/before" "$tmp/after" >&2 ||
  fail "pip install changed the source tree $src/bindings/python (above)"

cd /
"$tmp/venv/bin/python" - "$tmp/db" "$lib" <<'PY' || fail "import cairn from /"
import os, sys
import cairn
db_path, lib = sys.argv[1], sys.argv[2]
assert cairn.__file__.startswith(sys.prefix), cairn.__file__
with cairn.DB(db_path, create_if_missing=True,
              options={"cache.capacity_mb": 1}) as db:
    db.put(b"k", b"v")
    assert db.get(b"k") == b"v"
cairn.destroy(db_path)
maps = open("/proc/self/maps").read()
assert os.path.realpath(os.path.join(lib, "libcairn.so.1")) in maps, \
    "the extension did not load the installed libcairn.so.1"
print("python_install_test: OK: cairn %s from %s" % (cairn.version(), cairn.__file__))
PY
