"""`cairn audit`: queries by method and time (JSON lines and a table),
retention with --trim, and bad arguments (exit codes and messages)."""

import json
import os
import subprocess

import pytest

from conftest import TIMEOUT, TOOL

AUDIT_FILL = os.environ.get("CAIRN_AUDIT_FILL")
# Record i starts at T0 + i seconds (audit_fill.cc); 2027-01-15T08:00:00Z.
T0_US = 1_800_000_000_000_000
METHODS = ["get", "put", "delete", "scan"]

pytestmark = pytest.mark.skipif(not AUDIT_FILL,
                                reason="CAIRN_AUDIT_FILL is not set")


def audit(*args):
    return subprocess.run([TOOL, "audit", *[str(a) for a in args]],
                          capture_output=True, timeout=TIMEOUT)


def ok(*args):
    r = audit(*args)
    assert r.returncode == 0, (args, r.returncode, r.stderr.decode())
    return r.stdout.decode()


def fails(code, *args):
    r = audit(*args)
    assert r.returncode == code, (args, r.returncode, r.stdout, r.stderr)
    assert r.stderr.startswith(b"cairn: ") or code == 2, r.stderr
    return r.stderr.decode()


def records(*args):
    return [json.loads(line) for line in ok(*args).splitlines()]


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "audit"
    subprocess.run([AUDIT_FILL, str(path), "40", str(T0_US)], check=True,
                   timeout=TIMEOUT)
    return path


def test_query_by_method_time_and_limit(log):
    every = records(log)
    assert [r["start_us"] for r in every] == [T0_US + i * 1_000_000
                                              for i in range(40)]
    first = every[4]
    assert set(first) == {"start_us", "end_us", "elapsed_us", "client_id",
                          "client_address", "method", "params", "shard",
                          "node", "outcome", "message"}
    assert first["method"] == "get"
    assert first["elapsed_us"] == 104
    assert first["outcome"] == "UNAVAILABLE"
    assert first["message"] == "node 2 did not answer"

    puts = records(log, "--method", "put")
    assert [r["params"] for r in puts] == [f'key="k{i}"'
                                           for i in range(1, 40, 4)]
    # [T0+10s, T0+20s) in RFC 3339, then as microseconds.
    window = records(log, "-m", "scan", "--since", "2027-01-15T08:00:10Z",
                     "--until", str(T0_US + 20_000_000))
    assert [r["params"] for r in window] == ['key="k11"', 'key="k15"',
                                             'key="k19"']
    assert len(records(log, "--method", "get", "--limit", "3")) == 3
    assert records(log, "--method", "status") == []
    # Relative times: everything was in 2027, after now.
    assert records(log, "--until=-10m") == []
    assert len(records(log, "--since=-1d")) == 40
    assert len(records(log, "--since", "now", "--json")) == 40


def test_table(log):
    lines = ok(log, "--table", "--method", "delete").splitlines()
    assert lines[0].split()[:4] == ["START", "ELAPSED_US", "METHOD", "CLIENT"]
    assert len(lines) == 1 + 10
    assert lines[1].startswith("2027-01-15T08:00:02.000000Z")
    assert " delete " in lines[1] and 'key="k2"' in lines[1]
    assert "[node 2 did not answer]" in lines[4]  # i = 14


def test_trim_applies_retention(log):
    # 8 records from 2020 besides the 40 from 2027.
    subprocess.run([AUDIT_FILL, str(log), "8", "1600000000000000"],
                   check=True, timeout=TIMEOUT)
    assert len(records(log)) == 48  # a query drops nothing
    out = ok(log, "--trim", "--retention-hours", "1")
    assert out.startswith("dropped 8 records"), out
    assert len(records(log)) == 40
    assert len(records(log, "--method", "get")) == 10
    assert ok(log, "--trim").startswith("dropped 0 records")
    fails(2, log, "--trim", "--method", "get")
    fails(2, log, "--trim", "--retention-mb", "0")
    fails(2, log, "--trim", "--retention-hours", "0")


def test_bad_arguments(log, tmp_path):
    err = fails(2, log, "--method", "frobnicate")
    assert "frobnicate" in err and "get, put, delete" in err
    err = fails(2, log, "--since", "yesterday")
    assert "--since 'yesterday'" in err and "RFC 3339" in err
    fails(2, log, "--until", "2027-13-45T00:00:00Z")
    err = fails(2, log, "--limit", "0")
    assert "--limit" in err
    fails(2, log, "--since", str(T0_US + 1), "--until", str(T0_US))
    fails(2, log, "--json", "--table")
    fails(2)  # no path
    err = fails(3, tmp_path / "missing")
    assert "no audit log" in err
    assert not (tmp_path / "missing").exists()


def test_refuses_a_data_database(tool):
    tool.ok("put", "--create", "k", "v")
    err = fails(2, tool.db)
    assert "Cairn data database" in err


def test_log_held_by_a_client_is_read_from_a_copy(log):
    holder = subprocess.Popen([AUDIT_FILL, str(log), "hold"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline() == b"ready\n"
        inode = os.stat(log / "LOG").st_ino
        r = audit(log, "--method", "put")
        assert r.returncode == 0, r.stderr
        assert b"reading a copy" in r.stderr
        assert len(r.stdout.splitlines()) == 10
        # Retention must change the log itself: busy.
        err = fails(4, log, "--trim")
        assert str(log) in err and f"process {holder.pid}" in err
        # The holder's message log was left alone.
        assert os.stat(log / "LOG").st_ino == inode
    finally:
        holder.stdin.close()
        holder.wait(timeout=TIMEOUT)
    assert len(records(log)) == 40


def test_log_written_meanwhile_reads_every_acknowledged_record(tmp_path):
    path = tmp_path / "audit"
    writer = subprocess.Popen([AUDIT_FILL, str(path), "stream"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        written = 0
        # ~40000 records (~5 MB) flush the memtable to a table while the
        # copies are taken; every query sees what was written before it.
        for target in (2000, 40000):
            while written < target:
                line = writer.stdout.readline()
                assert line, "the writer stopped"
                written = int(line)
            r = audit(path, "--limit", "1000000")
            assert r.returncode == 0, r.stderr
            got = [json.loads(line) for line in r.stdout.splitlines()]
            assert len(got) >= written
            assert [g["params"] for g in got] == [f'key="k{i}"'
                                                  for i in range(len(got))]
    finally:
        writer.stdin.close()
        writer.stdout.close()
        writer.wait(timeout=TIMEOUT)
