"""Fixtures for the cairn pytest suite.

Run against the package built by scripts/build-python (the .pth file puts
it on sys.path) or with PYTHONPATH=<build>/bindings/python, as ctest does.
Every test gets its own temporary directory, removed afterwards together
with everything Cairn keeps for the databases in it (cairn.destroy also
removes their shared-memory cache segments, which rmtree cannot see).
"""

import os
import shutil
import tempfile

import pytest

import cairn

def destroy_databases(root):
    """cairn.destroy() on every database directory under root."""
    for dirpath, _, filenames in os.walk(root):
        if "CAIRN.LOCK" in filenames or "CURRENT" in filenames:
            try:
                cairn.destroy(dirpath)
            except cairn.Error:
                pass  # still open (a leaked handle) or damaged: rmtree below


@pytest.fixture
def tmp_dir():
    path = tempfile.mkdtemp(prefix="cairn-pytest-")
    try:
        yield path
    finally:
        import gc

        gc.collect()  # close DB objects a test dropped without closing
        destroy_databases(path)
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def db_path(tmp_dir):
    return os.path.join(tmp_dir, "db")


@pytest.fixture
def db(db_path):
    database = cairn.DB(db_path, create_if_missing=True)
    try:
        yield database
    finally:
        database.close()
