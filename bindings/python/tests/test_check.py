"""DB.check(): the whole-database check and its report."""

import os

import pytest

import cairn

OPTIONS = {"compression": "none", "block_size": 1024, "cache.capacity_mb": 0}


def test_check_clean(db):
    for i in range(100):
        db.put(b"k%03d" % i, b"v" * 50)
    db.delete(b"k007")
    report = db.check()
    assert report["clean"] is True
    assert report["problems"] == []
    assert report["records"]["records"] == 100
    assert report["records"]["tombstones"] == 1
    assert report["manifest"]["status"] == "ok"


def test_check_reports_a_damaged_table_and_reads_refuse_it(db_path):
    with cairn.DB(db_path, create_if_missing=True, options=OPTIONS) as db:
        for i in range(500):
            db.put(b"k%04d" % (1000 + i), bytes([97 + i % 26]) * 100)
    # Reopening turns the write-ahead log into a table file.
    cairn.DB(db_path, options=OPTIONS).close()
    tables = [f for f in os.listdir(db_path) if f.endswith(".ldb")]
    assert len(tables) == 1
    with open(os.path.join(db_path, tables[0]), "r+b") as f:
        f.seek(200)  # inside the first data block
        byte = f.read(1)
        f.seek(200)
        f.write(bytes([byte[0] ^ 0x10]))
    with cairn.DB(db_path, options=OPTIONS) as db:
        with pytest.raises(cairn.CorruptionError, match=tables[0]):
            db.get(b"k1000")
        report = db.check()
        assert report["clean"] is False
        damaged = [p for p in report["problems"] if p["kind"] == "table"]
        assert damaged and damaged[0]["file"] == tables[0]
        assert "lost_keys_between" in damaged[0]


def test_check_after_close(db_path):
    db = cairn.DB(db_path, create_if_missing=True)
    db.close()
    with pytest.raises(cairn.UnavailableError):
        db.check()
