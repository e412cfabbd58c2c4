#!/usr/bin/env python3
"""Turns cairn_ycsb's JSON (run.sh) into a Markdown report and PNG plots.

Every figure is the median over the rounds of one run, and every peer is
reported as a ratio to Cairn measured in the same run (Cairn's throughput
over the peer's: above 1 means Cairn is faster). P10 (BENCHMARKS.md):
Cairn's throughput at one client ≥ 20× Redis in front of LevelDB on the
same workload.

Usage: report.py --fit FIT.json --small SMALL.json --output REPORT.md
                 [--json SUMMARY.json] [--plots DIR] [--strict]
--strict exits 1 if a run is missing or a store read nothing.
"""
import argparse
import json
import statistics
import sys

STORES = ["cairn", "leveldb", "rocksdb", "lmdb", "redis+leveldb",
          "memcached+leveldb"]
LABELS = {"cairn": "Cairn", "leveldb": "LevelDB", "rocksdb": "RocksDB",
          "lmdb": "LMDB", "redis+leveldb": "Redis+LevelDB",
          "memcached+leveldb": "memcached+LevelDB"}
VARIANTS = [("fit", "caches hold all the data"),
            ("small", "caches hold 10% of the key+value bytes")]
P10_BOUND = 20.0


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def medians(data):
    """{(workload, dist, threads, store): {metric: median}}"""
    groups = {}
    for run in data["runs"]:
        key = (run["workload"], run["distribution"], run["threads"],
               run["store"])
        groups.setdefault(key, []).append(run)
    out = {}
    for key, runs in groups.items():
        out[key] = {m: statistics.median(r[m] for r in runs)
                    for m in ("ops_per_sec", "p50_ns", "p99_ns", "p999_ns")}
        out[key]["rounds"] = len(runs)
    return out


def fmt_rate(r):
    if r is None:
        return "—"
    if r >= 1e6:
        return f"{r / 1e6:.2f}M"
    if r >= 1e3:
        return f"{r / 1e3:.1f}k"
    return f"{r:.0f}"


def fmt_us(ns):
    return "—" if ns is None else f"{ns / 1e3:.1f}"


def keys_of(m):
    workloads = sorted({k[0] for k in m})
    dists = [d for d in ("uniform", "zipfian") if any(k[1] == d for k in m)]
    threads = sorted({k[2] for k in m})
    stores = [s for s in STORES if any(k[3] == s for k in m)]
    return workloads, dists, threads, stores


def variant_section(name, label, data, m, problems):
    workloads, dists, threads, stores = keys_of(m)
    ctx = data.get("context", {})
    lines = [f"## {label}", "",
             f"{ctx.get('records')} records × {ctx.get('value_bytes')} B, "
             f"cache budget {ctx.get('cache_bytes', 0) / 2**20:.0f} MiB, "
             f"{ctx.get('rounds')} rounds of {ctx.get('seconds_per_run')} s "
             f"per run; load average {ctx.get('loadavg_at_start', '?')} at "
             f"the start, {ctx.get('loadavg_at_end', '?')} at the end.", "",
             "Throughput (ops/s, median) and, in parentheses, Cairn's "
             "throughput over the store's (×: Cairn is that many times "
             "faster).", ""]
    head = "| workload | dist | threads | " + " | ".join(
        LABELS[s] for s in stores) + " |"
    lines += [head, "|" + "---|" * (3 + len(stores))]
    for w in workloads:
        for d in dists:
            for t in threads:
                cairn = m.get((w, d, t, "cairn"), {}).get("ops_per_sec")
                cells = []
                for s in stores:
                    r = m.get((w, d, t, s), {}).get("ops_per_sec")
                    if r is None or r <= 0:
                        problems.append(f"{name}: no result for {w} {d} "
                                        f"{t}T {s}")
                        cells.append("—")
                    elif s == "cairn" or not cairn:
                        cells.append(fmt_rate(r))
                    else:
                        cells.append(f"{fmt_rate(r)} ({cairn / r:.1f}×)")
                lines.append(f"| {w} | {d} | {t} | " + " | ".join(cells) +
                             " |")
    lines += ["", "Latency p50 / p99 / p99.9 (µs), 1 thread, zipfian "
              "(every 8th operation timed):", ""]
    lines += ["| workload | " + " | ".join(LABELS[s] for s in stores) + " |",
              "|" + "---|" * (1 + len(stores))]
    d = "zipfian" if "zipfian" in dists else dists[0]
    for w in workloads:
        cells = []
        for s in stores:
            r = m.get((w, d, 1, s))
            cells.append("—" if r is None else
                         f"{fmt_us(r['p50_ns'])} / {fmt_us(r['p99_ns'])} / "
                         f"{fmt_us(r['p999_ns'])}")
        lines.append(f"| {w} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def p10_rows(m):
    rows = []
    workloads, dists, _, _ = keys_of(m)
    for w in workloads:
        for d in dists:
            c = m.get((w, d, 1, "cairn"), {}).get("ops_per_sec")
            r = m.get((w, d, 1, "redis+leveldb"), {}).get("ops_per_sec")
            cp = m.get((w, d, 1, "cairn"), {}).get("p50_ns")
            rp = m.get((w, d, 1, "redis+leveldb"), {}).get("p50_ns")
            rows.append((w, d, c, r, c / r if c and r else None,
                         rp / cp if cp and rp else None))
    return rows


def plots(prefix, m, label):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    workloads, dists, threads, stores = keys_of(m)
    written = []
    fig, axes = plt.subplots(len(dists), len(threads), squeeze=False,
                             figsize=(6 * len(threads), 3.6 * len(dists)))
    width = 0.8 / max(1, len(stores))
    for i, d in enumerate(dists):
        for j, t in enumerate(threads):
            ax = axes[i][j]
            for k, s in enumerate(stores):
                ys = [m.get((w, d, t, s), {}).get("ops_per_sec", 0)
                      for w in workloads]
                ax.bar([x + k * width for x in range(len(workloads))], ys,
                       width, label=LABELS[s])
            ax.set_yscale("log")
            ax.set_xticks([x + width * (len(stores) - 1) / 2
                           for x in range(len(workloads))])
            ax.set_xticklabels(workloads)
            ax.set_title(f"{d}, {t} thread{'s' if t > 1 else ''}")
            ax.set_ylabel("ops/s (log)")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"YCSB throughput — {label}")
    fig.tight_layout()
    path = f"{prefix}_throughput.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)

    d = "zipfian" if "zipfian" in dists else dists[0]
    fig, axes = plt.subplots(1, 3, figsize=(16, 4))
    for ax, (metric, name) in zip(axes, (("p50_ns", "p50"), ("p99_ns", "p99"),
                                         ("p999_ns", "p99.9"))):
        for k, s in enumerate(stores):
            ys = [m.get((w, d, 1, s), {}).get(metric, 0) / 1e3
                  for w in workloads]
            ax.bar([x + k * width for x in range(len(workloads))], ys, width,
                   label=LABELS[s])
        ax.set_yscale("log")
        ax.set_xticks([x + width * (len(stores) - 1) / 2
                       for x in range(len(workloads))])
        ax.set_xticklabels(workloads)
        ax.set_title(f"{name} latency, {d}, 1 thread")
        ax.set_ylabel("µs (log)")
    axes[0].legend(fontsize=7)
    fig.suptitle(f"YCSB latency — {label}")
    fig.tight_layout()
    path = f"{prefix}_latency.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)
    return written


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fit", required=True)
    ap.add_argument("--small")
    ap.add_argument("--output", required=True)
    ap.add_argument("--json")
    ap.add_argument("--plots")
    ap.add_argument("--strict", action="store_true")
    args = ap.parse_args()

    problems = []
    lines = ["# YCSB: Cairn against LevelDB, RocksDB, LMDB, and Redis / "
             "memcached in front of LevelDB", ""]
    summary = {}
    paths = {"fit": args.fit, "small": args.small}
    for name, label in VARIANTS:
        if not paths[name]:
            continue
        data = load(paths[name])
        m = medians(data)
        summary[name] = {"context": data.get("context", {}), "medians": [
            dict(zip(("workload", "distribution", "threads", "store"), k),
                 **v) for k, v in sorted(m.items())]}
        if name == "fit":
            rows = p10_rows(m)
            ctx = data.get("context", {})
            lines += ["## P10: Cairn vs Redis in front of LevelDB, one client",
                      "", "Goal: ≥ 20× the throughput (caches hold the data)."
                      " The p50 column is the Redis+LevelDB median latency "
                      "over Cairn's: on a machine whose load average exceeds "
                      "its cores, a client thread waits for a CPU more than "
                      "for its store, throughput ratios collapse towards 1, "
                      "and the per-operation latency is the better witness "
                      f"(load average here: {ctx.get('loadavg_at_start', '?')}"
                      f" at the start, {ctx.get('loadavg_at_end', '?')} at "
                      f"the end, {ctx.get('hardware_threads', '?')} hardware "
                      "threads).", "",
                      "| workload | dist | Cairn ops/s | Redis+LevelDB "
                      "ops/s | throughput ratio | p50 ratio | goal |",
                      "|---|---|---|---|---|---|---|"]
            for w, d, c, r, ratio, p50 in rows:
                met = "—" if ratio is None else (
                    "met" if ratio >= P10_BOUND else "missed")
                lines.append(f"| {w} | {d} | {fmt_rate(c)} | {fmt_rate(r)} "
                             f"| {'—' if ratio is None else f'{ratio:.1f}×'}"
                             f" | {'—' if p50 is None else f'{p50:.1f}×'}"
                             f" | {met} |")
            lines.append("")
            summary["p10"] = [dict(workload=w, distribution=d, cairn=c,
                                   redis=r, ratio=x, p50_ratio=p)
                              for w, d, c, r, x, p in rows]
        lines += variant_section(name, label, data, m, problems)
        if args.plots:
            for p in plots(f"{args.plots}/ycsb_{name}", m, label):
                lines.append(f"![{p.rsplit('/', 1)[-1]}]"
                             f"({p.rsplit('/', 1)[-1]})")
            lines.append("")
    with open(args.output, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=1)
    for p in problems:
        print(f"report.py: {p}", file=sys.stderr)
    if args.strict and problems:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
