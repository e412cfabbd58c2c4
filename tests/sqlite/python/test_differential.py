"""Differential test: a seeded random sequence of statements runs against a
`cairn` virtual table and a native WITHOUT ROWID table with the same schema
in the same connection; every statement must give the same outcome
(exception class, SQLite error name and message, or exactly the same rows,
types included), and the full contents must stay equal. Part-way through,
the connection is closed (possibly mid-transaction: an implicit rollback)
and the database file is reopened, so the cairn store must persist exactly
what was committed.

Reproduce one seed with more detail:
  CAIRN_DIFF_SEEDS=3 CAIRN_DIFF_OPS=2000 /usr/bin/python3 -m pytest -q \
      tests/sqlite/python/test_differential.py
"""
import os
import random
import re
import sqlite3

import pytest

import cairn_testlib as lib

CAIRN = "kv"
NATIVE = "ref"

SEEDS = [int(s) for s in os.environ.get("CAIRN_DIFF_SEEDS", "11,22,33,44,55,66,77,88").split(",")]
N_OPS = int(os.environ.get("CAIRN_DIFF_OPS", "1000"))

# Keys: TEXT and BLOB, including byte-identical pairs ('ab' / x'6162'),
# empty ones, embedded NULs, non-ASCII UTF-8 and a quote.
TEXT_KEYS = ["", "a", "ab", "abc", "b", "B", "ba", "a b", "é", "éa", "日本", "z\x00z", "it's"]
BLOB_KEYS = [b"", b"a", b"ab", b"abc", b"\x00", b"\x00\x00", b"a\x00b", b"\xff", b"\xff\x00", b"b"]
KEYS = TEXT_KEYS + BLOB_KEYS
# Bounds that are rarely or never keys: between and around the keys above.
PROBE_KEYS = ["aa", "a\x00", "c", "A", "\x7f", "éz", "g", "g05", b"a\x01", b"\x01", b"aa",
              b"\xff\xff", b"c", b"g1"]
# Numbers and NULL are legal bounds on both tables (never equal to a key).
NON_KEY_BOUNDS = [None, 0, 7, -3, 1.5, -0.5, 2 ** 63 - 1]
VALUES = [None, 0, 1, -1, 42, 2 ** 63 - 1, -2 ** 63, 0.0, -0.0, 1.5, -2.25, 1e300, 3.0,
          "", "v", "value", "é", "ab", b"", b"\x00", b"v", b"ab", b"\xff\xfe",
          "L" * 3000, b"\x01" * 70000]  # the last is above cache.max_item_size
# Generated keys for bulk statements: many rows at once.
BULK_KEYS = ["g%03d" % i for i in range(60)]
SUFFIXES = ["x", "", "\x00", "é"]
LIKE_PATTERNS = ["a%", "%b%", "_", "", "%", "é%", "A%", "%\x00%"]
GLOB_PATTERNS = ["a*", "*b", "?", "[ab]*"]


def qualify(where):
    """Prefixes the columns of a predicate with `a.` (for self joins)."""
    return re.sub(r"\b(key|value)\b", r"a.\1", where)


class Gen:
    """Random statements; {t} in the SQL is the table under test."""

    def __init__(self, rng):
        self.r = rng

    def key(self):
        r = self.r.random()
        if r < 0.85:
            return self.r.choice(KEYS)
        return self.r.choice(PROBE_KEYS)

    def write_key(self):
        # Keys a write may use on both tables: TEXT, BLOB, or NULL (both
        # tables reject NULL with the same NOT NULL error).
        return None if self.r.random() < 0.02 else self.key()

    def bound(self):
        r = self.r.random()
        if r < 0.6:
            return self.r.choice(KEYS)
        if r < 0.8:
            return self.r.choice(PROBE_KEYS)
        return self.r.choice(NON_KEY_BOUNDS)

    def value(self):
        return self.r.choice(VALUES)

    def pred(self, allow_or=True):
        """(where-clause, params); the clause may be empty. allow_or=False
        leaves out `key = ? OR key > ?`, which SQLite runs as two scans
        (MULTI-INDEX OR): a virtual table then gets its rows in branch
        order, a native table in key order."""
        r = self.r
        c = r.randrange(22)
        while c == 17 and not allow_or:
            c = r.randrange(22)
        if c == 0:
            return "", []
        if c in (1, 2, 3):
            return "WHERE key = ?", [self.bound()]
        if c in (4, 5, 6):
            op = r.choice([">", ">=", "<", "<="])
            return "WHERE key %s ?" % op, [self.bound()]
        if c in (7, 8):
            lo, hi = r.choice([">", ">="]), r.choice(["<", "<="])
            a, b = self.bound(), self.bound()
            if r.random() < 0.5:
                return "WHERE key %s ? AND key %s ?" % (lo, hi), [a, b]
            return "WHERE key %s ? AND key %s ?" % (hi, lo), [b, a]
        if c == 9:
            return "WHERE key BETWEEN ? AND ?", [self.bound(), self.bound()]
        if c == 10:
            # Operands swapped: SQLite turns `? < key` into `key > ?`.
            op = r.choice(["<", "<=", ">", ">="])
            return "WHERE ? %s key" % op, [self.bound()]
        if c in (11, 12):
            n = r.randint(1, 5)
            return "WHERE key IN (%s)" % ", ".join("?" * n), [self.bound() for _ in range(n)]
        if c == 13:
            return "WHERE key LIKE ?", [r.choice(LIKE_PATTERNS)]
        if c == 14:
            return "WHERE key GLOB ?", [r.choice(GLOB_PATTERNS)]
        if c == 15:
            op = r.choice(["=", ">", "<", "IS", "IS NOT"])
            return "WHERE value %s ?" % op, [self.value()]
        if c == 16:
            return "WHERE typeof(value) = ?", [r.choice(["null", "integer", "real", "text", "blob"])]
        if c == 17:
            return "WHERE key = ? OR key %s ?" % r.choice([">", "<"]), [self.bound(), self.bound()]
        if c == 18:
            if r.random() < 0.2:
                return "WHERE key %s" % r.choice(["IS NULL", "IS NOT NULL", "NOTNULL"]), []
            return "WHERE key %s ?" % r.choice(["!=", "IS", "IS NOT"]), [self.bound()]
        if c == 19:
            return ("WHERE key %s ? COLLATE NOCASE" % r.choice(["=", ">", "<="]),
                    [r.choice(TEXT_KEYS + ["A", "AB", "É"])])
        if c == 20:
            # Two lower bounds (only one can be pushed down) plus an upper.
            return "WHERE key > ? AND key >= ? AND key < ?", [self.bound(), self.bound(), self.bound()]
        return "WHERE length(key) %s ?" % r.choice(["<", ">="]), [r.randint(0, 3)]

    def query(self):
        """(sql, params, ordered): ordered means the row order is defined."""
        r = self.r
        c = r.randrange(12)
        where, params = self.pred()
        if c == 0:
            return "SELECT count(*) FROM {t} %s" % where, params, True
        if c == 1:
            return "SELECT min(key), max(key), count(*) FROM {t} %s" % where, params, True
        if c == 2:
            return ("SELECT typeof(key), typeof(value), count(*) FROM {t} %s GROUP BY 1, 2"
                    % where, params, False)
        if c == 3:
            # Correlated subquery: xFilter with a new bound per outer row.
            return ("SELECT a.key, (SELECT count(*) FROM {t} AS b WHERE b.key <= a.key) "
                    "FROM {t} AS a %s" % qualify(where), params, False)
        if c == 4:
            # Self join on the bytes of the key: 'ab' matches x'6162'.
            return ("SELECT a.key, b.key, b.value FROM {t} AS a JOIN {t} AS b "
                    "ON b.key = CAST(a.key AS BLOB) %s" % qualify(where),
                    params, False)
        if c == 5:
            return ("SELECT key, value FROM {t} WHERE key IN (SELECT key FROM {t} %s)" % where,
                    params, False)
        cols = r.choice(["key, value", "key", "*", "typeof(key), typeof(value), key, value",
                         "value", "key, length(key), hex(key)"])
        sql = "SELECT %s FROM {t} %s" % (cols, where)
        o = r.randrange(6)
        if o == 0:
            return sql, params, False
        if o in (1, 2, 3):
            sql += " ORDER BY key %s" % r.choice(["", "ASC", "DESC"])
        elif o == 4:
            sql += r.choice([" ORDER BY value, key", " ORDER BY value DESC, key DESC"])
        else:
            sql += " ORDER BY key COLLATE NOCASE, key"
        if r.random() < 0.4:
            sql += " LIMIT %d" % r.randint(0, 6)
            if r.random() < 0.5:
                sql += " OFFSET %d" % r.randint(0, 4)
        return sql, params, True

    def write(self):
        r = self.r
        c = r.randrange(20)
        conflict = r.choice(["", "", "", "OR REPLACE ", "OR IGNORE ", "OR FAIL ", "OR ABORT "])
        if c in (0, 1, 2, 3):
            n = r.choice([1, 1, 2, 3, 5])
            params = []
            for _ in range(n):
                params += [self.write_key(), self.value()]
            return ("INSERT %sINTO {t} VALUES %s" % (conflict, ", ".join(["(?, ?)"] * n)), params)
        if c == 4:
            return "REPLACE INTO {t}(value, key) VALUES (?, ?)", [self.value(), self.write_key()]
        if c == 5:
            return "INSERT %sINTO {t}(key) VALUES (?)" % conflict, [self.write_key()]
        if c == 6:
            # Reads and writes the same table (SQLite buffers the SELECT).
            where, params = self.pred()
            return ("INSERT %sINTO {t} SELECT key || ?, value FROM {t} %s" % (conflict, where),
                    [r.choice(SUFFIXES)] + params)
        if c in (7, 8):
            where, params = self.pred()
            if r.random() < 0.3:
                return "UPDATE %s{t} SET value = value || 'x' %s" % (conflict, where), params
            return "UPDATE %s{t} SET value = ? %s" % (conflict, where), [self.value()] + params
        if c == 9:
            return ("UPDATE %s{t} SET key = ? WHERE key = ?" % conflict,
                    [self.write_key(), self.key()])
        if c == 10:
            # Many rows change key; some may land on existing keys, so the
            # outcome depends on the order the rows are processed in: key
            # order on both tables unless the WHERE has an OR (see pred).
            # Not OR REPLACE: when a row moves onto a key that the same
            # statement moves on later, a native table re-reads that key's
            # new row, while SQLite computes all of a virtual table's new
            # rows before its first write, so the two legitimately differ.
            where, params = self.pred(allow_or=False)
            conflict = conflict.replace("OR REPLACE ", "")
            return ("UPDATE %s{t} SET key = key || ? %s" % (conflict, where),
                    [r.choice(SUFFIXES)] + params)
        if c == 11:
            # TEXT <-> BLOB with the same bytes.
            to = r.choice(["BLOB", "TEXT"])
            return ("UPDATE %s{t} SET key = CAST(key AS %s) WHERE key = ?" % (conflict, to),
                    [self.key()])
        if c == 12:
            return ("UPDATE %s{t} SET key = ?, value = ? WHERE key IN (?, ?)" % conflict,
                    [self.write_key(), self.value(), self.key(), self.key()])
        if c == 13:
            return ("DELETE FROM {t} WHERE key IN (SELECT key FROM {t} ORDER BY key %s LIMIT ?)"
                    % r.choice(["ASC", "DESC"]), [r.randint(0, 3)])
        if c == 14 and r.random() < 0.3:
            # Bulk: many rows in one statement (and one commit).
            keys = r.sample(BULK_KEYS, r.randint(5, 40))
            if r.random() < 0.5:
                keys = [k.encode() if r.random() < 0.5 else k for k in keys]
            params = []
            for k in keys:
                params += [k, self.value() if r.random() < 0.2 else len(params)]
            return ("INSERT %sINTO {t} VALUES %s" % (conflict, ", ".join(["(?, ?)"] * len(keys))),
                    params)
        if c == 14 and r.random() < 0.3:
            return "DELETE FROM {t} WHERE key GLOB ?", [r.choice(["g*", "g0*", "g1?", "g?5"])]
        if c in (15, 16, 17):
            n = r.randint(1, 3)
            return ("DELETE FROM {t} WHERE key IN (%s)" % ", ".join("?" * n),
                    [self.key() for _ in range(n)])
        if c in (18, 19):
            n = r.choice([1, 2, 4])
            params = []
            for _ in range(n):
                params += [self.key(), self.value()]
            return ("INSERT OR IGNORE INTO {t} VALUES %s" % ", ".join(["(?, ?)"] * n), params)
        # Any predicate (ranges may delete many rows).
        where, params = self.pred()
        if not where:
            where, params = "WHERE key = ?", [self.key()]
        return "DELETE FROM {t} %s" % where, params


def run(conn, sql, params):
    """Outcome of one statement: rows (normalized) or the error."""
    try:
        cur = conn.execute(sql, params)
        rows = cur.fetchall()
        return ("ok", lib.norm_rows(rows), cur.rowcount)
    except sqlite3.Error as e:
        return ("error", type(e).__name__, getattr(e, "sqlite_errorname", None),
                lib.normalize_message(str(e), {CAIRN, NATIVE}))


class Runner:
    def __init__(self, seed, db_path, connect):
        self.seed = seed
        self.db_path = db_path
        self.connect = connect
        self.log = []  # (index, sql, params)
        self.savepoints = []
        self.sp_counter = 0
        self.conn = None

    def open(self):
        self.conn = self.connect(self.db_path, text_factory=lib.surrogate_text)
        self.savepoints = []

    def context(self, index, extra=""):
        tail = "\n".join("  #%d: %s  %r" % (i, s, p) for i, s, p in self.log[-25:])
        return ("seed %d, op %d%s\n(reproduce: CAIRN_DIFF_SEEDS=%d CAIRN_DIFF_OPS=%d)\n"
                "last statements:\n%s" % (self.seed, index, extra, self.seed, N_OPS, tail))

    def exec_both(self, index, sql, params, ordered):
        self.log.append((index, sql, params))
        got = run(self.conn, sql.format(t=CAIRN), params)
        want = run(self.conn, sql.format(t=NATIVE), params)
        if got[0] == "ok" and want[0] == "ok" and not ordered:
            got = ("ok", sorted(got[1]), got[2])
            want = ("ok", sorted(want[1]), want[2])
        assert got == want, self.context(
            index, "\nstatement: %s\nparams: %r\ncairn:  %r\nnative: %r" % (sql, params, got, want))
        return got

    def compare_tables(self, index, why):
        for sql in ("SELECT key, value FROM {t} ORDER BY key",
                    "SELECT key, value FROM {t} ORDER BY key DESC"):
            got = run(self.conn, sql.format(t=CAIRN), [])
            want = run(self.conn, sql.format(t=NATIVE), [])
            assert got == want, self.context(
                index, " (%s: full table differs)\ncairn:  %r\nnative: %r" % (why, got, want))

    def control(self, index, sql):
        """A transaction statement: runs once, applies to both tables."""
        self.log.append((index, sql, []))
        try:
            self.conn.execute(sql)
        except sqlite3.Error as e:
            raise AssertionError(self.context(index, "\n%s failed: %s" % (sql, e)))

    def txn_op(self, index, r):
        in_txn = self.conn.in_transaction
        c = r.randrange(6)
        if c == 0 and not in_txn:
            self.control(index, r.choice(["BEGIN", "BEGIN IMMEDIATE", "BEGIN DEFERRED"]))
        elif c == 1 and in_txn:
            self.control(index, r.choice(["COMMIT", "END"]))
        elif c == 2 and in_txn:
            self.control(index, "ROLLBACK")
        elif c == 3 or (c == 0 and in_txn):
            self.sp_counter += 1
            name = "sp%d" % self.sp_counter
            self.control(index, "SAVEPOINT " + name)
            self.savepoints.append(name)
        elif c == 4 and self.savepoints:
            i = r.randrange(len(self.savepoints))
            self.control(index, "RELEASE " + r.choice(["", "SAVEPOINT "]) + self.savepoints[i])
            del self.savepoints[i:]
        elif c == 5 and self.savepoints:
            i = r.randrange(len(self.savepoints))
            self.control(index, "ROLLBACK TO " + self.savepoints[i])
            del self.savepoints[i + 1:]
        if not self.conn.in_transaction:
            self.savepoints = []

    def reopen(self, index, r):
        """Closes the connection (committing, or not: close rolls back) and
        reopens the database file."""
        if self.conn.in_transaction and r.random() < 0.5:
            self.control(index, "COMMIT")
        self.log.append((index, "-- close and reopen (in transaction: %s)"
                         % self.conn.in_transaction, []))
        self.conn.close()
        self.open()
        self.compare_tables(index, "after reopen")


# Store options per seed (seed index modulo): the shared-memory cache on,
# off, and in invalidate mode, so point reads go through every cache path.
STORE_VARIANTS = [
    {},
    {"cache.capacity_mb": 0},
    {"cache.write_policy": "invalidate", "cache.max_item_size": 64},
]


def run_sequence(seed, n_ops, workdir, connect, store_options):
    """Runs the random sequence for `seed`; raises AssertionError on the
    first difference. Returns the runner (its connection is open)."""
    r = random.Random(seed)
    gen = Gen(r)
    runner = Runner(seed, workdir / "diff.db", connect)
    runner.open()
    runner.conn.execute(lib.create_sql(CAIRN, workdir / "store", **store_options))
    runner.conn.execute(lib.native_sql(NATIVE))
    reopen_at = {n_ops // 3, (2 * n_ops) // 3}
    for i in range(n_ops):
        if i in reopen_at:
            runner.reopen(i, r)
        c = r.random()
        if c < 0.42:
            sql, params = gen.write()
            runner.exec_both(i, sql, params, ordered=False)
            runner.compare_tables(i, "after write")
        elif c < 0.85:
            sql, params, ordered = gen.query()
            runner.exec_both(i, sql, params, ordered)
        else:
            runner.txn_op(i, r)
            runner.compare_tables(i, "after transaction statement")
    if runner.conn.in_transaction:
        runner.control(n_ops, "COMMIT")
    runner.compare_tables(n_ops, "at the end")
    runner.reopen(n_ops, r)
    return runner


@pytest.mark.parametrize("seed", SEEDS)
def test_differential(seed, tmp_path, connect):
    variant = STORE_VARIANTS[SEEDS.index(seed) % len(STORE_VARIANTS)]
    runner = run_sequence(seed, N_OPS, tmp_path, connect, variant)
    rows = runner.conn.execute("SELECT count(*) FROM %s" % CAIRN).fetchone()[0]
    assert rows > 0, "seed %d: the sequence left the table empty; pick other weights" % seed
