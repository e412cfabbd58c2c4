"""Snapshots isolate later writes until released."""

import pytest

import cairn


def test_snapshot_isolates_later_writes(db):
    db.put(b"a", b"1")
    db.put(b"b", b"2")
    snap = db.snapshot()
    db.put(b"a", b"changed")
    db.delete(b"b")
    db.put(b"c", b"3")
    assert snap.get(b"a") == b"1"
    assert snap.get(b"b") == b"2"
    assert snap.get(b"c") is None
    assert snap.get(b"c", b"dflt") == b"dflt"
    assert list(snap.iterator()) == [(b"a", b"1"), (b"b", b"2")]
    assert list(db.iterator(snapshot=snap, reverse=True)) == [(b"b", b"2"), (b"a", b"1")]
    assert list(snap.iterator(start=b"b", include_value=False)) == [b"b"]
    assert db.get(b"a") == b"changed"
    snap.release()


def test_snapshot_context_manager(db):
    db.put(b"a", b"1")
    with db.snapshot() as snap:
        assert isinstance(snap, cairn.Snapshot)
        db.put(b"a", b"2")
        assert snap.get(b"a") == b"1"
        assert not snap.released
    assert snap.released
    with pytest.raises(cairn.UnavailableError, match="released"):
        snap.get(b"a")
    with pytest.raises(cairn.UnavailableError):
        snap.iterator()
    with pytest.raises(cairn.UnavailableError):
        db.iterator(snapshot=snap)
    snap.release()  # idempotent
    snap.close()


def test_iterator_outlives_snapshot_release(db):
    db.put(b"a", b"1")
    snap = db.snapshot()
    it = snap.iterator()
    db.put(b"a", b"2")
    snap.release()
    assert list(it) == [(b"a", b"1")]


def test_snapshot_invalidated_by_close(db):
    db.put(b"a", b"1")
    snap = db.snapshot()
    db.close()
    with pytest.raises(cairn.UnavailableError):
        snap.get(b"a")
    with pytest.raises(cairn.UnavailableError):
        db.snapshot()
    snap.release()  # safe after close


def test_snapshot_from_another_db(tmp_dir):
    import os

    with cairn.DB(os.path.join(tmp_dir, "a"), create_if_missing=True) as a, \
            cairn.DB(os.path.join(tmp_dir, "b"), create_if_missing=True) as b:
        with a.snapshot() as snap:
            with pytest.raises(cairn.InvalidArgumentError, match="different database"):
                b.iterator(snapshot=snap)


def test_snapshot_bad_key(db):
    with db.snapshot() as snap:
        with pytest.raises(TypeError, match="str"):
            snap.get("a")


def test_many_snapshots(db):
    snaps = []
    for i in range(50):
        db.put(b"k", b"%d" % i)
        snaps.append(db.snapshot())
    for i, s in enumerate(snaps):
        assert s.get(b"k") == b"%d" % i
    del snaps
