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
       [--runs N] [--ext build-python/plugin/libcairn_sqlite.so]
       [--update-readme README.md]
       /usr/bin/python3 benchmarks/sqlite/bench_sqlite.py --in-list
       [--rows N] [--runs N]
--in-list instead times one SELECT ... WHERE key IN (32 cached keys)
against 32 SELECT ... WHERE key = ? (interleaved rounds, median), on the
cairn table (whose IN list is read in batches) and the native table.
--runs repeats the whole measurement in fresh databases and reports the
median and the range of the ratios; --update-readme writes that summary,
dated, between the README's BENCH:sqlite markers (figures are never copied
by hand).
Both tables live on the same filesystem; the native database runs with
journal_mode=WAL, synchronous=NORMAL and the cairn table with sync=0, so
neither pays an fsync per commit.
"""
import argparse
import datetime
import os
import re
import statistics
import random
import shutil
import sqlite3
import tempfile
import textwrap
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


def open_tables(args, tmp):
    """A connection in `tmp` with the extension loaded, an empty native
    table and a Cairn table `kv`; the seeded generator, the unique keys and
    the value every row gets."""
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
    return conn, rng, keys, b"v" * 100


def measure_once(args):
    """One run in a fresh directory: {measure: cairn/native ratio}, and the
    printed table."""
    tmp = tempfile.mkdtemp(prefix="cairn_sqlite_bench_")
    try:
        conn, rng, keys, value = open_tables(args, tmp)
        results = {}
        for table in ("native", "kv"):  # alternate would mix caches; run each once
            results[table] = run(conn, table, keys, value, args.rounds)
        print(f"{len(keys)} rows, 16-byte BLOB keys, 100-byte values; rows/s")
        print(f"{'measure':<18} {'native':>12} {'cairn':>12} {'cairn/native':>13}")
        ratios = {}
        for m in results["native"]:
            n, c = results["native"][m], results["kv"][m]
            ratios[m] = c / n
            print(f"{m:<18} {n:>12,.0f} {c:>12,.0f} {c / n:>12.2f}x", flush=True)
        conn.execute("DROP TABLE kv")  # frees its shared-memory segments too
        conn.close()
        return ratios
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


IN_KEYS = 32


def measure_in_list(args):
    """Per-key time of a 32-key IN list vs 32 point selects, both tables."""
    tmp = tempfile.mkdtemp(prefix="cairn_sqlite_bench_")
    try:
        conn, rng, keys, value = open_tables(args, tmp)
        for table in ("native", "kv"):
            conn.execute("BEGIN")
            conn.executemany(f"INSERT INTO {table} VALUES (?, ?)", [(k, value) for k in keys])
            conn.execute("COMMIT")
        lists = [rng.sample(keys, IN_KEYS) for _ in range(64)]
        marks = ", ".join("?" * IN_KEYS)
        def singles(table):
            q = f"SELECT value FROM {table} WHERE key = ?"
            start = time.perf_counter()
            for ks in lists:
                for k in ks:
                    conn.execute(q, (k,)).fetchone()
            return (time.perf_counter() - start) / (len(lists) * IN_KEYS)
        def in_list(table):
            q = f"SELECT value FROM {table} WHERE key IN ({marks})"
            start = time.perf_counter()
            for ks in lists:
                assert len(conn.execute(q, ks).fetchall()) == IN_KEYS
            return (time.perf_counter() - start) / (len(lists) * IN_KEYS)
        for table in ("native", "kv"):  # warm: every listed key cached
            singles(table), in_list(table)
        times = {(t, m): [] for t in ("native", "kv") for m in ("single", "in")}
        for _ in range(max(args.runs, 1) * 15):
            for table in ("native", "kv"):
                times[(table, "single")].append(singles(table))
                times[(table, "in")].append(in_list(table))
        print(f"{len(keys)} rows, 16-byte BLOB keys, 100-byte values; "
              f"{len(lists)} lists of {IN_KEYS} cached keys; per-key µs, median")
        print(f"{'table':<8} {'32 x key = ?':>13} {'key IN (32)':>12} {'single/IN':>10}")
        for table in ("native", "kv"):
            s_ = statistics.median(times[(table, "single")]) * 1e6
            i_ = statistics.median(times[(table, "in")]) * 1e6
            name = "cairn" if table == "kv" else table
            print(f"{name:<8} {s_:>13.2f} {i_:>12.2f} {s_ / i_:>9.2f}x")
        stats = conn.execute("SELECT cairn_property('kv', 'sqlite.stats')").fetchone()[0]
        print(f"cairn sqlite.stats: {stats}")
        conn.execute("DROP TABLE kv")
        conn.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def summary(args, runs):
    """The README's paragraph: date, machine, runs, median and range."""
    parts = []
    for m in runs[0]:
        r = [run[m] for run in runs]
        parts.append(f"{m} {statistics.median(r):.2f}× "
                     f"({min(r):.2f}–{max(r):.2f})")
    return (f"Measured {datetime.date.today().isoformat()} by "
            f"`bench_sqlite.py --runs {len(runs)} --update-readme README.md` on "
            f"{os.cpu_count()} CPUs (a shared dev VM), {args.rows} rows; cairn ÷ "
            f"native rows/s, median (min–max) of {len(runs)} runs: "
            + ", ".join(parts) + ".")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--ext", default=os.path.join(REPO, "build-python/plugin/libcairn_sqlite.so"))
    ap.add_argument("--update-readme", metavar="README")
    ap.add_argument("--in-list", action="store_true",
                    help="time key IN (32 keys) against 32 key = ? selects")
    args = ap.parse_args()
    if args.in_list:
        measure_in_list(args)
        return
    runs = [measure_once(args) for _ in range(args.runs)]
    text = summary(args, runs)
    print(text)
    if args.update_readme:
        readme = open(args.update_readme, encoding="utf-8").read()
        pattern = r"(<!-- BENCH:sqlite:BEGIN -->\n).*?(\n *<!-- BENCH:sqlite:END -->)"
        if not re.search(pattern, readme, flags=re.S):
            raise SystemExit(f"{args.update_readme}: no BENCH:sqlite markers")
        # The README's paragraph sits in a list item: indented by two.
        block = textwrap.fill(text, width=76, initial_indent="  ",
                              subsequent_indent="  ", break_on_hyphens=False)
        readme = re.sub(pattern, lambda m: m.group(1) + block + m.group(2),
                        readme, flags=re.S)
        open(args.update_readme, "w", encoding="utf-8").write(readme)


if __name__ == "__main__":
    main()
