"""DB.multi_get through cairn_multi_get, and DB.get through cairn_get_into:
batches beyond one internal chunk (64 keys), values longer than the
per-key slot or the stack buffer (256 bytes: read again with a copy), empty
values, and hits after fills (the second pass)."""

import pytest

import cairn


def test_multi_get_chunks_and_long_values(db):
    keys = [b"k%04d" % i for i in range(300)]
    want = []
    for i, k in enumerate(keys):
        if i % 5 == 0:
            want.append(None)
            continue
        value = b"x" * (i * 7 % 1000) if i % 3 else b""
        db.put(k, value)
        want.append(value)
    for _ in range(2):  # from LevelDB (filling the cache), then from the cache
        assert db.multi_get(keys) == want


def test_multi_get_bad_key_raises(db):
    db.put(b"a", b"1")
    with pytest.raises(cairn.Error):
        db.multi_get([b"a", b""])


def test_get_values_around_the_stack_buffer(db):
    # DB.get reads into a 256-byte stack buffer, then falls back to a copy.
    for n in (0, 255, 256, 257, 5000):
        db.put(b"v%d" % n, b"y" * n)
    for _ in range(2):
        for n in (0, 255, 256, 257, 5000):
            assert db.get(b"v%d" % n) == b"y" * n
    assert db.get(b"absent", b"dflt") == b"dflt"
