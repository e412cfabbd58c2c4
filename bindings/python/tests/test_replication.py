"""Replication from Python (C ABI 1.3): options by keyword or dict, the
per-write choices, the peer calls, and two databases in this process
replicating to each other over loopback."""

import os
import time

import pytest

import cairn


def _node(tmp_dir, node_id, **options):
    """Node `node_id` listening on an ephemeral loopback port."""
    return cairn.DB(
        os.path.join(tmp_dir, f"node{node_id}"),
        create_if_missing=True,
        replication_node_id=node_id,
        replication_listen="127.0.0.1:0",
        # Generous: a loaded machine must not turn a sync write into a timeout.
        replication_sync_timeout_ms=20000,
        replication_heartbeat_ms=50,
        replication_reconnect_max_ms=100,
        **options,
    )


def _await(db, key, value, seconds=30.0):
    """Waits (bounded) until db[key] == value."""
    deadline = time.monotonic() + seconds
    while db.get(key) != value:
        assert time.monotonic() < deadline, f"{key!r} did not reach the peer"
        time.sleep(0.005)


# ---- Without peers -----------------------------------------------------


def test_keyword_options_map_to_dotted_names(db_path):
    with cairn.DB(db_path, create_if_missing=True, max_key_size=64,
                  cache_capacity_mb=4, replication_mode="sync",
                  replication_sync_acks="majority",
                  options={"replication.sync_timeout_ms": 250}) as db:
        opts = db.property("cairn.options")
        assert '"cache.capacity_mb":4' in opts.replace(" ", "")
        assert '"replication.mode":"sync"' in opts.replace(" ", "")
        assert '"replication.sync_acks":"majority"' in opts.replace(" ", "")
        assert '"replication.sync_timeout_ms":250' in opts.replace(" ", "")
        assert '"max_key_size":64' in opts.replace(" ", "")
        # Replication is off (no node id): nothing to report.
        assert db.replication() == {"enabled": False}


def test_unknown_keyword_option_names_it(db_path):
    with pytest.raises(cairn.InvalidArgumentError, match="replication.no_such"):
        cairn.DB(db_path, create_if_missing=True, replication_no_such=1)
    with pytest.raises(cairn.InvalidArgumentError, match="bogus_name"):
        cairn.DB(db_path, create_if_missing=True, bogus_name=1)
    with pytest.raises(cairn.InvalidArgumentError, match="replication.mode"):
        cairn.DB(db_path, create_if_missing=True, replication_mode="maybe")
    with pytest.raises(TypeError, match="replication.node_id"):
        cairn.DB(db_path, create_if_missing=True, replication_node_id=[1])


def test_bad_peer_list_fails_the_open(db_path):
    with pytest.raises(cairn.InvalidArgumentError, match="'x@y'"):
        cairn.DB(db_path, create_if_missing=True,
                 options={"replication.node_id": 1,
                          "replication.peers": "2@127.0.0.1:1,x@y"})
    with pytest.raises(cairn.InvalidArgumentError, match="own"):
        cairn.DB(db_path, create_if_missing=True, replication_node_id=1,
                 replication_peers="1@127.0.0.1:7")


def test_write_choices_without_replication(db):
    # Accepted and ignored: the write commits locally as always.
    db.put(b"k", b"v", replication="sync", sync_acks="all")
    db.put(b"k2", b"v", replication="async", sync_acks=3, sync=True)
    assert db.get(b"k") == b"v"
    db.delete(b"k", replication="sync", sync_acks="majority")
    assert db.get(b"k") is None
    with db.write_batch(replication="sync", sync_acks=1) as batch:
        batch.put(b"b", b"1")
    assert db.get(b"b") == b"1"
    prefixed = db.prefixed_db(b"p/")
    prefixed.put(b"x", b"1", replication="sync", sync_acks=2)
    prefixed.delete(b"x", replication="async")
    with prefixed.write_batch(replication="sync") as batch:
        batch.put(b"y", b"2")
    assert db.get(b"p/y") == b"2"


@pytest.mark.parametrize("kwargs, error, match", [
    ({"replication": "maybe"}, cairn.InvalidArgumentError, "maybe"),
    ({"replication": 2}, TypeError, "replication"),
    ({"sync_acks": 0}, cairn.InvalidArgumentError, "sync_acks"),
    ({"sync_acks": -1}, cairn.InvalidArgumentError, "sync_acks"),
    ({"sync_acks": "most"}, cairn.InvalidArgumentError, "most"),
    ({"sync_acks": True}, TypeError, "sync_acks"),
    ({"sync_acks": 1.0}, TypeError, "sync_acks"),
    ({"sync_acks": 2**32 - 2}, OverflowError, "sync_acks"),
    ({"sync_acks": 2**70}, OverflowError, "sync_acks"),
])
def test_bad_write_choices(db, kwargs, error, match):
    with pytest.raises(error, match=match):
        db.put(b"k", b"v", **kwargs)
    with pytest.raises(error, match=match):
        db.delete(b"k", **kwargs)
    with pytest.raises(error, match=match):
        db.write_batch(**kwargs)
    assert db.get(b"k") is None


def test_peer_calls_without_replication(db):
    with pytest.raises(cairn.InvalidArgumentError, match="replication is off"):
        db.add_peer("2@127.0.0.1:1")
    with pytest.raises(cairn.InvalidArgumentError, match="replication is off"):
        db.remove_peer(2)
    with pytest.raises(cairn.InvalidArgumentError, match="replication is off"):
        db.resync_peer(2)
    with pytest.raises(cairn.InvalidArgumentError, match="replication is off"):
        db.compare(timeout_ms=10)
    with pytest.raises(TypeError):
        db.add_peer(2)
    with pytest.raises(cairn.InvalidArgumentError, match="NUL"):
        db.add_peer("2@127.0.0.1:1\0")
    with pytest.raises(TypeError):
        db.remove_peer("2")
    with pytest.raises(cairn.InvalidArgumentError, match="negative"):
        db.resync_peer(-1)
    with pytest.raises(OverflowError):
        db.remove_peer(2**32)
    with pytest.raises(OverflowError):
        db.compare(timeout_ms=2**32)


def test_peer_calls_after_close(db):
    db.close()
    with pytest.raises(cairn.ClosedError):
        db.add_peer("2@127.0.0.1:1")
    with pytest.raises(cairn.ClosedError):
        db.replication()
    with pytest.raises(cairn.ClosedError):
        db.compare()


# ---- Two nodes over loopback --------------------------------------------


@pytest.fixture
def pair(tmp_dir):
    """Nodes 1 and 2, each the other's peer."""
    one = _node(tmp_dir, 1)
    two = _node(tmp_dir, 2)
    try:
        yield one, two
    finally:
        one.close()
        two.close()


def _connect(one, two):
    one.add_peer(f"2@127.0.0.1:{two.replication()['listen_port']}")
    two.add_peer(f"1@127.0.0.1:{one.replication()['listen_port']}")


def test_two_nodes_replicate(pair):
    one, two = pair
    one.put(b"before", b"peers")  # reaches node 2 by its first resync
    with pytest.raises(cairn.InvalidArgumentError, match="x@y"):
        one.add_peer("x@y")
    with pytest.raises(cairn.NotFoundError):
        one.remove_peer(9)
    _connect(one, two)
    with pytest.raises(cairn.InvalidArgumentError):
        one.add_peer(f"2@127.0.0.1:{two.replication()['listen_port']}")

    one.put(b"a", b"from 1")
    two.put(b"b", b"from 2")
    _await(two, b"a", b"from 1")
    _await(one, b"b", b"from 2")
    _await(two, b"before", b"peers")

    # Sync mode: when the call returns, the peer holds the write.
    one.put(b"s", b"synced", replication="sync", sync_acks=1)
    assert two.get(b"s") == b"synced"
    one.delete(b"s", replication="sync", sync_acks="all")
    assert two.get(b"s") is None
    with two.write_batch(replication="sync", sync_acks="majority") as batch:
        batch.put(b"w1", b"x")
        batch.put(b"w2", b"y")
    assert one.multi_get([b"w1", b"w2"]) == [b"x", b"y"]

    report = one.compare(timeout_ms=10000)
    assert report["agree"] is True
    assert [p["id"] for p in report["peers"]] == [2]
    assert two.compare(timeout_ms=10000)["agree"] is True

    # More acks than there are peers can never be met: durable here, and
    # the call says so at once.
    with pytest.raises(cairn.UnavailableError, match="durable locally"):
        one.put(b"t", b"local", replication="sync", sync_acks=5)
    assert one.get(b"t") == b"local"
    _await(two, b"t", b"local")

    status = one.replication()
    assert status["enabled"] is True and status["node_id"] == 1
    assert [p["id"] for p in status["peers"]] == [2]
    one.resync_peer(2)
    one.remove_peer(2)
    with pytest.raises(cairn.NotFoundError):
        one.remove_peer(2)


def test_sync_writes_from_threads(pair):
    """Sync-mode writers on several threads: every write arrives."""
    import threading

    one, two = pair
    _connect(one, two)
    errors = []

    def writer(t):
        try:
            for i in range(20):
                one.put(b"t%d-%d" % (t, i), b"v", replication="sync")
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert all(two.get(b"t%d-%d" % (t, i)) == b"v"
               for t in range(4) for i in range(20))


def test_sync_write_timeout_waits_without_the_gil(tmp_dir):
    """A sync write to a peer that never answers raises OperationTimeout
    (a TimeoutError) after replication.sync_timeout_ms, durable locally;
    meanwhile other Python threads run."""
    import socket
    import threading

    # A loopback port nobody listens on (the peer is never up) and a
    # failure threshold the test never reaches (the peer is never tagged,
    # so the write waits for the deadline rather than failing at once).
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = cairn.DB(os.path.join(tmp_dir, "node1"), create_if_missing=True,
                  replication_node_id=1,
                  replication_peers=f"2@127.0.0.1:{port}",
                  replication_failure_threshold=1000000,
                  replication_sync_timeout_ms=400)
    ticks = [0]
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks[0] += 1
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        before = ticks[0]
        started = time.monotonic()
        with pytest.raises(cairn.OperationTimeout, match="to be backed up"):
            db.put(b"k", b"v", replication="sync")
        assert time.monotonic() - started >= 0.35
        assert ticks[0] - before >= 5  # the ticker ran during the wait
        assert db.get(b"k") == b"v"  # durable locally
        with pytest.raises(TimeoutError):
            db.delete(b"k", replication="sync", sync_acks=1)
        assert db.get(b"k") is None
    finally:
        stop.set()
        t.join(10)
        db.close()
