#!/usr/bin/env python3
"""Turns cairn_repl_bench's JSON (run.sh) into a Markdown report of P5 and
P6 beside Redis, and a plot of the replication lag over time.

Throughputs are medians over the rounds of one run; each system's
replicated rate is reported as a ratio to its own unreplicated rate in the
same run, and sync-mode latencies beside Redis's SET + WAIT 1 0 with as many
clients, as a ratio (Cairn over Redis: below 1 means Cairn is faster).

Usage: report.py RESULT.json --output REPORT.md [--plot LAG.png] [--strict]
--strict exits 1 if a case is missing.
"""
import argparse
import csv
import json
import os
import statistics
import sys

P5_RATIO = 0.70
P5_STRETCH = 0.80
P5_QUEUE_NS = 200
P5_STREAM = 1e6
P5_LAG_P99_MS = 10.0
P6_P50_US = 100.0


def fmt_rate(r):
    if r is None:
        return "—"
    if r >= 1e6:
        return f"{r / 1e6:.2f}M"
    if r >= 1e3:
        return f"{r / 1e3:.1f}k"
    return f"{r:.0f}"


def fmt(x, digits=2):
    return "—" if x is None else f"{x:.{digits}f}"


def verdict(ok):
    return "—" if ok is None else ("met" if ok else "missed")


def medians(data):
    groups = {}
    for run in data.get("throughput", []):
        groups.setdefault(run["case"], []).append(run["ops_per_sec"])
    return {case: statistics.median(v) for case, v in groups.items()}


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def load_line(data):
    before = data.get("load_before", {}).get("1m")
    after = data.get("load_after", {}).get("1m")
    return (f"Machine load (1-minute average): {fmt(before)} before, "
            f"{fmt(after)} after, on {os.cpu_count()} cores shared with "
            "the run's own processes (two Cairn nodes in one process, two "
            "redis-servers).")


def throughput_section(data, med, problems):
    cfg = data["config"]
    p = cfg["pipeline"]
    lines = [f"## P5 — put throughput with one peer vs alone "
             f"(one client, median of {cfg['rounds']} rounds of "
             f"{cfg['seconds']} s)", "",
             "| system | alone | with one replica | ratio | goal |",
             "|---|---|---|---|---|"]
    single = med.get("cairn_single")
    repl = med.get("cairn_replicated")
    if single is None:
        problems.append("no cairn_single run")
    if repl is None:
        problems.append("no cairn_replicated run")
    r = ratio(repl, single)
    goal = None if r is None else r >= P5_RATIO
    lines.append(f"| Cairn put (async peer) | {fmt_rate(single)}/s | "
                 f"{fmt_rate(repl)}/s | {fmt(r)} | ≥ {P5_RATIO} "
                 f"(stretch {P5_STRETCH}): {verdict(goal)} |")
    redis_ratios = {}
    for depth, label in ((1, "1 in flight"), (p, f"pipeline {p}")):
        alone = med.get(f"redis_alone_p{depth}")
        with_replica = med.get(f"redis_replica_p{depth}")
        if "redis" in data and (alone is None or with_replica is None):
            problems.append(f"no Redis runs at pipeline {depth}")
        redis_ratios[depth] = ratio(with_replica, alone)
        lines.append(f"| Redis SET, {label} | {fmt_rate(alone)}/s | "
                     f"{fmt_rate(with_replica)}/s | "
                     f"{fmt(redis_ratios[depth])} | anchor |")
        if depth == p:
            break
    lines.append("")
    if r is not None:
        added_ns = (1 / repl - 1 / single) * 1e9
        lines.append(f"- What replication adds to a put here: "
                     f"{added_ns:.0f} ns (1/rate with the peer − 1/rate "
                     "alone: the queuing, and the peer's share of the two "
                     "cores; the queuing alone is measured below).")
        known = [x for x in redis_ratios.values() if x is not None]
        if known:
            # The stretch: Cairn loses less than Redis does at any depth.
            smaller = (1 - r) < min(1 - x for x in known)
            lines.append(f"- Stretch: Cairn loses {100 * (1 - r):.0f}% with "
                         f"a peer, Redis "
                         + " / ".join(f"{100 * (1 - x):.0f}%" for x in known)
                         + f" (1 in flight / pipelined): "
                         f"{verdict(smaller)}.")
        drains = [run["drain_ms"] for run in data["throughput"]
                  if run["case"] == "cairn_replicated"]
        lines.append(f"- After each replicated run the peer caught up in "
                     f"{', '.join(f'{d:.0f}' for d in drains)} ms.")
    lines.append("")
    return lines


def queue_times(path):
    """Google Benchmark JSON -> {run name: real time in ns}, the median of
    the repetitions where there are several."""
    with open(path, encoding="utf-8") as f:
        bench = json.load(f)
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
    plain, median = {}, {}
    for b in bench.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        ns = b["real_time"] * scale[b.get("time_unit", "ns")]
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                median[b["run_name"]] = ns
        else:
            plain.setdefault(b["run_name"], ns)
    plain.update(median)
    return plain


def queue_section(path, problems):
    """P5's queuing cost, from cairn_queue_bench (queue_bench.cc)."""
    if path is None:
        return []
    t = queue_times(path)
    names = {
        "append": "BM_QueueTailAppend",
        "idle": "BM_QueuePublish/sender:0/real_time",
        "woken": "BM_QueuePublish/sender:1/real_time",
        "alone": "BM_QueuePut/peers:0/delay_us:0/real_time",
        "every": "BM_QueuePut/peers:1/delay_us:0/real_time",
        "gather": "BM_QueuePut/peers:1/delay_us:200/real_time",
    }
    missing = [n for n in names.values() if n not in t]
    if missing:
        problems.append("cairn_queue_bench lacks " + ", ".join(missing))
        return ["## P5 — queuing a write for replication", "",
                "Missing: " + ", ".join(missing), ""]
    v = {k: t[n] for k, n in names.items()}
    step = v["append"] + v["woken"]
    put_added = v["gather"] - v["alone"]
    return [
        "## P5 — queuing a write for replication "
        "(cairn_queue_bench, one process, no network)", "",
        "| what the write path does | time | goal |", "|---|---|---|",
        f"| copy into the send cache (`OpLogTail::Append`, one write) | "
        f"{v['append']:.0f} ns | |",
        f"| publish the sequence: no sender waiting / a sender waiting | "
        f"{v['idle']:.1f} / {v['woken']:.1f} ns | |",
        f"| the queuing step (the two, a sender waiting) | {step:.0f} ns | "
        f"≤ {P5_QUEUE_NS} ns: {verdict(step <= P5_QUEUE_NS)} |",
        f"| a whole put alone | {v['alone']:.0f} ns | |",
        f"| the put with a sender woken by every commit | "
        f"{v['every']:.0f} ns (+{v['every'] - v['alone']:.0f}) | |",
        f"| the put with a sender gathering (max_send_delay_us=200, the "
        f"default) | {v['gather']:.0f} ns (+{put_added:.0f}) | "
        f"≤ +{P5_QUEUE_NS} ns: {verdict(put_added <= P5_QUEUE_NS)} |", "",
        "The op-log entry itself is written with every put, peers or not "
        "(P3 in cairn_bench counts it). What a put pays beyond the step is "
        "the sender thread beside it: its reads of the send cache and the "
        "core it takes from LevelDB's compaction.", ""]


def stream_section(data, problems):
    runs = data.get("stream", [])
    replays = data.get("replay", [])
    if not runs or not replays:
        problems.append("no stream or replay runs")
    if not runs:
        return []
    rate = statistics.median(r["stream_per_sec"] for r in runs)
    writer = statistics.median(r["write_per_sec"] for r in runs)
    tail = statistics.median(r["tail_ms"] for r in runs)
    replay = (statistics.median(r["stream_per_sec"] for r in replays)
              if replays else None)
    # From the reopen (reconnect included): never flattered by a first
    # record that shows up late.
    replay_all = (statistics.median(r.get("with_reconnect_per_sec", 0)
                                    for r in replays) if replays else None)
    reconnect = (statistics.median(r["reconnect_ms"] for r in replays)
                 if replays else 0)
    best = max(rate, replay or 0)
    bare = (statistics.median(r["bare_leveldb_per_sec"] for r in runs)
            if all("bare_leveldb_per_sec" in r for r in runs) else None)
    cfg = data["config"]
    return [f"## P5 — the replication stream ({cfg['stream_records']} "
            f"records in write batches of {cfg['stream_batch']}, median of "
            f"{len(runs)} rounds)", "",
            "| ceiling: bare LevelDB, same batches | live: writer alone | "
            "live: until the peer holds the last | "
            "tail after the last write | replay to a peer that was down "
            "(first..last record / from its reopen) | goal |",
            "|---|---|---|---|---|---|",
            f"| {fmt_rate(bare)}/s | {fmt_rate(writer)}/s | {fmt_rate(rate)}/s "
            f"| {tail:.1f} ms | "
            f"{fmt_rate(replay)}/s / {fmt_rate(replay_all)}/s (first record "
            f"after {reconnect:.0f} ms) | ≥ 1M/s: "
            f"{verdict(best >= P5_STREAM)} |",
            "",
            "Live: the records written as fast as possible, timed from the "
            "first write until the peer holds the last (never above the "
            "writer's rate). Replay: the peer closed while they are written, "
            "then reopened; timed from the first record readable on the peer "
            "to the last — the stream alone. Ceiling: the same records in "
            "the same batches written into a bare LevelDB (no Cairn, no "
            "peer) in the same round — what this machine's storage engine "
            "can absorb at all; the peer must store every record too.", ""]


def settle_text(settle):
    """How the run waited for both nodes' LevelDB compactions (the stream
    runs before it leave a backlog), or "" for a result without the wait."""
    if not settle:
        return ""
    if settle.get("settled"):
        return (f", and both nodes' LevelDB compactions caught up in "
                f"{settle['ms']:.0f} ms")
    return (f"; both nodes still had LevelDB compactions due after "
            f"{settle['ms'] / 1e3:.0f} s, so the run includes that backlog")


def lag_section(data, plot, problems):
    lag = data.get("lag")
    if lag is None:
        problems.append("no lag run")
    if lag is None:
        return []
    lat = lag["latency"]
    p99_ms = lat["p99_us"] / 1e3
    lines = [f"## P5 — replication lag at {lag['target_per_sec'] / 1e3:.1f}k "
             f"puts/s ({data['config']['lag_fraction']:g} × the replicated "
             f"peak of {fmt_rate(lag['peak_per_sec'])}/s; achieved "
             f"{fmt_rate(lag['achieved_per_sec'])}/s)", "",
             "| samples | p50 | p99 | max | goal |", "|---|---|---|---|---|",
             f"| {lat['count']} | {lat['p50_us'] / 1e3:.3f} ms | "
             f"{p99_ms:.3f} ms | {lat['max_us'] / 1e3:.3f} ms | p99 ≤ "
             f"{P5_LAG_P99_MS:g} ms: {verdict(p99_ms <= P5_LAG_P99_MS)} |",
             "",
             "Lag: from a put's return on node 1 to the key being readable on "
             "node 2, for one put per millisecond (an upper bound: the peer "
             "is polled every ~20–80 µs). Before the run the peer caught up "
             f"with the earlier ones in {data.get('lag_drain_ms', 0):.0f} ms"
             f"{settle_text(data.get('lag_settle'))}.",
             ""]
    if plot and lag.get("csv") and os.path.exists(lag["csv"]):
        if draw_lag(lag["csv"], plot, lag):
            lines += [f"![lag over time]({os.path.basename(plot)})", ""]
    return lines


def draw_lag(csv_path, plot, lag):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report.py: no matplotlib (python3-matplotlib): no plot",
              file=sys.stderr)
        return False
    with open(csv_path, encoding="utf-8") as f:
        rows = [(float(r["t_s"]), float(r["lag_ms"]))
                for r in csv.DictReader(f)]
    if not rows:
        return False
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot([t for t, _ in rows], [ms for _, ms in rows], linewidth=0.6)
    ax.axhline(P5_LAG_P99_MS, color="red", linestyle="--",
               label=f"goal: p99 ≤ {P5_LAG_P99_MS:g} ms")
    ax.set_xlabel("time since start (s)")
    ax.set_ylabel("lag (ms)")
    ax.set_yscale("log")
    ax.set_title(f"Cairn async replication lag to one peer at "
                 f"{lag['achieved_per_sec'] / 1e3:.0f}k puts/s")
    ax.legend()
    fig.tight_layout()
    fig.savefig(plot, dpi=100)
    plt.close(fig)
    return True


def sync_section(data, problems):
    rows = {(r["system"], r["clients"]): r for r in data.get("sync", [])}
    clients = data["config"]["clients"]
    lines = [f"## P6 — sync mode with one peer (1 ack) beside Redis SET + "
             f"WAIT 1 0 ({data['config']['sync_seconds']} s × "
             f"{data['config']['rounds']} rounds per case)", ""]
    if "sync_mode_by" in data:
        lines += [f"Cairn's writes ask for sync mode by "
                  f"{data['sync_mode_by']}; latency is that of cairn_put, "
                  "Redis's that of SET and WAIT 1 0 sent together (one "
                  "round trip). Not the same promise: WAIT returns once the "
                  "replica has the write in memory (no persistence here), "
                  "a Cairn sync ack once the peer has applied it to its "
                  "log — as durable there as the local commit, since these "
                  "puts do not ask for sync (replication.sync_durability="
                  "match).", ""]
    if "sync_drain_ms" in data:
        lines += [f"Before these runs the peer caught up with the earlier "
                  f"ones in {data['sync_drain_ms']:.0f} ms"
                  f"{settle_text(data.get('sync_settle'))}.", ""]
    if any(r == "cairn_async" for r, _ in rows):
        lines += ["The async column is the same puts asking for async mode "
                  "on the same node: the floor that the local commit and "
                  "the machine's contention set at that concurrency; sync "
                  "minus async is what waiting for the peer adds. Puts/s "
                  "rising with the writers means they share round trips; "
                  "writes per batch is how many of them node 1 sent to "
                  "its peer in one batch, on average.",
                  ""]
    lines += ["| writers | Cairn p50 | Cairn p99 | Cairn timeouts | Redis p50 "
              "| Redis p99 | Cairn/Redis p50 | async p50 | sync puts/s "
              "| writes per batch | goal p50 ≤ 100 µs |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in clients:
        cairn = rows.get(("cairn_sync", c))
        redis = rows.get(("redis_wait", c))
        floor = rows.get(("cairn_async", c))
        if cairn is None:
            problems.append(f"no Cairn sync run with {c} writers")
        if "redis" in data and redis is None:
            problems.append(f"no Redis WAIT run with {c} clients")
        cp50 = cairn["p50_us"] if cairn else None
        rp50 = redis["p50_us"] if redis else None
        lines.append(
            f"| {c} | {fmt(cp50, 1)} µs | "
            f"{fmt(cairn['p99_us'] if cairn else None, 1)} µs | "
            f"{cairn['timeouts'] if cairn else '—'} of "
            f"{cairn['count'] if cairn else '—'} | "
            f"{fmt(rp50, 1)} µs | "
            f"{fmt(redis['p99_us'] if redis else None, 1)} µs | "
            f"{fmt(ratio(cp50, rp50))} | "
            f"{fmt(floor['p50_us'] if floor else None, 1)} µs | "
            f"{fmt_rate(cairn.get('per_sec')) if cairn else '—'} | "
            f"{fmt(cairn.get('ops_per_batch') if cairn else None, 1)} | "
            f"{verdict(None if cp50 is None else cp50 <= P6_P50_US)} |")
    lines.append("")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("result")
    ap.add_argument("--output", required=True)
    ap.add_argument("--plot")
    ap.add_argument("--queue", help="cairn_queue_bench's JSON (P5 queuing)")
    ap.add_argument("--strict", action="store_true")
    args = ap.parse_args()
    with open(args.result, encoding="utf-8") as f:
        data = json.load(f)
    problems = []
    if "error" in data:
        problems.append(f"the run failed: {data['error']}")
    med = medians(data)
    lines = ["# P5 and P6 — Cairn replication to one peer beside Redis", "",
             load_line(data), "",
             f"Cairn C ABI {data['config']['cairn_abi']}; "
             f"{data.get('redis', 'no Redis')}; 16-byte keys, 100-byte "
             "values, new keys in every run; Cairn options beyond the "
             "defaults: "
             + (", ".join(f"`{k}={v}`" for k, v in
                          data["config"].get("cairn_options", {}).items())
                or "none") + ".", ""]
    if "error" in data:
        lines += [f"**The run failed**: {data['error']}", ""]
    lines += throughput_section(data, med, problems)
    lines += queue_section(args.queue, problems)
    lines += stream_section(data, problems)
    lines += lag_section(data, args.plot, problems)
    lines += sync_section(data, problems)
    text = "\n".join(lines)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)
    print(text)
    if problems:
        print("report.py: " + "; ".join(problems), file=sys.stderr)
        if args.strict:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
