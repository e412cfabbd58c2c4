"""pip install ./bindings/python: the cairn package, built against libcairn.

Offline, with Debian's build tools (python3-setuptools, python3-pybind11)
from a virtual environment made with --system-site-packages:

    python3 -m venv --system-site-packages venv
    venv/bin/pip install ./bindings/python

pip runs this in the source directory; every build output (build/,
cairn.egg-info) goes elsewhere so the checkout stays clean: under
$CAIRN_BUILD_DIR/python-pip when that is set, else in a temporary directory
removed when the build ends.

The extension is compiled against one of (the first found):
  1. $CAIRN_BUILD_DIR: a Cairn CMake build tree (its plugin/libcairn.so.1 is
     copied into the package, which then loads it from beside itself);
  2. an installed Cairn found with pkg-config (`cairn.pc`; set
     PKG_CONFIG_PATH for a private prefix), linked with an rpath to it when
     it is not in a system directory.
"""

import atexit
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

from setuptools import setup
from setuptools.command.build_ext import build_ext
from pybind11.setup_helpers import Pybind11Extension

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
SYSTEM_LIBDIRS = {"/usr/lib", "/lib", "/usr/lib64", "/usr/local/lib"}


def pkg_config(*args):
    try:
        out = subprocess.run(["pkg-config", *args, "cairn"], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.split()


def find_cairn():
    """(include_dirs, library_dirs, rpaths, library_to_bundle, version)."""
    build_dir = os.environ.get("CAIRN_BUILD_DIR")
    if build_dir:
        lib = pathlib.Path(build_dir).resolve() / "plugin" / "libcairn.so.1"
        if not lib.exists():
            raise SystemExit(f"CAIRN_BUILD_DIR={build_dir}: no {lib}; build "
                             "the 'cairn' target first")
        text = (REPO / "CMakeLists.txt").read_text()
        version = re.search(r"project\(Cairn VERSION ([0-9.]+)", text).group(1)
        return ([str(REPO / "api" / "include")], [str(lib.parent)],
                ["$ORIGIN"], lib, version)
    version = pkg_config("--modversion")
    if version is None:
        raise SystemExit(
            "cairn: cannot find libcairn. Install Cairn (cmake --install, or "
            "the libcairn-dev package) so that `pkg-config cairn` works "
            "(PKG_CONFIG_PATH=<prefix>/lib/pkgconfig for a private prefix), "
            "or set CAIRN_BUILD_DIR to a Cairn build tree.")
    includes = [f[2:] for f in pkg_config("--cflags-only-I") if f.startswith("-I")]
    libdirs = [f[2:] for f in pkg_config("--libs-only-L") if f.startswith("-L")]
    libdirs = [str(pathlib.Path(d).resolve()) for d in libdirs]
    rpaths = [d for d in libdirs if d not in SYSTEM_LIBDIRS
              and not re.match(r"^/usr/lib/[^/]+-linux-gnu$", d)]
    return includes, libdirs, rpaths, None, version[0]


INCLUDES, LIBDIRS, RPATHS, BUNDLE, VERSION = find_cairn()


def output_dir():
    """Where setuptools writes its build tree and egg-info: never the source
    directory (pip builds in place, and a checkout must stay clean)."""
    build_dir = os.environ.get("CAIRN_BUILD_DIR")
    if build_dir:
        out = pathlib.Path(build_dir).resolve() / "python-pip"
        out.mkdir(parents=True, exist_ok=True)
        return out
    out = pathlib.Path(tempfile.mkdtemp(prefix="cairn-pip-"))
    atexit.register(shutil.rmtree, out, True)
    return out


OUT = output_dir()


class BuildExt(build_ext):
    """Always recompiles (a build left from another libcairn must not be
    reused) and copies the build tree's libcairn.so.1 beside the
    extension."""

    def finalize_options(self):
        super().finalize_options()
        self.force = True

    def run(self):
        super().run()
        if BUNDLE is not None:
            target = pathlib.Path(self.get_ext_fullpath("cairn._cairn")).parent
            shutil.copy2(BUNDLE, target / BUNDLE.name)


setup(
    name="cairn",
    version=VERSION,
    description="Cairn: an embeddable, versioned key-value store (C ABI bindings)",
    packages=["cairn"],
    package_data={"cairn": ["py.typed", "__init__.pyi"]},
    ext_modules=[
        Pybind11Extension(
            "cairn._cairn",
            sorted(str(p.relative_to(HERE)) for p in (HERE / "src").glob("*.cc")),
            include_dirs=INCLUDES + ["src"],
            library_dirs=LIBDIRS,
            libraries=["cairn"],
            runtime_library_dirs=RPATHS,
            cxx_std=20,
        ),
    ],
    cmdclass={"build_ext": BuildExt},
    # Command-line options (pip's own --egg-base, for one) still win.
    options={"build": {"build_base": str(OUT / "build")},
             "egg_info": {"egg_base": str(OUT)}},
    python_requires=">=3.9",
    zip_safe=False,
)
