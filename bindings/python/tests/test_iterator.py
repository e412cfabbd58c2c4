"""Iterators against a sorted-dict model: bounds, prefixes, reverse order."""

import random

import pytest

import cairn


def model_range(model, start=None, stop=None, include_start=True,
                include_stop=False, prefix=None, reverse=False):
    keys = sorted(model)
    if prefix is not None:
        keys = [k for k in keys if k.startswith(prefix)]
    if start is not None:
        keys = [k for k in keys if k > start or (include_start and k == start)]
    if stop is not None:
        keys = [k for k in keys if k < stop or (include_stop and k == stop)]
    if reverse:
        keys.reverse()
    return [(k, model[k]) for k in keys]


def random_key(rng):
    # A small alphabet with 0x00 and 0xff makes shared prefixes, bound
    # collisions and prefix-successor edge cases common.
    return bytes(rng.choice(b"\x00\x01ab\xfe\xff") for _ in range(rng.randint(1, 4)))


@pytest.fixture
def populated(db):
    rng = random.Random(1234)
    model = {}
    for _ in range(600):
        k = random_key(rng)
        if rng.random() < 0.8:
            v = rng.randbytes(rng.randint(0, 20))
            db.put(k, v)
            model[k] = v
        else:
            db.delete(k)
            model.pop(k, None)
    return db, model, rng


def test_full_scan(populated):
    db, model, _ = populated
    assert list(db.iterator()) == sorted(model.items())
    assert list(db.iterator(reverse=True)) == sorted(model.items(), reverse=True)


def test_random_ranges_match_model(populated):
    db, model, rng = populated
    for _ in range(400):
        kwargs = {
            "start": random_key(rng) if rng.random() < 0.7 else None,
            "stop": random_key(rng) if rng.random() < 0.7 else None,
            "include_start": rng.random() < 0.5,
            "include_stop": rng.random() < 0.5,
            "reverse": rng.random() < 0.5,
        }
        if kwargs["start"] is not None and rng.random() < 0.2:
            kwargs["start"] = rng.choice(list(model))  # hit a bound exactly
        if kwargs["stop"] is not None and rng.random() < 0.2:
            kwargs["stop"] = rng.choice(list(model))
        assert list(db.iterator(**kwargs)) == model_range(model, **kwargs), kwargs


def test_random_prefixes_match_model(populated):
    db, model, rng = populated
    prefixes = [b"a", b"\xff", b"\xff\xff", b"\x00", b"a\xff", b"ab", b"zz"]
    prefixes += [random_key(rng) for _ in range(100)]
    for prefix in prefixes:
        for reverse in (False, True):
            got = list(db.iterator(prefix=prefix, reverse=reverse))
            assert got == model_range(model, prefix=prefix, reverse=reverse), prefix


def test_include_key_and_value(populated):
    db, model, _ = populated
    expected = sorted(model.items())
    assert list(db.iterator(include_value=False)) == [k for k, _ in expected]
    assert list(db.iterator(include_key=False)) == [v for _, v in expected]
    assert list(db.iterator(include_key=False, reverse=True)) == [
        v for _, v in reversed(expected)]


def test_empty_and_inverted_ranges(db):
    for k in (b"a", b"b", b"c"):
        db.put(k, k)
    assert list(db.iterator(start=b"c", stop=b"a")) == []
    assert list(db.iterator(start=b"b", stop=b"b")) == []
    assert list(db.iterator(start=b"b", stop=b"b", include_stop=True)) == [(b"b", b"b")]
    assert list(db.iterator(start=b"b", stop=b"b", include_start=False,
                            include_stop=True)) == []
    assert list(db.iterator(prefix=b"z")) == []


def test_empty_database(db):
    assert list(db.iterator()) == []
    assert list(db.iterator(reverse=True)) == []


def test_iterator_sees_creation_time_view(db):
    db.put(b"a", b"1")
    it = db.iterator()
    db.put(b"b", b"2")
    db.delete(b"a")
    assert list(it) == [(b"a", b"1")]
    assert list(db.iterator()) == [(b"b", b"2")]


def test_iterator_protocol(db):
    db.put(b"a", b"1")
    it = db.iterator()
    assert iter(it) is it
    assert isinstance(it, cairn.Iterator)
    assert it.__next__() == (b"a", b"1")
    with pytest.raises(StopIteration):
        next(it)
    with pytest.raises(StopIteration):
        next(it)  # stays exhausted


def test_iterator_close_and_context_manager(db):
    db.put(b"a", b"1")
    db.put(b"b", b"2")
    with db.iterator() as it:
        assert next(it) == (b"a", b"1")
    # Closed: using it raises (a RuntimeError, as in plyvel).
    with pytest.raises(cairn.ClosedError, match="iterator is closed"):
        next(it)
    with pytest.raises(RuntimeError):
        list(it)
    it.close()  # idempotent


def test_fill_cache_false(populated):
    db, model, _ = populated
    assert list(db.iterator(fill_cache=False)) == sorted(model.items())


def test_bytes_like_bounds(populated):
    db, model, _ = populated
    got = list(db.iterator(start=bytearray(b"a"), stop=memoryview(b"b")))
    assert got == model_range(model, start=b"a", stop=b"b")


def test_iterator_after_close_raises(db):
    db.put(b"a", b"1")
    db.put(b"b", b"2")
    it = db.iterator()
    assert next(it) == (b"a", b"1")
    db.close()
    with pytest.raises(cairn.UnavailableError):
        next(it)
    with pytest.raises(cairn.UnavailableError):
        db.iterator()
    del it  # destroying it after close is safe


def test_iterator_keeps_db_alive(db_path):
    it = cairn.DB(db_path, create_if_missing=True).iterator()
    assert list(it) == []
