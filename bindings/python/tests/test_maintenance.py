"""compact_range, approximate_size(s), repair, and WriteBatch.append /
approximate_size / len (C ABI 1.2)."""

import glob
import os
import random

import pytest

import cairn


def fill(db, n=3000, prefix=b"k"):
    rng = random.Random(n)
    for i in range(n):
        db.put(prefix + b"%06d" % i, rng.randbytes(200))  # incompressible


def test_compact_range_and_approximate_sizes(db):
    fill(db)
    db.compact_range()  # flushes the memtable into table files
    whole = db.approximate_size(b"k", b"l")
    assert whole > 3000 * 200
    half = db.approximate_size(b"k000000", b"k001500")
    assert 0 < half < whole
    assert db.approximate_sizes((b"k", b"l"), (b"a", b"b"), [b"l", b"k"]) == [
        whole, 0, 0]
    assert db.approximate_sizes() == []
    assert db.approximate_size(bytearray(b"k"), memoryview(b"l")) == whole

    for i in range(0, 3000, 2):
        db.delete(b"k%06d" % i)
    db.compact_range(start=b"k", stop=b"l")
    assert db.approximate_size(b"k", b"l") < whole
    db.compact_range(b"k0")  # open end
    db.compact_range(stop=b"k5")
    assert db.get(b"k000001") is not None and db.get(b"k000000") is None

    with pytest.raises(cairn.InvalidArgumentError, match="start"):
        db.compact_range(b"z", b"a")
    with pytest.raises(TypeError):
        db.approximate_sizes(b"ab")
    with pytest.raises(TypeError):
        db.approximate_sizes((b"a",))
    with pytest.raises(TypeError, match="start"):
        db.approximate_size("a", b"b")


def test_maintenance_on_closed_db(db):
    db.close()
    with pytest.raises(cairn.ClosedError):
        db.compact_range()
    with pytest.raises(RuntimeError):
        db.approximate_size(b"a", b"b")


def test_repair_recovers_and_rebuilds_the_cache(db_path):
    with cairn.DB(db_path, create_if_missing=True) as db:
        fill(db, 500)
        db.compact_range()
        db.put(b"recent", b"in the log only")
        for i in range(100):
            db.get(b"k%06d" % i)  # warm the shared-memory cache
    with cairn.DB(db_path) as db:
        assert db.cache_stats()["total"]["items"] > 0  # reattached warm
        with pytest.raises(cairn.BusyError):
            cairn.repair(db_path)

    os.remove(os.path.join(db_path, "CURRENT"))  # a lost manifest
    with pytest.raises(cairn.Error):
        cairn.DB(db_path).close()
    cairn.repair(db_path, options={"compression": "none"})

    with cairn.DB(db_path) as db:
        assert db.cache_stats()["total"]["items"] == 0  # rebuilt cold
        assert db.get(b"recent") == b"in the log only"
        assert len(list(db.iterator(prefix=b"k"))) == 500
        assert db.get(b"k000001") is not None

    with pytest.raises(cairn.NotFoundError):
        cairn.repair(db_path + "-missing")
    with pytest.raises(ValueError):
        cairn.repair(db_path + "\0")


def test_write_batch_append_size_and_len(db):
    a = db.write_batch()
    b = db.write_batch()
    assert len(a) == 0 and a.approximate_size() == 0
    a.put(b"x", b"old")
    b.put(b"x", b"new!")
    b.delete(b"y")
    a.append(b)
    assert len(a) == 3 and len(b) == 2
    assert a.approximate_size() == 4 + 5 + 1
    b.append(b)
    assert len(b) == 4
    with pytest.raises(TypeError):
        a.append(b"x")
    db.put(b"y", b"gone")
    a.write()
    assert db.get(b"x") == b"new!" and db.get(b"y") is None
    assert len(a) == 0  # write() clears
    c = db.write_batch()
    c.append(db.prefixed_db(b"p").write_batch())  # an empty prefixed batch
    assert len(c) == 0


def corrupt_table(db_path):
    tables = sorted(glob.glob(os.path.join(db_path, "*.ldb")),
                    key=os.path.getsize)
    assert tables
    with open(tables[-1], "r+b") as f:
        f.seek(os.path.getsize(tables[-1]) // 3)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0x40]))


def outcome(call):
    try:
        return ("value", call())
    except cairn.Error as e:
        return ("error", type(e))


def test_verify_checksums_none_follows_the_database_default(db_path):
    options = {"compression": "none", "cache.capacity_mb": 0}
    with cairn.DB(db_path, create_if_missing=True, options=options) as db:
        fill(db, 2000)
        db.compact_range()
    corrupt_table(db_path)
    with cairn.DB(db_path, options=options) as db:
        keys = [b"k%06d" % i for i in range(2000)]
        verified = [outcome(lambda k=k: db.get(k, verify_checksums=True))
                    for k in keys]
        assert ("error", cairn.CorruptionError) in verified
        # None is the database's default: exactly what a plain get() does.
        assert [outcome(lambda k=k: db.get(k, verify_checksums=None))
                for k in keys] == [outcome(lambda k=k: db.get(k)) for k in keys]
        # verify_checksums=False reads the damaged block without checking.
        unverified = [outcome(lambda k=k: db.get(k, verify_checksums=False))
                      for k in keys]
        assert ("error", cairn.CorruptionError) not in unverified
        with pytest.raises(cairn.CorruptionError):
            list(db.iterator(verify_checksums=True))
        with db.snapshot() as snap:
            assert [outcome(lambda k=k: snap.get(k, verify_checksums=True))
                    for k in keys] == verified
