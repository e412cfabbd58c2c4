"""Explains missed P1, P3, P9 and P11 goals of a cairn_bench run.

Each explanation is built from measurements of the same run: the rows that
split the goal's time or bytes into parts (the design's floor, the cache's
probe and fill, the memory layout), and, when profile.sh ran, a perf
profile of the Cairn benchmark grouped by layer. report.py calls
misses_section(); a miss whose parts are absent from the run is returned as
unexplained, and --strict fails on it.

Standard library only.
"""

import os
import re

# perf report --sort dso,sym line: "  12.34%  libfoo.so  [.] symbol".
PROFILE_LINE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)$")

# (layer, test on (dso, symbol)), first match wins.
LAYERS = (
    ("Cairn cache: index probe, seqlock, item copy, fill, eviction",
     lambda dso, sym: "libcairn" in dso and "cache::" in sym),
    ("Cairn engine and C ABI: key checks, record parse, options, stats",
     lambda dso, sym: "libcairn" in dso),
    ("LevelDB: memtable, table and block reads, write batch, log",
     lambda dso, sym: "libleveldb" in dso),
    ("snappy (block decompression / compression)",
     lambda dso, sym: "libsnappy" in dso),
    ("libc: memcpy, memcmp, malloc/free, locks",
     lambda dso, sym: dso.startswith("libc.") or "libc-" in dso),
    ("C++ runtime", lambda dso, sym: "libstdc++" in dso),
    ("hashing (xxHash)", lambda dso, sym: "libxxhash" in dso),
    ("kernel: syscalls, page faults, file I/O",
     lambda dso, sym: dso.startswith("[kernel")),
    ("benchmark loop", lambda dso, sym: "cairn_bench" in dso),
)
OTHER = "other"

# goal -> the one-thread benchmark profile.sh profiles for it.
PROFILED = {
    "P1": "BM_CairnGet/uniform",
    "P3": "BM_CairnPut",
    "P11": "BM_CairnColdGet/scan",
}


def _missed(rows, goal):
    return [r for r in rows if r.goal == goal and r.verdict() == "**missed**"]


def _ns(results, name, threads=1):
    result = results.get((name, threads))
    return result.time_ns() if result else None


def _fmt(ns):
    return "—" if ns is None else f"{ns:,.0f} ns"


def load_profile(path):
    """[(percent, dso, symbol)] from profile.sh's output, or None."""
    if not path or not os.path.exists(path):
        return None
    entries = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            match = PROFILE_LINE.match(line)
            if match:
                entries.append((float(match.group(1)), match.group(2),
                                match.group(4).strip()))
    return entries or None


def profile_lines(entries, op_ns):
    """A table of layers (share, ns per operation) and the top symbols."""
    total = sum(p for p, _, _ in entries) or 1.0
    shares = {}
    for percent, dso, sym in entries:
        layer = next((name for name, test in LAYERS if test(dso, sym)), OTHER)
        shares[layer] = shares.get(layer, 0.0) + percent / total
    lines = ["  | layer | share of samples | ≈ ns per operation |",
             "  |---|---:|---:|"]
    for layer, share in sorted(shares.items(), key=lambda kv: -kv[1]):
        per_op = f"{share * op_ns:,.0f}" if op_ns else "—"
        lines.append(f"  | {layer} | {share * 100:.1f}% | {per_op} |")
    top = ", ".join(f"`{sym[:60]}` {percent:.1f}%"
                    for percent, _, sym in entries[:8])
    lines.append("")
    lines.append(f"  Top symbols: {top}.")
    return lines


def _p1(rows, results, context):
    """Cairn's hit beside the time the goals allow it and its own floor."""
    missed = _missed(rows, "P1")
    parts = []
    for dist, label in (("uniform", "uniform"), ("zipf", "zipfian")):
        hit = _ns(results, f"BM_CairnGet/{dist}")
        batch = results.get((f"BM_CairnMultiGet32/{dist}", 1))
        per_key = 1e9 / batch.items() if batch and batch.items() else None
        if None in (hit, per_key):
            return None
        allowed = [
            f"{_fmt(r.peer_ns / r.bound)} against {r.what.split(', vs ')[-1]}"
            for r in missed
            if r.threads == 1 and f", {label}" in r.what
            and getattr(r, "peer_ns", None)]
        parts.append(
            f"{dist}: a hit takes {_fmt(hit)}"
            + (f"; the goals missed would allow {', '.join(allowed)}"
               if allowed else "")
            + f". With 32 keys' loads overlapped (multi-get) a key takes "
            f"{_fmt(per_key)}, so {_fmt(hit - per_key)} of a single hit is "
            f"the latency of its dependent loads (index bucket, then item), "
            f"which one get cannot overlap")
    huge = context.get("cairn_bench.shmem_thp", "unknown")
    return ("P1 (cached get)",
            "; ".join(parts) + ". Those lines lie in a segment far beyond "
            "the TLB's reach with 4 KiB pages (transparent huge pages for "
            f"shared memory on this machine: {huge}), so each can cost a "
            "page walk as well as a memory access; in the profile (when "
            "profile.sh ran) a hit is almost all HashIndex::Read and "
            "ScanBucket waiting on them. The peers read from memory too "
            "(LMDB from its map, LevelDB from its block cache), so the ratios "
            "are bounded by how few dependent loads a hit makes.")


def _p3(results):
    cairn = _ns(results, "BM_CairnPut")
    leveldb = _ns(results, "BM_LevelDBPut")
    floor = _ns(results, "BM_LevelDBPutOpLogShape")
    if not (cairn and leveldb and floor):
        return None
    return ("P3 (put)",
            f"LevelDB writing the batch a Cairn put writes (the record with "
            f"its 13-byte kind and version, and its op-log entry, which "
            f"DESIGN.md keeps in the same atomic batch) takes {_fmt(floor)}, "
            f"{floor / leveldb:.2f}× a plain LevelDB put ({_fmt(leveldb)}): "
            f"the floor of this design. Cairn is {cairn / floor:.2f}× that "
            f"floor ({_fmt(cairn - floor)} for the cache update, the clock "
            f"and the C ABI), {cairn / leveldb:.2f}× overall.")


def _p9(results, record_bytes):
    result = results.get(("BM_CairnCacheMemory/sized", 1))
    c = result.counters() if result else {}
    items, live = c.get("items"), c.get("live_bytes")
    used, resident = c.get("used_bytes"), c.get("resident_bytes")
    if not items or None in (live, used, resident):
        return None
    data = items * record_bytes
    return ("P9 (memory, cache sized to the data)",
            f"item headers +{(live - data) / data * 100:.1f}% (20 bytes, "
            f"already at the 8-byte alignment lock-free readers need), the "
            f"index and page table +{(used - live) / data * 100:.1f}%, memory "
            f"backed ahead of the carve point "
            f"+{(resident - used) / data * 100:.1f}% (see "
            f"\"Where the memory goes\").")


def _p11(results):
    cold = _ns(results, "BM_CairnColdGet/scan")
    peer = _ns(results, "BM_LevelDBSmallCacheGet/scan")
    shape = _ns(results, "BM_LevelDBCairnShapeGet/scan")
    second = _ns(results, "BM_CairnColdGetSecondMiss/scan")
    if None in (cold, peer, shape, second):
        return None
    fill = cold - second
    return ("P11 (cache-miss get)",
            f"a miss takes {_fmt(cold)} against LevelDB's {_fmt(peer)}: "
            f"{_fmt(cold - peer)} more. LevelDB alone reading Cairn's "
            f"records (13 bytes longer, under 'd' keys) takes {_fmt(shape)} "
            f"({shape / peer:.2f}× its own records): the floor. Filling the "
            f"cache (the item, its index slot, evicting to make room) "
            f"accounts for ≈ {_fmt(fill)} (the same pass with "
            f"cache.admission=second_miss: {_fmt(second)}, "
            f"{second / peer:.2f}× LevelDB). The remaining "
            f"{_fmt(cold - shape - fill)} is Cairn's own work on a miss: "
            f"probing the cache index (two bucket lines that a scan finds "
            f"in no CPU cache), the admission check, parsing the record and "
            f"copying the value out through the C ABI; the profile splits "
            f"it. Both sides verify block checksums.")


def misses_section(rows, results, context, record_bytes, profile_dir=None):
    """(Markdown lines, [goals missed with nothing to explain them])."""
    explainers = (("P1", lambda: _p1(rows, results, context)),
                  ("P3", lambda: _p3(results)),
                  ("P9", lambda: _p9(results, record_bytes)),
                  ("P11", lambda: _p11(results)))
    lines, unexplained = [], []
    # Each explainer runs only for a goal missed in this run.
    for goal, explain in explainers:
        if not _missed(rows, goal):
            continue
        found = explain()
        if found is None:
            unexplained.append(goal)
            continue
        title, text = found
        lines.append(f"- **{title}**: {text}")
        if goal in PROFILED and profile_dir:
            name = PROFILED[goal]
            entries = load_profile(os.path.join(profile_dir, f"{goal}.txt"))
            if entries:
                lines.append("")
                lines.append(f"  perf profile of {name} (1 thread, "
                             "profile.sh), by layer; samples of every "
                             "thread of the process, so LevelDB's "
                             "background compaction is in it:")
                lines.append("")
                lines += profile_lines(entries, _ns(results, name))
                lines.append("")
    if not lines and not unexplained:
        return [], []
    header = ["## Misses explained", "",
              "Each missed P1, P3, P9 or P11 goal, split into its parts by "
              "other measurements of this run."]
    if unexplained:
        header.append(f"Not explained (parts missing from the run): "
                      f"{', '.join(unexplained)}.")
    return header + [""] + lines + [""], unexplained
