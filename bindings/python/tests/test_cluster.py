"""cairn.Cluster (C ABI 1.4): a routing client over real nodes — databases
opened in this process with replication on loopback, each serving clients
on its replication port."""

import datetime
import os
import socket
import threading
import time

import pytest

import cairn


def _open_node(tmp_dir, node_id, **options):
    """Node `node_id`, serving clients on an ephemeral loopback port."""
    return cairn.DB(
        os.path.join(tmp_dir, f"node{node_id}"),
        create_if_missing=True,
        cache_capacity_mb=4,
        replication_node_id=node_id,
        replication_listen="127.0.0.1:0",
        **options,
    )


def _spec(nodes):
    """cluster.nodes for `nodes`, each listed under its own id."""
    return ",".join(
        f"{db.replication()['node_id']}@127.0.0.1:{db.replication()['listen_port']}"
        for db in nodes)


def _wait_for(predicate, what, seconds=10.0):
    """Polls (bounded) until predicate() is true."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.fixture
def nodes(tmp_dir):
    """Three nodes (ids 1, 2, 3; node.capacity 10 * id), no peers."""
    opened = []
    try:
        for node_id in (1, 2, 3):
            opened.append(_open_node(tmp_dir, node_id, node_capacity=10 * node_id))
        yield opened
    finally:
        for db in opened:
            db.close()


@pytest.fixture
def standby(nodes, tmp_dir):
    """A standby-mode client of the three nodes: node 1 serves every call
    while it is healthy. Quick heartbeats, an audit log in tmp_dir."""
    with cairn.Cluster(
            _spec(nodes),
            options={"cluster.mode": "standby",
                     "audit.path": os.path.join(tmp_dir, "audit")},
            cluster_heartbeat_interval_ms=50,
            cluster_op_timeout_ms=2000) as cluster:
        yield cluster


# ---- Data through the cluster -----------------------------------------


def test_round_trip(nodes, standby):
    one, two, _ = nodes
    assert standby.get(b"k") is None
    assert standby.get(b"k", b"default") == b"default"
    assert b"k" not in standby
    standby.put(b"k", b"v1")
    assert standby.get(b"k") == b"v1"
    assert b"k" in standby
    # bytes-like keys and values, as for DB.
    standby.put(bytearray(b"k2"), memoryview(b"v2"), sync=True)
    assert standby.get(memoryview(b"k2")) == b"v2"
    # Standby mode: node 1 took the writes; node 2 (no peers) did not.
    assert one.get(b"k") == b"v1" and two.get(b"k") is None
    standby.delete(b"k")
    standby.delete(b"never there", sync=True)
    assert standby.get(b"k") is None and one.get(b"k") is None

    with pytest.raises(TypeError, match="key"):
        standby.put("str key", b"v")
    with pytest.raises(TypeError, match="value"):
        standby.put(b"k", None)


def test_write_batches(nodes, standby):
    one = nodes[0]
    with standby.write_batch() as batch:
        batch.put(b"b1", b"x")
        batch.put(b"b2", b"y")
        batch.delete(b"k2")
    assert [standby.get(b"b1"), standby.get(b"b2")] == [b"x", b"y"]
    assert one.get(b"b1") == b"x"

    # transaction=True: a block that raises writes nothing.
    with pytest.raises(KeyError):
        with standby.write_batch(transaction=True) as batch:
            batch.put(b"t", b"never")
            raise KeyError("abort")
    assert standby.get(b"t") is None

    # write(batch) takes any WriteBatch and leaves it as it is.
    batch = standby.write_batch(sync=True)
    batch.put(b"w", b"1")
    batch.delete(b"b1")
    standby.write(batch, sync=True)
    assert len(batch) == 2
    assert standby.get(b"w") == b"1" and standby.get(b"b1") is None
    batch.write()  # the batch's own write() clears it
    assert len(batch) == 0
    with one.write_batch() as from_db:  # a DB's batch, written to the cluster
        from_db.put(b"d", b"from a DB batch")
        standby.write(from_db)
    assert standby.get(b"d") == b"from a DB batch"
    prefixed = one.prefixed_db(b"p/").write_batch()
    prefixed.put(b"x", b"prefixed")
    standby.write(prefixed)
    assert standby.get(b"p/x") == b"prefixed"

    with pytest.raises(cairn.InvalidArgumentError, match="empty"):
        standby.write(standby.write_batch())
    with pytest.raises(TypeError, match="WriteBatch"):
        standby.write([(b"k", b"v")])


def test_scan_reports_truncation(standby):
    for i in range(5):
        standby.put(b"s%d" % i, b"v%d" % i)
    standby.put(b"t", b"after the range")
    everything = standby.scan(b"s", b"t")
    assert isinstance(everything, cairn.ScanResult)
    assert everything == [(b"s%d" % i, b"v%d" % i) for i in range(5)]
    assert everything.truncated is False

    first = standby.scan(b"s", b"t", limit=3)
    assert [k for k, _ in first] == [b"s0", b"s1", b"s2"]
    assert first.truncated is True
    rest = standby.scan(first[-1][0] + b"\0", b"t", limit=3)
    assert [k for k, _ in rest] == [b"s3", b"s4"]
    assert rest.truncated is False
    assert standby.scan(b"s3")[-1] == (b"t", b"after the range")  # end None
    assert standby.scan(b"u") == []

    with pytest.raises(cairn.InvalidArgumentError, match="limit"):
        standby.scan(b"s", limit=0)
    with pytest.raises(cairn.InvalidArgumentError, match="negative"):
        standby.scan(b"s", limit=-1)
    with pytest.raises(OverflowError, match="limit"):
        standby.scan(b"s", limit=2**32)
    with pytest.raises(TypeError, match="end"):
        standby.scan(b"s", "t")


# ---- Nodes, stats, audit ------------------------------------------------


def test_nodes_show_every_node(nodes, standby):
    ports = [db.replication()["listen_port"] for db in nodes]
    standby.put(b"k", b"v")

    def all_known():
        return all(n["status_known"] for n in standby.nodes())

    _wait_for(all_known, "a status from every node")
    listed = standby.nodes()
    assert [n["id"] for n in listed] == [1, 2, 3]
    for n, port in zip(listed, ports):
        assert n["address"] == f"127.0.0.1:{port}"
        assert n["state"] == "up"
        assert n["failures"] == 0 and n["tag_expiry_us"] is None
        assert n["capacity"] == 10 * n["id"]  # W: node.capacity
        assert n["cached_bytes"] >= 0 and n["response_us"] >= 0
        assert n["standby_position"] == n["id"] - 1
        assert "score" in n
    stats = standby.stats()
    assert stats["requests"] == 1 and stats["heartbeats"] >= 3
    assert stats["audit_records"] == 1


def test_audit_by_method(standby):
    before = datetime.datetime.now(datetime.timezone.utc)
    since = time.time() - 1
    for i in range(3):
        standby.put(b"a%d" % i, b"x" * i)
    standby.get(b"a0")
    standby.delete(b"a1")
    standby.scan(b"a")
    puts = standby.audit(method="put")
    assert [r["params"] for r in puts] == [
        'key="a0" value_bytes=0', 'key="a1" value_bytes=1',
        'key="a2" value_bytes=2']
    for r in puts:
        assert r["method"] == "put" and r["outcome"] == "OK"
        assert r["node"] == 1 and r["shard"] == -1
        assert r["end_us"] >= r["start_us"]
        assert r["start_us"] >= int(before.timestamp() * 1e6) - 1
    assert [r["method"] for r in standby.audit()] == [
        "put", "put", "put", "get", "delete", "scan"]
    assert len(standby.audit(limit=2)) == 2
    assert standby.audit("delete")[0]["params"] == 'key="a1"'

    # since / until: datetimes (aware or naive), or seconds as float or int.
    assert len(standby.audit("put", since=before)) == 3
    assert len(standby.audit("put", since=since, until=time.time() + 60)) == 3
    assert len(standby.audit("put", since=int(since))) == 3
    naive_later = datetime.datetime.now() + datetime.timedelta(hours=1)
    assert standby.audit("put", since=naive_later) == []
    assert standby.audit("put", until=before - datetime.timedelta(hours=1)) == []
    split = puts[1]["start_us"]
    assert len(standby.audit("put", until=split / 1e6)) == 1

    with pytest.raises(cairn.InvalidArgumentError, match="nope"):
        standby.audit("nope")
    with pytest.raises(cairn.InvalidArgumentError, match="limit"):
        standby.audit(limit=0)
    with pytest.raises(TypeError, match="since"):
        standby.audit(since="yesterday")
    with pytest.raises(TypeError, match="until"):
        standby.audit(until=True)
    with pytest.raises(cairn.InvalidArgumentError, match="since"):
        standby.audit(since=float("nan"))
    with pytest.raises(OverflowError, match="since"):
        standby.audit(since=10**20)


def test_audit_needs_audit_path(nodes):
    with cairn.Cluster(_spec(nodes)) as cluster:
        with pytest.raises(cairn.InvalidArgumentError, match="audit.path"):
            cluster.audit()


# ---- Bad options ---------------------------------------------------------


def test_bad_options_name_the_option(nodes):
    spec = _spec(nodes)
    with pytest.raises(cairn.InvalidArgumentError, match="cluster.mode"):
        cairn.Cluster(spec, cluster_mode="bogus")
    with pytest.raises(cairn.InvalidArgumentError, match="cluster.mode"):
        cairn.Cluster(spec, options={"cluster.mode": "bogus"})
    with pytest.raises(cairn.InvalidArgumentError,
                       match="cluster.nodes.*node id 1 appears twice"):
        cairn.Cluster("1@127.0.0.1:1,1@127.0.0.1:2")
    with pytest.raises(cairn.InvalidArgumentError,
                       match="cluster.slot_table.*slots 3-7 have no node"):
        cairn.Cluster(spec, cluster_master_choice="slots", cluster_slots=8,
                      cluster_slot_table="0-2:1")
    with pytest.raises(cairn.InvalidArgumentError,
                       match="cluster.slot_table.*node 9"):
        cairn.Cluster(spec, cluster_master_choice="slots", cluster_slots=8,
                      cluster_slot_table="0-7:9")
    with pytest.raises(cairn.InvalidArgumentError, match="cluster.op_timeout_ms"):
        cairn.Cluster(spec, cluster_op_timeout_ms=0)
    with pytest.raises(cairn.InvalidArgumentError, match="cluster.nodes"):
        cairn.Cluster()  # no node given
    with pytest.raises(cairn.InvalidArgumentError, match="cluster.no_such"):
        cairn.Cluster(spec, cluster_no_such=1)
    with pytest.raises(TypeError, match="nodes"):
        cairn.Cluster(1)
    with pytest.raises(TypeError, match="options"):
        cairn.Cluster(spec, options=[("cluster.mode", "standby")])


def test_keywords_and_dict_choose_the_same_options(nodes):
    # Keywords are applied after the dict, nodes= before it.
    with cairn.Cluster("9@127.0.0.1:1",
                       options={"cluster.nodes": _spec(nodes[:1]),
                                "cluster.mode": "standby"},
                       cluster_mode="active",
                       cluster_master_choice="hash") as cluster:
        listed = cluster.nodes()
        assert [n["id"] for n in listed] == [1]
        assert listed[0]["standby_position"] is None  # active mode


# ---- Faults ----------------------------------------------------------------


def test_a_failed_master_is_tagged_and_the_next_serves(nodes, tmp_dir):
    one, two, _ = nodes
    with cairn.Cluster(_spec(nodes), cluster_mode="standby",
                       cluster_failure_threshold=1,
                       cluster_tag_validity_ms=60000,
                       cluster_heartbeat_interval_ms=50) as cluster:
        cluster.put(b"k", b"at one")
        assert one.get(b"k") == b"at one"
        one.close()
        cluster.put(b"k", b"at two")  # node 1 faults; node 2 takes it
        assert two.get(b"k") == b"at two"

        def tagged():
            return cluster.nodes()[0]["state"] == "tagged"

        _wait_for(tagged, "node 1 to be tagged")
        first = cluster.nodes()[0]
        assert first["failures"] >= 2 and first["times_tagged"] >= 1
        assert first["tag_expiry_us"] > time.time() * 1e6
        assert first["last_error"]
        assert cluster.stats()["faults"] >= 1


def test_every_node_down_raises_unavailable_listing_each(nodes):
    cluster = cairn.Cluster(_spec(nodes), cluster_retries=2,
                            cluster_op_timeout_ms=2000)
    try:
        cluster.put(b"k", b"v")
        for db in nodes:
            db.close()
        for call in (lambda: cluster.put(b"k", b"v"),
                     lambda: cluster.get(b"k"),
                     lambda: cluster.delete(b"k"),
                     lambda: cluster.scan(b"k")):
            with pytest.raises(cairn.UnavailableError) as raised:
                call()
            message = str(raised.value)
            for node_id in (1, 2, 3):
                assert f"node {node_id} (127.0.0.1:" in message, message
    finally:
        cluster.close()


def test_a_silent_node_times_out_without_holding_the_gil():
    """A node that accepts connections and never answers: the call raises
    UnavailableError after cluster.op_timeout_ms; meanwhile other Python
    threads run."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)  # the kernel completes connects; nobody reads
        port = listener.getsockname()[1]
        ticks = [0]
        stop = threading.Event()

        def ticker():
            while not stop.is_set():
                ticks[0] += 1
                time.sleep(0.001)

        t = threading.Thread(target=ticker)
        t.start()
        try:
            with cairn.Cluster(f"1@127.0.0.1:{port}",
                               cluster_op_timeout_ms=300,
                               cluster_heartbeat_interval_ms=60000) as cluster:
                before = ticks[0]
                started = time.monotonic()
                with pytest.raises(cairn.UnavailableError, match="node 1"):
                    cluster.get(b"k")
                assert time.monotonic() - started >= 0.25
                assert ticks[0] - before >= 5  # the ticker ran meanwhile
        finally:
            stop.set()
            t.join(10)


# ---- Lifecycle ---------------------------------------------------------------


def test_closed_cluster_raises_closed_error(nodes):
    cluster = cairn.Cluster(_spec(nodes))
    batch = cluster.write_batch()
    batch.put(b"k", b"v")
    assert not cluster.closed and repr(cluster) == "<cairn.Cluster>"
    cluster.close()
    cluster.close()  # idempotent
    assert cluster.closed and repr(cluster) == "<cairn.Cluster closed>"
    for call in (lambda: cluster.get(b"k"), lambda: cluster.put(b"k", b"v"),
                 lambda: cluster.delete(b"k"), lambda: cluster.scan(),
                 lambda: cluster.nodes(), lambda: cluster.stats(),
                 lambda: cluster.audit(), batch.write,
                 lambda: cluster.write_batch()):
        with pytest.raises(cairn.ClosedError, match="cluster client is closed"):
            call()
    with cairn.Cluster(_spec(nodes)) as cluster:
        pass
    assert cluster.closed


def test_calls_from_threads(nodes, standby):
    errors = []

    def worker(t):
        try:
            for i in range(20):
                key = b"t%d-%d" % (t, i)
                standby.put(key, key)
                assert standby.get(key) == key
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert len(standby.scan(b"t", b"u")) == 80
