"""The `cairn` command-line tool: subcommands, output formats, exit codes."""

import json
import os
import subprocess

import pytest
from conftest import HOLD_DB, TIMEOUT, TOOL, Tool

SUBCOMMANDS = ["get", "put", "delete", "scan", "count", "stats", "options",
               "cache", "dump", "load", "check", "compact", "destroy", "gc"]


def test_version_names_library_and_abi(tool):
    out = tool.ok("--version", db=False, options=False)
    assert out.startswith("cairn 0.1.0 (libcairn 0.1.0, ABI 1.")


def test_help_everywhere(tool):
    out = tool.ok("--help-all", db=False, options=False)
    for sub in SUBCOMMANDS:
        assert sub in out
    assert "Exit codes" in out
    for sub in SUBCOMMANDS + ["cache add", "cache remove", "cache transfer"]:
        r = tool.run(*sub.split(), "--help", db=False, options=False)
        assert r.returncode == 0, sub
        assert b"Usage: cairn" in r.stdout


def test_usage_errors_exit_2(tool):
    tool.ok("put", "--create", "k", "v")
    r = tool.run("frobnicate")
    assert r.returncode == 2 and b"frobnicate" in r.stderr
    r = tool.run("get", "k", "--frobnicate")
    assert r.returncode == 2 and b"--frobnicate" in r.stderr
    r = tool.run(db=True)
    assert r.returncode == 2 and b"subcommand is required" in r.stderr
    assert tool.fails(2, "get", "k", db=False).find("--db") > 0
    assert "unknown escape" in tool.fails(2, "get", "a\\q")
    assert "odd number of hex digits" in tool.fails(2, "get", "--hex", "abc")
    assert "--from" in tool.fails(2, "scan", "--from", "a\\q")
    assert "NAME=VALUE" in tool.fails(2, "-o", "nonsense", "get", "k")
    assert "no_such_option" in tool.fails(2, "-o", "no_such_option=1", "get", "k")
    assert "capacity" in tool.fails(2, "cache", "add", "12 parsecs")


def test_missing_database_and_key_exit_3(tool):
    err = tool.fails(3, "get", "k")
    assert tool.db in err and "NOT_FOUND" in err
    assert not os.path.exists(tool.db)  # reading never creates
    tool.ok("put", "--create", "k", "v")
    assert "'nope'" in tool.fails(3, "get", "nope")
    assert "cairn.stats.nope" in tool.fails(3, "stats", "nope")


def test_busy_database_exits_4(tool):
    holder = subprocess.Popen([HOLD_DB, tool.db], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline() == b"ready\n"
        err = tool.fails(4, "get", "k")
        assert "BUSY" in err and str(holder.pid) in err
        tool.fails(4, "destroy", "--yes")
    finally:
        holder.stdin.close()
        holder.wait(timeout=TIMEOUT)
    assert os.path.exists(tool.db)  # nothing lost


def test_put_get_delete_with_escapes_and_hex(tool):
    tool.ok("put", "--create", "plain", "value")
    tool.ok("put", "bin\\x00\\xff", "tab\\there\\nnewline\\\\")
    tool.ok("put", "--hex", "6869", "00ff")
    assert tool.ok("get", "plain") == "value\n"
    assert tool.ok("get", "bin\\x00\\xff") == "tab\\there\\nnewline\\\\\n"
    assert tool.ok("get", "--hex", "62696e00ff") == ("746162096865726" +
                                                     "50a6e65776c696e655c\n")
    assert tool.run("get", "--raw", "hi").stdout == b"\x00\xff"
    assert json.loads(tool.ok("get", "--json", "hi")) == {
        "key": "hi", "value": "\\x00\\xff"}
    tool.ok("delete", "plain", "never-existed")
    tool.fails(3, "get", "plain")
    assert tool.ok("count") == "2\n"


def fill(tool, n=20):
    tool.ok("put", "--create", "seed", "x")
    tool.ok("delete", "seed")
    for i in range(n):
        tool.ok("put", "key%02d" % i, "value%d" % i)


def test_scan_ranges_prefix_limit_reverse(tool):
    fill(tool, 12)
    lines = tool.ok("scan").splitlines()
    assert lines[0] == "key00\tvalue0" and len(lines) == 12
    assert tool.ok("scan", "--from", "key03", "--to", "key05") == (
        "key03\tvalue3\nkey04\tvalue4\n")
    assert tool.ok("scan", "--prefix", "key1", "--keys-only") == (
        "key10\nkey11\n")
    assert tool.ok("scan", "--reverse", "--limit", "2", "--keys-only") == (
        "key11\nkey10\n")
    assert tool.ok("scan", "--prefix", "key0", "--from", "key08",
                   "--keys-only") == "key08\nkey09\n"
    rows = [json.loads(l) for l in tool.ok("scan", "--json", "--limit", "3")
            .splitlines()]
    assert rows[2] == {"key": "key02", "value": "value2"}
    assert tool.ok("scan", "--hex", "--prefix", "6b65793131") == (
        "6b65793131\t76616c75653131\n")
    assert tool.ok("count", "--prefix", "key0") == "10\n"
    assert tool.ok("count", "--from", "key10") == "2\n"
    assert tool.ok("scan", "--prefix", "zzz") == ""
    assert tool.run("scan", "--limit", "0").returncode == 2


def test_stats_options_pretty_and_json(tool):
    fill(tool, 3)
    pretty = tool.ok("stats")
    assert "puts: 0" in pretty and "last_sequence: 5" in pretty
    assert "leveldb.files_per_level: [" in pretty
    stats = json.loads(tool.ok("stats", "--json"))
    assert stats["last_sequence"] == 5
    assert tool.ok("stats", "last_sequence") == "5\n"
    assert tool.ok("stats", "cairn.cache.capacity_bytes") == "1048576\n"
    assert tool.ok("stats", "leveldb.num-files-at-level0").strip().isdigit()
    assert "not an integer" in tool.fails(2, "stats", "leveldb.stats")
    opts = json.loads(tool.ok("options", "--json"))
    assert opts["cache.capacity_mb"] == 1
    assert "cache.capacity_mb: 1\n" in tool.ok("options")


def test_cache_show_add_remove_transfer(tool):
    fill(tool, 10)
    out = tool.ok("cache")
    assert "4 instances" in out and "hit ratio" in out
    cache = json.loads(tool.ok("cache", "--json"))
    assert cache["enabled"] and len(cache["instances"]) == 4
    out = tool.ok("cache", "add", "1M", "--timeout", "60")
    assert out.startswith("added instance 4 (1.0 MiB)")
    assert json.loads(tool.ok("cache", "--json"))["migrating"] is False
    assert "removing instance 0" in tool.ok("cache", "remove", "0")
    ids = [i["id"] for i in json.loads(tool.ok("cache", "--json"))["instances"]]
    assert 0 not in ids and 4 in ids
    assert tool.ok("cache", "transfer", "1", "4") == "transferred 1 -> 4\n"
    assert "99" in tool.fails(2, "cache", "remove", "99")
    tool.fails(2, "cache", "transfer", "1", "1")
    r = tool.run("-o", "cache.capacity_mb=0", "cache", options=False)
    assert r.stdout == b"cache: disabled\n"
    tool.fails(7, "-o", "cache.capacity_mb=0", "cache", "add", "1M",
               options=False)


def test_compact_keeps_data(tool):
    fill(tool, 10)
    tool.ok("compact")
    tool.ok("compact", "--from", "key03", "--to", "key07")
    assert tool.ok("count") == "10\n"
    tool.fails(2, "compact", "--from", "b", "--to", "a")


def test_check_is_wired_to_cairn_check(tool):
    fill(tool, 3)
    r = tool.run("check")
    if r.returncode == 7:  # a library without cairn_check
        assert b"not supported by this library" in r.stderr
    else:
        assert r.returncode == 0, r.stderr


def test_destroy_needs_confirmation(tool):
    fill(tool, 3)
    r = subprocess.run([TOOL, "--db", tool.db, "destroy"],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=TIMEOUT)
    assert r.returncode == 6 and b"--yes" in r.stderr
    assert tool.ok("count") == "3\n"  # nothing lost
    tool.ok("destroy", "--yes")
    assert not os.path.exists(tool.db)
    tool.fails(3, "count")


def test_gc_removes_orphans_and_keeps_live_segments(tool):
    tool.ok("put", "--create", "k", "v")
    out = tool.ok("gc", db=False, options=False)
    assert out.startswith("removed ") and "orphaned cache segment" in out
    # The tool's own database is closed but its directory exists: not an
    # orphan, so its data and warm cache survive.
    assert tool.ok("get", "k") == "v\n"
