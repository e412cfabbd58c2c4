"""The exception hierarchy: one class per cairn_status_t, raised by real calls."""

import os

import pytest

import cairn
from cairn import _cairn

# cairn_status_t value -> class.
CLASSES = {
    1: cairn.NotFoundError,
    2: cairn.InvalidArgumentError,
    3: cairn.StorageIOError,
    4: cairn.CorruptionError,
    5: cairn.BusyError,
    6: cairn.UnavailableError,
    7: cairn.OperationTimeout,
    8: cairn.NotSupportedError,
    9: cairn.InternalError,
}


@pytest.mark.parametrize("status,cls", sorted(CLASSES.items()))
def test_status_maps_to_class(status, cls):
    assert issubclass(cls, cairn.Error)
    assert cls.status == _cairn._status_name(status)
    with pytest.raises(cls, match="the message"):
        _cairn._raise_status(status, "the message")


def test_unknown_status_is_base_error():
    with pytest.raises(cairn.Error) as info:
        _cairn._raise_status(99, "odd")
    assert type(info.value) is cairn.Error


def test_builtin_bases():
    assert issubclass(cairn.InvalidArgumentError, ValueError)
    assert issubclass(cairn.StorageIOError, OSError)
    assert issubclass(cairn.OperationTimeout, TimeoutError)
    assert issubclass(cairn.NotFoundError, LookupError)
    assert str(cairn.StorageIOError("disk")) == "disk"


def test_exported_names():
    for name in ("Error", "NotFoundError", "InvalidArgumentError", "StorageIOError",
                 "CorruptionError", "BusyError", "UnavailableError",
                 "OperationTimeout", "NotSupportedError", "InternalError"):
        assert getattr(cairn, name) is getattr(cairn.errors, name)
        assert name in cairn.__all__


def test_not_found_error(db_path):
    with pytest.raises(cairn.NotFoundError, match="db"):
        cairn.DB(db_path)


def test_invalid_argument_error(db):
    with pytest.raises(cairn.InvalidArgumentError):
        db.put(b"", b"empty keys are not allowed")


def test_storage_io_error(tmp_dir):
    blocker = os.path.join(tmp_dir, "file")
    with open(blocker, "w") as f:
        f.write("not a directory")
    with pytest.raises(cairn.Error) as info:
        cairn.DB(os.path.join(blocker, "db"), create_if_missing=True)
    # A path under a regular file cannot be created.
    assert isinstance(info.value, (cairn.StorageIOError, cairn.InvalidArgumentError))


def test_storage_io_error_permission(tmp_dir):
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    locked = os.path.join(tmp_dir, "locked")
    os.mkdir(locked, 0o500)
    with pytest.raises(cairn.StorageIOError):
        cairn.DB(os.path.join(locked, "db"), create_if_missing=True)


def test_corruption_error(db_path):
    with cairn.DB(db_path, create_if_missing=True) as db:
        db.put(b"a", b"b")
    with open(os.path.join(db_path, "CURRENT"), "w") as f:
        f.write("garbage")  # no newline: LevelDB reports corruption
    with pytest.raises(cairn.CorruptionError):
        cairn.DB(db_path)


def test_busy_error_names_pid(db):
    with pytest.raises(cairn.BusyError, match=str(os.getpid())):
        cairn.DB(db.path)


def test_unavailable_error(db):
    db.close()
    with pytest.raises(cairn.UnavailableError, match="closed"):
        db.get(b"a")


def test_not_supported_error(db):
    try:
        db.property("cairn.cache")
    except cairn.NotFoundError:
        with pytest.raises(cairn.NotSupportedError):
            db.cache_stats()
    else:
        pytest.skip("this libcairn has a cache")
