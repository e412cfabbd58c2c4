"""Fixtures for the `cairn` tool tests: the tool's path, and databases in
temporary directories destroyed (files and cache segments) afterwards."""

import os
import pathlib
import subprocess

import pytest

TOOL = os.environ.get("CAIRN_TOOL", "cairn")
HOLD_DB = os.environ.get("CAIRN_HOLD_DB")
README = os.environ.get("CAIRN_README")
TIMEOUT = 60
# Small cache segments: tests open many databases.
OPTIONS = ["-o", "cache.capacity_mb=1"]


class Tool:
    def __init__(self, db):
        self.db = str(db)

    def run(self, *args, stdin=None, db=True, options=True, env=None):
        argv = [TOOL]
        if db:
            argv += ["--db", self.db]
        if options:
            argv += OPTIONS
        argv += [str(a) for a in args]
        return subprocess.run(argv, input=stdin, capture_output=True,
                              timeout=TIMEOUT, env=env)

    def ok(self, *args, **kw):
        r = self.run(*args, **kw)
        assert r.returncode == 0, (args, r.returncode, r.stderr.decode())
        return r.stdout.decode()

    def fails(self, code, *args, **kw):
        r = self.run(*args, **kw)
        assert r.returncode == code, (args, r.returncode, r.stdout, r.stderr)
        assert r.stderr.startswith(b"cairn: ") or code == 2, r.stderr
        return r.stderr.decode()


def destroy(path):
    subprocess.run([TOOL, "--db", str(path), "destroy", "--yes"],
                   capture_output=True, timeout=TIMEOUT)


@pytest.fixture
def tool(tmp_path):
    t = Tool(tmp_path / "db")
    yield t
    destroy(t.db)


@pytest.fixture
def other_db(tmp_path):
    path = tmp_path / "other"
    yield Tool(path)
    destroy(path)
