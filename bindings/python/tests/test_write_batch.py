"""Write batches: atomic application, transactions, reuse."""

import pytest

import cairn


def test_batch_write_on_exit(db):
    db.put(b"old", b"x")
    with db.write_batch() as wb:
        assert isinstance(wb, cairn.WriteBatch)
        wb.put(b"a", b"1")
        wb.put(b"b", bytearray(b"2"))
        wb.delete(b"old")
        assert len(wb) == 3
        assert db.get(b"a") is None  # nothing applied before the exit
    assert len(wb) == 0
    assert list(db.iterator()) == [(b"a", b"1"), (b"b", b"2")]


def test_later_operation_wins(db):
    with db.write_batch() as wb:
        wb.put(b"k", b"1")
        wb.delete(b"k")
        wb.put(b"k", b"3")
    assert db.get(b"k") == b"3"


def test_explicit_write_and_reuse(db):
    wb = db.write_batch()
    wb.put(b"a", b"1")
    wb.write()
    assert db.get(b"a") == b"1" and len(wb) == 0
    wb.put(b"b", b"2")
    wb.write()
    assert db.get(b"b") == b"2"
    wb.write()  # empty batch: fine


def test_clear(db):
    with db.write_batch() as wb:
        wb.put(b"a", b"1")
        wb.clear()
        assert len(wb) == 0
        wb.put(b"b", b"2")
    assert db.get(b"a") is None and db.get(b"b") == b"2"


def test_transaction_rolls_back_on_error(db):
    db.put(b"keep", b"1")
    with pytest.raises(RuntimeError):
        with db.write_batch(transaction=True) as wb:
            wb.put(b"a", b"1")
            wb.delete(b"keep")
            raise RuntimeError("abort")
    assert db.get(b"a") is None and db.get(b"keep") == b"1"


def test_transaction_commits_without_error(db):
    with db.write_batch(transaction=True) as wb:
        wb.put(b"a", b"1")
    assert db.get(b"a") == b"1"


def test_non_transaction_writes_despite_error(db):
    with pytest.raises(RuntimeError):
        with db.write_batch() as wb:
            wb.put(b"a", b"1")
            raise RuntimeError("still written")
    assert db.get(b"a") == b"1"


def test_sync_batch(db):
    with db.write_batch(sync=True) as wb:
        wb.put(b"a", b"1")
    assert db.get(b"a") == b"1"


def test_large_batch_is_atomic(db):
    with db.write_batch() as wb:
        for i in range(10000):
            wb.put(b"k%05d" % i, b"v" * 10)
    assert len(list(db.iterator(include_value=False))) == 10000


def test_batch_after_close(db):
    wb = db.write_batch()
    wb.put(b"a", b"1")
    db.close()
    with pytest.raises(cairn.UnavailableError):
        wb.write()
    with pytest.raises(cairn.UnavailableError):
        db.write_batch()
    del wb
