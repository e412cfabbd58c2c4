#!/usr/bin/python3
"""Turns cairn_bench's Google Benchmark JSON into a Markdown report.

Prints, for one run:
  - the run's context (machine, data set, store options, versions);
  - every benchmark's median wall time per operation and throughput;
  - the Cairn/LevelDB rows that notes quote ("put 1.12x LevelDB time"), as a
    time ratio and as a speedup, next to the goal from BENCHMARKS.md;
  - thread scaling (2 threads over 1) per store.
Ratios are only meaningful within one run: both sides ran side by side.

Usage:
  report.py RESULTS.json [--output REPORT.md] [--plot FIGURE.png] [--strict]

--strict exits 1 when a benchmark reported an error or a ratio row is
missing (the smoke test uses it). --plot needs matplotlib (Debian's
python3-matplotlib); without it the plot is skipped with a note.
Standard library only otherwise.
"""

import argparse
import json
import re
import statistics
import sys

TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
NAME_RE = re.compile(r"^BM_(Cairn|LevelDB)(Put|Get/uniform|Get/zipf|GetMiss)$")
STORES = ("Cairn", "LevelDB")

# (workload, threads, label, goal) in the order of the ratio table. A goal is
# (kind, bound, id): "time" means Cairn/LevelDB time <= bound, "speedup"
# means LevelDB/Cairn time >= bound.
RATIO_ROWS = [
    ("Put", 1, "put", ("time", 1.25, "P3")),
    ("Get/uniform", 1, "get uniform", ("speedup", 8.0, "P1")),
    ("Get/uniform", 2, "get uniform", None),
    ("Get/zipf", 1, "get zipf", ("speedup", 8.0, "P1")),
    ("Get/zipf", 2, "get zipf", None),
    ("GetMiss", 1, "miss", ("time", 1.1, "P11")),
    ("GetMiss", 2, "miss", None),
]


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
        self.median_ns = None     # the "median" aggregate, when present
        self.median_cpu_ns = None
        self.median_items = None
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

    def repetitions(self):
        return len(self.times_ns)


def load(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    results = {}
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
            if items is not None:
                result.items_per_s.append(items)
        elif bench.get("aggregate_name") == "median":
            result.median_ns = time_ns
            result.median_cpu_ns = cpu_ns
            result.median_items = items
        elif bench.get("aggregate_name") == "cv":
            result.cv = bench["real_time"]  # a fraction, unitless
    return data.get("context", {}), results


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


def lookup(results, store, workload, threads):
    return results.get((f"BM_{store}{workload}", threads))


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
        ("LevelDB options (both stores)", "cairn_bench.store_options"),
        ("Cairn cache.capacity_mb (Cairn only)", "cairn_bench.cairn_cache_mb"),
        ("Cairn options as read back", "cairn.options"),
        ("options Cairn rejected", "cairn.rejected_options"),
        ("Cairn version", "cairn.version"),
        ("LevelDB version", "leveldb.version"),
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


def results_section(results):
    lines = [
        "## All benchmarks (median over repetitions; wall time)",
        "",
        "With 2 threads, ns/op is wall time over the operations of both "
        "threads (the inverse of the aggregate throughput). CPU ns/op is the "
        "benchmark threads' CPU time (not background compaction); wall well "
        "above CPU on one thread means the machine was busy.",
        "",
        "| benchmark | threads | ns/op | CPU ns/op | ops/s | reps | CV | status |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for (name, threads), result in sorted(results.items(),
                                          key=lambda kv: (kv[0][0], kv[0][1])):
        cv = "—" if result.cv is None else f"{result.cv * 100:.1f}%"
        status = "error: " + "; ".join(result.errors) if result.errors else "ok"
        lines.append(
            f"| {name} | {threads} | {fmt_ns(result.time_ns())} | "
            f"{fmt_ns(result.cpu_time_ns())} | {fmt_rate(result.items())} | {result.repetitions()} | {cv} | "
            f"{status} |")
    return lines


def ratio_rows(results):
    """Yields (label, threads, cairn_ns, leveldb_ns, time_ratio, goal)."""
    for workload, threads, label, goal in RATIO_ROWS:
        cairn = lookup(results, "Cairn", workload, threads)
        leveldb = lookup(results, "LevelDB", workload, threads)
        cairn_ns = cairn.time_ns() if cairn else None
        leveldb_ns = leveldb.time_ns() if leveldb else None
        ratio = (cairn_ns / leveldb_ns
                 if cairn_ns and leveldb_ns else None)
        yield label, threads, cairn_ns, leveldb_ns, ratio, goal


def goal_text(goal, ratio):
    if goal is None:
        return "—", "—"
    kind, bound, goal_id = goal
    if kind == "time":
        text = f"{goal_id}: ≤ {bound:.2f}× time"
        met = ratio is not None and ratio <= bound
    else:
        text = f"{goal_id}: ≥ {bound:.1f}× speedup"
        met = ratio is not None and 1.0 / ratio >= bound
    if ratio is None:
        return text, "—"
    return text, "met" if met else "missed"


def ratio_section(results):
    lines = [
        "## Cairn / LevelDB (same run, same options)",
        "",
        "Time ratio = Cairn ns/op ÷ LevelDB ns/op (below 1 is faster); "
        "speedup = its inverse.",
        "",
        "| workload | threads | Cairn ns/op | LevelDB ns/op | Cairn/LevelDB time "
        "| speedup | goal | |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    missing = []
    for label, threads, cairn_ns, leveldb_ns, ratio, goal in ratio_rows(results):
        if ratio is None:
            missing.append(f"{label} ({threads} thread{'s' if threads > 1 else ''})")
        speedup = None if ratio is None else 1.0 / ratio
        text, verdict = goal_text(goal, ratio)
        lines.append(
            f"| {label} | {threads} | {fmt_ns(cairn_ns)} | {fmt_ns(leveldb_ns)} "
            f"| {fmt_ratio(ratio)} | {fmt_ratio(speedup)} | {text} | {verdict} |")
    lines.append("")
    lines.append("Quotable: " + "; ".join(
        f"{label} {threads}T {fmt_ratio(ratio)} LevelDB time"
        for label, threads, _, _, ratio, _ in ratio_rows(results)
        if ratio is not None) + ".")
    return lines, missing


def scaling_section(results):
    lines = [
        "## Thread scaling (ops/s with 2 threads ÷ 1 thread)",
        "",
        "| workload | Cairn | LevelDB |",
        "|---|---:|---:|",
    ]
    for workload, label in (("Get/uniform", "get uniform"),
                            ("Get/zipf", "get zipf"), ("GetMiss", "miss")):
        cells = []
        for store in STORES:
            one = lookup(results, store, workload, 1)
            two = lookup(results, store, workload, 2)
            if one and two and one.items() and two.items():
                cells.append(fmt_ratio(two.items() / one.items()))
            else:
                cells.append("—")
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    lines.append("")
    lines.append("P2 asks Cairn for ≥ 1.80× on cached gets.")
    return lines


def plot(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"(matplotlib not available: {path} not written)",
              file=sys.stderr)
        return False
    labels, cairn_ns, leveldb_ns = [], [], []
    for label, threads, c_ns, l_ns, _, _ in ratio_rows(results):
        labels.append(f"{label}\n{threads}T")
        cairn_ns.append(c_ns or 0)
        leveldb_ns.append(l_ns or 0)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    xs = range(len(labels))
    width = 0.4
    ax.bar([x - width / 2 for x in xs], cairn_ns, width, label="Cairn")
    ax.bar([x + width / 2 for x in xs], leveldb_ns, width, label="LevelDB")
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels)
    ax.set_ylabel("ns per operation (wall, median)")
    ax.set_title("Cairn vs LevelDB, same run, same options")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", help="Google Benchmark JSON output")
    parser.add_argument("--output", help="also write the Markdown here")
    parser.add_argument("--plot", help="write a bar chart (PNG) here")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 on benchmark errors or missing rows")
    args = parser.parse_args(argv)

    context, results = load(args.json)
    unknown = sorted(name for name, _ in results if not NAME_RE.match(name))
    lines = ["# cairn_bench report", ""]
    lines += context_section(context) + [""]
    ratio_lines, missing = ratio_section(results)
    lines += ratio_lines + [""]
    lines += scaling_section(results) + [""]
    lines += results_section(results)
    errors = [f"{name} threads:{threads}: {'; '.join(r.errors)}"
              for (name, threads), r in sorted(results.items()) if r.errors]
    if errors:
        lines += ["", "## Errors", ""] + [f"- {e}" for e in errors]
    if unknown:
        lines += ["", "Not in the ratio table: " + ", ".join(unknown)]
    text = "\n".join(lines) + "\n"

    sys.stdout.write(text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    if args.plot and plot(results, args.plot):
        print(f"(plot written to {args.plot})", file=sys.stderr)

    if args.strict and (errors or missing):
        for error in errors:
            print(f"benchmark error: {error}", file=sys.stderr)
        for row in missing:
            print(f"missing ratio row: {row}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
