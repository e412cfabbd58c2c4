"""Using a closed database, a released snapshot or a closed iterator raises
cairn.ClosedError: a RuntimeError (as plyvel raises) and a cairn.Error."""

import pytest

import cairn


def test_class_hierarchy():
    assert issubclass(cairn.ClosedError, RuntimeError)
    assert issubclass(cairn.ClosedError, cairn.UnavailableError)
    assert issubclass(cairn.ClosedError, cairn.Error)
    assert cairn.ClosedError.status == "UNAVAILABLE"
    # Other statuses keep their classes.
    with pytest.raises(cairn.UnavailableError) as info:
        cairn._cairn._raise_status(6, "retry later")
    assert type(info.value) is cairn.UnavailableError
    assert not isinstance(info.value, RuntimeError)


def test_closed_database(db):
    db.put(b"a", b"1")
    batch = db.write_batch()
    batch.put(b"b", b"2")
    db.close()
    calls = [
        lambda: db.get(b"a"),
        lambda: db.get(b"a", fill_cache=False),
        lambda: db.put(b"a", b"1"),
        lambda: db.put(b"a", b"1", sync=True),
        lambda: db.delete(b"a"),
        lambda: b"a" in db,
        lambda: db.multi_get([b"a"]),
        lambda: db.write_batch(),
        batch.write,
        lambda: db.iterator(),
        lambda: db.raw_iterator(),
        lambda: iter(db),
        lambda: db.snapshot(),
        lambda: db.property("cairn.stats"),
        lambda: db.compact_range(),
        lambda: db.approximate_sizes((b"a", b"b")),
        lambda: db.prefixed_db(b"p").get(b"a"),
    ]
    for call in calls:
        with pytest.raises(RuntimeError, match="closed") as info:
            call()
        assert isinstance(info.value, cairn.ClosedError)


def test_released_snapshot_and_closed_iterators(db):
    db.put(b"a", b"1")
    snap = db.snapshot()
    snap.release()
    for call in (lambda: snap.get(b"a"), lambda: snap.iterator(),
                 lambda: snap.raw_iterator(), lambda: iter(snap)):
        with pytest.raises(cairn.ClosedError, match="released"):
            call()
    snap = db.snapshot()
    it = snap.iterator()
    raw = snap.raw_iterator()
    db.close()
    for call in (lambda: snap.get(b"a"), lambda: next(it), raw.seek_to_first):
        with pytest.raises(RuntimeError, match="closed"):
            call()
