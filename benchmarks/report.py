#!/usr/bin/python3
"""Turns cairn_bench's Google Benchmark JSON into a Markdown report.

Prints, for one run:
  - the run's context (machine, data set, store options, versions);
  - one row per goal of BENCHMARKS.md that cairn_bench measures (P1 against
    each peer, P2, P3, P8, P9, P11), with the figure, the goal and whether
    it was met, plus a few rows without a goal that notes quote;
  - thread scaling (2 threads over 1) per store;
  - every benchmark's median wall time per operation, throughput and
    counters.
Ratios are only meaningful within one run: both sides ran side by side.

Usage:
  report.py RESULTS.json [MORE.json ...] [--output REPORT.md]
            [--plot FIGURE.png] [--profiles DIR] [--strict]

Several JSON files are merged (for instance a separate reattach run);
the context is the first file's. A missed P1, P3, P9 or P11 goal is
explained from the same run: the rows that split its time or bytes (the
design's floor, the cache's fill and probe, the memory layout) and, with
--profiles (profile.sh's output), a perf profile of the Cairn benchmark
grouped by layer. --strict exits 1 when a benchmark reported an error, a
goal row is missing, or one of those goals was missed with nothing in the
run to explain it; the P8 rows are required only when BM_CairnReattach ran
(it is opt-in). --plot needs matplotlib (Debian's
python3-matplotlib); without it the plot is skipped with a note. Standard
library only otherwise.
"""

import argparse
import json
import re
import statistics
import sys

from report_misses import misses_section

TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
KNOWN_NAME_RE = re.compile(
    r"^BM_(CairnGet/(uniform|zipf)|Cairn(CopyGet|MultiGet32)/(uniform|zipf)|"
    r"LevelDBGet/(uniform|zipf)|"
    r"LevelDBSmallCacheGet/(uniform|zipf|scan)|LmdbGet/(uniform|zipf)|"
    r"MapGet/(uniform|zipf)|CairnColdGet/scan|(Cairn|LevelDB)GetMiss|"
    r"(Cairn|LevelDB)Put|LevelDBPutOpLogShape|CairnCacheMemory/(fit|sized|full)|CairnReattach|"
    r"VerifyGet/(cold|block_cache|cached)/verify:[01]|"
    r"AuditAppend(Sync)?|Routed(Put|Get)/audit:[01]|"
    r"CairnScanResistance/admission:[01]/scan:[01]|"
    r"CairnColdGetSecondMiss/scan|LevelDBCairnShapeGet/scan)$")
# Fields of a benchmark entry that are not user counters.
STANDARD_FIELDS = {
    "name", "family_index", "per_family_instance_index", "run_name",
    "run_type", "repetitions", "repetition_index", "threads", "iterations",
    "real_time", "cpu_time", "time_unit", "items_per_second",
    "bytes_per_second", "aggregate_name", "aggregate_unit", "error_occurred",
    "error_message", "label",
}
REATTACH = "BM_CairnReattach"
RECORD_BYTES = 16 + 100  # workload.h: kKeySize + kValueSize

# P1 peers: (benchmark prefix, label, context key of its block cache, bound).
P1_PEERS = [
    ("BM_LevelDBGet", "LevelDB", "cairn_bench.store_options", 8.0),
    ("BM_LevelDBSmallCacheGet", "LevelDB", "cairn_bench.small_block_cache_mb",
     8.0),
    ("BM_LmdbGet", "LMDB", None, 2.5),
    ("BM_MapGet", "std::unordered_map", None, 1.5),
]
DISTRIBUTIONS = (("uniform", "uniform"), ("zipf", "zipfian 0.99"))


def base_name(run_name):
    """BM_CairnGet/uniform/real_time/threads:2 -> BM_CairnGet/uniform."""
    return re.sub(r"/(real_time|manual_time|process_time|threads:\d+|"
                  r"repeats:\d+|min_time:[^/]+|iterations:\d+)", "", run_name)


class Result:
    """The runs of one benchmark instance (one name, one thread count)."""

    def __init__(self, name, threads):
        self.name = name
        self.threads = threads
        self.times_ns = []        # per repetition
        self.cpu_ns = []          # per repetition, summed over threads
        self.items_per_s = []     # per repetition
        self.counter_runs = []    # per repetition: {name: value}
        self.median_ns = None     # the "median" aggregate, when present
        self.median_cpu_ns = None
        self.median_items = None
        self.median_counters = None
        self.cv = None
        self.errors = []

    def time_ns(self):
        if self.median_ns is not None:
            return self.median_ns
        return statistics.median(self.times_ns) if self.times_ns else None

    def cpu_time_ns(self):
        if self.median_cpu_ns is not None:
            return self.median_cpu_ns
        return statistics.median(self.cpu_ns) if self.cpu_ns else None

    def items(self):
        if self.median_items is not None:
            return self.median_items
        return statistics.median(self.items_per_s) if self.items_per_s else None

    def counters(self):
        """Median of each counter over the repetitions."""
        if self.median_counters is not None:
            return self.median_counters
        names = sorted({n for run in self.counter_runs for n in run})
        return {n: statistics.median(run[n] for run in self.counter_runs
                                     if n in run) for n in names}

    def counter(self, name):
        return self.counters().get(name)

    def repetitions(self):
        return len(self.times_ns)


def counters_of(bench):
    return {k: v for k, v in bench.items()
            if k not in STANDARD_FIELDS and isinstance(v, (int, float))
            and not isinstance(v, bool)}


def load(paths):
    """Merges the files' benchmarks; the context is the first file's."""
    context = None
    results = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if context is None:
            context = data.get("context", {})
        for bench in data.get("benchmarks", []):
            run_name = bench.get("run_name", bench.get("name", ""))
            threads = int(bench.get("threads", 1))
            key = (base_name(run_name), threads)
            result = results.setdefault(key, Result(*key))
            if bench.get("error_occurred"):
                result.errors.append(bench.get("error_message", "error"))
                continue
            scale = TO_NS.get(bench.get("time_unit", "ns"), 1.0)
            time_ns = bench["real_time"] * scale
            cpu_ns = bench.get("cpu_time", 0.0) * scale
            items = bench.get("items_per_second")
            kind = bench.get("run_type", "iteration")
            if kind == "iteration":
                result.times_ns.append(time_ns)
                result.cpu_ns.append(cpu_ns)
                result.counter_runs.append(counters_of(bench))
                if items is not None:
                    result.items_per_s.append(items)
            elif bench.get("aggregate_name") == "median":
                result.median_ns = time_ns
                result.median_cpu_ns = cpu_ns
                result.median_items = items
                result.median_counters = counters_of(bench)
            elif bench.get("aggregate_name") == "cv":
                result.cv = bench["real_time"]  # a fraction, unitless
    return context or {}, results


def fmt_ns(ns):
    if ns is None:
        return "—"
    if ns >= 100:
        return f"{ns:,.0f}"
    return f"{ns:.1f}"


def fmt_rate(rate):
    if rate is None:
        return "—"
    if rate >= 1e6:
        return f"{rate / 1e6:.2f}M"
    return f"{rate / 1e3:.0f}k"


def fmt_ratio(ratio):
    return "—" if ratio is None else f"{ratio:.2f}×"


def fmt_bytes(n):
    if n is None:
        return "—"
    return f"{n / 2**20:,.1f} MiB"


def fmt_counter(value):
    if abs(value) >= 1e6:
        return f"{value:.4g}"
    if float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.3g}"


class Row:
    """One line of the goal table.

    kind: "min" (value >= bound), "max" (value <= bound) or None (no goal).
    required: --strict fails when the row has no value.
    """

    def __init__(self, goal, what, threads, cairn, peer, value, value_text,
                 kind, bound, bound_text, required=True):
        self.goal = goal
        self.what = what
        self.threads = threads
        self.cairn = cairn
        self.peer = peer
        self.value = value
        self.value_text = value_text
        self.kind = kind
        self.bound = bound
        self.bound_text = bound_text
        self.required = required

    def verdict(self):
        if self.kind is None:
            return "—"
        if self.value is None:
            return "no data"
        met = (self.value >= self.bound if self.kind == "min"
               else self.value <= self.bound)
        return "met" if met else "**missed**"

    def margin(self):
        """Achieved over required, >= 1 when met (for the plot)."""
        if self.kind is None or not self.value:
            return None
        return (self.value / self.bound if self.kind == "min"
                else self.bound / self.value)


def lookup(results, name, threads):
    return results.get((name, threads))


def time_of(results, name, threads):
    result = lookup(results, name, threads)
    return result.time_ns() if result else None


def block_cache_mb(context, key):
    """The block cache size a peer ran with, from the run's context."""
    value = context.get(key, "")
    match = re.search(r"block_cache_mb=(\d+)", value)
    if match:
        return match.group(1)
    return value if value.isdigit() else "?"


def speedup_row(results, goal, what, threads, cairn_name, peer_name, bound,
                required=True):
    cairn_ns = time_of(results, cairn_name, threads)
    peer_ns = time_of(results, peer_name, threads)
    value = peer_ns / cairn_ns if cairn_ns and peer_ns else None
    row = Row(goal, what, threads, f"{fmt_ns(cairn_ns)} ns",
              f"{fmt_ns(peer_ns)} ns", value,
              fmt_ratio(value), "min" if bound else None, bound,
              f"≥ {bound:.1f}× (speedup)" if bound else "—", required)
    row.peer_ns = peer_ns
    return row


def time_ratio_row(results, goal, what, threads, cairn_name, peer_name, bound,
                   required=True):
    cairn_ns = time_of(results, cairn_name, threads)
    peer_ns = time_of(results, peer_name, threads)
    value = cairn_ns / peer_ns if cairn_ns and peer_ns else None
    return Row(goal, what, threads, f"{fmt_ns(cairn_ns)} ns",
               f"{fmt_ns(peer_ns)} ns", value, fmt_ratio(value),
               "max" if bound else None, bound,
               f"≤ {bound:.2f}× (time)" if bound else "—", required)


def goal_rows(context, results):
    rows = []
    # P1: cached gets against each peer, uniform and zipfian, 1 and 2 threads.
    for dist, dist_label in DISTRIBUTIONS:
        for prefix, label, cache_key, bound in P1_PEERS:
            peer = label
            if cache_key:
                peer += f" (block cache {block_cache_mb(context, cache_key)} MiB)"
            for threads in (1, 2):
                rows.append(speedup_row(
                    results, "P1", f"cached get, {dist_label}, vs {peer}",
                    threads, f"BM_CairnGet/{dist}", f"{prefix}/{dist}", bound))
    # P2: two threads over one, Cairn cached gets.
    for dist, dist_label in DISTRIBUTIONS:
        one = lookup(results, f"BM_CairnGet/{dist}", 1)
        two = lookup(results, f"BM_CairnGet/{dist}", 2)
        one_rate = one.items() if one else None
        two_rate = two.items() if two else None
        value = two_rate / one_rate if one_rate and two_rate else None
        rows.append(Row("P2", f"cached get, {dist_label}: 2 threads ÷ 1 "
                        "(Cairn ops/s: 1 thread → 2 threads)", "1→2",
                        f"{fmt_rate(one_rate)}/s", f"{fmt_rate(two_rate)}/s",
                        value, fmt_ratio(value), "min", 1.8, "≥ 1.80×"))
    # P13: multi-get of 32 cached keys, per-key time over a single get's.
    for dist, dist_label in DISTRIBUTIONS:
        for threads in (1, 2):
            single = lookup(results, f"BM_CairnGet/{dist}", threads)
            batch = lookup(results, f"BM_CairnMultiGet32/{dist}", threads)
            single_ns = 1e9 / single.items() if single and single.items() else None
            batch_ns = 1e9 / batch.items() if batch and batch.items() else None
            value = batch_ns / single_ns if single_ns and batch_ns else None
            rows.append(Row(
                "P13" if threads == 1 else "(P13)",
                f"multi-get of 32 cached keys, {dist_label}: per-key time "
                "vs single cairn_get_into", threads,
                f"{fmt_ns(batch_ns)} ns", f"{fmt_ns(single_ns)} ns", value,
                fmt_ratio(value), "max", 1 / 3, "≤ 0.33× (time)"))
        rows.append(time_ratio_row(
            results, "(P1)", f"cached get, {dist_label}: cairn_get_into vs "
            "cairn_get (malloc'd copy)", 1, f"BM_CairnGet/{dist}",
            f"BM_CairnCopyGet/{dist}", None, required=False))
    # P3: put without sync.
    rows.append(time_ratio_row(results, "P3", "put, no sync, vs LevelDB", 1,
                               "BM_CairnPut", "BM_LevelDBPut", 1.25))
    # What explains P3: LevelDB writing the same batch a Cairn put writes
    # (the record with its version, and its op-log entry) — the design's
    # floor — and Cairn over that floor (the cache update, clock, ABI).
    rows.append(time_ratio_row(
        results, "(P3)", "LevelDB writing a Cairn put's batch (record + "
        "op-log entry) vs a plain LevelDB put", 1, "BM_LevelDBPutOpLogShape",
        "BM_LevelDBPut", None, required=False))
    rows.append(time_ratio_row(
        results, "(P3)", "Cairn put vs LevelDB writing the same batch", 1,
        "BM_CairnPut", "BM_LevelDBPutOpLogShape", None, required=False))
    # P11: the miss path against a bare LevelDB get, same small block cache.
    small = block_cache_mb(context, "cairn_bench.small_block_cache_mb")
    for threads in (1, 2):
        rows.append(time_ratio_row(
            results, "P11" if threads == 1 else "(P11)",
            f"cache-miss get (cold cache, scan) vs LevelDB get (block cache "
            f"{small} MiB)", threads, "BM_CairnColdGet/scan",
            "BM_LevelDBSmallCacheGet/scan", 1.1 if threads == 1 else None))
    rows.append(time_ratio_row(
        results, "(P11)", "LevelDB reading Cairn's records (the floor) vs "
        "LevelDB reading its own", 1, "BM_LevelDBCairnShapeGet/scan",
        "BM_LevelDBSmallCacheGet/scan", None, required=False))
    rows.append(time_ratio_row(
        results, "(P11)", "the same with cache.admission=second_miss (a "
        "first miss is not cached)", 1, "BM_CairnColdGetSecondMiss/scan",
        "BM_LevelDBSmallCacheGet/scan", None, required=False))
    # Absent keys: no goal, quoted in notes.
    for threads in (1, 2):
        rows.append(time_ratio_row(
            results, "—", "absent key (bloom filter) vs LevelDB", threads,
            "BM_CairnGetMiss", "BM_LevelDBGetMiss", None))
    # P9: memory over key+value bytes. The goal is for a cache sized to the
    # data (every record cached, nothing evicted); the index grows with the
    # capacity, so an oversized cache ("fit") and a full one show as context.
    for variant, label, goal in (
            ("sized", "cache sized to the data set", True),
            ("fit", "cache of the get benchmarks, data set fits", False),
            ("full", "full cache, evicting", False)):
        result = lookup(results, f"BM_CairnCacheMemory/{variant}", 1)
        counters = result.counters() if result else {}
        # Resident: the segments' backed memory (st_blocks); older runs only
        # have the bytes carved from pages.
        overhead = counters.get("resident_overhead", counters.get("overhead"))
        used = counters.get("resident_bytes", counters.get("used_bytes"))
        items = counters.get("items")
        evictions = counters.get("evictions")
        if variant == "sized" and items and counters.get("keys"):
            label += (f" ({items:,.0f} of {counters['keys']:,.0f} records "
                      f"cached, {evictions or 0:,.0f} evictions)")
        rows.append(Row(
            "P9" if goal else "—",
            f"cache memory over key+value bytes, {label}", 1,
            f"{fmt_bytes(used)} resident of "
            f"{fmt_bytes(counters.get('capacity_bytes'))}",
            f"{fmt_bytes(items * RECORD_BYTES if items else None)} of keys+values",
            overhead, "—" if overhead is None else f"+{overhead * 100:.1f}%",
            "max" if goal else None, 0.25 if goal else None,
            "≤ +25%" if goal else "—", required=goal))
    # P8: reattach, only when it ran (opt-in).
    reattach = lookup(results, REATTACH, 1)
    required = reattach is not None
    counters = reattach.counters() if reattach else {}
    seconds = counters.get("reattach_s")
    rows.append(Row(
        "P8", "reattach a cache after a clean close: open + first 1000 gets",
        1, f"{fmt_bytes(counters.get('capacity_bytes'))} cache",
        f"open {counters.get('open_s', 0):.3f} s" if counters else "—",
        seconds, "not run" if seconds is None else f"{seconds:.3f} s",
        "max", 1.0, "≤ 1 s", required))
    warm = counters.get("warm_ratio")
    rows.append(Row(
        "P8", "hit ratio right after the reopen ÷ before the close", 1,
        f"{counters['hit_ratio_after']:.3f} after" if counters else "—",
        f"{counters['hit_ratio_before']:.3f} before" if counters else "—",
        warm, "not run" if warm is None else fmt_ratio(warm), "min", 0.95,
        "≥ 0.95×", required))
    return rows


def context_section(context):
    lines = ["## Run", ""]
    fields = [
        ("date", "date"),
        ("host", "host_name"),
        ("CPUs", "num_cpus"),
        ("MHz", "mhz_per_cpu"),
        ("load average", "load_avg"),
        ("benchmark library build", "library_build_type"),
        ("keys", "cairn_bench.keys"),
        ("LevelDB options (Cairn and LevelDB)", "cairn_bench.store_options"),
        ("small block cache, MiB (LevelDBSmallCache, Cairn cold)",
         "cairn_bench.small_block_cache_mb"),
        ("Cairn cache.capacity_mb", "cairn_bench.cairn_cache_mb"),
        ("Cairn cache.capacity_mb, cold setup", "cairn_bench.cold_cache_mb"),
        ("Cairn options as read back", "cairn.options"),
        ("options Cairn rejected", "cairn.rejected_options"),
        ("reattach benchmark", "cairn_bench.reattach"),
        ("LMDB options", "lmdb.options"),
        ("transparent huge pages for shared memory",
         "cairn_bench.shmem_thp"),
        ("Cairn version", "cairn.version"),
        ("LevelDB version", "leveldb.version"),
        ("LMDB version", "lmdb.version"),
    ]
    for label, key in fields:
        if key in context:
            value = context[key]
            if isinstance(value, list):
                value = ", ".join(f"{v:.2f}" for v in value)
            lines.append(f"- {label}: {value}")
    rejected = context.get("cairn.rejected_options", "none")
    if rejected not in ("none", ""):
        lines.append("")
        lines.append(f"**Warning: Cairn rejected options, so the stores did "
                     f"not run with identical options: {rejected}**")
    return lines


def goal_section(rows):
    lines = [
        "## Goals (BENCHMARKS.md), same run",
        "",
        "Times are median wall ns/op; with 2 threads, wall time over the "
        "operations of both threads. Speedup = peer time ÷ Cairn time (P1); "
        "time = Cairn time ÷ peer time (P3, P11). Rows with goal \"—\" or "
        "in parentheses are quoted in notes but have no goal of their own.",
        "",
        "| goal | measure | threads | Cairn | peer | result | target | |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    missing = []
    for row in rows:
        if row.value is None and row.required and row.kind is not None:
            missing.append(f"{row.goal} {row.what} ({row.threads} threads)")
        lines.append(
            f"| {row.goal} | {row.what} | {row.threads} | {row.cairn} | "
            f"{row.peer} | {row.value_text} | {row.bound_text} | "
            f"{row.verdict()} |")
    lines.append("")
    scored = [row for row in rows if row.kind is not None
              and row.value is not None]
    met = sum(row.verdict() == "met" for row in scored)
    lines.append(f"{met} of {len(scored)} goal rows met.")
    return lines, missing


def memory_section(results):
    """Where the P9 bytes go, for the cache sized to the data set."""
    result = lookup(results, "BM_CairnCacheMemory/sized", 1)
    counters = result.counters() if result else {}
    items = counters.get("items")
    live = counters.get("live_bytes")
    used = counters.get("used_bytes")
    resident = counters.get("resident_bytes")
    if not items or live is None or used is None or resident is None:
        return []
    data = items * RECORD_BYTES
    parts = (
        ("item headers and padding to 8 bytes (engine/cache/item.h: a "
         "20-byte header; 16 + 100 + 20 = 136 is already a multiple of 8, "
         "so a 16-byte header would not save a byte)", live - data),
        ("index buckets, lock stripes, page table and segment header (the "
         "index is sized to the capacity: a 64-byte bucket of 11 slots per "
         "11 × 128 bytes)", used - live),
        ("backed ahead of the carve point of the page being filled (64-128 "
         "KiB per instance) and the unused tails of full pages",
         resident - used),
    )
    lines = ["## Where the memory goes (P9, cache sized to the data set)", "",
             "| part | bytes | over key+value bytes |", "|---|---:|---:|"]
    for label, n in parts:
        lines.append(f"| {label} | {fmt_bytes(n)} | +{n / data * 100:.1f}% |")
    lines.append(f"| total | {fmt_bytes(resident - data)} | "
                 f"+{(resident - data) / data * 100:.1f}% |")
    lines.append("")
    return lines


def hit_ratio_note(results):
    """The cache hit ratios that show what the Cairn get rows measured."""
    parts = []
    for name, label in (("BM_CairnGet/uniform", "cached uniform"),
                        ("BM_CairnGet/zipf", "cached zipfian"),
                        ("BM_CairnColdGet/scan", "cold scan")):
        for threads in (1, 2):
            result = lookup(results, name, threads)
            ratio = result.counter("cache_hit_ratio") if result else None
            if ratio is not None:
                parts.append(f"{label} {threads}T {ratio:.3f}")
    if not parts:
        return []
    return ["Cairn cache hit ratio during the runs: " + ", ".join(parts) +
            "."]


def scaling_section(results):
    stores = [("Cairn", "BM_CairnGet"), ("LevelDB", "BM_LevelDBGet"),
              ("LevelDB small cache", "BM_LevelDBSmallCacheGet"),
              ("LMDB", "BM_LmdbGet"), ("unordered_map", "BM_MapGet")]
    lines = [
        "## Thread scaling (ops/s with 2 threads ÷ 1 thread)",
        "",
        "| workload | " + " | ".join(label for label, _ in stores) + " |",
        "|---|" + "---:|" * len(stores),
    ]
    for workload, label in (("/uniform", "get uniform"), ("/zipf", "get zipf"),
                            ("/scan", "get scan"), ("Miss", "absent key")):
        cells = []
        for store, prefix in stores:
            name = prefix + workload
            if workload == "/scan" and store == "Cairn":
                name = "BM_CairnColdGet/scan"
            one = lookup(results, name, 1)
            two = lookup(results, name, 2)
            if one and two and one.items() and two.items():
                cells.append(fmt_ratio(two.items() / one.items()))
            else:
                cells.append("—")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("P2 asks Cairn for ≥ 1.80× on cached gets; the machine has "
                 "2 cores shared with other work.")
    return lines


VERIFY_SETUPS = (
    ("cold", "cold get (cache off, 1 MiB block cache)"),
    ("block_cache", "hot get (cache off, 256 MiB block cache)"),
    ("cached", "shared-memory cache hit"),
)


def verify_section(results):
    """cairn_verify_bench: gets with block checksum verification on ÷ off."""
    rows = []
    for setup, label in VERIFY_SETUPS:
        off = lookup(results, f"BM_VerifyGet/{setup}/verify:0", 1)
        on = lookup(results, f"BM_VerifyGet/{setup}/verify:1", 1)
        if off is None and on is None:
            continue
        cells = []
        for get in (Result.time_ns, Result.cpu_time_ns):
            a = get(off) if off else None
            b = get(on) if on else None
            cells += [fmt_ns(a), fmt_ns(b),
                      fmt_ratio(b / a if a and b else None)]
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    if not rows:
        return []
    return ["## Checksum verification (cairn_verify_bench)", "",
            "Uniform gets with the read option verify_checksums off and on "
            "(on is Cairn's default). Only blocks read from a table file are "
            "verified; cache hits are not.", "",
            "Wall time, and CPU time (steadier on a shared machine).", "",
            "| setup | wall ns/op off | wall ns/op on | wall on ÷ off | "
            "CPU ns/op off | CPU ns/op on | CPU on ÷ off |",
            "|---|---:|---:|---:|---:|---:|---:|"] + rows + [""]


def audit_section(results):
    """cairn_audit_bench: routed ops/s at one client, audit log on ÷ off."""
    rows = []
    for method in ("Put", "Get"):
        off = lookup(results, f"BM_Routed{method}/audit:0", 1)
        on = lookup(results, f"BM_Routed{method}/audit:1", 1)
        if off is None and on is None:
            continue
        a = off.items() if off else None
        b = on.items() if on else None
        ratio = b / a if a and b else None
        ca = off.cpu_time_ns() if off else None
        cb = on.cpu_time_ns() if on else None
        cells = [f"{a:,.0f}" if a else "—", f"{b:,.0f}" if b else "—",
                 "—" if ratio is None else f"{ratio:.3f}",
                 "—" if ratio is None else ("met" if ratio >= 0.9 else
                                            "missed"),
                 fmt_ns(ca), fmt_ns(cb),
                 fmt_ns(cb - ca if ca is not None and cb is not None
                        else None)]
        rows.append(f"| routed {method.lower()} | " + " | ".join(cells) + " |")
    if not rows:
        return []
    return ["## Audit log overhead (cairn_audit_bench, P15)", "",
            "One cluster client, one serving node on loopback in the same "
            "process, the audit log off and on (not synced); median ops/s "
            "(wall time). P15 asks on ÷ off ≥ 0.90. CPU ns/op is the "
            "client thread's (the node's threads are not in it): steadier "
            "on a shared machine, and its difference is what the audit "
            "record costs the caller.", "",
            "| request | ops/s off | ops/s on | on ÷ off | P15 | "
            "client CPU ns/op off | on | audit's CPU ns/op |",
            "|---|---:|---:|---:|---|---:|---:|---:|"] + rows + [""]


def admission_section(results):
    """BM_CairnScanResistance: the zipfian reader's hit ratio and rate, with
    and without a concurrent one-pass scan, per cache.admission policy."""
    rows = []
    for scan in (0, 1):
        for policy, label in ((0, "always"), (1, "second_miss")):
            r = lookup(results,
                       f"BM_CairnScanResistance/admission:{policy}/scan:{scan}",
                       1)
            if r is None:
                continue
            ratio = r.counter("zipf_hit_ratio")
            items = r.items()
            scan_rate = r.counter("scan_gets_per_s")
            rows.append(
                f"| {'yes' if scan else 'no'} | `{label}` | "
                f"{'—' if ratio is None else f'{ratio:.3f}'} | "
                f"{fmt_rate(items)} | "
                f"{fmt_rate(scan_rate) if scan else '—'} |")
    if not rows:
        return []
    return ["## Scan resistance (cache.admission)", "",
            "A zipfian reader over a hot set of 5% of the keys, the cache "
            "~10% of the data, and (scan: yes) a second thread reading the "
            "other keys once each.", "",
            "| scan | admission | reader hit ratio | reader gets/s | "
            "scan gets/s |",
            "|---|---|---:|---:|---:|"] + rows + [""]


def results_section(results):
    lines = [
        "## All benchmarks (median over repetitions; wall time)",
        "",
        "With 2 threads, ns/op is wall time over the operations of both "
        "threads (the inverse of the aggregate throughput). CPU ns/op is the "
        "benchmark threads' CPU time (not background compaction); wall well "
        "above CPU on one thread means the machine was busy.",
        "",
        "| benchmark | threads | ns/op | CPU ns/op | ops/s | reps | CV | "
        "counters | status |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for (name, threads), result in sorted(results.items()):
        cv = "—" if result.cv is None else f"{result.cv * 100:.1f}%"
        status = "error: " + "; ".join(result.errors) if result.errors else "ok"
        counters = ", ".join(f"{k}={fmt_counter(v)}"
                             for k, v in result.counters().items())
        lines.append(
            f"| {name} | {threads} | {fmt_ns(result.time_ns())} | "
            f"{fmt_ns(result.cpu_time_ns())} | {fmt_rate(result.items())} | "
            f"{result.repetitions()} | {cv} | {counters or '—'} | {status} |")
    return lines


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"(matplotlib not available: {path} not written)",
              file=sys.stderr)
        return False
    shown = [row for row in rows if row.margin() is not None]
    labels = [f"{row.goal} {row.what} [{row.threads}T]" for row in shown]
    margins = [row.margin() for row in shown]
    colors = ["tab:green" if m >= 1 else "tab:red" for m in margins]
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(shown) + 1.5))
    ys = range(len(shown))
    ax.barh(list(ys), margins, color=colors)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(list(ys))
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("achieved ÷ required (≥ 1: goal met; log scale)")
    ax.set_title("Cairn against its goals, same run")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", nargs="+",
                        help="Google Benchmark JSON output(s)")
    parser.add_argument("--output", help="also write the Markdown here")
    parser.add_argument("--plot", help="write a bar chart (PNG) here")
    parser.add_argument("--profiles",
                        help="profile.sh's output directory (perf profiles "
                        "of the missed goals' Cairn benchmarks)")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 on benchmark errors, missing rows or "
                        "an unexplained miss")
    args = parser.parse_args(argv)

    context, results = load(args.json)
    rows = goal_rows(context, results)
    unknown = sorted({name for name, _ in results
                      if not KNOWN_NAME_RE.match(name)})
    lines = ["# cairn_bench report", ""]
    lines += context_section(context) + [""]
    goal_lines, missing = goal_section(rows)
    lines += goal_lines + [""]
    lines += hit_ratio_note(results) + [""]
    miss_lines, unexplained = misses_section(rows, results, context,
                                             RECORD_BYTES, args.profiles)
    lines += miss_lines
    lines += memory_section(results)
    lines += scaling_section(results) + [""]
    lines += verify_section(results)
    lines += audit_section(results)
    lines += admission_section(results)
    lines += results_section(results)
    errors = [f"{name} threads:{threads}: {'; '.join(r.errors)}"
              for (name, threads), r in sorted(results.items()) if r.errors]
    if errors:
        lines += ["", "## Errors", ""] + [f"- {e}" for e in errors]
    if unknown:
        lines += ["", "Not in the goal table: " + ", ".join(unknown)]
    text = "\n".join(lines) + "\n"

    sys.stdout.write(text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    if args.plot and plot(rows, args.plot):
        print(f"(plot written to {args.plot})", file=sys.stderr)

    if args.strict and (errors or missing or unexplained):
        for error in errors:
            print(f"benchmark error: {error}", file=sys.stderr)
        for row in missing:
            print(f"missing goal row: {row}", file=sys.stderr)
        for goal in unexplained:
            print(f"{goal} missed with nothing in the run to explain it",
                  file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
