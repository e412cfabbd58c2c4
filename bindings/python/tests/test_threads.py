"""Concurrent use from threads: shared DB, GIL-free calls, close under load."""

import threading

import cairn

THREADS = 4
ROUNDS = 300


def run_threads(targets):
    errors = []

    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # collected and re-raised below
                errors.append(e)
        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), "thread hung"
    if errors:
        raise errors[0]


def test_concurrent_mixed_operations(db):
    def writer(n):
        def run():
            for i in range(ROUNDS):
                key = b"t%d-%04d" % (n, i)
                db.put(key, key)
                assert db.get(key) == key
                if i % 10 == 0:
                    db.delete(key)
        return run

    def batcher(n):
        def run():
            for i in range(ROUNDS // 10):
                with db.write_batch(transaction=True) as wb:
                    for j in range(10):
                        wb.put(b"b%d-%03d-%d" % (n, i, j), b"x")
        return run

    def reader():
        keys = [b"t0-%04d" % i for i in range(ROUNDS)]
        for _ in range(20):
            values = db.multi_get(keys)
            assert len(values) == len(keys)
            assert all(v is None or v == k for k, v in zip(keys, values))

    def scanner():
        for _ in range(20):
            with db.snapshot() as snap:
                keys = list(snap.iterator(include_value=False))
                assert keys == sorted(keys)

    targets = [writer(n) for n in range(THREADS)]
    targets += [batcher(n) for n in range(2)] + [reader, scanner]
    run_threads(targets)

    for n in range(THREADS):
        for i in range(ROUNDS):
            key = b"t%d-%04d" % (n, i)
            assert db.get(key) == (None if i % 10 == 0 else key)
    assert sum(1 for _ in db.iterator(prefix=b"b")) == 2 * (ROUNDS // 10) * 10


def test_close_while_threads_use_the_db(db):
    keys = [b"k%05d" % i for i in range(2000)]
    with db.write_batch() as wb:
        for k in keys:
            wb.put(k, b"v" * 100)
    started = threading.Barrier(THREADS + 1)
    outcomes = []

    def worker(n):
        def run():
            started.wait()
            try:
                while True:
                    if n % 2:
                        db.multi_get(keys)  # runs without the GIL
                    else:
                        with db.write_batch() as wb:
                            wb.put(b"w%d" % n, b"x")
            except cairn.UnavailableError:
                outcomes.append("closed")
        return run

    def closer():
        started.wait()
        db.close()

    run_threads([worker(n) for n in range(THREADS)] + [closer])
    assert outcomes == ["closed"] * THREADS
    assert db.closed
    cairn.DB(db.path).close()  # the lock was released


def test_gets_from_many_threads(db):
    for i in range(100):
        db.put(b"%03d" % i, b"%d" % i)

    def reader():
        for _ in range(50):
            for i in range(100):
                assert db.get(b"%03d" % i) == b"%d" % i

    run_threads([reader] * THREADS)
