"""Prefixed views of a database: DB.prefixed_db(prefix).

A PrefixedDB reads and writes the keys of its database that start with its
prefix, and shows them without it: ``db.prefixed_db(b"user-").put(b"1", v)``
stores ``b"user-1"``. Its iterators only ever see keys under the prefix (the
bounds are enforced by the C iterator, so they cannot wander out of the
view) and return them with the prefix removed. Snapshots and write batches
made from it are prefixed the same way, and views nest:
``db.prefixed_db(b"a").prefixed_db(b"b")`` is ``db.prefixed_db(b"ab")``.

Everything here is a thin layer over cairn.DB, Snapshot and WriteBatch:
errors, thread safety and closing rules are theirs.
"""

from ._cairn import DB, Snapshot, WriteBatch

__all__ = ["PrefixedDB", "PrefixedSnapshot", "PrefixedWriteBatch"]


def _bytes(obj, what):
    """obj as bytes, for any bytes-like object; TypeError otherwise."""
    if isinstance(obj, bytes):
        return obj
    if isinstance(obj, str) or obj is None:
        raise TypeError(f"{what} must be bytes-like, not {type(obj).__name__}")
    try:
        return memoryview(obj).tobytes()
    except TypeError:
        raise TypeError(
            f"{what} must be bytes-like, not {type(obj).__name__}") from None


def _unwrap_snapshot(snapshot):
    return snapshot._snapshot if isinstance(snapshot, PrefixedSnapshot) else snapshot


class PrefixedDB:
    """The keys of ``db`` that start with ``prefix``, seen without it.

    Made by DB.prefixed_db(prefix) (or PrefixedDB.prefixed_db, which
    nests). ``db`` is the underlying cairn.DB and ``prefix`` the whole
    prefix, as in plyvel.
    """

    __slots__ = ("db", "prefix")

    def __init__(self, db, prefix):
        if not isinstance(db, DB):
            raise TypeError(f"db must be a cairn.DB, not {type(db).__name__}")
        self.db = db
        self.prefix = _bytes(prefix, "prefix")

    def _key(self, key):
        return self.prefix + _bytes(key, "key")

    @property
    def closed(self):
        return self.db.closed

    def get(self, key, default=None, *, verify_checksums=None, fill_cache=None):
        return self.db.get(self._key(key), default,
                           verify_checksums=verify_checksums, fill_cache=fill_cache)

    def __contains__(self, key):
        return self._key(key) in self.db

    def multi_get(self, keys):
        return self.db.multi_get([self._key(k) for k in keys])

    def put(self, key, value, *, sync=False, replication=None, sync_acks=None):
        self.db.put(self._key(key), value, sync=sync, replication=replication,
                    sync_acks=sync_acks)

    def delete(self, key, *, sync=False, replication=None, sync_acks=None):
        self.db.delete(self._key(key), sync=sync, replication=replication,
                       sync_acks=sync_acks)

    def write_batch(self, *, sync=False, transaction=False, replication=None,
                    sync_acks=None):
        return PrefixedWriteBatch(
            self.db.write_batch(sync=sync, transaction=transaction,
                                replication=replication, sync_acks=sync_acks),
            self.prefix)

    def iterator(self, *, snapshot=None, **kwargs):
        return self.db.iterator(snapshot=_unwrap_snapshot(snapshot),
                                _db_prefix=self.prefix, **kwargs)

    def raw_iterator(self, *, verify_checksums=None, fill_cache=None, snapshot=None):
        return self.db.raw_iterator(verify_checksums=verify_checksums,
                                    fill_cache=fill_cache,
                                    snapshot=_unwrap_snapshot(snapshot),
                                    _db_prefix=self.prefix)

    def __iter__(self):
        return self.iterator()

    def snapshot(self):
        return PrefixedSnapshot(self.db.snapshot(), self.prefix)

    def prefixed_db(self, prefix):
        return PrefixedDB(self.db, self.prefix + _bytes(prefix, "prefix"))

    def __repr__(self):
        return f"<cairn.PrefixedDB prefix={self.prefix!r} db={self.db!r}>"


class PrefixedSnapshot:
    """A Snapshot of a PrefixedDB: reads see the prefixed keys, unprefixed."""

    __slots__ = ("_snapshot", "prefix")

    def __init__(self, snapshot, prefix):
        if not isinstance(snapshot, Snapshot):
            raise TypeError("snapshot must be a cairn.Snapshot")
        self._snapshot = snapshot
        self.prefix = prefix

    @property
    def released(self):
        return self._snapshot.released

    def get(self, key, default=None, *, verify_checksums=None, fill_cache=None):
        return self._snapshot.get(self.prefix + _bytes(key, "key"), default,
                                  verify_checksums=verify_checksums,
                                  fill_cache=fill_cache)

    def iterator(self, **kwargs):
        return self._snapshot.iterator(_db_prefix=self.prefix, **kwargs)

    def raw_iterator(self, *, verify_checksums=None, fill_cache=None):
        return self._snapshot.raw_iterator(verify_checksums=verify_checksums,
                                           fill_cache=fill_cache,
                                           _db_prefix=self.prefix)

    def __iter__(self):
        return self.iterator()

    def release(self):
        self._snapshot.release()

    close = release

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self._snapshot.release()
        return False


class PrefixedWriteBatch:
    """A WriteBatch of a PrefixedDB: its keys get the prefix."""

    __slots__ = ("_batch", "prefix")

    def __init__(self, batch, prefix):
        if not isinstance(batch, WriteBatch):
            raise TypeError("batch must be a cairn.WriteBatch")
        self._batch = batch
        self.prefix = prefix

    def put(self, key, value):
        self._batch.put(self.prefix + _bytes(key, "key"), value)

    def delete(self, key):
        self._batch.delete(self.prefix + _bytes(key, "key"))

    def clear(self):
        self._batch.clear()

    def write(self):
        self._batch.write()

    def append(self, other):
        """Appends the operations of other (a WriteBatch or PrefixedWriteBatch,
        whose keys are already complete)."""
        if isinstance(other, PrefixedWriteBatch):
            other = other._batch
        self._batch.append(other)

    def approximate_size(self):
        return self._batch.approximate_size()

    def __len__(self):
        return len(self._batch)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        return self._batch.__exit__(exc_type, exc, tb)
