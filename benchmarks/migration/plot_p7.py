#!/usr/bin/python3
"""Plots and summarises a cairn_p7 run (P7: add a cache instance under load).

Reads <dir>/p7.json written by cairn_p7 and writes
  <dir>/p7.png         hit ratio and throughput vs time, one line per strategy
  <dir>/p7_summary.md  the summary table (also printed)
With --p12 <json> (cairn_p12's --benchmark_out), the summary also gets the
P12 routing figures.

"cairn" is the product through its C ABI; "consistent" (consistent hashing
without migration) and "modulo" (modulo rehashing) are simulations over the
same cache-instance code, driven by cairn_p7 itself.

Uses Debian's python3-matplotlib with the Agg backend:
  /usr/bin/python3 benchmarks/migration/plot_p7.py <dir> [--p12 p12.json]
"""
import argparse
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STYLE = {
    "cairn": ("Cairn (product: ring + migration)", "tab:green", "-"),
    "consistent": ("consistent hashing, no migration (simulated)",
                   "tab:orange", "--"),
    "modulo": ("modulo rehashing (simulated)", "tab:red", ":"),
}


def num(x, fmt):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return fmt.format(x)


def summary_table(run):
    cfg = run["config"]
    lines = [
        "# P7: adding a cache instance under load",
        "",
        f"{cfg['keys']:,} keys x {cfg['value_bytes']} B, zipfian "
        f"θ={cfg['theta']}, {cfg['threads']} reader thread(s); "
        f"{cfg['instances_before']} instances of {cfg['instance_mb']} MiB, "
        f"one more added at t=0; sampled every {cfg['interval_ms']} ms; "
        f"{cfg['before_s']} s before, {cfg['after_s']} s after.",
        "",
        "`cairn` is the product through its C ABI; `consistent` and "
        "`modulo` are **simulations** over the same instance code "
        "(ShmInstance, ring::Ring), misses read from LevelDB.",
        "",
        "| strategy | steady hit ratio | min after add | min, % of steady "
        "| recovery to 99% of steady | steady ops/s | min ops/s, % of steady "
        "| migration |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in run["strategies"]:
        m = s["summary"]
        rec = m.get("recovery_to_99pct_s")
        rec_text = (f"not within {m['window_after_s']:g} s" if rec is None
                    else f"{rec:.1f} s")
        if s["simulated"]:
            migr = "none (simulated)"
        elif m.get("migration_duration_s") is None:
            migr = "**did not finish**"
        else:
            where = ("within the window" if m["migration_finished_in_window"]
                     else "after the window")
            migr = (f"{m['migration_duration_s']:.2f} s, on its own "
                    f"({where}); {m['moved_lazy']:,} lazy + "
                    f"{m['moved_mover']:,} by the mover at "
                    f"{m['migration_rate_items_per_sec']:,}/s")
        lines.append(
            f"| {s['name']} | {num(m['steady_hit_ratio'], '{:.4f}')} "
            f"| {num(m['min_hit_ratio_after'], '{:.4f}')} "
            f"| {num(m['min_after_pct_of_steady'], '{:.1f}%')} "
            f"| {rec_text} | {num(m['steady_ops_per_sec'], '{:,.0f}')} "
            f"| {num(m['min_ops_after_pct_of_steady'], '{:.0f}%')} "
            f"| {migr} |")
    for s in run["strategies"]:
        if not s["simulated"]:
            m = s["summary"]
            ok = m.get("p7_goal_met")
            lines += ["", "P7 goal (Cairn's minimum ≥ 90% of steady and the "
                      f"migration finishes on its own): "
                      f"**{'met' if ok else 'NOT met'}**"]
        if s.get("read_errors"):
            lines += ["", f"**{s['name']}: {s['read_errors']} read errors**"]
    return lines


def p12_table(path):
    with open(path) as f:
        data = json.load(f)
    # Medians when the run had repetitions, otherwise the single runs.
    medians = {b["run_name"]: b for b in data["benchmarks"]
               if b.get("run_type") == "aggregate"
               and b.get("aggregate_name") == "median"}
    rows = {}
    for b in data["benchmarks"]:
        name = b.get("run_name", b["name"])
        if name in rows:
            continue
        if medians:
            if name not in medians:
                continue
            b = medians[name]
        scale = {"ns": 1.0, "us": 1e3, "ms": 1e6}.get(b["time_unit"],
                                                      float("nan"))
        rows[name] = b["real_time"] * scale
    def order(name):  # family in source order, then instances
        family, _, arg = name.partition("/")
        rank = ["BM_RingIndexFor", "BM_RingIndexForChained",
                "BM_KeyHashAndIndexFor", "BM_KeyHash"]
        digits = "".join(c for c in arg if c.isdigit())
        return (rank.index(family) if family in rank else len(rank),
                family, int(digits) if digits else 0)

    rows = dict(sorted(rows.items(), key=lambda kv: order(kv[0])))
    lines = ["", "# P12: routing a key to its instance (goal ≤ 25 ns)", "",
             "| benchmark | ns per lookup" + (" (median)" if medians else "") + " |", "|---|---|"]
    for name, ns in rows.items():
        lines.append(f"| {name} | {ns:.2f} |")
    return lines


def plot(run, out_png):
    fig, (ax_hr, ax_ops) = plt.subplots(2, 1, figsize=(11, 8), sharex=True)
    before = run["config"]["before_s"]
    for s in run["strategies"]:
        label, color, ls = STYLE.get(s["name"], (s["name"], None, "-"))
        pts = [p for p in s["series"] if p["phase"] != "warmup"]
        t = [(p["t_start_s"] + p["t_end_s"]) / 2 for p in pts]
        hr = [p["hit_ratio"] if p["hit_ratio"] is not None else float("nan")
              for p in pts]
        ops = [p["ops_per_sec"] / 1e3 for p in pts]
        ax_hr.plot(t, hr, ls, color=color, label=label, linewidth=1.6)
        ax_ops.plot(t, ops, ls, color=color, label=label, linewidth=1.4)
        m = s["summary"]
        if not s["simulated"]:
            steady = m.get("steady_hit_ratio")
            if steady:
                ax_hr.axhline(0.9 * steady, color=color, linewidth=0.8,
                              alpha=0.6, linestyle="-.")
                ax_hr.annotate("90% of Cairn's steady state (P7 goal)",
                               (-before, 0.9 * steady), fontsize=8,
                               color=color, va="bottom")
            end = m.get("migration_end_t_s")
            if end is not None and not math.isnan(end):
                for ax in (ax_hr, ax_ops):
                    ax.axvline(end, color=color, linewidth=0.8, alpha=0.7,
                               linestyle=":")
                ax_hr.annotate(f" Cairn migration done ({end:.1f} s)",
                               (end, 0.02), fontsize=8, color=color,
                               rotation=90, va="bottom")
    for ax in (ax_hr, ax_ops):
        ax.axvline(0, color="black", linewidth=0.8)
        ax.grid(True, alpha=0.3)
    ax_hr.annotate(" instance added", (0, 0.02), fontsize=8, rotation=90,
                   va="bottom")
    ax_hr.set_ylim(0, 1.02)
    ax_hr.set_ylabel("hit ratio (per interval)")
    ax_ops.set_ylabel("reads / s (thousands)")
    ax_ops.set_ylim(bottom=0)
    ax_ops.set_xlabel("seconds since the instance was added")
    cfg = run["config"]
    ax_hr.set_title(
        f"P7: add an instance to {cfg['instances_before']} under zipfian "
        f"(θ={cfg['theta']}) reads, {cfg['keys']:,} keys, "
        f"{cfg['threads']} thread(s)\n"
        "Cairn = product via C ABI; the others are simulated over the same "
        "instance code", fontsize=10)
    ax_hr.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", help="cairn_p7 --out directory (holds p7.json)")
    ap.add_argument("--p12", help="cairn_p12 JSON output to summarise too")
    args = ap.parse_args()
    with open(os.path.join(args.dir, "p7.json")) as f:
        run = json.load(f)
    png = os.path.join(args.dir, "p7.png")
    plot(run, png)
    lines = summary_table(run)
    if args.p12:
        lines += p12_table(args.p12)
    md = os.path.join(args.dir, "p7_summary.md")
    with open(md, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\nwrote {png} and {md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
