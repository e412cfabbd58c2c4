#!/usr/bin/env python3
"""P4: Cairn from Python against plyvel (LevelDB) and py-lmdb, same run.

Times, per operation, on N keys of 16 bytes with 100-byte values:
  put        one put per key, random order, no sync
  batch_put  batches of --batch puts (one atomic write each), random order
  get        every key once in random order, repeated --rounds times; the
             engines take turns each round so machine drift hits all alike

Fairness: every engine writes without fsync (plyvel sync=False, lmdb
sync=False with one write transaction per put / per batch); lmdb reads in one
read transaction with buffers=True (zero-copy memoryviews), as its users do.
Cairn and plyvel run with their default options.

Ratios are speedups: their µs/op divided by Cairn's (> 1: Cairn is faster).
Goal P4 (BENCHMARKS.md): get >= 2.5x plyvel and >= 1.2x py-lmdb.

    /usr/bin/python3 benchmarks/python/bench_python.py [--keys 200000]
        [--rounds 5] [--json out.json] [--check-goals]

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

GOALS = {"plyvel": 2.5, "lmdb": 1.2}  # minimum get speedup of Cairn


class CairnStore:
    name = "cairn"

    def __init__(self, path):
        import cairn

        self.version = cairn.version()
        self.db = cairn.DB(path, create_if_missing=True)

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

    def __init__(self, path, map_size):
        import lmdb

        self.version = lmdb.__version__
        self.env = lmdb.open(path, map_size=map_size, sync=False, metasync=False)
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
            self.read_txn = self.env.begin(buffers=True)
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


def make_store(name, path, args):
    if name == "cairn":
        return CairnStore(path)
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
    try:
        for name in names:
            # Batched puts into a fresh database of their own.
            store = make_store(name, os.path.join(root, name + "-batch"), args)
            results[name]["batch_put_us"] = (
                timed(store.put_batches, items, args.batch) / len(items) * 1e6
            )
            store.close()
            # Single puts; this database then serves the gets.
            store = make_store(name, os.path.join(root, name), args)
            versions[name] = store.version
            results[name]["put_us"] = timed(store.put_each, items) / len(items) * 1e6
            k, v = items[len(items) // 2]
            if not store.check(k, v):
                sys.exit(f"{name}: read back the wrong value for {k!r}")
            stores[name] = store

        per_round = {n: [] for n in names}
        for _ in range(args.rounds):
            for name in names:
                t = timed(stores[name].get_each, get_order)
                per_round[name].append(t / len(get_order) * 1e6)
        for name in names:
            results[name]["get_us"] = statistics.median(per_round[name])
            results[name]["get_rounds_us"] = per_round[name]
    finally:
        for store in stores.values():
            store.close()
        if "cairn" in names:
            # Also removes the databases' shared-memory cache segments.
            import cairn

            for sub in ("cairn", "cairn-batch"):
                if os.path.isdir(os.path.join(root, sub)):
                    cairn.destroy(os.path.join(root, sub))
        shutil.rmtree(root, ignore_errors=True)

    ratios = {}
    for peer in names:
        if peer == "cairn":
            continue
        ratios[peer] = {
            op: results[peer][op + "_us"] / results["cairn"][op + "_us"]
            for op in ("get", "put", "batch_put")
        }
    return {
        "benchmark": "P4 python",
        "config": {
            "keys": args.keys,
            "key_size": args.key_size,
            "value_size": args.value_size,
            "batch": args.batch,
            "rounds": args.rounds,
            "seed": args.seed,
            "python": sys.version.split()[0],
            "versions": versions,
        },
        "results": results,
        "speedup_vs": ratios,
        "goals": {
            peer: {"get_speedup_min": goal,
                   "met": ratios[peer]["get"] >= goal if peer in ratios else None}
            for peer, goal in GOALS.items()
        },
    }


def print_table(report):
    cfg = report["config"]
    print(f"P4: {cfg['keys']} keys x {cfg['value_size']} B values "
          f"({cfg['key_size']} B keys), batch {cfg['batch']}, "
          f"get median of {cfg['rounds']} rounds; µs/op, lower is better")
    print(f"{'engine':<8} {'get':>8} {'put':>8} {'batch_put':>10}")
    for name, r in report["results"].items():
        print(f"{name:<8} {r['get_us']:>8.3f} {r['put_us']:>8.3f} "
              f"{r['batch_put_us']:>10.3f}")
    print("Cairn speedup (their µs/op / ours; > 1 means Cairn is faster):")
    for peer, r in report["speedup_vs"].items():
        goal = GOALS.get(peer)
        verdict = ""
        if goal is not None:
            verdict = (f"   goal get >= {goal}x: "
                       + ("met" if r["get"] >= goal else "NOT met"))
        print(f"  vs {peer:<7} get {r['get']:.2f}x  put {r['put']:.2f}x  "
              f"batch_put {r['batch_put']:.2f}x{verdict}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--keys", type=int, default=200_000)
    p.add_argument("--key-size", type=int, default=16, choices=[16])
    p.add_argument("--value-size", type=int, default=100)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--dir", default=None, help="where the databases go (a temp dir inside)")
    p.add_argument("--json", metavar="PATH", help="also write the report as JSON")
    p.add_argument("--check-goals", action="store_true",
                   help="exit 1 when a P4 goal is not met")
    args = p.parse_args()
    if args.keys < 2 or args.rounds < 1 or args.batch < 1:
        p.error("--keys >= 2, --rounds >= 1 and --batch >= 1")

    report = run(args)
    print_table(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
    if args.check_goals and not all(g["met"] for g in report["goals"].values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
