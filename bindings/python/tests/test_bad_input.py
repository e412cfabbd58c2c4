"""Bad input gets a clear exception, never a crash, and writes nothing."""

import os

import pytest

import cairn


@pytest.mark.parametrize("bad", ["text", None, 42, 1.5, [b"a"], object()])
def test_bad_keys(db, bad):
    kind = "str" if isinstance(bad, str) else type(bad).__name__
    with pytest.raises(TypeError, match=kind if bad is not None else "None"):
        db.put(bad, b"v")
    with pytest.raises(TypeError):
        db.get(bad)
    with pytest.raises(TypeError):
        bad in db
    with pytest.raises(TypeError):
        db.delete(bad)
    with pytest.raises(TypeError):
        db.multi_get([bad])
    with db.write_batch() as wb:
        with pytest.raises(TypeError):
            wb.put(bad, b"v")
        with pytest.raises(TypeError):
            wb.delete(bad)
    if bad is not None:  # None is "no bound"
        with pytest.raises(TypeError):
            db.iterator(start=bad)
        with pytest.raises(TypeError):
            db.iterator(prefix=bad)


def test_str_message_is_clear(db):
    with pytest.raises(TypeError, match=r"key must be bytes-like.*not str.*encode"):
        db.put("key", b"v")
    with pytest.raises(TypeError, match=r"value must be bytes-like.*not str"):
        db.put(b"key", "value")
    with pytest.raises(TypeError, match=r"value .*None"):
        db.put(b"key", None)
    assert db.get(b"key") is None


def test_non_contiguous_buffer(db):
    view = memoryview(b"abcdef")[::2]
    with pytest.raises(TypeError, match="contiguous"):
        db.put(view, b"v")


def test_empty_key(db):
    with pytest.raises(cairn.InvalidArgumentError):
        db.put(b"", b"v")


def test_oversized_key(db_path):
    with cairn.DB(db_path, create_if_missing=True, options={"max_key_size": 16}) as db:
        db.put(b"k" * 16, b"fits")
        with pytest.raises(cairn.InvalidArgumentError, match="16"):
            db.put(b"k" * 17, b"too long")
        with pytest.raises(cairn.InvalidArgumentError):
            with db.write_batch() as wb:
                wb.put(b"ok", b"1")
                wb.put(b"x" * 17, b"2")
        assert db.get(b"ok") is None  # the whole batch was rejected
        assert [k for k, _ in db.iterator()] == [b"k" * 16]


def test_oversized_value(db_path):
    with cairn.DB(db_path, create_if_missing=True, options={"max_value_size": 8}) as db:
        with pytest.raises(cairn.InvalidArgumentError):
            db.put(b"k", b"v" * 9)
        assert b"k" not in db


def test_unknown_option(db_path):
    with pytest.raises(cairn.InvalidArgumentError, match="no_such_option"):
        cairn.DB(db_path, create_if_missing=True, options={"no_such_option": 1})


@pytest.mark.parametrize("name,value", [
    ("max_key_size", "abc"),
    ("max_key_size", 0),
    ("max_key_size", -1),
    ("max_key_size", 1.5),
    ("write_buffer_size", 10),
    ("compression", "zstd"),
    ("paranoid_checks", "maybe"),
])
def test_bad_option_values(db_path, name, value):
    with pytest.raises(cairn.InvalidArgumentError, match=name):
        cairn.DB(db_path, create_if_missing=True, options={name: value})


@pytest.mark.parametrize("options,match", [
    ({"max_key_size": None}, "max_key_size"),
    ({"max_key_size": [1]}, "max_key_size"),
    ({1: "x"}, "option names"),
    ([("max_key_size", 1)], "dict"),
])
def test_option_type_errors(db_path, options, match):
    with pytest.raises(TypeError, match=match):
        cairn.DB(db_path, create_if_missing=True, options=options)


def test_bad_path(tmp_dir):
    with pytest.raises(TypeError):
        cairn.DB(None)
    with pytest.raises(TypeError):
        cairn.DB(42)
    with pytest.raises(ValueError, match="NUL"):
        cairn.DB(os.path.join(tmp_dir, "bad\0path"), create_if_missing=True)
    assert os.listdir(tmp_dir) == []
    with pytest.raises(ValueError, match="NUL"):
        cairn.destroy(os.path.join(tmp_dir, "bad\0path"))


def test_iterator_argument_errors(db):
    with pytest.raises(TypeError, match="include_key and include_value"):
        db.iterator(include_key=False, include_value=False)
    with pytest.raises(TypeError, match="prefix"):
        db.iterator(prefix=b"a", start=b"b")
    with pytest.raises(TypeError, match="snapshot"):
        db.iterator(snapshot=object())
