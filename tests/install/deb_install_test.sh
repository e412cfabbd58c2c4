#!/bin/sh
# Builds the Debian packages of a build tree (cpack -G DEB), installs them on
# this machine with apt-get, uses them as a user would — the README's C
# example built with pkg-config and with find_package, `cairn --version`,
# the SQLite extension, `import cairn` from /usr/bin/python3 — and purges
# them again. Needs root (or sudo) and a tree configured with
# -DCMAKE_INSTALL_PREFIX=/usr; refuses to run if the packages are already
# installed (it would remove them).
# Usage: deb_install_test.sh BUILD_DIR SOURCE_DIR PYTHON(ON|OFF)
set -eu
build=$1 src=$2 with_python=$3
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
packages="libcairn1 libcairn-dev cairn-tools"
[ "$with_python" = ON ] && packages="$packages python3-cairn"
fail() { echo "deb_install_test: FAILED: $*" >&2; exit 1; }

for p in $packages; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    echo "deb_install_test: $p is already installed; remove it first" >&2
    exit 1
  fi
done
tmp=$(mktemp -d)
installed=no
cleanup() {
  # A failed run still removes its database's shared-memory segments.
  [ -d "$tmp/example-db" ] && command -v cairn >/dev/null &&
    cairn --db "$tmp/example-db" destroy --yes >/dev/null 2>&1
  [ "$installed" = yes ] &&
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $packages >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

(cd "$build" && cpack -G DEB -B "$tmp/debs") >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
debs=""
for p in $packages; do
  deb=$(ls "$tmp/debs/${p}_"*.deb 2>/dev/null | head -n 1)
  [ -n "$deb" ] || fail "no package $p in $(ls "$tmp/debs")"
  debs="$debs $deb"
  echo "$(basename "$deb"): Depends: $(dpkg-deb -f "$deb" Depends)"
done
# Debian's libraries, found by dpkg-shlibdeps; our own at the same version.
runtime_deps=$(dpkg-deb -f "$tmp/debs/libcairn1_"*.deb Depends)
for want in libleveldb libc6 libstdc++6; do
  echo "$runtime_deps" | grep -q "$want" || fail "libcairn1 does not depend on $want"
done
version=$(dpkg-deb -f "$tmp/debs/libcairn1_"*.deb Version)
for p in libcairn-dev cairn-tools; do
  dpkg-deb -f "$tmp/debs/${p}_"*.deb Depends | grep -q "libcairn1 (= $version)" ||
    fail "$p does not depend on libcairn1 (= $version)"
done

installed=yes
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $debs \
  >"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log"; fail "apt-get install"; }

cd "$tmp"
db="$tmp/example-db"
"$src/tests/install/readme_example.sh" "$src/README.md" "$db" >example.c
# shellcheck disable=SC2046
cc -o example example.c $(pkg-config --cflags --libs cairn) || fail "cc with pkg-config"
[ "$(./example)" = world ] || fail "the example did not print 'world'"
cmake -S "$src/tests/install/consumer" -B cmake-build -DCAIRN_REQUESTED_VERSION=0.1 \
  -DEXAMPLE_SOURCE="$tmp/example.c" >cmake.log 2>&1 || { cat cmake.log; fail "find_package(Cairn)"; }
cmake --build cmake-build >>cmake.log 2>&1 || { cat cmake.log; fail "building with Cairn::cairn"; }
[ "$(./cmake-build/example)" = world ] || fail "the CMake example did not print 'world'"

command -v cairn | grep -q '^/usr/bin/cairn$' || fail "cairn is not /usr/bin/cairn"
cairn --version | grep -q "^cairn $version" || fail "cairn --version: $(cairn --version)"
# The example removes its database: the installed tool makes the one the
# tool's and the Python module's reads below use.
cairn --db "$db" put --create hello world || fail "cairn put --create hello world"
cairn --db "$db" get hello | grep -q '^world$' || fail "cairn get hello"
if command -v sqlite3 >/dev/null; then
  sqlite3 :memory: ".load libcairn_sqlite" "select 1;" >/dev/null 2>&1 ||
    sqlite3 :memory: ".load /usr/lib/$(gcc -print-multiarch)/libcairn_sqlite" "select 1;" ||
    fail "sqlite3 cannot load the installed extension"
fi
if [ "$with_python" = ON ]; then
  # The package's module, with only Debian's dist-packages on the path
  # (-S: no site directories but the one added here).
  (cd / && env -u PYTHONPATH /usr/bin/python3 -S -c "
import site, sys
site.addsitedir('/usr/lib/python3/dist-packages')
import cairn
assert cairn.__file__.startswith('/usr/lib/python3/dist-packages/'), cairn.__file__
with cairn.DB(sys.argv[1]) as db:
    assert db.get(b'hello') == b'world'
print('python3-cairn:', cairn.version(), cairn.__file__)
" "$db") || fail "import cairn from /usr/lib/python3/dist-packages"
  # And what a user gets: a plain import must find the same module. A .pth
  # file in another site directory (e.g. one an old scripts/build-python
  # wrote into /usr/local) can put another copy first.
  found=$(cd / && env -u PYTHONPATH /usr/bin/python3 -c \
    'import cairn; print(cairn.__file__)') || fail "import cairn"
  case $found in
    /usr/lib/python3/dist-packages/*) ;;
    *) fail "/usr/bin/python3 imports cairn from $found, not the package; \
path entries from: $(grep -l "$(dirname "$(dirname "$found")")" \
      /usr/local/lib/python3*/dist-packages/*.pth \
      /usr/lib/python3/dist-packages/*.pth 2>/dev/null | tr '\n' ' ')" ;;
  esac
fi
cairn --db "$db" destroy --yes || fail "cairn destroy"
echo "deb_install_test: OK"
