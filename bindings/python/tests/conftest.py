"""Fixtures for the cairn pytest suite.

Run against the package built by scripts/build-python (the .pth file puts
it on sys.path) or with PYTHONPATH=<build>/bindings/python, as ctest does.
Every test gets its own temporary directory, removed afterwards.
"""

import os
import shutil
import sys
import tempfile

import pytest

import cairn

# The interpreter the bindings are built for (Debian's python3).
PYTHON = sys.executable


@pytest.fixture
def tmp_dir():
    path = tempfile.mkdtemp(prefix="cairn-pytest-")
    try:
        yield path
    finally:
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
