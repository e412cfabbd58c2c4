"""Targeted behaviour of the `cairn` virtual table: persistence, several
tables and connections, DROP, cursors over a table that changes under them,
transactions and savepoints, the SQL functions, and query planning."""
import json
import os
import re
import sqlite3
import subprocess
import sys

import pytest

import cairn_testlib as lib

ROWS = [("t-null", None), ("t-int", 7), ("t-min", -2 ** 63), ("t-max", 2 ** 63 - 1),
        ("t-real", 2.5), ("t-negzero", -0.0), ("t-text", "héllo"), ("t-empty", ""),
        ("t-blob", b"\x00\x01\xff"), ("t-emptyblob", b""), ("", "empty text key"),
        (b"", "empty blob key"), ("ab", "text ab"), (b"ab", "blob ab"),
        (b"a\x00b", "nul inside"), ("日本", "utf-8 key"), ("big", b"\x02" * 100000)]


def rows(conn, table, order="ORDER BY key"):
    return lib.norm_rows(conn.execute("SELECT key, value FROM %s %s" % (table, order)).fetchall())


def fill(conn, table, items):
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO %s VALUES (?, ?)" % table, items)
    conn.execute("COMMIT")


def make_pair(conn, store):
    """A cairn table `kv` and a native table `ref` with the same schema."""
    conn.execute(lib.create_sql("kv", store))
    conn.execute(lib.native_sql("ref"))


# ---- persistence -------------------------------------------------------


def test_data_persists_across_reconnect(connect, tmp_path, store):
    conn = connect()
    make_pair(conn, store)
    fill(conn, "kv", ROWS)
    fill(conn, "ref", ROWS)
    conn.close()

    conn = connect()
    assert rows(conn, "kv") == rows(conn, "ref")
    assert len(rows(conn, "kv")) == len(ROWS)
    # Types survive exactly (7 stays INTEGER, -0.0 stays REAL -0.0, ...).
    got = dict(conn.execute("SELECT key, typeof(value) FROM kv").fetchall())
    assert got["t-int"] == "integer" and got["t-real"] == "real"
    assert got["t-text"] == "text" and got["t-blob"] == "blob" and got["t-null"] == "null"
    assert repr(conn.execute("SELECT value FROM kv WHERE key = 't-negzero'").fetchone()[0]) == "-0.0"
    # Writes after the reconnect persist too.
    conn.execute("INSERT INTO kv VALUES ('later', 1)")
    conn.close()
    conn = connect()
    assert conn.execute("SELECT value FROM kv WHERE key = 'later'").fetchall() == [(1,)]


def test_relative_path_is_beside_the_database_file(connect, tmp_path, monkeypatch):
    dbdir = tmp_path / "dbdir"
    dbdir.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    conn = connect(dbdir / "main.db")
    conn.execute("CREATE VIRTUAL TABLE kv USING cairn(path='rel_store', create_if_missing=1, "
                 "sync=0, \"cache.capacity_mb\"=1, \"cache.instances\"=1)")
    conn.execute("INSERT INTO kv VALUES ('k', 'v')")
    assert lib.is_store_dir(dbdir / "rel_store")
    assert not os.path.exists(elsewhere / "rel_store")
    conn.close()

    # Reopened from another working directory, the store is still found.
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.chdir(other)
    conn = connect(dbdir / "main.db")
    assert conn.execute("SELECT key, value FROM kv").fetchall() == [("k", "v")]
    assert not os.path.exists(other / "rel_store")


def test_relative_path_of_memory_database_is_cwd(connect, tmp_path, monkeypatch):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    conn = connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE kv USING cairn(path='memstore', create_if_missing=1, "
                 "sync=0, \"cache.capacity_mb\"=1, \"cache.instances\"=1)")
    conn.execute("INSERT INTO kv VALUES ('k', 'v')")
    assert lib.is_store_dir(cwd / "memstore")


def test_relative_path_of_attached_database(connect, tmp_path):
    (tmp_path / "aux").mkdir()
    conn = connect()
    conn.execute("ATTACH ? AS aux", (str(tmp_path / "aux" / "aux.db"),))
    conn.execute("CREATE VIRTUAL TABLE aux.kv USING cairn(path='auxstore', create_if_missing=1, "
                 "sync=0, \"cache.capacity_mb\"=1, \"cache.instances\"=1)")
    conn.execute("INSERT INTO aux.kv VALUES ('k', 'v')")
    assert lib.is_store_dir(tmp_path / "aux" / "auxstore")
    assert not os.path.exists(tmp_path / "auxstore")
    stats = json.loads(conn.execute("SELECT cairn_stats('aux.kv')").fetchone()[0])
    assert stats["batches"] >= 1


# ---- several tables ----------------------------------------------------


def test_two_tables_are_independent(connect, tmp_path):
    conn = connect()
    conn.execute(lib.create_sql("a", tmp_path / "sa"))
    conn.execute(lib.create_sql("b", tmp_path / "sb"))
    conn.execute("INSERT INTO a VALUES ('k', 'from a'), ('only-a', 1)")
    conn.execute("INSERT INTO b VALUES ('k', 'from b'), ('only-b', 2)")
    conn.execute("DELETE FROM a WHERE key = 'k'")
    assert conn.execute("SELECT * FROM a ORDER BY key").fetchall() == [("only-a", 1)]
    assert conn.execute("SELECT * FROM b ORDER BY key").fetchall() == [("k", "from b"), ("only-b", 2)]

    # One transaction over both: rolled back together, committed together.
    conn.execute("BEGIN")
    conn.execute("INSERT INTO a VALUES ('t', 1)")
    conn.execute("INSERT INTO b VALUES ('t', 2)")
    conn.execute("ROLLBACK")
    assert conn.execute("SELECT count(*) FROM a WHERE key = 't'").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM b WHERE key = 't'").fetchone()[0] == 0
    conn.execute("BEGIN")
    conn.execute("INSERT INTO a VALUES ('t', 1)")
    conn.execute("INSERT INTO b VALUES ('t', 2)")
    conn.execute("COMMIT")
    conn.close()
    conn = connect()
    assert conn.execute("SELECT value FROM a WHERE key = 't'").fetchall() == [(1,)]
    assert conn.execute("SELECT value FROM b WHERE key = 't'").fetchall() == [(2,)]
    # Each table reports its own store.
    sa = json.loads(conn.execute("SELECT cairn_property('a', 'cairn.stats')").fetchone()[0])
    sb = json.loads(conn.execute("SELECT cairn_stats('b')").fetchone()[0])
    conn.execute("INSERT INTO a VALUES ('n1', 1), ('n2', 2), ('n3', 3), ('n4', 4), ('n5', 5)")
    sa2 = json.loads(conn.execute("SELECT cairn_stats('a')").fetchone()[0])
    sb2 = json.loads(conn.execute("SELECT cairn_stats('b')").fetchone()[0])
    assert sa2["batch_ops"] == sa["batch_ops"] + 5
    assert sb2["batch_ops"] == sb["batch_ops"]


def test_join_between_two_cairn_tables(connect, tmp_path):
    conn = connect()
    conn.execute(lib.create_sql("people", tmp_path / "people"))
    conn.execute(lib.create_sql("scores", tmp_path / "scores"))
    conn.execute(lib.native_sql("npeople"))
    conn.execute(lib.native_sql("nscores"))
    people = [("p%02d" % i, "team%d" % (i % 4)) for i in range(40)]
    scores = [("p%02d" % i, i * 10) for i in range(0, 40, 3)] + [("nobody", 5)]
    teams = [("team%d" % i, "name of team %d" % i) for i in range(3)]
    for t, data in (("people", people), ("npeople", people), ("scores", scores), ("nscores", scores)):
        fill(conn, t, data)
    fill(conn, "scores", teams)
    fill(conn, "nscores", teams)
    queries = [
        "SELECT p.key, p.value, s.value FROM {p} AS p JOIN {s} AS s ON s.key = p.key ORDER BY p.key",
        "SELECT p.key, s.value FROM {p} AS p LEFT JOIN {s} AS s ON s.key = p.key "
        "WHERE p.key BETWEEN 'p05' AND 'p20' ORDER BY p.key DESC",
        # The join key is the other table's value: a point read per row.
        "SELECT p.key, s.value FROM {p} AS p JOIN {s} AS s ON s.key = p.value ORDER BY p.key",
        "SELECT count(*), sum(s.value) FROM {s} AS s WHERE s.key IN (SELECT key FROM {p})",
    ]
    for q in queries:
        got = conn.execute(q.format(p="people", s="scores")).fetchall()
        want = conn.execute(q.format(p="npeople", s="nscores")).fetchall()
        assert lib.norm_rows(got) == lib.norm_rows(want), q
        assert got, q


def test_two_connections_share_a_store_and_isolate_uncommitted_writes(connect, tmp_path, store):
    c1 = connect(tmp_path / "one.db")
    c2 = connect(tmp_path / "two.db")
    c1.execute(lib.create_sql("kv", store))
    # The same store from another database file (and another connection).
    c2.execute(lib.create_sql("kv", store))
    c1.execute("INSERT INTO kv VALUES ('committed', 1)")
    assert c2.execute("SELECT * FROM kv").fetchall() == [("committed", 1)]

    c1.execute("BEGIN")
    c1.execute("INSERT INTO kv VALUES ('pending', 2)")
    c1.execute("UPDATE kv SET value = 10 WHERE key = 'committed'")
    assert c1.execute("SELECT * FROM kv ORDER BY key").fetchall() == [("committed", 10), ("pending", 2)]
    assert c2.execute("SELECT * FROM kv ORDER BY key").fetchall() == [("committed", 1)]
    assert c2.execute("SELECT count(*) FROM kv WHERE key = 'pending'").fetchone()[0] == 0
    c1.execute("COMMIT")
    assert c2.execute("SELECT * FROM kv ORDER BY key").fetchall() == [("committed", 10), ("pending", 2)]

    c1.execute("BEGIN")
    c1.execute("DELETE FROM kv WHERE key = 'pending'")
    assert c2.execute("SELECT count(*) FROM kv").fetchone()[0] == 2
    c1.execute("ROLLBACK")
    assert c2.execute("SELECT count(*) FROM kv").fetchone()[0] == 2


def test_two_connections_on_one_database_file(connect, tmp_path, store):
    c1 = connect()
    c1.execute(lib.create_sql("kv", store))
    c2 = connect()
    c1.execute("BEGIN")
    c1.execute("INSERT INTO kv VALUES ('a', 1)")
    assert c2.execute("SELECT * FROM kv").fetchall() == []
    c1.execute("COMMIT")
    assert c2.execute("SELECT * FROM kv").fetchall() == [("a", 1)]
    c2.execute("INSERT INTO kv VALUES ('b', 2)")
    assert c1.execute("SELECT * FROM kv ORDER BY key").fetchall() == [("a", 1), ("b", 2)]


def test_other_spellings_of_a_store_path_share_it(connect, tmp_path, store):
    c1 = connect()
    c1.execute(lib.create_sql("kv", store))
    c1.execute("INSERT INTO kv VALUES ('a', 1)")
    os.symlink(store, tmp_path / "link")
    c2 = connect(tmp_path / "two.db")
    # Not BUSY: the same store, opened once in this process.
    c2.execute(lib.create_sql("via_dots", tmp_path / "nonexistent" / ".." / "store"))
    c2.execute(lib.create_sql("via_link", tmp_path / "link"))
    c2.execute(lib.create_sql("via_slash", str(store) + "/"))
    for t in ("via_dots", "via_link", "via_slash"):
        assert c2.execute("SELECT * FROM %s" % t).fetchall() == [("a", 1)], t


def test_unusual_characters_in_store_path(connect, tmp_path):
    path = tmp_path / "it's a dir é 日"
    conn = connect()
    conn.execute(lib.create_sql("kv", path))
    conn.execute("INSERT INTO kv VALUES ('k', 1)")
    assert lib.is_store_dir(path)
    conn.close()
    conn = connect()
    assert conn.execute("SELECT * FROM kv").fetchall() == [("k", 1)]


def test_error_if_exists_applies_to_create_only(connect, store):
    conn = connect()
    conn.execute(lib.create_sql("kv", store, error_if_exists=1))
    conn.execute("INSERT INTO kv VALUES ('k', 1)")
    conn.close()
    # The reconnect opens the existing store despite error_if_exists=1.
    conn = connect()
    assert conn.execute("SELECT * FROM kv").fetchall() == [("k", 1)]


LOAD_TWICE_SCRIPT = r"""
import sqlite3, sys
ext, db, store = sys.argv[1:4]
conn = sqlite3.connect(db, isolation_level=None)
conn.enable_load_extension(True)
conn.load_extension(ext)
conn.execute("CREATE VIRTUAL TABLE kv USING cairn(path='" + store.replace("'", "''") +
             "', create_if_missing=1, sync=0, \"cache.capacity_mb\"=0)")
conn.execute("INSERT INTO kv VALUES ('a', 1)")
conn.load_extension(ext)  # again, on the same connection
conn.execute("CREATE VIRTUAL TABLE kv2 USING cairn(path='" + store.replace("'", "''") +
             "2', create_if_missing=1, sync=0, \"cache.capacity_mb\"=0)")
conn.execute("INSERT INTO kv2 VALUES ('b', 2)")
assert conn.execute("SELECT * FROM kv").fetchall() == [("a", 1)]
assert conn.execute("SELECT * FROM kv2").fetchall() == [("b", 2)]
import json
assert json.loads(conn.execute("SELECT cairn_stats('kv')").fetchone()[0])["batches"] >= 1
conn.close()
print("ok")
"""


def test_loading_the_extension_twice_on_one_connection(ext_path, tmp_path):
    """Runs in a child process: a crash (e.g. at close) is a failed exit
    status, not a dead test run."""
    proc = subprocess.run(
        [sys.executable, "-c", LOAD_TWICE_SCRIPT, str(ext_path), str(tmp_path / "twice.db"),
         str(tmp_path / "twice_store")],
        capture_output=True, text=True, timeout=lib.SUBPROCESS_TIMEOUT)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", (proc.returncode, proc.stdout, proc.stderr)


# ---- DROP TABLE --------------------------------------------------------


def test_drop_table_destroys_the_store(connect, store):
    conn = connect()
    conn.execute(lib.create_sql("kv", store))
    conn.execute("INSERT INTO kv VALUES ('a', 1)")
    assert lib.is_store_dir(store)
    conn.execute("DROP TABLE kv")
    assert not os.path.exists(store)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'kv'").fetchone()[0] == 0
    # A new table on the same path starts empty.
    conn.execute(lib.create_sql("kv", store))
    assert conn.execute("SELECT count(*) FROM kv").fetchone()[0] == 0


def test_drop_table_after_reconnect_without_query(connect, store):
    conn = connect()
    conn.execute(lib.create_sql("kv", store))
    conn.execute("INSERT INTO kv VALUES ('a', 1)")
    conn.close()
    conn = connect()
    conn.execute("DROP TABLE kv")
    assert not os.path.exists(store)


def test_drop_table_refused_while_another_connection_uses_the_store(connect, tmp_path, store):
    c1 = connect()
    c1.execute(lib.create_sql("kv", store))
    c1.execute("INSERT INTO kv VALUES ('a', 1)")
    c2 = connect(tmp_path / "two.db")
    c2.execute(lib.create_sql("kv2", store))
    assert c2.execute("SELECT count(*) FROM kv2").fetchone()[0] == 1
    # Refused (SQLite does not pass xDestroy's message on: the error says
    # only "SQL logic error"); the table and its store stay.
    err = lib.error_of(lambda: c1.execute("DROP TABLE kv"))
    assert isinstance(err, sqlite3.OperationalError), err
    assert lib.is_store_dir(store)
    assert c1.execute("SELECT count(*) FROM sqlite_master WHERE name = 'kv'").fetchone()[0] == 1
    assert c1.execute("SELECT * FROM kv").fetchall() == [("a", 1)]
    c2.close()
    c1.execute("DROP TABLE kv")
    assert not os.path.exists(store)


def test_rename_table(connect, store):
    conn = connect()
    conn.execute(lib.create_sql("kv", store))
    conn.execute("INSERT INTO kv VALUES ('a', 1)")
    conn.execute("ALTER TABLE kv RENAME TO kv2")
    assert conn.execute("SELECT * FROM kv2").fetchall() == [("a", 1)]
    assert json.loads(conn.execute("SELECT cairn_stats('kv2')").fetchone()[0])["batches"] >= 1
    lib.error_of(lambda: conn.execute("SELECT cairn_stats('kv')").fetchall())
    conn.close()
    conn = connect()
    assert conn.execute("SELECT * FROM kv2").fetchall() == [("a", 1)]


# ---- cursors over a changing table -------------------------------------

N_CURSOR_ROWS = 200


def key_of(i):
    return "k%04d" % i


def iterate_and_modify(conn, order):
    """Iterates `SELECT key, value FROM kv <order>` while the same connection
    updates, deletes and inserts rows ahead of and behind the cursor.
    Returns (keys seen, {key: value} of the rows the cursor returned,
    keys modified, expected final contents)."""
    model = {key_of(i): i for i in range(N_CURSOR_ROWS)}
    modified = set()
    seen = []
    values = {}
    cur = conn.execute("SELECT key, value FROM kv " + order)
    step = 0
    while True:
        row = cur.fetchone()
        if row is None:
            break
        k, v = row
        seen.append(k)
        values.setdefault(k, v)
        step += 1
        if step % 5 or not k.startswith("k") or len(k) != 5:
            continue
        i = int(k[1:])
        for j, sql in ((i + 3, "UPDATE kv SET value = -1 WHERE key = ?"),
                       (i - 3, "UPDATE kv SET value = -2 WHERE key = ?"),
                       (i + 6, "DELETE FROM kv WHERE key = ?"),
                       (i - 6, "DELETE FROM kv WHERE key = ?"),
                       (i + 9, "UPDATE kv SET key = key || '-moved' WHERE key = ?")):
            target = key_of(j)
            if target not in model:
                continue
            conn.execute(sql, (target,))
            modified.add(target)
            if sql.startswith("UPDATE kv SET value"):
                model[target] = -1 if "-1" in sql else -2
            elif sql.startswith("DELETE"):
                del model[target]
            else:
                model[target + "-moved"] = model.pop(target)
                modified.add(target + "-moved")
        for new in (k + "-new", "a" + k, "z" + k):
            conn.execute("INSERT INTO kv VALUES (?, 0)", (new,))
            model[new] = 0
            modified.add(new)
        # A multi-row range statement too.
        conn.execute("UPDATE kv SET value = value WHERE key BETWEEN ? AND ?",
                     (key_of(i + 1), key_of(i + 2)))
    return seen, values, modified, model


def check_cursor(seen, values, modified, order):
    assert len(seen) == len(set(seen)), "a key came twice: %r" % sorted(
        k for k in set(seen) if seen.count(k) > 1)
    originals = {key_of(i) for i in range(N_CURSOR_ROWS)}
    untouched = originals - modified
    missing = sorted(untouched - set(seen))
    assert not missing, "untouched rows skipped by the cursor: %r" % missing
    for k in untouched:
        assert values[k] == int(k[1:]), (k, values[k])
    if "DESC" in order:
        assert seen == sorted(seen, reverse=True), "DESC order broken"
    elif "ORDER BY key" in order:
        assert seen == sorted(seen), "ASC order broken"


@pytest.mark.parametrize("order", ["ORDER BY key", "ORDER BY key DESC", "",
                                   "WHERE key >= 'k0050' ORDER BY key"])
def test_cursor_stable_under_autocommit_writes(connect, store, order):
    conn = connect()
    conn.execute(lib.create_sql("kv", store))
    fill(conn, "kv", [(key_of(i), i) for i in range(N_CURSOR_ROWS)])
    seen, values, modified, model = iterate_and_modify(conn, order)
    if order.startswith("WHERE"):
        modified |= {key_of(i) for i in range(50)}
    check_cursor(seen, values, modified, order)
    assert dict(conn.execute("SELECT key, value FROM kv").fetchall()) == model


@pytest.mark.parametrize("order", ["ORDER BY key", "ORDER BY key DESC", ""])
@pytest.mark.parametrize("filled_in_txn", [False, True])
def test_cursor_stable_inside_transaction(connect, store, order, filled_in_txn):
    conn = connect()
    conn.execute(lib.create_sql("kv", store))
    if filled_in_txn:
        # The rows are the transaction's own writes: the cursor reads them
        # from the transaction's overlay, not from the store.
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO kv VALUES (?, ?)", [(key_of(i), i) for i in range(N_CURSOR_ROWS)])
    else:
        fill(conn, "kv", [(key_of(i), i) for i in range(N_CURSOR_ROWS)])
        conn.execute("BEGIN")
    seen, values, modified, model = iterate_and_modify(conn, order)
    check_cursor(seen, values, modified, order)
    assert dict(conn.execute("SELECT key, value FROM kv").fetchall()) == model
    conn.execute("COMMIT")
    assert dict(conn.execute("SELECT key, value FROM kv").fetchall()) == model
    conn.close()
    conn = connect()
    assert dict(conn.execute("SELECT key, value FROM kv").fetchall()) == model


@pytest.mark.parametrize("end", ["COMMIT", "ROLLBACK"])
def test_cursor_open_across_commit_matches_native(connect, store, end):
    """A SELECT started inside a transaction and finished after COMMIT (or
    ROLLBACK) must return the rows a native table returns: the transaction's
    rows are committed (or gone), not lost from the cursor."""
    conn = connect()
    make_pair(conn, store)
    results = {}
    for t in ("kv", "ref"):
        fill(conn, t, [("base%d" % i, i) for i in range(3)])
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO %s VALUES (?, ?)" % t, [("new%02d" % i, i) for i in range(20)])
        cur = conn.execute("SELECT key FROM %s ORDER BY key" % t)
        first = [cur.fetchone() for _ in range(2)]
        conn.execute(end)
        results[t] = first + cur.fetchall()
    assert results["kv"] == results["ref"]
    assert rows(conn, "kv") == rows(conn, "ref")


# ---- key changes over many rows (Halloween problem) --------------------


@pytest.mark.parametrize("in_txn", [False, True])
@pytest.mark.parametrize("stmt", [
    "UPDATE {t} SET key = key || 'x'",
    "UPDATE {t} SET key = 'a' || key WHERE key >= 'k0100'",
    "UPDATE {t} SET key = key || 'x' WHERE key < 'k0150' AND key > 'k0020'",
    "UPDATE {t} SET key = CAST(key AS BLOB)",
    "UPDATE {t} SET key = substr(key, 1, 4) || 'z' || substr(key, 5), value = value * 2",
    "DELETE FROM {t} WHERE key IN (SELECT key || '' FROM {t} WHERE value % 3 = 0)",
    "INSERT INTO {t} SELECT key || '+', value + 1 FROM {t}",
])
def test_statements_reading_and_writing_many_rows_match_native(connect, store, stmt, in_txn):
    conn = connect()
    make_pair(conn, store)
    data = [(key_of(i), i) for i in range(300)]
    fill(conn, "kv", data)
    fill(conn, "ref", data)
    for t in ("kv", "ref"):
        if in_txn:
            conn.execute("BEGIN")
        cur = conn.execute(stmt.format(t=t))
        assert cur.rowcount > 0
        if in_txn:
            assert rows(conn, t)  # readable mid-transaction
            conn.execute("COMMIT")
    assert rows(conn, "kv") == rows(conn, "ref")
    assert rows(conn, "kv", "ORDER BY key DESC") == rows(conn, "ref", "ORDER BY key DESC")


def test_update_key_chain_collision_fails_like_native(connect, store):
    conn = connect()
    make_pair(conn, store)
    for t in ("kv", "ref"):
        fill(conn, t, [("a", 1), ("ax", 2), ("b", 3)])
        err = lib.error_of(lambda: conn.execute("UPDATE %s SET key = key || 'x'" % t))
        assert isinstance(err, sqlite3.IntegrityError)
        assert "UNIQUE constraint failed: %s.key" % t in str(err)
    assert rows(conn, "kv") == rows(conn, "ref")
    assert len(rows(conn, "kv")) == 3


# ---- transactions ------------------------------------------------------


def test_failed_multirow_insert_in_transaction_keeps_earlier_statements(connect, store):
    conn = connect()
    make_pair(conn, store)
    for t in ("kv", "ref"):
        conn.execute("BEGIN")
        conn.execute("INSERT INTO %s VALUES ('first', 1)" % t)
        conn.execute("INSERT INTO %s VALUES ('second', 2), ('third', 3)" % t)
        err = lib.error_of(lambda: conn.execute(
            "INSERT INTO %s VALUES ('x1', 1), ('x2', 2), ('second', 9), ('x3', 3)" % t))
        assert isinstance(err, sqlite3.IntegrityError)
        assert conn.in_transaction
        assert conn.execute("SELECT key, value FROM %s ORDER BY key" % t).fetchall() == [
            ("first", 1), ("second", 2), ("third", 3)]
        conn.execute("COMMIT")
    assert rows(conn, "kv") == rows(conn, "ref")
    conn.close()
    conn = connect()
    assert conn.execute("SELECT key FROM kv ORDER BY key").fetchall() == [
        ("first",), ("second",), ("third",)]


def test_failed_multirow_statement_in_autocommit_writes_nothing(connect, store):
    conn = connect()
    conn.execute(lib.create_sql("kv", store))
    conn.execute("INSERT INTO kv VALUES ('dup', 0), ('e', 5), ('f', 6)")
    before = conn.execute("SELECT * FROM kv ORDER BY key").fetchall()
    lib.error_of(lambda: conn.execute("INSERT INTO kv VALUES ('a', 1), ('b', 2), ('dup', 3)"))
    assert conn.execute("SELECT * FROM kv ORDER BY key").fetchall() == before
    # In key order: 'e' -> 'ex' and 'f' -> 'fx' succeed, then 'g' -> 'gx'
    # collides; the two earlier changes must be undone too.
    conn.execute("INSERT INTO kv VALUES ('gx', 7), ('g', 8)")
    before = conn.execute("SELECT * FROM kv ORDER BY key").fetchall()
    err = lib.error_of(lambda: conn.execute("UPDATE kv SET key = key || 'x' WHERE key >= 'e'"))
    assert isinstance(err, sqlite3.IntegrityError)
    assert conn.execute("SELECT * FROM kv ORDER BY key").fetchall() == before


def test_rollback_leaves_nothing(connect, store):
    conn = connect()
    conn.execute(lib.create_sql("kv", store))
    conn.execute("INSERT INTO kv VALUES ('keep', 1)")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO kv VALUES ('a', 1), ('b', 2)")
    conn.execute("UPDATE kv SET value = 99 WHERE key = 'keep'")
    conn.execute("UPDATE kv SET key = 'c' WHERE key = 'a'")
    conn.execute("DELETE FROM kv WHERE key = 'b'")
    conn.execute("ROLLBACK")
    assert conn.execute("SELECT * FROM kv").fetchall() == [("keep", 1)]
    conn.close()
    conn = connect()
    assert conn.execute("SELECT * FROM kv").fetchall() == [("keep", 1)]


def test_close_with_open_transaction_discards_it(connect, store):
    conn = connect()
    conn.execute(lib.create_sql("kv", store))
    conn.execute("BEGIN")
    conn.execute("INSERT INTO kv VALUES ('a', 1)")
    conn.close()
    conn = connect()
    assert conn.execute("SELECT * FROM kv").fetchall() == []


def test_commit_refused_by_sqlite_then_rollback_leaves_nothing(connect, tmp_path, store):
    """COMMIT of a transaction that wrote a native and a cairn table fails
    with SQLITE_BUSY while another connection reads the database file; the
    transaction stays open, and ROLLBACK must then undo the cairn writes
    too. The cairn rows were written at xSync (SQLite's last chance to
    report a failed write), so until the ROLLBACK another reader may see
    them: a documented limit (README, "Transactions")."""
    c1 = connect()
    c1.execute("PRAGMA busy_timeout = 0")
    make_pair(c1, store)
    fill(c1, "ref", [("r%d" % i, i) for i in range(5)])
    # Watches the same store from another database file (the main one
    # will be locked).
    observer = connect(tmp_path / "observer.db")
    observer.execute(lib.create_sql("kv", store))
    reader = sqlite3.connect(str(tmp_path / "main.db"), isolation_level=None)
    try:
        c1.execute("BEGIN")
        c1.execute("INSERT INTO ref VALUES ('native', 1)")
        c1.execute("INSERT INTO kv VALUES ('cairn', 1)")
        cur = reader.execute("SELECT * FROM ref")
        assert cur.fetchone() is not None  # holds a read lock: COMMIT cannot finish
        err = lib.error_of(lambda: c1.execute("COMMIT"))
        assert getattr(err, "sqlite_errorname", "SQLITE_BUSY") == "SQLITE_BUSY", err
        assert c1.in_transaction
        # Not committed: another connection must not see the row yet.
        seen_before_rollback = observer.execute("SELECT * FROM kv").fetchall()
        c1.execute("ROLLBACK")
        cur.close()
    finally:
        reader.close()
    assert c1.execute("SELECT count(*) FROM ref WHERE key = 'native'").fetchone()[0] == 0
    after_rollback = c1.execute("SELECT * FROM kv").fetchall()
    c1.close()
    c1 = connect()
    after_reopen = c1.execute("SELECT * FROM kv").fetchall()
    assert seen_before_rollback in ([], [("cairn", 1)])
    assert (after_rollback, after_reopen) == ([], [])


def test_transaction_goes_on_after_a_refused_commit(connect, tmp_path, store):
    """COMMIT refused with SQLITE_BUSY keeps the transaction open: later
    writes, a ROLLBACK TO and reads must see the transaction as it is, and
    the second COMMIT must write all of it (the first xSync already wrote
    part of it to Cairn)."""
    c1 = connect()
    c1.execute("PRAGMA busy_timeout = 0")
    make_pair(c1, store)
    for t in ("kv", "ref"):
        fill(c1, t, [("a", 0), ("b", 0), ("c", 0)])
    reader = sqlite3.connect(str(tmp_path / "main.db"), isolation_level=None)
    try:
        c1.execute("BEGIN")
        c1.execute("SAVEPOINT s")
        for t in ("kv", "ref"):
            c1.execute("UPDATE %s SET value = 1 WHERE key = 'a'" % t)
            c1.execute("DELETE FROM %s WHERE key = 'b'" % t)
            c1.execute("INSERT INTO %s VALUES ('d', 1)" % t)
        cur = reader.execute("SELECT * FROM ref")
        assert cur.fetchone() is not None  # holds a read lock
        err = lib.error_of(lambda: c1.execute("COMMIT"))
        assert err is not None and c1.in_transaction
        cur.close()
    finally:
        reader.close()
    # Still one transaction: more writes, a partial rollback, reads.
    for t in ("kv", "ref"):
        c1.execute("INSERT INTO %s VALUES ('e', 2)" % t)
    c1.execute("ROLLBACK TO s")  # undoes everything since SAVEPOINT s
    for t in ("kv", "ref"):
        c1.execute("INSERT INTO %s VALUES ('f', 3)" % t)
        c1.execute("UPDATE %s SET value = 4 WHERE key = 'c'" % t)
    want = c1.execute("SELECT * FROM ref ORDER BY key").fetchall()
    assert c1.execute("SELECT * FROM kv ORDER BY key").fetchall() == want
    c1.execute("COMMIT")
    assert want == [("a", 0), ("b", 0), ("c", 4), ("f", 3)]
    c1.close()
    c2 = connect()
    assert c2.execute("SELECT * FROM kv ORDER BY key").fetchall() == want


def test_failed_commit_of_one_cairn_table_commits_no_other_table(connect, tmp_path):
    """Table b's commit fails (its batch exceeds max_batch_bytes): the whole
    COMMIT fails, so table a and the native table must not keep the
    transaction's rows either."""
    conn = connect()
    conn.execute(lib.create_sql("a", tmp_path / "sa"))
    conn.execute(lib.create_sql("b", tmp_path / "sb", max_batch_bytes=1000))
    conn.execute(lib.native_sql("ref"))
    big = "x" * 300
    # Alone, an oversized batch fails cleanly.
    err = lib.error_of(lambda: conn.execute("INSERT INTO b VALUES ('1', ?), ('2', ?), ('3', ?), ('4', ?)",
                                            (big,) * 4))
    assert "max_batch_bytes" in str(err) and "nothing was written" in str(err), str(err)
    assert conn.execute("SELECT count(*) FROM b").fetchone()[0] == 0
    conn.execute("BEGIN")
    conn.execute("INSERT INTO ref VALUES ('n', 1)")
    conn.execute("INSERT INTO a VALUES ('a', 1)")
    conn.executemany("INSERT INTO b VALUES (?, ?)", [("k%d" % i, big) for i in range(5)])
    err = lib.error_of(lambda: conn.execute("COMMIT"))
    assert "max_batch_bytes" in str(err), str(err)
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    assert conn.execute("SELECT count(*) FROM ref").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM b").fetchone()[0] == 0
    assert conn.execute("SELECT * FROM a").fetchall() == []


def test_reads_inside_transaction_see_own_writes(connect, store):
    conn = connect()
    conn.execute(lib.create_sql("kv", store))
    fill(conn, "kv", [("a", 1), ("c", 3), ("e", 5)])
    conn.execute("BEGIN")
    conn.execute("INSERT INTO kv VALUES ('b', 2), ('d', 4)")
    conn.execute("DELETE FROM kv WHERE key = 'c'")
    conn.execute("UPDATE kv SET value = 50 WHERE key = 'e'")
    conn.execute("UPDATE kv SET key = 'f' WHERE key = 'a'")
    q = lambda sql: conn.execute(sql).fetchall()
    assert q("SELECT * FROM kv WHERE key = 'b'") == [("b", 2)]
    assert q("SELECT * FROM kv WHERE key = 'c'") == []
    assert q("SELECT * FROM kv WHERE key = 'a'") == []
    assert q("SELECT * FROM kv ORDER BY key") == [("b", 2), ("d", 4), ("e", 50), ("f", 1)]
    assert q("SELECT key FROM kv ORDER BY key DESC") == [("f",), ("e",), ("d",), ("b",)]
    assert q("SELECT key FROM kv WHERE key > 'b' AND key <= 'e'") == [("d",), ("e",)]
    assert q("SELECT key FROM kv WHERE key < 'e' ORDER BY key DESC") == [("d",), ("b",)]
    assert q("SELECT count(*), min(key), max(key) FROM kv") == [(4, "b", "f")]
    assert q("SELECT key FROM kv WHERE key IN ('a', 'b', 'c', 'f') ORDER BY key") == [("b",), ("f",)]
    # A second connection sees none of it.
    other = connect()
    assert other.execute("SELECT * FROM kv ORDER BY key").fetchall() == [("a", 1), ("c", 3), ("e", 5)]
    conn.execute("COMMIT")
    assert other.execute("SELECT * FROM kv ORDER BY key").fetchall() == [
        ("b", 2), ("d", 4), ("e", 50), ("f", 1)]


def test_nested_savepoints(connect, store):
    conn = connect()
    make_pair(conn, store)
    script = [
        "BEGIN",
        "INSERT INTO {t} VALUES ('base', 0)",
        "SAVEPOINT s1",
        "INSERT INTO {t} VALUES ('s1', 1)",
        "SAVEPOINT s2",
        "INSERT INTO {t} VALUES ('s2', 2)",
        "UPDATE {t} SET value = 100 WHERE key = 'base'",
        "ROLLBACK TO s2",
        "INSERT INTO {t} VALUES ('s2b', 2)",
        "RELEASE s2",
        "SAVEPOINT s3",
        "DELETE FROM {t} WHERE key = 's1'",
        "ROLLBACK TO s1",
        "INSERT INTO {t} VALUES ('after', 3)",
        "RELEASE s1",
        "COMMIT",
    ]
    for t in ("kv", "ref"):
        for sql in script:
            conn.execute(sql.format(t=t))
    assert rows(conn, "kv") == rows(conn, "ref")
    assert conn.execute("SELECT key FROM kv ORDER BY key").fetchall() == [("after",), ("base",)]


# The table's first write of a transaction is where it joins SQLite's
# transaction; ROLLBACK TO a savepoint that existed before that must undo
# everything the table wrote since.
ROLLBACK_TO_CASES = {
    # SAVEPOINT outside BEGIN starts the transaction; ROLLBACK TO it.
    "transaction-savepoint-insert": (
        [], ["SAVEPOINT a", "INSERT INTO {t} VALUES ('k', 1)", "ROLLBACK TO a", "RELEASE a"]),
    "transaction-savepoint-delete": (
        [("k", 1)], ["SAVEPOINT a", "DELETE FROM {t} WHERE key = 'k'", "ROLLBACK TO a", "RELEASE a"]),
    "transaction-savepoint-update": (
        [("k", 1)], ["SAVEPOINT a", "UPDATE {t} SET value = 2 WHERE key = 'k'", "ROLLBACK TO a",
                     "RELEASE a"]),
    # BEGIN; SAVEPOINT; the first write is a multi-row statement.
    "begin-savepoint-multirow-insert": (
        [], ["BEGIN", "SAVEPOINT a", "INSERT INTO {t} VALUES ('x', 1), ('y', 2)", "ROLLBACK TO a",
             "COMMIT"]),
    "begin-savepoint-range-delete": (
        [("x", 1), ("y", 2)], ["BEGIN", "SAVEPOINT a", "DELETE FROM {t} WHERE key > 'a'",
                               "ROLLBACK TO a", "COMMIT"]),
    # Controls that work: the table joined before the savepoint.
    "begin-write-savepoint-write": (
        [], ["BEGIN", "INSERT INTO {t} VALUES ('p', 0)", "SAVEPOINT a",
             "INSERT INTO {t} VALUES ('x', 1), ('y', 2)", "ROLLBACK TO a", "COMMIT"]),
    "begin-savepoint-single-insert": (
        [], ["BEGIN", "SAVEPOINT a", "INSERT INTO {t} VALUES ('x', 1)", "ROLLBACK TO a", "COMMIT"]),
}


@pytest.mark.parametrize("case", sorted(ROLLBACK_TO_CASES))
def test_rollback_to_savepoint_before_first_write(connect, store, case):
    initial, script = ROLLBACK_TO_CASES[case]
    conn = connect()
    make_pair(conn, store)
    for t in ("kv", "ref"):
        fill(conn, t, initial)
        for sql in script:
            conn.execute(sql.format(t=t))
        assert not conn.in_transaction
    want = rows(conn, "ref")
    assert rows(conn, "kv") == want, case
    conn.close()
    conn = connect()
    assert rows(conn, "kv") == want, "%s (after reopen)" % case


# ---- SQL functions and planning ----------------------------------------


def stats(conn, table="kv"):
    return json.loads(conn.execute("SELECT cairn_stats(?)", (table,)).fetchone()[0])


def test_cairn_stats_counters_grow(connect, store):
    conn = connect()
    conn.execute(lib.create_sql("kv", store))
    s0 = stats(conn)
    for key in ("puts", "gets", "batches", "batch_ops", "iterators_created"):
        assert isinstance(s0[key], int), key
    conn.execute("INSERT INTO kv VALUES ('a', 1), ('b', 2), ('c', 3)")
    s1 = stats(conn)
    # Each commit is one Cairn write batch (not single puts).
    assert s1["batches"] == s0["batches"] + 1
    assert s1["batch_ops"] == s0["batch_ops"] + 3
    assert s1["puts"] + s1["batch_ops"] > s0["puts"] + s0["batch_ops"]

    assert conn.execute("SELECT value FROM kv WHERE key = 'b'").fetchall() == [(2,)]
    s2 = stats(conn)
    # A key lookup is a point read: one get, no iterator.
    assert s2["gets"] == s1["gets"] + 1
    assert s2["iterators_created"] == s1["iterators_created"]

    assert conn.execute("SELECT count(*) FROM kv WHERE key > 'a'").fetchone()[0] == 2
    s3 = stats(conn)
    assert s3["iterators_created"] == s2["iterators_created"] + 1
    assert s3["gets"] == s2["gets"]

    conn.execute("SELECT * FROM kv WHERE key IN ('a', 'c', 'zz')").fetchall()
    assert stats(conn)["gets"] == s3["gets"] + 3


def test_cairn_stats_after_reconnect_and_qualified_name(connect, store):
    conn = connect()
    conn.execute(lib.create_sql("kv", store))
    conn.close()
    conn = connect()
    # The table is not connected yet: the function connects it.
    assert stats(conn, "main.kv")["batches"] >= 0
    assert "gets" in stats(conn, "KV")  # names are case-insensitive


def test_cairn_property_options_is_json(connect, store):
    conn = connect()
    conn.execute(lib.create_sql("kv", store, **{"max_key_size": 1000, "cache.capacity_mb": 2}))
    opts = json.loads(conn.execute("SELECT cairn_property('kv', 'cairn.options')").fetchone()[0])
    assert opts["max_key_size"] == 1000
    assert opts["cache.capacity_mb"] == 2
    assert opts["create_if_missing"] is True
    cache = conn.execute("SELECT cairn_property('kv', 'cairn.cache')").fetchone()[0]
    assert isinstance(cache, str) and cache
    assert isinstance(conn.execute("SELECT cairn_property('kv', 'leveldb.stats')").fetchone()[0], str)


def plan_index(conn, sql, params=()):
    detail = " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall())
    m = re.search(r"VIRTUAL TABLE INDEX (\d+):", detail)
    assert m, detail
    return int(m.group(1)), detail


def test_query_plan_pushes_key_constraints(connect, store):
    conn = connect()
    conn.execute(lib.create_sql("kv", store))
    eq, lower, lower_open, upper, upper_open, desc = 1, 2, 4, 8, 16, 32
    cases = [
        ("SELECT * FROM kv WHERE key = ?", ("a",), eq),
        ("SELECT * FROM kv WHERE key > ?", ("a",), lower | lower_open),
        ("SELECT * FROM kv WHERE key >= ?", ("a",), lower),
        ("SELECT * FROM kv WHERE key < ?", ("a",), upper | upper_open),
        ("SELECT * FROM kv WHERE key <= ?", ("a",), upper),
        ("SELECT * FROM kv WHERE key BETWEEN ? AND ?", ("a", "b"), lower | upper),
        ("SELECT * FROM kv WHERE key > ? AND key < ? ORDER BY key DESC", ("a", "b"),
         lower | lower_open | upper | upper_open | desc),
        ("SELECT * FROM kv ORDER BY key DESC", (), desc),
        ("SELECT * FROM kv WHERE key LIKE 'a%'", (), 0),
        ("SELECT * FROM kv WHERE value = 1", (), 0),
        ("SELECT * FROM kv WHERE key = ? COLLATE NOCASE", ("a",), 0),
    ]
    for sql, params, want in cases:
        got, detail = plan_index(conn, sql, params)
        assert got == want, (sql, detail)
    # ORDER BY key is consumed (no sorter); ORDER BY value is not.
    detail = str(conn.execute("EXPLAIN QUERY PLAN SELECT * FROM kv ORDER BY key").fetchall())
    assert "TEMP B-TREE" not in detail, detail
    detail = str(conn.execute("EXPLAIN QUERY PLAN SELECT * FROM kv ORDER BY value").fetchall())
    assert "TEMP B-TREE" in detail, detail


# ---- comparisons under type conversion ---------------------------------


def test_key_comparisons_with_numeric_affinity_match_native(connect, store):
    """When the other operand has a numeric affinity (a column of an INTEGER
    table, a CAST), SQLite converts numeric-looking TEXT keys to numbers
    before comparing: '05' = 5, and '7' < 'abc' whatever the bytes. The
    pushed-down bounds must not hide such rows."""
    conn = connect()
    make_pair(conn, store)
    keys = ["5", "05", " 7", "+3", "-2.5", "1e2", "abc", "$", "A", "zz", "",
            b"5", b"\x00", b"abc"]
    for t in ("kv", "ref"):
        fill(conn, t, [(k, i) for i, k in enumerate(keys)])
    conn.execute("CREATE TABLE nums(n INTEGER)")
    # Integers, and TEXT an INTEGER column keeps as TEXT (not numeric).
    # (CROSS JOIN below keeps nums outside, so the bound reaches kv.)
    conn.executemany("INSERT INTO nums VALUES (?)",
                     [(5,), (100,), (-3,), ("abc",), ("$",), ("!",), ("zz",), (b"5",)])
    for op in ("=", "<", "<=", ">", ">="):
        for rhs in ("n", "CAST(n AS INTEGER)", "+n"):
            sql = ("SELECT quote(n), quote(key) FROM nums CROSS JOIN {t} ON key %s %s "
                   "ORDER BY 1, 2" % (op, rhs))
            got = conn.execute(sql.format(t="kv")).fetchall()
            want = conn.execute(sql.format(t="ref")).fetchall()
            assert got == want, (op, rhs)
            sql = ("SELECT quote(key) FROM {t} WHERE key %s (SELECT n FROM nums "
                   "WHERE n = 'abc') ORDER BY key DESC" % op)
            assert (conn.execute(sql.format(t="kv")).fetchall()
                    == conn.execute(sql.format(t="ref")).fetchall()), (op, "subquery")
