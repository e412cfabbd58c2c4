"""DB.prefixed_db: a view of the keys under a prefix, seen without it."""

import random

import pytest

import cairn


def test_point_operations_see_keys_without_prefix(db):
    users = db.prefixed_db(b"user-")
    assert isinstance(users, cairn.PrefixedDB)
    assert users.db is db and users.prefix == b"user-"
    users.put(b"1", b"ann")
    users.put(bytearray(b"2"), b"bob")
    assert db.get(b"user-1") == b"ann"
    assert users.get(b"1") == b"ann"
    assert users.get(b"3", b"none") == b"none"
    assert users.get(b"1", verify_checksums=True, fill_cache=False) == b"ann"
    assert b"2" in users and b"3" not in users
    assert users.multi_get([b"1", b"3"]) == [b"ann", None]
    users.delete(b"1", sync=True)
    assert db.get(b"user-1") is None
    users.put(b"", b"the prefix itself")  # the full key is b"user-"
    assert db.get(b"user-") == b"the prefix itself"
    with pytest.raises(TypeError, match="key"):
        users.put("1", b"x")
    with pytest.raises(TypeError, match="prefix"):
        db.prefixed_db("user-")


def test_iterators_stay_inside_and_strip_the_prefix(db):
    rng = random.Random(3)
    model = {}
    for _ in range(300):
        k = bytes(rng.choice(b"\x00ab\xff") for _ in range(rng.randint(1, 4)))
        db.put(k, k)
        model[k] = k
    for prefix in (b"a", b"\xff", b"\xff\xff", b"\x00", b"ab", b"zz"):
        view = db.prefixed_db(prefix)
        inside = sorted((k[len(prefix):], v) for k, v in model.items()
                        if k.startswith(prefix))
        assert list(view) == inside
        assert list(view.iterator(reverse=True)) == inside[::-1]
        # Bounds and prefixes are relative to the view.
        assert list(view.iterator(start=b"a", stop=b"b")) == [
            kv for kv in inside if b"a" <= kv[0] < b"b"]
        assert list(view.iterator(prefix=b"\xff", include_value=False)) == [
            k for k, _ in inside if k.startswith(b"\xff")]
        # Two-way steps and seeks never show keys outside the view.
        it = view.iterator(include_value=False)
        it.seek(b"b")
        assert list(it) == [k for k, _ in inside if k >= b"b"]
        it.seek_to_stop()
        back = []
        while True:
            try:
                back.append(it.prev())
            except StopIteration:
                break
        assert back == [k for k, _ in inside][::-1]
        raw = view.raw_iterator()
        raw.seek_to_last()
        assert raw.valid() == bool(inside)
        if inside:
            assert raw.item() == inside[-1]
            raw.seek_for_prev(b"\xff\xff\xff\xff\xff")
            assert raw.key() == inside[-1][0]
            raw.seek(b"")
            assert raw.key() == inside[0][0]


def test_write_batch_snapshot_and_nesting(db):
    a = db.prefixed_db(b"a:")
    ab = a.prefixed_db(b"b:")
    assert ab.prefix == b"a:b:" and ab.db is db
    with ab.write_batch(transaction=True) as batch:
        batch.put(b"1", b"x")
        batch.put(b"2", b"y")
        batch.delete(b"2")
        assert len(batch) == 3
        assert batch.approximate_size() == len(b"a:b:1x") + len(b"a:b:2y") + len(b"a:b:2")
    assert list(db) == [(b"a:b:1", b"x")]
    assert list(a) == [(b"b:1", b"x")]
    assert list(ab) == [(b"1", b"x")]
    with pytest.raises(KeyError):
        with ab.write_batch(transaction=True) as batch:
            batch.put(b"3", b"z")
            raise KeyError("abort")
    assert ab.get(b"3") is None

    other = a.write_batch()
    other.put(b"c", b"1")
    batch = ab.write_batch()
    batch.append(other)  # other's keys are complete: a:c
    batch.write()
    assert a.get(b"c") == b"1"

    with ab.snapshot() as snap:
        ab.put(b"1", b"changed")
        assert snap.get(b"1") == b"x"
        assert list(snap) == [(b"1", b"x")]
        assert list(snap.iterator(include_key=False)) == [b"x"]
        raw = snap.raw_iterator()
        raw.seek_to_first()
        assert raw.item() == (b"1", b"x")
        assert list(ab.iterator(snapshot=snap)) == [(b"1", b"x")]
    assert snap.released
    with pytest.raises(cairn.ClosedError):
        snap.get(b"1")


def test_closed_database(db):
    view = db.prefixed_db(b"p")
    db.close()
    assert view.closed
    with pytest.raises(RuntimeError, match="closed"):
        view.get(b"1")
    with pytest.raises(cairn.ClosedError):
        view.iterator()


def test_same_as_plyvel_prefixed_db(db, tmp_dir):
    plyvel = pytest.importorskip("plyvel")
    import os

    pdb = plyvel.DB(os.path.join(tmp_dir, "plyvel"), create_if_missing=True)
    try:
        rng = random.Random(11)
        for _ in range(300):
            k = bytes(rng.choice(b"\x00ab\xff") for _ in range(rng.randint(1, 4)))
            db.put(k, k)
            pdb.put(k, k)
        for prefix in (b"a", b"\xff", b"ab", b"\x00\x00", b"zz"):
            mine, theirs = db.prefixed_db(prefix), pdb.prefixed_db(prefix)
            for reverse in (False, True):
                assert list(mine.iterator(reverse=reverse)) == list(
                    theirs.iterator(reverse=reverse))
                assert list(mine.iterator(prefix=b"b", reverse=reverse)) == list(
                    theirs.iterator(prefix=b"b", reverse=reverse))
            for key in (b"a", b"b", b"\xff", b"ab"):
                assert mine.get(key) == theirs.get(key)
            nested_mine = mine.prefixed_db(b"b")
            nested_theirs = theirs.prefixed_db(b"b")
            assert list(nested_mine) == list(nested_theirs.iterator())
    finally:
        pdb.close()
