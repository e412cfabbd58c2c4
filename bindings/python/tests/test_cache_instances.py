"""Online cache growth: add_cache_instance, remove_cache_instance, transfer
and migration() (C ABI 1.1), their bad inputs, and that every value reads
back correctly while the cache's ring changes."""

import gc
import os
import threading
import time

import pytest

import cairn

KEYS = 4000
INSTANCE_BYTES = 2 << 20  # what each of the 4 default instances gets of 8 MiB
DEADLINE_S = 30


def key(i):
    return b"k%05d" % i


def value(i, generation=0):
    return b"v%05d-%d-" % (i, generation) + b"x" * 64


def segments(db):
    """The /dev/shm names of the cache instances' segments."""
    return [inst["segment"] for inst in db.cache_stats()["instances"]]


def shm_exists(segment):
    return os.path.exists(os.path.join("/dev/shm", segment.lstrip("/")))


@pytest.fixture
def path(tmp_path):
    """A database path under tmp_path, destroyed afterwards (cairn.destroy
    also removes its shared-memory segments); checks none is left."""
    db_path = str(tmp_path / "db")
    seen = []
    yield db_path, seen
    gc.collect()  # close a DB a failing test left open
    cairn.destroy(db_path)
    leaked = [s for s in seen if shm_exists(s)]
    assert not leaked, "segments left in /dev/shm: %r" % leaked


def open_db(path, **options):
    db_path, seen = path
    # Slow enough that a migration of a few hundred items is still running
    # when the call that started it returns (reads also move items lazily).
    opts = {"cache.capacity_mb": 8, "migration.rate_items_per_sec": 200}
    opts.update(options)
    db = cairn.DB(db_path, create_if_missing=True, options=opts)
    if db.cache_stats()["enabled"]:
        seen.extend(segments(db))
    return db


def populate(db, n=KEYS):
    with db.write_batch() as batch:
        for i in range(n):
            batch.put(key(i), value(i))
    for i in range(n):  # fill the cache
        assert db.get(key(i)) == value(i)
    return {key(i): value(i) for i in range(n)}


def check_all(db, model):
    keys = sorted(model)
    assert db.multi_get(keys) == [model[k] for k in keys]
    for k in keys[::7]:
        assert db.get(k) == model[k]


def wait_stable(db, model=None):
    """Polls migration() until stable (bounded), checking values meanwhile."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        m = db.migration()
        if m["state"] == "stable":
            return m
        assert m["state"] == "migrating"
        assert time.monotonic() < deadline, "migration did not finish: %r" % m
        if model is not None:
            check_all(db, model)
        time.sleep(0.05)


def instance(db, instance_id):
    for inst in db.cache_stats()["instances"]:
        if inst["id"] == instance_id:
            return inst
    return None


def test_add_instance_migrates_then_stable(path):
    with open_db(path) as db:
        model = populate(db)
        before = db.migration()
        assert before["state"] == "stable"
        old_ids = [inst["id"] for inst in db.cache_stats()["instances"]]
        assert old_ids == before["instances"]

        new_id = db.add_cache_instance(INSTANCE_BYTES)
        assert isinstance(new_id, int) and new_id not in old_ids
        path[1].extend(segments(db))

        m = db.migration()
        assert m["state"] == "migrating"
        assert m["epoch"] == before["epoch"] + 1
        assert m["instances"] == old_ids + [new_id]
        assert m["previous_instances"] == old_ids
        assert m["started_ms"] > 0 and m["finished_ms"] == 0
        assert m["remaining_estimate"] > 0
        stats = db.cache_stats()
        assert stats["epoch"] == m["epoch"] and stats["migrating"] is True
        assert instance(db, new_id)["role"] == "member"
        assert instance(db, new_id)["capacity_bytes"] == INSTANCE_BYTES

        # Reads and writes go on during the migration.
        check_all(db, model)
        for i in range(0, KEYS, 5):
            model[key(i)] = value(i, 1)
            db.put(key(i), model[key(i)])
        db.delete(key(1))
        del model[key(1)]
        check_all(db, model)

        m = wait_stable(db, model)
        assert m["epoch"] == before["epoch"] + 1
        assert m["remaining_estimate"] == 0
        assert m["moved_total"] == (m["moved_lazy"] + m["moved_mover"]
                                    + m["moved_transfer"]) > 0
        assert m["finished_ms"] >= m["started_ms"] > 0
        check_all(db, model)
        assert db.get(key(1)) is None

        stats = db.cache_stats()
        assert stats["migrating"] is False
        assert [inst["id"] for inst in stats["instances"]] == old_ids + [new_id]
        new = instance(db, new_id)
        assert new["role"] == "member" and new["items"] > 0
        assert new["share"] == pytest.approx(1 / 5, abs=0.05)
        assert sum(i["share"] for i in stats["instances"]) == pytest.approx(1)
        assert shm_exists(new["segment"])

    # The new layout is persisted: a reopen finds the same ring.
    with open_db(path) as db:
        assert db.migration()["epoch"] == m["epoch"]
        assert [i["id"] for i in db.cache_stats()["instances"]] == old_ids + [new_id]
        check_all(db, model)


def test_remove_instance(path):
    with open_db(path) as db:
        model = populate(db)
        first = db.cache_stats()["instances"][0]
        assert first["items"] > 0
        db.remove_cache_instance(first["id"])

        m = db.migration()
        assert m["state"] == "migrating"
        assert first["id"] not in m["instances"]
        assert first["id"] in m["previous_instances"]
        draining = instance(db, first["id"])
        assert draining["role"] == "draining" and draining["share"] == 0
        with pytest.raises(cairn.InvalidArgumentError,
                           match="being removed|does not exist"):
            db.remove_cache_instance(first["id"])
        check_all(db, model)

        wait_stable(db, model)
        check_all(db, model)
        assert instance(db, first["id"]) is None
        assert not shm_exists(first["segment"])  # freed when drained
        assert len(db.cache_stats()["instances"]) == 3
        with pytest.raises(cairn.InvalidArgumentError, match="does not exist"):
            db.remove_cache_instance(first["id"])


def test_transfer(path):
    # The mover is slow (~16 s for the ~800 items that move): transfer()
    # does the work. Not slower: the mover can overdraw its budget by a
    # step's items, and then waits that debt out even with nothing to move.
    with open_db(path, **{"migration.rate_items_per_sec": 50}) as db:
        model = populate(db)
        old_ids = db.migration()["instances"]
        new_id = db.add_cache_instance(INSTANCE_BYTES)
        path[1].extend(segments(db))
        assert db.migration()["state"] == "migrating"
        for old in old_ids:
            db.transfer(old, new_id)
        m = db.migration()
        assert m["moved_transfer"] > 0
        assert instance(db, new_id)["items"] >= m["moved_transfer"]
        check_all(db, model)
        # Nothing is left to move: the mover only walks the buckets.
        wait_stable(db, model)

        # From an instance being removed.
        leaving = old_ids[0]
        db.remove_cache_instance(leaving)
        before = db.migration()["moved_transfer"]
        for to in db.migration()["instances"]:
            db.transfer(leaving, to)
        assert db.migration()["moved_transfer"] > before
        drained = instance(db, leaving)  # None once the mover has finished
        assert drained is None or drained["items"] == 0
        check_all(db, model)
        wait_stable(db, model)
        assert instance(db, leaving) is None

        # While stable there is nothing to transfer: a no-op.
        ids = db.migration()["instances"]
        db.transfer(ids[0], ids[1])
        check_all(db, model)


def test_grow_and_shrink_repeatedly(path):
    with open_db(path, **{"migration.rate_items_per_sec": 1000000}) as db:
        model = populate(db, 1000)
        epoch = db.migration()["epoch"]
        added = []
        for _ in range(3):
            added.append(db.add_cache_instance(256 << 10))
            path[1].extend(segments(db))
        assert added == sorted(set(added))  # ids are new each time
        for instance_id in added:
            db.remove_cache_instance(instance_id)  # waits for the last change
        m = wait_stable(db, model)
        assert m["epoch"] == epoch + 6
        assert len(m["instances"]) == 4 and not set(added) & set(m["instances"])
        check_all(db, model)


@pytest.mark.parametrize("capacity, error", [
    (0, cairn.InvalidArgumentError),
    (1, cairn.InvalidArgumentError),
    ((64 << 10) - 1, cairn.InvalidArgumentError),
    (1 << 40, cairn.InvalidArgumentError),      # above 32 GiB
    (2**64 - 1, cairn.InvalidArgumentError),
    (2**64, OverflowError),
    (10**100, OverflowError),
    (-1, ValueError),
    (-(2**70), ValueError),
    (1.5, TypeError),
    (float(1 << 20), TypeError),
    ("1048576", TypeError),
    (b"1", TypeError),
    (None, TypeError),
    (True, TypeError),
    ([1 << 20], TypeError),
])
def test_bad_capacity(path, capacity, error):
    with open_db(path) as db:
        before = db.cache_stats()
        with pytest.raises(error, match="capacity"):
            db.add_cache_instance(capacity)
        after = db.cache_stats()
        assert after["epoch"] == before["epoch"]
        assert len(after["instances"]) == len(before["instances"])
        db.put(b"still", b"works")
        assert db.get(b"still") == b"works"


def test_negative_is_invalid_argument(path):
    with open_db(path) as db:
        with pytest.raises(cairn.InvalidArgumentError, match="negative"):
            db.add_cache_instance(-1)
        with pytest.raises(cairn.InvalidArgumentError, match="negative"):
            db.remove_cache_instance(-1)
        with pytest.raises(cairn.InvalidArgumentError, match="negative"):
            db.transfer(0, -5)


def test_index_ints_are_accepted(path):
    class Index:
        def __init__(self, n):
            self.n = n

        def __index__(self):
            return self.n

    with open_db(path) as db:
        new_id = db.add_cache_instance(Index(256 << 10))
        path[1].extend(segments(db))
        db.transfer(Index(0), Index(new_id))
        db.remove_cache_instance(Index(new_id))
        wait_stable(db)


@pytest.mark.parametrize("bad, error", [
    (99, cairn.InvalidArgumentError),          # unknown
    (2**32 - 1, cairn.InvalidArgumentError),   # unknown
    (2**32, OverflowError),
    (-1, ValueError),
    (1.0, TypeError),
    ("0", TypeError),
    (None, TypeError),
    (False, TypeError),
])
def test_bad_ids(path, bad, error):
    with open_db(path) as db:
        epoch = db.migration()["epoch"]
        with pytest.raises(error):
            db.remove_cache_instance(bad)
        with pytest.raises(error):
            db.transfer(bad, 0)
        with pytest.raises(error):
            db.transfer(0, bad)
        assert db.migration()["epoch"] == epoch
        assert len(db.cache_stats()["instances"]) == 4


def test_argument_names_and_arity(path):
    with open_db(path) as db:
        with pytest.raises(TypeError):
            db.add_cache_instance()
        with pytest.raises(TypeError):
            db.transfer(0)
        with pytest.raises(TypeError):
            db.migration(1)
        new_id = db.add_cache_instance(capacity_bytes=256 << 10)
        path[1].extend(segments(db))
        db.transfer(from_id=0, to_id=new_id)
        db.remove_cache_instance(id=new_id)
        wait_stable(db)


def test_transfer_to_itself(path):
    with open_db(path) as db:
        with pytest.raises(cairn.InvalidArgumentError, match="itself"):
            db.transfer(1, 1)


def test_transfer_to_instance_being_removed(path):
    with open_db(path, **{"migration.rate_items_per_sec": 50}) as db:
        populate(db)
        db.remove_cache_instance(2)
        with pytest.raises(cairn.InvalidArgumentError, match="being removed"):
            db.transfer(0, 2)
        for to in db.migration()["instances"]:
            db.transfer(2, to)
        wait_stable(db)


def test_remove_last_instance(path):
    with open_db(path, **{"cache.instances": 1}) as db:
        (only,) = db.migration()["instances"]
        with pytest.raises(cairn.InvalidArgumentError, match="last"):
            db.remove_cache_instance(only)
        # Also when it became the last one by removals.
        other = db.add_cache_instance(INSTANCE_BYTES)
        path[1].extend(segments(db))
        db.remove_cache_instance(only)
        wait_stable(db)
        with pytest.raises(cairn.InvalidArgumentError, match="last"):
            db.remove_cache_instance(other)
        db.put(b"a", b"1")
        assert db.get(b"a") == b"1"


def test_cache_disabled(path):
    with open_db(path, **{"cache.capacity_mb": 0}) as db:
        assert db.cache_stats() == {"enabled": False}
        assert db.migration() == {"enabled": False, "state": "stable"}
        with pytest.raises(cairn.NotSupportedError, match="disabled"):
            db.add_cache_instance(INSTANCE_BYTES)
        with pytest.raises(cairn.NotSupportedError):
            db.remove_cache_instance(0)
        with pytest.raises(cairn.NotSupportedError):
            db.transfer(0, 1)
        # Argument errors come first, whatever the cache.
        with pytest.raises(TypeError):
            db.add_cache_instance("big")
        db.put(b"a", b"1")
        assert db.get(b"a") == b"1"


def test_use_after_close(path):
    db = open_db(path)
    db.close()
    for call in (lambda: db.add_cache_instance(INSTANCE_BYTES),
                 lambda: db.remove_cache_instance(0),
                 lambda: db.transfer(0, 1),
                 db.migration,
                 db.cache_stats):
        with pytest.raises(cairn.UnavailableError, match="closed"):
            call()


def test_changes_under_concurrent_load(path):
    """Readers and writers in threads while another thread grows and shrinks
    the cache (the changes run without the GIL)."""
    with open_db(path, **{"migration.rate_items_per_sec": 2000}) as db:
        model = populate(db, 2000)
        stop = threading.Event()
        errors = []

        def guarded(fn):
            def run():
                try:
                    fn()
                except BaseException as e:  # re-raised below
                    errors.append(e)
                    stop.set()
            return run

        def reader():
            keys = sorted(model)
            while not stop.is_set():
                values = db.multi_get(keys)
                assert values == [model[k] for k in keys]

        def writer():
            # Its own keys, so the readers' model stays fixed.
            n = 0
            while not stop.is_set():
                k = b"w%06d" % (n % 500)
                db.put(k, b"%d" % n)
                assert db.get(k) == b"%d" % n
                n += 1

        def changer():
            for _ in range(3):
                new_id = db.add_cache_instance(512 << 10)
                path[1].extend(segments(db))
                db.migration()
                db.transfer(db.migration()["instances"][0], new_id)
                db.remove_cache_instance(new_id)
            stop.set()

        threads = [threading.Thread(target=guarded(f))
                   for f in (reader, reader, writer, changer)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
            assert not t.is_alive(), "thread hung"
        if errors:
            raise errors[0]
        wait_stable(db, model)
        check_all(db, model)


def test_close_while_changing(path):
    """close() waits for a change running without the GIL; later calls raise
    UnavailableError, none crashes."""
    db = open_db(path, **{"migration.rate_items_per_sec": 100})
    populate(db, 2000)
    outcome = []

    def changer():
        try:
            while True:
                new_id = db.add_cache_instance(256 << 10)
                db.remove_cache_instance(new_id)
        except cairn.UnavailableError:
            outcome.append("unavailable")
        except BaseException as e:
            outcome.append(e)

    t = threading.Thread(target=changer)
    t.start()
    time.sleep(0.3)
    db.close()
    t.join(timeout=60)
    assert not t.is_alive()
    assert outcome == ["unavailable"]
    with cairn.DB(path[0], options={"cache.capacity_mb": 8}) as db:
        path[1].extend(segments(db))
        assert db.get(key(7)) == value(7)


def test_docstrings_and_stub():
    for name in ("add_cache_instance", "remove_cache_instance", "transfer",
                 "migration"):
        doc = getattr(cairn.DB, name).__doc__
        assert doc and name in doc
    stub = os.path.join(os.path.dirname(cairn.__file__), "__init__.pyi")
    with open(stub) as f:
        text = f.read()
    assert "def add_cache_instance(self, capacity_bytes: int) -> int" in text
    assert "def remove_cache_instance(self, id: int) -> None" in text
    assert "def transfer(self, from_id: int, to_id: int) -> None" in text
    assert "def migration(self) -> dict" in text
