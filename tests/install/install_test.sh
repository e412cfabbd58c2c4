#!/bin/sh
# Installs a built tree into a temporary prefix and uses it as a host
# project would:
#   1. the installed layout: libcairn.so.1 (soname, links), header, CMake
#      package with its version file, cairn.pc, the SQLite extension;
#   2. the README's C example built out of tree with find_package(Cairn 0.1)
#      and with pkg-config, and run; find_package(Cairn 0.2) must fail;
#   3. the installed library loaded with dlopen through cairn_get_api (the
#      plain-C ABI basics test, every phase, run against it).
# Usage: install_test.sh BUILD_DIR SOURCE_DIR ABI_TEST SQLITE(ON|OFF)
#                        TOOL(ON|OFF) [CFLAGS]
# CFLAGS: for the example hosts (a sanitized library needs its runtime).
set -eu
build=$1 src=$2 abi_test=$3 expect_sqlite=$4 expect_tool=$5
host_cflags=${6:-}

tmp=$(mktemp -d)
db="$tmp/example-db"
destroy_db() {
  # Through the installed library: also removes the cache segments.
  [ -x "$tmp/destroy" ] && [ -d "$db" ] && "$tmp/destroy" "$db" || true
}
trap 'destroy_db; rm -rf "$tmp"' EXIT INT TERM
fail() { echo "install_test: FAILED: $*" >&2; exit 1; }

prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log"; fail "cmake --install"; }

# 1. Layout. GNUInstallDirs picks lib or lib/<multiarch>; find it.
lib=$(dirname "$(find "$prefix" -name 'libcairn.so.1' | head -n 1)")
[ -n "$lib" ] && [ "$lib" != . ] || fail "no libcairn.so.1 under $prefix"
[ -L "$lib/libcairn.so.1" ] || fail "$lib/libcairn.so.1 is not a symlink"
[ -L "$lib/libcairn.so" ] || fail "$lib/libcairn.so (dev link) missing"
real=$(readlink "$lib/libcairn.so.1")
case "$real" in libcairn.so.1.*) ;; *) fail "libcairn.so.1 -> $real";; esac
soname=$(objdump -p "$lib/$real" | awk '$1 == "SONAME" { print $2 }')
[ "$soname" = libcairn.so.1 ] || fail "SONAME is '$soname', expected libcairn.so.1"
for f in include/cairn/cairn.h; do
  [ -f "$prefix/$f" ] || fail "$prefix/$f missing"
done
for f in cmake/Cairn/CairnConfig.cmake cmake/Cairn/CairnConfigVersion.cmake \
         cmake/Cairn/CairnTargets.cmake pkgconfig/cairn.pc; do
  [ -f "$lib/$f" ] || fail "$lib/$f missing"
done
if [ "$expect_sqlite" = ON ]; then
  [ -f "$lib/libcairn_sqlite.so" ] || fail "$lib/libcairn_sqlite.so missing"
fi

# The tool finds the installed library through its $ORIGIN rpath.
if [ "$expect_tool" = ON ]; then
  [ -x "$prefix/bin/cairn" ] || fail "$prefix/bin/cairn missing"
  version=$(env -u LD_LIBRARY_PATH "$prefix/bin/cairn" --version) ||
    fail "installed cairn --version exited $?"
  case "$version" in "cairn "*"ABI "*) ;; *) fail "cairn --version: $version";; esac
  loaded=$(ldd "$prefix/bin/cairn" | awk '$1 == "libcairn.so.1" { print $3 }')
  [ "$(realpath "$loaded")" = "$(realpath "$lib/libcairn.so.1")" ] ||
    fail "the installed cairn loads '$loaded', not $lib/libcairn.so.1"
fi

"$src/tests/install/readme_example.sh" "$src/README.md" "$db" >"$tmp/example.c"
grep -q cairn_open "$tmp/example.c" || fail "no C example found in README.md"

# 2a. CMake: find_package(Cairn 0.1 REQUIRED) and Cairn::cairn.
cmake -S "$src/tests/install/consumer" -B "$tmp/cmake-build" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCAIRN_REQUESTED_VERSION=0.1 \
  -DEXAMPLE_SOURCE="$tmp/example.c" -DCMAKE_C_FLAGS="$host_cflags" \
  >"$tmp/cmake.log" 2>&1 ||
  { cat "$tmp/cmake.log"; fail "configuring the CMake consumer"; }
cmake --build "$tmp/cmake-build" >>"$tmp/cmake.log" 2>&1 ||
  { cat "$tmp/cmake.log"; fail "building the CMake consumer"; }
out=$("$tmp/cmake-build/example") || fail "the CMake-built example exited $?"
[ "$out" = world ] || fail "the CMake-built example printed '$out', expected 'world'"

# The version file refuses another minor (0.x: minors are incompatible).
if cmake -S "$src/tests/install/consumer" -B "$tmp/cmake-build-0.2" \
     -DCMAKE_PREFIX_PATH="$prefix" -DCAIRN_REQUESTED_VERSION=0.2 \
     -DEXAMPLE_SOURCE="$tmp/example.c" >"$tmp/cmake-0.2.log" 2>&1; then
  fail "find_package(Cairn 0.2) accepted the installed $(sed -n 's/^Version: //p' "$lib/pkgconfig/cairn.pc")"
fi

# 2b. pkg-config.
export PKG_CONFIG_PATH="$lib/pkgconfig"
[ "$(pkg-config --modversion cairn)" = "$(sed -n 's/^Version: //p' "$lib/pkgconfig/cairn.pc")" ] ||
  fail "pkg-config --modversion cairn"
# shellcheck disable=SC2046,SC2086
cc $host_cflags -o "$tmp/example-pc" "$tmp/example.c" $(pkg-config --cflags --libs cairn) ||
  fail "building the example with pkg-config"
printf '#include <cairn/cairn.h>\nint main(int c, char** v) { (void)c; return cairn_destroy(v[1], 0) != CAIRN_OK; }\n' >"$tmp/destroy.c"
# shellcheck disable=SC2046,SC2086
cc $host_cflags -o "$tmp/destroy" "$tmp/destroy.c" $(pkg-config --cflags --libs cairn) ||
  fail "building a cairn_destroy host with pkg-config"
out=$(LD_LIBRARY_PATH="$lib" "$tmp/example-pc") || fail "the pkg-config example exited $?"
[ "$out" = world ] || fail "the pkg-config example printed '$out', expected 'world'"
LD_LIBRARY_PATH="$lib" "$tmp/destroy" "$db" || fail "cairn_destroy through the installed library"
[ ! -e "$db" ] || fail "cairn_destroy left $db"

# 3. dlopen the installed library through cairn_get_api.
"$abi_test" "$lib/libcairn.so.1" >"$tmp/c_abi.log" 2>&1 ||
  { cat "$tmp/c_abi.log"; fail "$(basename "$abi_test") against the installed library"; }

echo "install_test: OK ($prefix: $(cd "$prefix" && find . -type f | wc -l) files)"
