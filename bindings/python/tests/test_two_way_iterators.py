"""Two-way iterators (DB.iterator) and raw iterators (DB.raw_iterator).

Checked three ways: against a model of plyvel's documented semantics (a
cursor between the entries of the range), against plyvel itself where
plyvel follows those semantics, and on the cases where plyvel does not
(Cairn keeps to the model there; the README lists them).
"""

import bisect
import os
import random

import pytest

import cairn

ALPHABET = b"\x00ab\xff"


def random_key(rng, max_len=3):
    return bytes(rng.choice(ALPHABET) for _ in range(rng.randint(1, max_len)))


class Cursor:
    """The model: a cursor in one of the len(items) + 1 gaps of the range."""

    def __init__(self, items, reverse):
        self.items = items
        self.keys = [k for k, _ in items]
        self.reverse = reverse
        self.pos = len(items) if reverse else 0

    def _forward(self):
        if self.pos == len(self.items):
            raise StopIteration
        self.pos += 1
        return self.items[self.pos - 1]

    def _backward(self):
        if self.pos == 0:
            raise StopIteration
        self.pos -= 1
        return self.items[self.pos]

    def next(self):
        return self._backward() if self.reverse else self._forward()

    def prev(self):
        return self._forward() if self.reverse else self._backward()

    def seek_to_start(self):
        self.pos = 0

    def seek_to_stop(self):
        self.pos = len(self.items)

    def seek(self, target):
        self.pos = bisect.bisect_left(self.keys, target)


def in_range(model, start=None, stop=None, include_start=True,
             include_stop=False, prefix=None, **_):
    keys = sorted(model)
    if prefix is not None:
        keys = [k for k in keys if k.startswith(prefix)]
    if start is not None:
        keys = [k for k in keys if k > start or (include_start and k == start)]
    if stop is not None:
        keys = [k for k in keys if k < stop or (include_stop and k == stop)]
    return [(k, model[k]) for k in keys]


def run(it, ops):
    """Applies ops to an iterator (cairn's, plyvel's or the model); returns
    what each step produced."""
    out = []
    for op, arg in ops:
        try:
            if op == "next":
                out.append(next(it) if not isinstance(it, Cursor) else it.next())
            elif op == "prev":
                out.append(it.prev())
            elif op == "seek":
                out.append(it.seek(arg))
            else:
                out.append(getattr(it, op)())
        except StopIteration:
            out.append("stop")
    return out


def random_ops(rng, n, seeks=True):
    names = ["next", "next", "next", "prev", "prev", "seek_to_start", "seek_to_stop"]
    if seeks:
        names += ["seek", "seek"]
    return [(op, random_key(rng, 4) if op == "seek" else None)
            for op in (rng.choice(names) for _ in range(n))]


def fill(put, rng, n=40):
    model = {}
    for _ in range(n):
        k = random_key(rng)
        v = rng.randbytes(rng.randint(0, 4))
        put(k, v)
        model[k] = v
    return model


def random_bounds(rng, model, avoid_keys=False):
    """Iterator keyword arguments with random bounds. avoid_keys: no bound is
    an existing key (where plyvel's boundary handling is right)."""
    def bound():
        if rng.random() < 0.3:
            return None
        k = rng.choice(list(model)) if rng.random() < 0.3 else random_key(rng, 4)
        return None if avoid_keys and k in model else k

    kwargs = {"reverse": rng.random() < 0.5}
    if rng.random() < 0.25:
        prefix = random_key(rng, 2)
        if not (avoid_keys and prefix in model):
            kwargs["prefix"] = prefix
    else:
        kwargs.update(start=bound(), stop=bound(),
                      include_start=rng.random() < 0.5,
                      include_stop=rng.random() < 0.5)
    return kwargs


def test_model_random_sequences(db):
    rng = random.Random(2024)
    model = fill(db.put, rng)
    for _ in range(300):
        kwargs = random_bounds(rng, model)
        ops = random_ops(rng, 25)
        want = run(Cursor(in_range(model, **kwargs), kwargs["reverse"]), ops)
        assert run(db.iterator(**kwargs), ops) == want, (kwargs, ops)


def test_model_with_key_and_value_selection(db):
    rng = random.Random(7)
    model = fill(db.put, rng)
    for _ in range(50):
        kwargs = random_bounds(rng, model)
        ops = random_ops(rng, 20)
        want = run(Cursor(in_range(model, **kwargs), kwargs["reverse"]), ops)
        keys = [w[0] if isinstance(w, tuple) else w for w in want]
        values = [w[1] if isinstance(w, tuple) else w for w in want]
        assert run(db.iterator(include_value=False, **kwargs), ops) == keys
        assert run(db.iterator(include_key=False, **kwargs), ops) == values


@pytest.fixture
def plyvel_db(tmp_dir):
    plyvel = pytest.importorskip("plyvel")
    database = plyvel.DB(os.path.join(tmp_dir, "plyvel"), create_if_missing=True)
    try:
        yield database
    finally:
        database.close()


def test_same_as_plyvel_without_bounds(db, plyvel_db):
    """Whole-database iterators, every operation, both directions."""
    rng = random.Random(99)
    fill(lambda k, v: (db.put(k, v), plyvel_db.put(k, v)), rng)
    for _ in range(300):
        reverse = rng.random() < 0.5
        ops = random_ops(rng, 30)
        want = run(plyvel_db.iterator(reverse=reverse), ops)
        assert run(db.iterator(reverse=reverse), ops) == want, (reverse, ops)


def test_same_as_plyvel_with_bounds(db, plyvel_db):
    """Bounded iterators, stepping and jumping to the ends (plyvel's seek
    can leave the range; see test_where_plyvel_leaves_the_range)."""
    rng = random.Random(5)
    model = fill(lambda k, v: (db.put(k, v), plyvel_db.put(k, v)), rng)
    for _ in range(300):
        kwargs = random_bounds(rng, model, avoid_keys=True)
        ops = random_ops(rng, 25, seeks=False)
        want = run(plyvel_db.iterator(**kwargs), ops)
        assert run(db.iterator(**kwargs), ops) == want, (kwargs, ops)


def test_where_plyvel_leaves_the_range(db):
    """Cases where plyvel 1.5 returns keys outside the iterator's range, or
    misses one; Cairn's bounds are enforced by the C iterator."""
    for k in (b"a", b"b", b"c", b"d"):
        db.put(k, k.upper())
    # Reverse seek below the start: plyvel returns b"a".
    it = db.iterator(start=b"b", stop=b"d", reverse=True, include_value=False)
    it.seek(b"a")
    assert list(it) == []
    # Seek to an excluded start: plyvel returns the start key.
    it = db.iterator(start=b"b", include_start=False, include_value=False)
    it.seek(b"a")
    assert next(it) == b"c"
    # Reverse over a range whose only key is its start: plyvel yields nothing.
    assert list(db.iterator(start=b"b", stop=b"c", reverse=True,
                            include_value=False)) == [b"b"]
    # Seek past an inclusive stop: plyvel returns the stop key.
    it = db.iterator(stop=b"c", include_stop=True, include_value=False)
    it.seek(b"z")
    with pytest.raises(StopIteration):
        next(it)
    assert it.prev() == b"c"


def test_iterator_starts_at_its_direction_start(db):
    for k in (b"a", b"b", b"c"):
        db.put(k, b"")
    it = db.iterator(include_value=False)
    with pytest.raises(StopIteration):
        it.prev()
    assert next(it) == b"a"
    rit = db.iterator(include_value=False, reverse=True)
    with pytest.raises(StopIteration):
        rit.prev()
    assert next(rit) == b"c"
    assert rit.prev() == b"c"  # steps back over what next() returned


def test_iterator_ends_stay_steppable(db):
    db.put(b"a", b"1")
    it = db.iterator()
    assert list(it) == [(b"a", b"1")]
    with pytest.raises(StopIteration):
        next(it)
    assert it.prev() == (b"a", b"1")  # an exhausted iterator can step back


def test_seek_argument_checks(db):
    it = db.iterator()
    with pytest.raises(TypeError, match="target"):
        it.seek("a")
    with pytest.raises(TypeError):
        it.seek(None)
    it.seek(bytearray(b"a"))
    it.seek(memoryview(b""))  # an empty target is the start of the range
    with pytest.raises(StopIteration):
        it.prev()


def test_iterator_operations_after_close(db):
    db.put(b"a", b"1")
    it = db.iterator()
    it.close()
    for call in (lambda: next(it), it.prev, it.seek_to_start, it.seek_to_stop,
                 lambda: it.seek(b"a")):
        with pytest.raises(cairn.ClosedError):
            call()
    it = db.iterator()
    db.close()
    for call in (lambda: next(it), it.prev, it.seek_to_start,
                 lambda: it.seek(b"a")):
        with pytest.raises(RuntimeError, match="closed"):
            call()


# ---- Raw iterators -------------------------------------------------------

def raw_run(it, ops):
    out = []
    for op, arg in ops:
        try:
            out.append(getattr(it, op)(*([arg] if arg is not None else [])))
        except Exception as e:  # compared by class name across libraries
            out.append(type(e).__name__)
    return out


def random_raw_ops(rng, n, seek_for_prev=False):
    names = ["valid", "seek_to_first", "seek_to_last", "seek", "next", "next",
             "prev", "prev", "key", "value", "item"]
    if seek_for_prev:
        names.append("seek_for_prev")
    ops = []
    for _ in range(n):
        op = rng.choice(names)
        ops.append((op, random_key(rng, 4) if op.startswith("seek") and
                    op not in ("seek_to_first", "seek_to_last") else None))
    return ops


class RawModel:
    def __init__(self, items):
        self.items = items
        self.keys = [k for k, _ in items]
        self.i = None

    def _check(self):
        if self.i is None or not 0 <= self.i < len(self.items):
            raise cairn.IteratorInvalidError

    def valid(self):
        return self.i is not None and 0 <= self.i < len(self.items)

    def seek_to_first(self):
        self.i = 0

    def seek_to_last(self):
        self.i = len(self.items) - 1

    def seek(self, t):
        self.i = bisect.bisect_left(self.keys, t)

    def seek_for_prev(self, t):
        self.i = bisect.bisect_right(self.keys, t) - 1

    def next(self):
        self._check()
        self.i += 1

    def prev(self):
        self._check()
        self.i -= 1

    def key(self):
        self._check()
        return self.items[self.i][0]

    def value(self):
        self._check()
        return self.items[self.i][1]

    def item(self):
        self._check()
        return self.items[self.i]


def test_raw_iterator_same_as_plyvel(db, plyvel_db):
    rng = random.Random(31)
    fill(lambda k, v: (db.put(k, v), plyvel_db.put(k, v)), rng)
    for _ in range(200):
        ops = random_raw_ops(rng, 30)
        want = raw_run(plyvel_db.raw_iterator(), ops)
        assert raw_run(db.raw_iterator(), ops) == want, ops


def test_raw_iterator_model_with_seek_for_prev(db):
    rng = random.Random(32)
    model = fill(db.put, rng)
    items = sorted(model.items())
    for _ in range(200):
        ops = random_raw_ops(rng, 30, seek_for_prev=True)
        assert raw_run(db.raw_iterator(), ops) == raw_run(RawModel(items), ops), ops


def test_raw_iterator_invalid_use_raises(db):
    it = db.raw_iterator()
    assert not it.valid()
    for call in (it.key, it.value, it.item, it.next, it.prev):
        with pytest.raises(cairn.IteratorInvalidError, match="valid"):
            call()
    db.put(b"a", b"1")
    it = db.raw_iterator()  # sees the view at its creation
    it.seek_to_first()
    assert it.item() == (b"a", b"1")
    it.next()
    with pytest.raises(cairn.IteratorInvalidError):
        it.key()
    assert issubclass(cairn.IteratorInvalidError, cairn.Error)


def test_raw_iterator_after_close(db):
    it = db.raw_iterator()
    it.close()
    with pytest.raises(cairn.ClosedError):
        it.valid()
    with db.raw_iterator() as it:
        it.seek_to_first()
    with pytest.raises(cairn.ClosedError):
        it.seek_to_first()
    it = db.raw_iterator()
    db.close()
    with pytest.raises(RuntimeError):
        it.seek_to_first()
    with pytest.raises(RuntimeError):
        db.raw_iterator()


# ---- Iteration protocols and snapshots --------------------------------------

def test_for_loops_over_db_and_snapshot(db):
    db.put(b"b", b"2")
    db.put(b"a", b"1")
    assert [kv for kv in db] == [(b"a", b"1"), (b"b", b"2")]
    with db.snapshot() as snap:
        db.put(b"c", b"3")
        db.delete(b"a")
        assert list(snap) == [(b"a", b"1"), (b"b", b"2")]
        it = snap.iterator(reverse=True, include_value=False)
        assert next(it) == b"b"
        it.seek_to_start()  # before b"a", whatever the direction
        assert it.prev() == b"a"
        raw = snap.raw_iterator()
        raw.seek_to_last()
        assert raw.key() == b"b"
    assert dict(db) == {b"b": b"2", b"c": b"3"}
    with pytest.raises(cairn.ClosedError, match="released"):
        iter(snap)
    with pytest.raises(RuntimeError):
        snap.raw_iterator()


def test_read_options_on_iterators(db):
    db.put(b"a", b"1")
    for kwargs in ({"verify_checksums": True}, {"verify_checksums": False},
                   {"fill_cache": False}, {"verify_checksums": None,
                                           "fill_cache": None}):
        assert list(db.iterator(**kwargs)) == [(b"a", b"1")]
        raw = db.raw_iterator(**kwargs)
        raw.seek_to_first()
        assert raw.item() == (b"a", b"1")
        with db.snapshot() as snap:
            assert list(snap.iterator(**kwargs)) == [(b"a", b"1")]
