"""Fixtures for the `cairn` SQLite extension tests.

Run with Debian's /usr/bin/python3, whose sqlite3 module can load
extensions. The extension is $CAIRN_SQLITE_EXT (CMake sets it), else
<repo>/build/plugin/libcairn_sqlite.so.
"""
import os
import sys
import sqlite3
import warnings

import pytest

import cairn_testlib as lib


@pytest.fixture(scope="session")
def ext_path():
    if not hasattr(sqlite3.Connection, "enable_load_extension"):
        pytest.fail("this Python's sqlite3 cannot load extensions; run the tests "
                    "with /usr/bin/python3 (Debian's), not %s" % sys.executable)
    path = lib.extension_path()
    if not path.is_file():
        pytest.fail("extension %s not found: set CAIRN_SQLITE_EXT or build it "
                    "(cmake --build build --target cairn_sqlite)" % path)
    return path


@pytest.fixture(scope="session")
def cairn_lib(ext_path):
    """libcairn through ctypes (store cleanup, non-table stores)."""
    path = lib.cairn_library_path(ext_path)
    if not path.exists():
        pytest.fail("Cairn library %s not found next to the extension" % path)
    return lib.CairnLib(path)


@pytest.fixture(autouse=True)
def destroy_test_stores(tmp_path, cairn_lib):
    """After each test (and after its connections are closed: this fixture
    is set up first, so torn down last), destroys every Cairn store left
    under tmp_path. cairn_destroy also frees the store's shared-memory
    cache segments, which deleting the directory would leak."""
    yield
    for root, dirs, _ in os.walk(tmp_path):
        for d in list(dirs):
            full = os.path.join(root, d)
            if lib.is_store_dir(full):
                status, msg = cairn_lib.destroy(full)
                if status != 0:
                    warnings.warn("could not destroy store %s: %d %r" % (full, status, msg))
                dirs.remove(d)


@pytest.fixture
def connect(ext_path, tmp_path):
    """connect(db=None, text_factory=None) -> sqlite3.Connection.

    Opens `db` (default tmp_path/'main.db') with isolation_level=None (the
    test issues BEGIN/COMMIT itself) and the extension loaded. The
    connections are closed at teardown.
    """
    conns = []

    def _connect(db=None, text_factory=None):
        conn = lib.open_connection(db if db is not None else tmp_path / "main.db",
                                   ext_path, text_factory=text_factory)
        conns.append(conn)
        return conn

    yield _connect
    for conn in conns:
        conn.close()


@pytest.fixture
def db(connect):
    """A connection on tmp_path/main.db."""
    return connect()


@pytest.fixture
def store(tmp_path):
    """A fresh store path (not created yet)."""
    return tmp_path / "store"
