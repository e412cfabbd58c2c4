"""$CAIRN_LIBRARY picks the libcairn.so.1 the package loads."""

import os
import pathlib
import subprocess
import sys

import cairn

PACKAGE_PARENT = str(pathlib.Path(cairn.__file__).resolve().parent.parent)


def run_python(code, library):
    env = dict(os.environ, PYTHONPATH=PACKAGE_PARENT, CAIRN_LIBRARY=library)
    return subprocess.run([sys.executable, "-c", code], env=env, cwd="/",
                          capture_output=True, text=True, timeout=60)


def test_a_missing_library_is_named():
    result = run_python("import cairn", "/nonexistent/libcairn.so.1")
    assert result.returncode != 0
    assert "/nonexistent/libcairn.so.1" in result.stderr


def test_the_named_library_is_the_one_loaded(tmp_path):
    # A copy elsewhere: the process must map it instead of the package's.
    own = pathlib.Path(cairn.__file__).parent / "libcairn.so.1"
    copy = tmp_path / "libcairn.so.1"
    copy.write_bytes(own.read_bytes())
    code = ("import cairn, sys; maps = open('/proc/self/maps').read(); "
            "sys.exit(0 if %r in maps and %r not in maps else 3)"
            % (str(copy), str(own.resolve())))
    assert run_python(code, str(copy)).returncode == 0
