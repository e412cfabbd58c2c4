"""Crash atomicity: a process killed with SIGKILL while it commits
transactions to a cairn table leaves each transaction whole or absent, and
every transaction it acknowledged (COMMIT returned) is there."""
import os
import random
import signal
import subprocess
import sys
import threading

import cairn_testlib as lib

ROWS_PER_TXN = 200

WRITER = r"""
import sqlite3, sys
db, ext, store, rows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = sqlite3.connect(db, isolation_level=None)
c.enable_load_extension(True)
c.load_extension(ext)
c.execute("CREATE VIRTUAL TABLE IF NOT EXISTS kv USING cairn(path='%s', "
          "create_if_missing=1, sync=0, \"cache.capacity_mb\"=1)" % store)
start = c.execute("SELECT coalesce(max(value), -1) + 1 FROM kv WHERE key = 'last'").fetchone()[0]
for i in range(start, start + 100000):
    c.execute("BEGIN")
    c.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?)",
                  [("t%06d-%04d" % (i, j), i) for j in range(rows)])
    c.execute("INSERT OR REPLACE INTO kv VALUES ('last', ?)", (i,))
    c.execute("COMMIT")
    print(i, flush=True)
"""


def run_and_kill(tmp_path, ext_path, store, rng):
    """Starts a writer, lets it acknowledge a few transactions, SIGKILLs it;
    returns the last transaction number it acknowledged."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path / "writer.db"), str(ext_path),
         str(store), str(ROWS_PER_TXN)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    acked = None
    # A writer that hangs is killed by the watchdog, which ends the loop.
    watchdog = threading.Timer(lib.SUBPROCESS_TIMEOUT, proc.kill)
    watchdog.start()
    try:
        want = rng.randint(2, 8)
        for line in proc.stdout:
            acked = int(line)
            want -= 1
            if want == 0:
                break
        # Kill somewhere inside the next transactions (not synchronisation:
        # any point is a valid crash point).
        spin = rng.randint(0, 200000)
        while spin:
            spin -= 1
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
        _, err = proc.communicate(timeout=lib.SUBPROCESS_TIMEOUT)
    assert acked is not None, "writer acknowledged nothing: " + err
    assert proc.returncode == -signal.SIGKILL, err
    return acked


def test_sigkill_during_commits_keeps_transactions_whole(connect, tmp_path, ext_path):
    rng = random.Random(20261129)
    store = tmp_path / "store"
    for cycle in range(6):
        acked = run_and_kill(tmp_path, ext_path, store, rng)
        conn = connect(tmp_path / "check.db")
        if cycle == 0:
            conn.execute(lib.create_sql("kv", store))
        counts = dict(conn.execute(
            "SELECT value, count(*) FROM kv WHERE key >= 't' AND key < 'u' GROUP BY value"))
        last = conn.execute("SELECT value FROM kv WHERE key = 'last'").fetchone()[0]
        print("cycle", cycle, "acked", acked, "last", last, "rows", sum(counts.values()))
        assert last >= acked, (cycle, last, acked)
        for txn in range(last + 1):
            assert counts.get(txn) == ROWS_PER_TXN, (cycle, txn, counts.get(txn), last)
        assert max(counts) == last, (cycle, max(counts), last)  # nothing beyond 'last'
        conn.close()
