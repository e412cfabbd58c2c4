"""Shared memory that follows use: databases removed with shutil.rmtree (no
destroy) leave nothing behind for long, and a live database's segments are
never reclaimed, even when its directory was deleted while it runs."""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import cairn

from test_process import child_env

PYTHON = sys.executable


def segments(db):
    return [inst["segment"] for inst in db.cache_stats()["instances"]]


def shm_path(segment):
    return os.path.join("/dev/shm", segment.lstrip("/"))


def resident_bytes(segment):
    try:
        return os.stat(shm_path(segment)).st_blocks * 512
    except FileNotFoundError:
        return 0


def test_rmtree_loop_keeps_dev_shm_bounded(tmp_dir):
    seen = []
    for i in range(200):
        path = os.path.join(tmp_dir, "db%d" % i)
        db = cairn.DB(path, create_if_missing=True)  # default options
        db.put(b"key", b"value %d" % i)
        assert db.get(b"key") == b"value %d" % i
        names = segments(db)
        if i == 0:
            # Capacity is a ceiling: an empty default instance keeps about
            # its index resident, not its 16 MiB.
            for name in names:
                assert resident_bytes(name) <= 1100 * 1024, name
        seen.extend(names)
        db.close()
        shutil.rmtree(path)
    left = [s for s in seen if os.path.exists(shm_path(s))]
    # Each open reclaims the orphans of the ones before: only the last few
    # databases' segments can remain (4 per database by default).
    assert len(left) <= 4 * 8, "%d of %d segments left" % (len(left), len(seen))
    assert sum(resident_bytes(s) for s in left) <= 32 << 20
    cairn.gc_segments()
    left = [s for s in seen if os.path.exists(shm_path(s))]
    assert left == []


CHILD = textwrap.dedent(
    """
    import json, sys
    import cairn
    gone, kept = sys.argv[1], sys.argv[2]
    dbs = [cairn.DB(p, create_if_missing=True) for p in (gone, kept)]
    for db in dbs:
        for i in range(500):
            db.put(b"k%d" % i, b"v%d" % i)
    print(json.dumps([[i["segment"] for i in db.cache_stats()["instances"]]
                      for db in dbs]), flush=True)
    sys.stdin.readline()  # the parent deleted `gone` and reclaimed
    hits = []
    for db in dbs:
        before = db.cache_stats()["total"]["hits"]
        for i in range(500):
            assert db.get(b"k%d" % i) == b"v%d" % i
        hits.append(db.cache_stats()["total"]["hits"] - before)
    print(json.dumps(hits), flush=True)
    for db in dbs:
        db.close()
    """
)


def test_gc_never_reclaims_a_live_database(tmp_dir):
    gone = os.path.join(tmp_dir, "gone")
    kept = os.path.join(tmp_dir, "kept")
    child = subprocess.Popen(
        [PYTHON, "-c", CHILD, gone, kept],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=child_env(),
        text=True,
    )
    try:
        gone_segs, kept_segs = json.loads(child.stdout.readline())
        shutil.rmtree(gone)  # while the child has it open
        cairn.gc_segments()
        for i in range(5):  # opens scan for orphans too
            path = os.path.join(tmp_dir, "other%d" % i)
            cairn.DB(path, create_if_missing=True).close()
            shutil.rmtree(path)
        for seg in gone_segs + kept_segs:
            assert os.path.exists(shm_path(seg)), "reclaimed a live segment"
        child.stdin.write("go\n")
        child.stdin.flush()
        hits = json.loads(child.stdout.readline())
        assert hits == [500, 500], "the live databases lost their cache"
        assert child.wait(timeout=60) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    # Closed now, and its directory is gone: an orphan.
    cairn.gc_segments()
    assert not any(os.path.exists(shm_path(s)) for s in gone_segs)
    # Closed, but its directory is there: kept for a warm restart.
    assert all(os.path.exists(shm_path(s)) for s in kept_segs)
    cairn.destroy(kept)
