"""Cairn: an embeddable, versioned key-value store (LevelDB underneath).

Bytes in, bytes out::

    import cairn

    with cairn.DB("/tmp/example-db", create_if_missing=True) as db:
        db.put(b"hello", b"world")
        assert db.get(b"hello") == b"world"
        with db.write_batch(transaction=True) as batch:
            batch.put(b"a", b"1")
            batch.delete(b"hello")
        for key, value in db.iterator(prefix=b"a"):
            print(key, value)

Everything goes through Cairn's stable C ABI (libcairn.so.1), so Python sees
exactly what C hosts see. See help(cairn.DB), help(cairn.Cluster) (a routing
client of a group of Cairn nodes) and cairn.errors.
"""

import os as _os

# The extension links libcairn.so.1 and finds the copy beside it ($ORIGIN).
# $CAIRN_LIBRARY, the variable the SQLite extension and the demo host read
# too, picks another one: loaded first, it satisfies the extension's
# dependency by soname.
_library = _os.environ.get("CAIRN_LIBRARY")
if _library:
    import ctypes as _ctypes

    _ctypes.CDLL(_library)
    del _ctypes
del _library

from .errors import (
    BusyError,
    ClosedError,
    CorruptionError,
    Error,
    InternalError,
    InvalidArgumentError,
    IteratorInvalidError,
    NotFoundError,
    NotSupportedError,
    OperationTimeout,
    StorageIOError,
    UnavailableError,
)
from ._cairn import (
    DB,
    Cluster,
    Iterator,
    RawIterator,
    Snapshot,
    WriteBatch,
    abi_version,
    destroy,
    gc_segments,
    repair,
    version,
)
from ._cluster import ScanResult
from ._prefixed import PrefixedDB, PrefixedSnapshot, PrefixedWriteBatch

__version__ = version()

__all__ = [
    "DB",
    "Iterator",
    "RawIterator",
    "Snapshot",
    "WriteBatch",
    "PrefixedDB",
    "PrefixedSnapshot",
    "PrefixedWriteBatch",
    "Cluster",
    "ScanResult",
    "abi_version",
    "destroy",
    "gc_segments",
    "repair",
    "version",
    "Error",
    "NotFoundError",
    "InvalidArgumentError",
    "StorageIOError",
    "CorruptionError",
    "BusyError",
    "UnavailableError",
    "ClosedError",
    "IteratorInvalidError",
    "OperationTimeout",
    "NotSupportedError",
    "InternalError",
]
