#!/usr/bin/env python3
"""P4: Cairn from Python against plyvel (LevelDB) and py-lmdb, same run.

Times, per operation, on N keys of 16 bytes with 100-byte values:
  put        one put per key, random order, no sync, into a fresh database;
             repeated --put-rounds times (a fresh database each round), the
             engines taking turns; the last round's databases serve the gets
  batch_put  batches of --batch puts (one atomic write each), random order
             (one pass: context, no goal)
  get        every key once in random order, repeated --rounds times; the
             engines take turns each round so machine drift hits all alike

Fairness: every engine writes without fsync (plyvel sync=False, lmdb
sync=False with one write transaction per put / per batch). py-lmdb reads in
one read transaction, twice per round: with buffers=False (a bytes object per
get, like Cairn and plyvel: the goal row "lmdb") and with buffers=True
(zero-copy memoryviews valid only inside the transaction: the context row
"lmdb-buffers"). Cairn and plyvel run with their default options except
Cairn's cache.capacity_mb (--cache-mb), which by default holds the data
(twice its key+value bytes, at least the 64 MiB default), as py-lmdb's map
and the page cache hold it; the report gives Cairn's cache hit ratio on the
gets.

Ratios are speedups: their µs/op divided by Cairn's (> 1: Cairn is faster);
each time is the median of its rounds.
Goals P4/P4b (BENCHMARKS.md, issue 14): get >= 2.5x plyvel, get >= 1.2x
py-lmdb (buffers=False), put >= 1.0x plyvel.

    /usr/bin/python3 benchmarks/python/bench_python.py [--keys 200000]
        [--rounds 5] [--put-rounds 3] [--json out.json] [--check-goals]

Needs `import cairn` to work (scripts/build-python), python3-plyvel and
python3-lmdb; a missing peer is reported and skipped.
"""

import argparse
import gc
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

# Minimum speedups of Cairn: (peer, operation) -> goal.
GOALS = {
    ("plyvel", "get"): 2.5,
    ("lmdb", "get"): 1.2,  # py-lmdb with buffers=False
    ("plyvel", "put"): 1.0,
}


class CairnStore:
    name = "cairn"

    def __init__(self, path, cache_mb):
        import cairn

        self.version = cairn.version()
        self.db = cairn.DB(path, create_if_missing=True,
                           cache_capacity_mb=cache_mb)

    def cache_counts(self):
        """(hits, misses) of the shared-memory cache so far."""
        cache = self.db.stats().get("cache", {})
        return cache.get("hits", 0), cache.get("misses", 0)

    def put_each(self, items):
        put = self.db.put
        for k, v in items:
            put(k, v)

    def put_batches(self, items, size):
        db = self.db
        for i in range(0, len(items), size):
            with db.write_batch() as wb:
                put = wb.put
                for k, v in items[i : i + size]:
                    put(k, v)

    def get_each(self, keys):
        get = self.db.get
        for k in keys:
            get(k)

    def check(self, key, value):
        return self.db.get(key) == value

    def close(self):
        self.db.close()  # idempotent


class PlyvelStore:
    name = "plyvel"

    def __init__(self, path):
        import plyvel

        self.version = plyvel.__version__
        self.db = plyvel.DB(path, create_if_missing=True)

    def put_each(self, items):
        put = self.db.put
        for k, v in items:
            put(k, v)

    def put_batches(self, items, size):
        db = self.db
        for i in range(0, len(items), size):
            with db.write_batch() as wb:
                put = wb.put
                for k, v in items[i : i + size]:
                    put(k, v)

    def get_each(self, keys):
        get = self.db.get
        for k in keys:
            get(k)

    def check(self, key, value):
        return self.db.get(key) == value

    def close(self):
        if not self.db.closed:
            self.db.close()


class LmdbStore:
    name = "lmdb"

    def __init__(self, path, map_size, buffers=False):
        import lmdb

        self.version = lmdb.__version__
        self.env = lmdb.open(path, map_size=map_size, sync=False, metasync=False)
        self.buffers = buffers
        self.read_txn = None

    def put_each(self, items):
        begin = self.env.begin
        for k, v in items:
            with begin(write=True) as txn:
                txn.put(k, v)

    def put_batches(self, items, size):
        begin = self.env.begin
        for i in range(0, len(items), size):
            with begin(write=True) as txn:
                put = txn.put
                for k, v in items[i : i + size]:
                    put(k, v)

    def get_each(self, keys):
        if self.read_txn is None:
            self.read_txn = self.env.begin(buffers=self.buffers)
        get = self.read_txn.get
        for k in keys:
            get(k)

    def check(self, key, value):
        with self.env.begin() as txn:
            return txn.get(key) == value

    def close(self):
        if self.read_txn is not None:
            self.read_txn.abort()
            self.read_txn = None
        self.env.close()


class LmdbBuffersView:
    """The same py-lmdb database read with buffers=True (the context row)."""

    name = "lmdb-buffers"

    def __init__(self, lmdb_store):
        import lmdb

        self.version = lmdb.__version__
        self.read_txn = lmdb_store.env.begin(buffers=True)

    def get_each(self, keys):
        get = self.read_txn.get
        for k in keys:
            get(k)

    def close(self):
        if self.read_txn is not None:
            self.read_txn.abort()
            self.read_txn = None


def make_store(name, path, args):
    if name == "cairn":
        return CairnStore(path, args.cache_mb)
    if name == "plyvel":
        return PlyvelStore(path)
    # Values, keys and B-tree pages, with plenty of room for copy-on-write.
    map_size = max(64 << 20, args.keys * (args.value_size + args.key_size) * 8)
    return LmdbStore(path, map_size)


def timed(fn, *fn_args):
    """Seconds taken by fn(*fn_args), with the garbage collector off."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fn(*fn_args)
        return time.perf_counter() - start
    finally:
        gc.enable()


def available(names):
    out = []
    for name in names:
        module = {"cairn": "cairn", "plyvel": "plyvel", "lmdb": "lmdb"}[name]
        try:
            __import__(module)
            out.append(name)
        except ImportError as e:
            if name == "cairn":
                sys.exit(f"cannot import cairn ({e}); run scripts/build-python")
            print(f"skipping {name}: {e}", file=sys.stderr)
    return out


def destroy(name, path):
    """Removes one database (and, for Cairn, its cache segments)."""
    if name == "cairn":
        import cairn

        if os.path.isdir(path):
            cairn.destroy(path)
    shutil.rmtree(path, ignore_errors=True)


def run(args):
    rng = random.Random(args.seed)
    keys = [b"key%013d" % i for i in range(args.keys)]
    assert all(len(k) == args.key_size for k in keys[:1])
    items = [(k, rng.randbytes(args.value_size)) for k in keys]
    rng.shuffle(items)
    get_order = keys[:]
    rng.shuffle(get_order)

    names = available(["cairn", "plyvel", "lmdb"])
    root = tempfile.mkdtemp(prefix="cairn-bench-py-", dir=args.dir)
    results = {n: {} for n in names}
    versions = {}
    stores = {}
    paths = []  # (name, path) of every database made, for the cleanup
    try:
        for name in names:
            # Batched puts into a fresh database of their own.
            path = os.path.join(root, name + "-batch")
            paths.append((name, path))
            store = make_store(name, path, args)
            results[name]["batch_put_us"] = (
                timed(store.put_batches, items, args.batch) / len(items) * 1e6
            )
            store.close()
            destroy(name, path)

        # Single puts into fresh databases, the engines taking turns; the
        # last round's databases then serve the gets.
        put_rounds = {n: [] for n in names}
        for r in range(args.put_rounds):
            last = r == args.put_rounds - 1
            for name in names:
                path = os.path.join(root, f"{name}-put{r}")
                paths.append((name, path))
                store = make_store(name, path, args)
                versions[name] = store.version
                t = timed(store.put_each, items)
                put_rounds[name].append(t / len(items) * 1e6)
                k, v = items[len(items) // 2]
                if not store.check(k, v):
                    sys.exit(f"{name}: read back the wrong value for {k!r}")
                if last:
                    stores[name] = store
                else:
                    store.close()
                    destroy(name, path)
        for name in names:
            results[name]["put_us"] = statistics.median(put_rounds[name])
            results[name]["put_rounds_us"] = put_rounds[name]

        readers = dict(stores)
        if "lmdb" in stores:
            readers["lmdb-buffers"] = LmdbBuffersView(stores["lmdb"])
            results["lmdb-buffers"] = {}
        per_round = {n: [] for n in readers}
        if "cairn" in stores:
            hits0, misses0 = stores["cairn"].cache_counts()
        for _ in range(args.rounds):
            for name, reader in readers.items():
                t = timed(reader.get_each, get_order)
                per_round[name].append(t / len(get_order) * 1e6)
        if "cairn" in stores:
            hits, misses = stores["cairn"].cache_counts()
            hits, misses = hits - hits0, misses - misses0
            results["cairn"]["get_cache_hit_ratio"] = (
                hits / (hits + misses) if hits + misses else None)
        for name in readers:
            results[name]["get_us"] = statistics.median(per_round[name])
            results[name]["get_rounds_us"] = per_round[name]
        if "lmdb-buffers" in readers:
            readers["lmdb-buffers"].close()
    finally:
        for store in stores.values():
            store.close()
        for name, path in paths:
            destroy(name, path)
        shutil.rmtree(root, ignore_errors=True)

    ratios = {}
    for peer, r in results.items():
        if peer == "cairn":
            continue
        ratios[peer] = {
            op: r[op + "_us"] / results["cairn"][op + "_us"]
            for op in ("get", "put", "batch_put")
            if op + "_us" in r
        }
    goals = []
    for (peer, op), goal in GOALS.items():
        got = ratios.get(peer, {}).get(op)
        goals.append({"peer": peer, "op": op, "speedup_min": goal,
                      "speedup": got,
                      "met": None if got is None else got >= goal})
    return {
        "benchmark": "P4 python",
        "config": {
            "keys": args.keys,
            "key_size": args.key_size,
            "value_size": args.value_size,
            "batch": args.batch,
            "rounds": args.rounds,
            "put_rounds": args.put_rounds,
            "cairn_cache_mb": args.cache_mb,
            "seed": args.seed,
            "python": sys.version.split()[0],
            "versions": versions,
            "loadavg": os.getloadavg(),
        },
        "results": results,
        "speedup_vs": ratios,
        "goals": goals,
    }


def print_table(report):
    cfg = report["config"]
    print(f"P4: {cfg['keys']} keys x {cfg['value_size']} B values "
          f"({cfg['key_size']} B keys), batch {cfg['batch']}, median of "
          f"{cfg['rounds']} get / {cfg['put_rounds']} put rounds, load "
          f"average {cfg['loadavg'][0]:.2f}, Cairn cache.capacity_mb "
          f"{cfg['cairn_cache_mb']}; µs/op, lower is better")
    print(f"{'engine':<13} {'get':>8} {'put':>8} {'batch_put':>10}")

    def cell(r, op, width):
        return f"{r[op]:>{width}.3f}" if op in r else f"{'-':>{width}}"

    for name, r in report["results"].items():
        print(f"{name:<13} {cell(r, 'get_us', 8)} {cell(r, 'put_us', 8)} "
              f"{cell(r, 'batch_put_us', 10)}")
    ratio = report["results"].get("cairn", {}).get("get_cache_hit_ratio")
    if ratio is not None:
        print(f"Cairn cache hit ratio on the gets: {ratio:.3f}")
    print("Cairn speedup (their µs/op / ours; > 1 means Cairn is faster):")
    for peer, r in report["speedup_vs"].items():
        ops = "  ".join(f"{op} {x:.2f}x" for op, x in r.items())
        print(f"  vs {peer:<12} {ops}")
    print("Goals:")
    for g in report["goals"]:
        verdict = ("skipped" if g["met"] is None
                   else "met" if g["met"] else "NOT met")
        got = "-" if g["speedup"] is None else f"{g['speedup']:.2f}x"
        print(f"  {g['op']} vs {g['peer']:<7} >= {g['speedup_min']}x: "
              f"{got:>6}  {verdict}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--keys", type=int, default=200_000)
    p.add_argument("--key-size", type=int, default=16, choices=[16])
    p.add_argument("--value-size", type=int, default=100)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=5, help="get rounds")
    p.add_argument("--put-rounds", type=int, default=3,
                   help="put rounds, each into fresh databases")
    p.add_argument("--cache-mb", type=int, default=None,
                   help="Cairn's cache.capacity_mb (default: holds the data)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--dir", default=None, help="where the databases go (a temp dir inside)")
    p.add_argument("--json", metavar="PATH", help="also write the report as JSON")
    p.add_argument("--check-goals", action="store_true",
                   help="exit 1 when a P4 goal is not met")
    args = p.parse_args()
    if args.keys < 2 or args.rounds < 1 or args.put_rounds < 1 or args.batch < 1:
        p.error("--keys >= 2, --rounds >= 1, --put-rounds >= 1 and --batch >= 1")

    if args.cache_mb is None:
        data_mib = -(-args.keys * (args.key_size + args.value_size) * 2 >> 20)
        args.cache_mb = max(64, data_mib)
    report = run(args)
    print_table(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
    if args.check_goals and any(g["met"] is False for g in report["goals"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
