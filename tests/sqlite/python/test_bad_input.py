"""Bad input to the `cairn` module: table arguments, keys it cannot store,
size limits, the SQL functions' arguments, stores that are not tables or
are damaged or missing, and a store held by another process."""
import json
import os
import sqlite3

import pytest

import cairn_testlib as lib


def create_error(conn, args, table="kv"):
    """The error of `CREATE VIRTUAL TABLE <table> USING cairn(<args>)`,
    after checking that no table was left behind."""
    err = lib.error_of(lambda: conn.execute("CREATE VIRTUAL TABLE %s USING cairn(%s)" % (table, args)))
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0] == 0
    return err


# ---- table arguments ---------------------------------------------------


def test_missing_path(db):
    err = create_error(db, "create_if_missing=1")
    assert isinstance(err, sqlite3.OperationalError)
    assert str(err).startswith("cairn: missing required argument 'path'"), str(err)
    err = create_error(db, "")
    assert "missing required argument 'path'" in str(err), str(err)


def test_empty_path(db):
    assert "'path' is empty" in str(create_error(db, "path=''"))


def test_unknown_option(db, store):
    err = create_error(db, lib.using_args(store, bogus=1))
    assert str(err) == "cairn: INVALID_ARGUMENT: unknown option 'bogus'", str(err)
    assert not os.path.exists(store)


@pytest.mark.parametrize("name, value", [
    ("max_key_size", "0"),
    ("max_key_size", "abc"),
    ("cache.capacity_mb", "-1"),
    ("compression", "zip"),
    ("create_if_missing", "maybe"),
    ("cache.write_policy", "sometimes"),
])
def test_bad_option_value(db, store, name, value):
    err = create_error(db, lib.using_args(store, **{name: value}))
    assert isinstance(err, sqlite3.OperationalError)
    msg = str(err)
    assert msg.startswith("cairn: INVALID_ARGUMENT: option %s" % name), msg
    assert value in msg, msg
    assert not os.path.exists(store)


@pytest.mark.parametrize("arg", ["justaword", "'quoted'", "=1", "path"])
def test_argument_not_name_value(db, store, arg):
    err = create_error(db, "path='%s', %s" % (store, arg) if arg != "path" else arg)
    assert isinstance(err, sqlite3.OperationalError)
    assert str(err).startswith("cairn: argument"), str(err)
    assert not os.path.exists(store)


def test_path_given_twice(db, tmp_path):
    err = create_error(db, "path='%s', create_if_missing=1, path='%s'" % (tmp_path / "a", tmp_path / "b"))
    assert str(err) == "cairn: argument 'path' is given twice", str(err)
    assert not os.path.exists(tmp_path / "a") and not os.path.exists(tmp_path / "b")


def test_option_given_twice(db, store):
    err = create_error(db, "path='%s', sync=0, sync=1" % store)
    assert "'sync' is given twice" in str(err), str(err)


@pytest.mark.parametrize("value", ["maybe", "2", "''"])
def test_bad_sync(db, store, value):
    err = create_error(db, "path='%s', create_if_missing=1, sync=%s" % (store, value))
    assert "argument 'sync': expected 0 or 1" in str(err), str(err)
    assert not os.path.exists(store)


def test_sync_accepts_booleans(db, tmp_path):
    for i, value in enumerate(["0", "1", "true", "off"]):
        db.execute("CREATE VIRTUAL TABLE t%d USING cairn(path='%s', create_if_missing=1, sync=%s, "
                   "\"cache.capacity_mb\"=0)" % (i, tmp_path / ("s%d" % i), value))
        db.execute("INSERT INTO t%d VALUES ('k', 1)" % i)


def test_missing_store_without_create_if_missing(db, store):
    err = create_error(db, lib.using_args(store, create_if_missing=None))
    assert isinstance(err, sqlite3.OperationalError)
    msg = str(err)
    assert msg.startswith("cairn: opening store %s: NOT_FOUND" % store), msg
    assert not os.path.exists(store)


def test_error_if_exists_on_existing_store(connect, tmp_path, store):
    c1 = connect()
    c1.execute(lib.create_sql("kv", store))
    c1.close()
    c2 = connect(tmp_path / "two.db")
    err = create_error(c2, lib.using_args(store, error_if_exists=1))
    assert "already exists" in str(err), str(err)


def test_error_if_exists_when_store_is_open_in_this_process(connect, tmp_path, store):
    """error_if_exists=1 must refuse an existing store also when another
    connection of this process has it open (the store registry shares the
    open store instead of opening it, and so skipped the check)."""
    c1 = connect()
    c1.execute(lib.create_sql("kv", store))
    c1.execute("INSERT INTO kv VALUES ('existing', 1)")
    c2 = connect(tmp_path / "two.db")
    err = create_error(c2, lib.using_args(store, error_if_exists=1))
    assert "already exists" in str(err), str(err)


# ---- keys and values the table cannot store ---------------------------


@pytest.fixture
def kv(db, store):
    db.execute(lib.create_sql("kv", store))
    db.execute("INSERT INTO kv VALUES ('existing', 1)")
    return db


def contents(conn, table="kv"):
    return conn.execute("SELECT key, value FROM %s ORDER BY key" % table).fetchall()


@pytest.mark.parametrize("key, type_name", [(1, "INTEGER"), (-7, "INTEGER"), (2.5, "REAL")])
def test_numeric_key_rejected(kv, key, type_name):
    for sql, params in (
            ("INSERT INTO kv VALUES (?, 'v')", (key,)),
            ("INSERT OR REPLACE INTO kv VALUES (?, 'v')", (key,)),
            ("INSERT INTO kv VALUES ('ok1', 1), (?, 'v'), ('ok2', 2)", (key,)),
            ("UPDATE kv SET key = ? WHERE key = 'existing'", (key,)),
            ("INSERT INTO kv SELECT ?, 1", (key,))):
        err = lib.error_of(lambda: kv.execute(sql, params))
        assert isinstance(err, sqlite3.IntegrityError), (sql, err)
        assert getattr(err, "sqlite_errorname", "SQLITE_MISMATCH") == "SQLITE_MISMATCH"
        assert str(err).startswith("cairn: kv.key must be TEXT or BLOB, got %s" % type_name), str(err)
        assert contents(kv) == [("existing", 1)], sql


def test_numeric_key_rejected_inside_transaction(kv):
    kv.execute("BEGIN")
    kv.execute("INSERT INTO kv VALUES ('a', 1)")
    lib.error_of(lambda: kv.execute("INSERT INTO kv VALUES ('b', 2), (3, 3)"))
    assert kv.in_transaction
    kv.execute("COMMIT")
    assert contents(kv) == [("a", 1), ("existing", 1)]


def test_null_key_rejected(kv):
    for sql in ("INSERT INTO kv VALUES (NULL, 'v')",
                "INSERT INTO kv(value) VALUES ('v')",
                "INSERT INTO kv VALUES ('ok', 1), (NULL, 2)",
                "UPDATE kv SET key = NULL WHERE key = 'existing'"):
        err = lib.error_of(lambda: kv.execute(sql))
        assert isinstance(err, sqlite3.IntegrityError), (sql, err)
        assert str(err) == "NOT NULL constraint failed: kv.key", str(err)
        assert contents(kv) == [("existing", 1)], sql
    # OR IGNORE skips the row, like a native table.
    kv.execute("INSERT OR IGNORE INTO kv VALUES (NULL, 1), ('ignored-null-neighbour', 2)")
    assert contents(kv) == [("existing", 1), ("ignored-null-neighbour", 2)]


def test_duplicate_key_messages(kv):
    err = lib.error_of(lambda: kv.execute("INSERT INTO kv VALUES ('existing', 2)"))
    assert isinstance(err, sqlite3.IntegrityError)
    assert str(err) == "UNIQUE constraint failed: kv.key"
    kv.execute("INSERT INTO kv VALUES ('other', 3)")
    err = lib.error_of(lambda: kv.execute("UPDATE kv SET key = 'existing' WHERE key = 'other'"))
    assert str(err) == "UNIQUE constraint failed: kv.key"
    assert contents(kv) == [("existing", 1), ("other", 3)]


@pytest.fixture
def small(db, store):
    db.execute(lib.create_sql("small", store, max_key_size=64, max_value_size=1000))
    db.execute("INSERT INTO small VALUES ('existing', 1)")
    return db


@pytest.mark.parametrize("kind", [str, bytes])
def test_key_longer_than_max_key_size(small, kind):
    ok = kind("k" * 40) if kind is str else b"k" * 40
    small.execute("INSERT INTO small VALUES (?, 1)", (ok,))
    # 63 bytes fit (the extension stores one type byte in front of the key).
    fits = "f" * 63 if kind is str else b"f" * 63
    small.execute("INSERT INTO small VALUES (?, 1)", (fits,))
    before = contents(small, "small")
    for n in (65, 200, 5000):
        big = "x" * n if kind is str else b"x" * n
        for sql, params in (("INSERT INTO small VALUES (?, 'v')", (big,)),
                            ("INSERT INTO small VALUES ('a', 1), (?, 'v')", (big,)),
                            ("UPDATE small SET key = ? WHERE key = 'existing'", (big,))):
            err = lib.error_of(lambda: small.execute(sql, params))
            assert isinstance(err, sqlite3.Error), err
            assert "max_key_size" in str(err), str(err)
            assert str(n) in str(err), str(err)
            assert contents(small, "small") == before, sql


def test_value_larger_than_max_value_size(small):
    small.execute("INSERT INTO small VALUES ('fits', ?)", (b"v" * 900,))
    before = contents(small, "small")
    for value in (b"v" * 1001, "t" * 5000):
        err = lib.error_of(lambda: small.execute("INSERT INTO small VALUES ('big', ?)", (value,)))
        assert "max_value_size" in str(err), str(err)
        err = lib.error_of(lambda: small.execute("UPDATE small SET value = ? WHERE key = 'fits'", (value,)))
        assert "max_value_size" in str(err), str(err)
    assert contents(small, "small") == before


@pytest.mark.parametrize("option, value", [("max_key_size", 8), ("max_value_size", 16)])
def test_small_limits_still_allow_a_table(db, store, option, value):
    """Limits smaller than the extension's own bookkeeping record must not
    make CREATE fail: the user asked for short keys/values, not for no
    table."""
    db.execute(lib.create_sql("kv", store, **{option: value}))
    db.execute("INSERT INTO kv VALUES ('k', 'v')")
    assert contents(db) == [("k", "v")]


# ---- SQL functions -----------------------------------------------------


def test_cairn_stats_unknown_table(kv):
    err = lib.error_of(lambda: kv.execute("SELECT cairn_stats('nope')").fetchall())
    assert isinstance(err, sqlite3.OperationalError)
    assert "no open cairn table named 'nope'" in str(err), str(err)
    kv.execute(lib.native_sql("native"))
    err = lib.error_of(lambda: kv.execute("SELECT cairn_stats('native')").fetchall())
    assert "no open cairn table named 'native'" in str(err), str(err)
    err = lib.error_of(lambda: kv.execute("SELECT cairn_property('nope', 'cairn.stats')").fetchall())
    assert "no open cairn table named 'nope'" in str(err), str(err)


@pytest.mark.parametrize("arg", ["1", "NULL", "x'6b76'", "2.5"])
def test_cairn_stats_non_text_argument(kv, arg):
    err = lib.error_of(lambda: kv.execute("SELECT cairn_stats(%s)" % arg).fetchall())
    assert isinstance(err, sqlite3.OperationalError)
    assert "must be TEXT" in str(err), str(err)
    err = lib.error_of(lambda: kv.execute("SELECT cairn_property('kv', %s)" % arg).fetchall())
    assert "must be TEXT" in str(err), str(err)


def test_cairn_functions_wrong_arity_and_unknown_property(kv):
    lib.error_of(lambda: kv.execute("SELECT cairn_stats()").fetchall())
    lib.error_of(lambda: kv.execute("SELECT cairn_stats('kv', 'x')").fetchall())
    err = lib.error_of(lambda: kv.execute("SELECT cairn_property('kv', 'no.such.property')").fetchall())
    assert "no.such.property" in str(err), str(err)
    # Still usable afterwards.
    assert json.loads(kv.execute("SELECT cairn_stats('kv')").fetchone()[0])["batches"] >= 1


def test_cairn_stats_ambiguous_name(connect, tmp_path):
    conn = connect()
    conn.execute("ATTACH ? AS aux", (str(tmp_path / "aux.db"),))
    conn.execute(lib.create_sql("main.kv", tmp_path / "s1"))
    conn.execute(lib.create_sql("aux.kv", tmp_path / "s2"))
    conn.execute("SELECT * FROM main.kv").fetchall()
    conn.execute("SELECT * FROM aux.kv").fetchall()
    err = lib.error_of(lambda: conn.execute("SELECT cairn_stats('kv')").fetchall())
    assert "ambiguous" in str(err), str(err)
    json.loads(conn.execute("SELECT cairn_stats('aux.kv')").fetchone()[0])


def test_cairn_functions_not_allowed_in_views(kv):
    kv.execute("CREATE VIEW v AS SELECT cairn_stats('kv') AS s")
    lib.error_of(lambda: kv.execute("SELECT * FROM v").fetchall())


# ---- stores that are not (or no longer) tables -------------------------


def test_store_that_is_a_plain_cairn_database(db, tmp_path, cairn_lib):
    path = tmp_path / "plain"
    cairn_lib.make_plain_store(path, {b"user-key": b"user-value"})
    err = create_error(db, lib.using_args(path))
    assert isinstance(err, sqlite3.Error)
    assert "was not created by the cairn SQLite module" in str(err), str(err)
    assert str(path) in str(err)
    # Refused again, so nothing (no format marker) was written into it.
    err = create_error(db, lib.using_args(path))
    assert "was not created by the cairn SQLite module" in str(err), str(err)


def test_directory_with_junk_and_bad_current_file(db, tmp_path):
    path = tmp_path / "junk"
    path.mkdir()
    (path / "CURRENT").write_bytes(os.urandom(200))
    (path / "MANIFEST-000001").write_bytes(os.urandom(3000))
    (path / "000005.ldb").write_bytes(os.urandom(5000))
    err = create_error(db, lib.using_args(path))
    assert isinstance(err, sqlite3.DatabaseError)
    assert str(err).startswith("cairn: opening store %s: " % path), str(err)
    assert "CORRUPTION" in str(err), str(err)


def test_directory_with_junk_and_plausible_current_file(db, tmp_path):
    path = tmp_path / "junk2"
    path.mkdir()
    (path / "CURRENT").write_bytes(b"MANIFEST-000001\n")
    (path / "MANIFEST-000001").write_bytes(os.urandom(3000))
    err = create_error(db, lib.using_args(path))
    assert isinstance(err, sqlite3.DatabaseError)
    assert str(err).startswith("cairn: opening store %s: " % path), str(err)


def test_directory_with_unrelated_files(db, tmp_path):
    """A directory of unrelated files is no Cairn database: without
    create_if_missing that is NOT_FOUND; with it, Cairn makes a database
    beside the files (and leaves them alone)."""
    path = tmp_path / "files"
    path.mkdir()
    junk = os.urandom(1000)
    (path / "notes.bin").write_bytes(junk)
    err = create_error(db, lib.using_args(path, create_if_missing=None))
    assert "NOT_FOUND" in str(err), str(err)
    db.execute(lib.create_sql("kv", path))
    db.execute("INSERT INTO kv VALUES ('k', 1)")
    assert contents(db) == [("k", 1)]
    assert (path / "notes.bin").read_bytes() == junk


def damage(path):
    for name in os.listdir(path):
        if name.startswith("MANIFEST") or name == "CURRENT":
            with open(os.path.join(path, name), "wb") as f:
                f.write(os.urandom(500))


def test_store_damaged_after_create(connect, store):
    conn = connect()
    conn.execute(lib.create_sql("kv", store))
    conn.execute("INSERT INTO kv VALUES ('a', 1)")
    conn.close()
    damage(store)
    conn = connect()
    # The reconnect defers opening the store: the query reports it.
    err = lib.error_of(lambda: conn.execute("SELECT * FROM kv").fetchall())
    assert isinstance(err, sqlite3.DatabaseError)
    assert str(err).startswith("cairn: opening store %s: " % store), str(err)
    err = lib.error_of(lambda: conn.execute("INSERT INTO kv VALUES ('b', 2)"))
    assert str(store) in str(err), str(err)
    err = lib.error_of(lambda: conn.execute("SELECT cairn_stats('kv')").fetchall())
    assert str(store) in str(err), str(err)
    # DROP TABLE still works and removes the damaged store.
    conn.execute("DROP TABLE kv")
    assert not os.path.exists(store)


def test_store_removed_behind_the_tables_back(connect, store, cairn_lib):
    conn = connect()
    conn.execute(lib.create_sql("kv", store))  # create_if_missing=1
    conn.execute("INSERT INTO kv VALUES ('a', 1)")
    conn.close()
    status, msg = cairn_lib.destroy(store)
    assert status == 0, msg
    conn = connect()
    # Not silently recreated as an empty table.
    err = lib.error_of(lambda: conn.execute("SELECT * FROM kv").fetchall())
    assert "NOT_FOUND" in str(err) and str(store) in str(err), str(err)
    assert not os.path.exists(store)
    conn.execute("DROP TABLE kv")
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'kv'").fetchone()[0] == 0


# ---- a store held by another process -----------------------------------


def busy_message_ok(err, store, pid):
    msg = str(err)
    return "BUSY" in msg and str(pid) in msg and str(store) in msg


def test_store_held_by_another_process(connect, ext_path, tmp_path, store):
    with lib.StoreHolder(ext_path, tmp_path / "holder.db", store) as holder:
        conn = connect()
        err = create_error(conn, lib.using_args(store))
        assert isinstance(err, sqlite3.OperationalError)
        assert busy_message_ok(err, store, holder.pid), str(err)
        assert holder.release() == 0
    # The holder closed the store: it works here now, with its data.
    conn.execute(lib.create_sql("kv", store))
    assert conn.execute("SELECT * FROM kv").fetchall() == [("holder", 1)]
    conn.execute("INSERT INTO kv VALUES ('mine', 2)")
    assert conn.execute("SELECT count(*) FROM kv").fetchone()[0] == 2


def test_reconnect_while_another_process_holds_the_store(connect, ext_path, tmp_path, store):
    conn = connect()
    conn.execute(lib.create_sql("kv", store))
    conn.execute("INSERT INTO kv VALUES ('a', 1)")
    conn.close()
    with lib.StoreHolder(ext_path, tmp_path / "holder.db", store) as holder:
        conn = connect()
        # Reconnecting defers the open: the first query on the table fails.
        err = lib.error_of(lambda: conn.execute("SELECT * FROM kv").fetchall())
        assert busy_message_ok(err, store, holder.pid), str(err)
        err = lib.error_of(lambda: conn.execute("INSERT INTO kv VALUES ('b', 2)"))
        assert busy_message_ok(err, store, holder.pid), str(err)
        assert holder.release() == 0
    # Same connection, same table: the next query opens the store.
    assert conn.execute("SELECT * FROM kv ORDER BY key").fetchall() == [("a", 1), ("holder", 1)]
    conn.execute("INSERT INTO kv VALUES ('b', 2)")
    assert conn.execute("SELECT count(*) FROM kv").fetchone()[0] == 3


def test_holder_killed_leaves_store_usable(connect, ext_path, tmp_path, store):
    """A holder that dies without closing (SIGKILL) must not lock the store
    forever."""
    with lib.StoreHolder(ext_path, tmp_path / "holder.db", store) as holder:
        holder.kill()
        assert holder.proc.returncode != 0
    conn = connect()
    conn.execute(lib.create_sql("kv", store))
    assert conn.execute("SELECT key FROM kv").fetchall() == [("holder",)]
