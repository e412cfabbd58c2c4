"""`cairn dump` and `cairn load`: exact round trips, damaged files, refusals,
progress only on a terminal."""

import os
import pty
import subprocess

from conftest import OPTIONS, TIMEOUT, TOOL


def fill(tool):
    tool.ok("put", "--create", "a", "1")
    tool.ok("put", "b\\x00", "binary\\xff")
    tool.ok("put", "c", "")
    tool.ok("delete", "b\\x00")
    tool.ok("put", "d", "4")
    tool.ok("delete", "never-written")


def test_round_trip_is_exact_with_tombstones(tool, other_db, tmp_path):
    fill(tool)
    first = tmp_path / "first.dump"
    second = tmp_path / "second.dump"
    assert tool.run("dump", "--include-deleted", "--output", first).stderr == b""
    r = other_db.run("load", "--input", first)
    assert r.returncode == 0 and r.stderr == b""  # quiet off a terminal
    other_db.ok("dump", "--include-deleted", "--output", second)
    assert first.read_bytes() == second.read_bytes()  # versions, tombstones
    assert other_db.ok("scan") == "a\t1\nc\t\nd\t4\n"
    # A later write in the loaded database orders after the loaded ones.
    assert int(other_db.ok("stats", "last_sequence")) == 5


def test_dump_without_deleted_skips_tombstones(tool, other_db, tmp_path):
    fill(tool)
    live = tmp_path / "live.dump"
    full = tmp_path / "full.dump"
    tool.ok("dump", "--output", live)
    tool.ok("dump", "--include-deleted", "--output", full)
    assert live.stat().st_size < full.stat().st_size
    other_db.ok("load", "--input", live)
    assert int(other_db.ok("stats", "last_sequence")) == 3


def test_stdout_and_stdin(tool, other_db):
    fill(tool)
    dump = tool.run("dump").stdout
    assert dump.startswith(b"CAIRNDMP")
    other_db.ok("load", stdin=dump)
    assert other_db.ok("count") == "3\n"


def test_load_refuses_a_non_empty_database(tool, other_db, tmp_path):
    fill(tool)
    dump = tmp_path / "x.dump"
    tool.ok("dump", "--output", dump)
    other_db.ok("put", "--create", "mine", "keep")
    other_db.ok("put", "a", "newer")  # written after the dump: a newer version
    err = other_db.fails(6, "load", "--input", dump)
    assert "not empty" in err and "--force" in err
    assert other_db.ok("scan") == "a\tnewer\nmine\tkeep\n"  # nothing changed
    other_db.ok("load", "--force", "--input", dump)
    assert other_db.ok("count") == "4\n"
    assert other_db.ok("get", "a") == "newer\n"  # the newer version wins
    assert other_db.ok("get", "d") == "4\n"
    # A database holding only tombstones is not empty either.
    tool.ok("delete", "a", "c", "d")
    tool.fails(6, "load", "--input", dump)


def test_dump_refuses_to_overwrite(tool, tmp_path):
    fill(tool)
    out = tmp_path / "x.dump"
    out.write_bytes(b"precious")
    assert "--force" in tool.fails(6, "dump", "--output", out)
    assert out.read_bytes() == b"precious"
    tool.ok("dump", "--force", "--output", out)
    assert out.read_bytes().startswith(b"CAIRNDMP")


def damaged(tool, tmp_path, edit):
    fill(tool)
    for i in range(8):
        tool.ok("put", "k%03d" % i, "v" * 100)
    good = tmp_path / "good.dump"
    tool.ok("dump", "--include-deleted", "--output", good)
    data = bytearray(good.read_bytes())
    bad = tmp_path / "bad.dump"
    bad.write_bytes(edit(data))
    return bad


def test_flipped_byte_names_the_record_and_loads_nothing(tool, other_db,
                                                          tmp_path):
    def flip(data):
        data[len(data) // 2] ^= 0x40
        return bytes(data)
    bad = damaged(tool, tmp_path, flip)
    err = other_db.fails(5, "load", "--input", bad)
    assert "checksum mismatch" in err and "at offset" in err and "record" in err
    assert not os.path.exists(other_db.db)  # not even created
    err = other_db.fails(5, "load", "--partial", "--input", bad)
    assert "--partial" in err
    loaded = int(err.split("--partial: ")[1].split()[0])
    assert 0 < loaded < 14
    assert int(other_db.ok("count", "--prefix", "k")) < 8


def test_truncated_files(tool, other_db, tmp_path):
    bad = damaged(tool, tmp_path, lambda d: bytes(d[:-5]))  # inside the end
    assert "truncated" in other_db.fails(5, "load", "--input", bad)
    cut = tmp_path / "cut.dump"
    data = bad.read_bytes()
    cut.write_bytes(data[:24])  # the header alone: no end record
    assert "before the end record" in other_db.fails(5, "load", "--input", cut)
    cut.write_bytes(b"")
    assert "empty file" in other_db.fails(5, "load", "--input", cut)
    cut.write_bytes(b"NOTADUMP" + data[8:])
    assert "not a Cairn dump" in other_db.fails(5, "load", "--input", cut)
    assert not os.path.exists(other_db.db)
    other_db.fails(3, "load", "--input", tmp_path / "missing.dump")


def test_trailing_garbage_is_damage(tool, other_db, tmp_path):
    bad = damaged(tool, tmp_path, lambda d: bytes(d) + b"x")
    assert "after the end record" in other_db.fails(5, "load", "--input", bad)


def run_on_terminal(argv):
    """Runs argv with stderr on a pseudo-terminal; returns (code, text)."""
    leader, follower = pty.openpty()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return p.wait(timeout=TIMEOUT), b"".join(chunks).decode()


def test_progress_and_count_on_a_terminal(tool, other_db, tmp_path):
    fill(tool)
    out = tmp_path / "t.dump"
    code, text = run_on_terminal([TOOL, "--db", tool.db, *OPTIONS, "dump",
                                  "--include-deleted", "--output", str(out)])
    assert code == 0
    assert "dump [########################] 100%  5/5" in text
    assert "dumped 5 records (2 deleted)" in text
    code, text = run_on_terminal([TOOL, "--db", other_db.db, *OPTIONS, "load",
                                  "--input", str(out)])
    assert code == 0
    assert "load [" in text and "100%  5/5" in text and "/s" in text
    assert "loaded 5 records (2 deleted)" in text
