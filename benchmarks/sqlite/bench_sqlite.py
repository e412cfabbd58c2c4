#!/usr/bin/python3
"""SQLite on Cairn vs native SQLite: the same statements against a `cairn`
virtual table and a native WITHOUT ROWID table, in one process and run.

Measures (rows/s, higher is better; ratio = cairn / native):
  bulk insert   one transaction of executemany INSERTs
  point select  SELECT value WHERE key = ? in random order (autocommit)
  range scan    SELECT over 100-key ranges (key >= ? AND key < ?)
  full scan     SELECT count(*), sum(length(value))
  autocommit    single-row INSERTs, one transaction each (sync=0 / NORMAL)

Usage: /usr/bin/python3 benchmarks/sqlite/bench_sqlite.py [--rows N]
       [--ext build-python/plugin/libcairn_sqlite.so]
Both tables live on the same filesystem; the native database runs with
journal_mode=WAL, synchronous=NORMAL and the cairn table with sync=0, so
neither pays an fsync per commit.
"""
import argparse
import os
import random
import shutil
import sqlite3
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def timed(fn):
    start = time.perf_counter()
    n = fn()
    return n / (time.perf_counter() - start)


def run(conn, table, keys, value, rounds):
    out = {}
    rows = [(k, value) for k in keys]
    def bulk():
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO {table} VALUES (?, ?)", rows)
        conn.execute("COMMIT")
        return len(rows)
    out["bulk insert"] = timed(bulk)
    probe = keys[:]
    random.Random(1).shuffle(probe)
    probe = probe[: min(len(probe), 50000)]
    def point():
        for _ in range(rounds):
            for k in probe:
                conn.execute(f"SELECT value FROM {table} WHERE key = ?", (k,)).fetchone()
        return len(probe) * rounds
    out["point select"] = timed(point)
    sorted_keys = sorted(keys)
    starts = [sorted_keys[i] for i in range(0, len(sorted_keys) - 100, 97)][:2000]
    def ranged():
        n = 0
        for i, lo in enumerate(starts):
            hi = sorted_keys[min(i * 97 + 100, len(sorted_keys) - 1)]
            n += len(conn.execute(f"SELECT key, value FROM {table} WHERE key >= ? AND key < ?",
                                  (lo, hi)).fetchall())
        return n
    out["range scan"] = timed(ranged)
    def full():
        n = 0
        for _ in range(rounds):
            n += conn.execute(f"SELECT count(*), sum(length(value)) FROM {table}").fetchone()[0]
        return n
    out["full scan"] = timed(full)
    def autocommit():
        for i in range(2000):
            conn.execute(f"INSERT INTO {table} VALUES (?, ?)", (b"auto%08d" % i, value))
        return 2000
    out["autocommit insert"] = timed(autocommit)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--ext", default=os.path.join(REPO, "build-python/plugin/libcairn_sqlite.so"))
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="cairn_sqlite_bench_")
    try:
        conn = sqlite3.connect(os.path.join(tmp, "bench.db"), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.enable_load_extension(True)
        conn.load_extension(args.ext)
        conn.execute("CREATE TABLE native(key BLOB PRIMARY KEY NOT NULL, value BLOB) WITHOUT ROWID")
        conn.execute("CREATE VIRTUAL TABLE kv USING cairn(path='store', create_if_missing=1, "
                     "sync=0, \"cache.capacity_mb\"=256)")
        rng = random.Random(7)
        keys = list({rng.randbytes(16) for _ in range(args.rows)})
        value = b"v" * 100
        results = {}
        for table in ("native", "kv"):  # alternate would mix caches; run each once
            results[table] = run(conn, table, keys, value, args.rounds)
        print(f"{len(keys)} rows, 16-byte BLOB keys, 100-byte values; rows/s")
        print(f"{'measure':<18} {'native':>12} {'cairn':>12} {'cairn/native':>13}")
        for m in results["native"]:
            n, c = results["native"][m], results["kv"][m]
            print(f"{m:<18} {n:>12,.0f} {c:>12,.0f} {c / n:>12.2f}x")
        conn.execute("DROP TABLE kv")  # frees its shared-memory segments too
        conn.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
