"""DB: open/close, point operations, multi_get, properties, module functions."""

import os
import pathlib

import pytest

import cairn


def test_version_and_abi_version():
    assert isinstance(cairn.version(), str) and cairn.version().count(".") == 2
    assert cairn.__version__ == cairn.version()
    major, minor = cairn.abi_version()
    assert (major, minor) >= (1, 0) and major == 1


def test_put_get_delete(db):
    assert db.get(b"k") is None
    db.put(b"k", b"v")
    assert db.get(b"k") == b"v"
    db.put(b"k", b"v2")
    assert db.get(b"k") == b"v2"
    db.delete(b"k")
    assert db.get(b"k") is None
    db.delete(b"never-written")  # deleting a missing key is fine


def test_get_default(db):
    marker = object()
    assert db.get(b"missing", marker) is marker
    assert db.get(b"missing", default=b"d") == b"d"
    assert db.get(key=b"missing") is None
    db.put(b"present", b"")
    assert db.get(b"present", marker) == b""


def test_get_argument_errors(db):
    with pytest.raises(TypeError):
        db.get()
    with pytest.raises(TypeError):
        db.get(b"a", None, None)
    with pytest.raises(TypeError, match="unexpected keyword"):
        db.get(b"a", bogus=1)
    with pytest.raises(TypeError, match="multiple values"):
        db.get(b"a", key=b"b")


def test_values_are_bytes_and_binary_safe(db):
    key = bytes(range(256))
    value = bytes(reversed(range(256))) * 100
    db.put(key, value)
    out = db.get(key)
    assert type(out) is bytes and out == value


def test_accepts_bytes_like(db):
    db.put(bytearray(b"ba"), memoryview(b"mv"))
    assert db.get(memoryview(b"ba")) == b"mv"
    assert bytearray(b"ba") in db
    db.delete(memoryview(bytearray(b"ba")))
    assert db.get(b"ba") is None
    import array

    db.put(array.array("B", b"arr"), b"x")
    assert db.get(b"arr") == b"x"


def test_contains(db):
    assert b"a" not in db
    db.put(b"a", b"")
    assert b"a" in db
    db.delete(b"a")
    assert b"a" not in db


def test_multi_get(db):
    db.put(b"a", b"1")
    db.put(b"c", b"3")
    assert db.multi_get([b"a", b"b", b"c"]) == [b"1", None, b"3"]
    assert db.multi_get(iter([bytearray(b"c")])) == [b"3"]
    assert db.multi_get([]) == []
    with pytest.raises(TypeError, match="str"):
        db.multi_get([b"a", "b"])


def test_sync_writes(db):
    db.put(b"s", b"1", sync=True)
    assert db.get(b"s") == b"1"
    db.delete(b"s", sync=True)
    assert db.get(b"s") is None


def test_persists_across_reopen(db_path):
    with cairn.DB(db_path, create_if_missing=True) as db:
        db.put(b"k", b"v")
    with cairn.DB(db_path) as db:
        assert db.get(b"k") == b"v"


def test_path_like_and_repr(tmp_dir):
    path = pathlib.Path(tmp_dir) / "db"
    with cairn.DB(path, create_if_missing=True) as db:
        assert db.path == str(path)
        assert repr(db) == f"<cairn.DB path={str(path)!r}>"
    assert db.closed and repr(db).endswith(" closed>")
    with cairn.DB(os.fsencode(path)) as db:
        assert not db.closed


def test_context_manager_closes(db_path):
    with cairn.DB(db_path, create_if_missing=True) as db:
        assert not db.closed
    assert db.closed


def test_context_manager_closes_on_error(db_path):
    with pytest.raises(KeyError):
        with cairn.DB(db_path, create_if_missing=True) as db:
            raise KeyError("boom")
    assert db.closed
    cairn.DB(db_path).close()  # not busy: the lock was released


def test_close_is_idempotent(db):
    db.close()
    db.close()
    assert db.closed


def test_gc_closes(db_path):
    db = cairn.DB(db_path, create_if_missing=True)
    del db
    cairn.DB(db_path).close()


def test_open_missing_without_create(db_path):
    with pytest.raises(cairn.NotFoundError):
        cairn.DB(db_path)


def test_error_if_exists(db_path):
    cairn.DB(db_path, create_if_missing=True).close()
    with pytest.raises(cairn.InvalidArgumentError):
        cairn.DB(db_path, error_if_exists=True)


def test_options(db_path):
    opts = {"max_key_size": 32, "compression": "none", "paranoid_checks": True,
            "block_cache_mb": 16}
    with cairn.DB(db_path, create_if_missing=True, options=opts) as db:
        import json

        effective = json.loads(db.property("cairn.options"))
        assert effective["max_key_size"] in (32, "32")
        assert effective["compression"] == "none"
        assert effective["paranoid_checks"] in (True, "true")


def test_options_dict_overrides_keywords(db_path):
    with cairn.DB(db_path, options={"create_if_missing": True}) as db:
        db.put(b"a", b"b")


def test_property(db):
    db.put(b"a", b"b")
    assert "puts" in db.property("cairn.stats")
    assert isinstance(db.property("leveldb.stats"), str)
    with pytest.raises(cairn.NotFoundError, match="no.such"):
        db.property("no.such.property")


def test_stats(db):
    db.put(b"a", b"1")
    db.get(b"a")
    db.get(b"missing")
    stats = db.stats()
    assert stats["puts"] == 1
    assert stats["gets"] == 2
    assert stats["get_hits"] == 1 and stats["get_misses"] == 1


def test_cache_stats(db):
    # Until the shared-memory cache lands, libcairn has no 'cairn.cache'.
    try:
        db.property("cairn.cache")
    except cairn.NotFoundError:
        with pytest.raises(cairn.NotSupportedError, match="cairn.cache"):
            db.cache_stats()
    else:
        assert isinstance(db.cache_stats(), dict)


def test_destroy(db_path):
    with cairn.DB(db_path, create_if_missing=True) as db:
        db.put(b"a", b"b")
        with pytest.raises(cairn.BusyError):
            cairn.destroy(db_path)
    cairn.destroy(db_path)
    with pytest.raises(cairn.NotFoundError):
        cairn.DB(db_path)
    cairn.destroy(db_path)  # nothing there: fine


def test_docstrings_and_stubs():
    for obj in (cairn.DB, cairn.DB.get, cairn.DB.put, cairn.DB.iterator,
                cairn.DB.write_batch, cairn.DB.snapshot, cairn.destroy):
        assert obj.__doc__
    package = os.path.dirname(cairn.__file__)
    assert os.path.exists(os.path.join(package, "__init__.pyi"))
    assert os.path.exists(os.path.join(package, "py.typed"))
