#!/usr/bin/env bash
# Profiles the Cairn side of the goals report.py explains when they are
# missed (P1 cached get, P3 put, P11 cache-miss get): runs each benchmark
# alone for a few seconds, attaches `perf record` to it once its data set is
# loaded (so the profile holds the timed loop, not the load), and writes
# `perf report` by shared object and symbol to OUTDIR/<goal>.txt, which
# `report.py --profiles OUTDIR` turns into "where the time goes" tables.
#
#   benchmarks/profile.sh BUILD/benchmarks/cairn_bench OUTDIR
#
# Needs `perf` (Debian: linux-perf) and perf_event_paranoid <= 1 or root;
# without them it prints why and exits 0, and the report explains the misses
# from the benchmarks' own rows only. Every wait is bounded; the benchmark
# runs to its end so it removes its databases and cache segments itself.
set -euo pipefail

bench="${1:?usage: profile.sh CAIRN_BENCH OUTDIR}"
out="${2:?usage: profile.sh CAIRN_BENCH OUTDIR}"
seconds="${PROFILE_SECONDS:-4}"

if ! command -v perf >/dev/null 2>&1; then
  echo "profile.sh: perf not installed (Debian: apt-get install linux-perf);" \
    "no profiles" >&2
  exit 0
fi
if ! perf record -q -o /dev/null -- true >/dev/null 2>&1; then
  echo "profile.sh: perf record is not permitted here" \
    "(kernel.perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid));" \
    "no profiles" >&2
  exit 0
fi
mkdir -p "${out}"
work="$(mktemp -d /tmp/cairn_profile.XXXXXX)"
bench_pid=""
cleanup() {
  if [ -n "${bench_pid}" ] && kill -0 "${bench_pid}" 2>/dev/null; then
    kill -INT "${bench_pid}" 2>/dev/null || true
    wait "${bench_pid}" 2>/dev/null || true
  fi
  rm -rf "${work}"
}
trap cleanup EXIT

# goal | benchmark filter | line on stderr once the data set is ready
# ("" = none: the benchmark sets itself up in its first iterations)
cases=(
  "P1|^BM_CairnGet/uniform/real_time/threads:1\$|Cairn get data set"
  "P3|^BM_CairnPut/real_time\$|"
  "P11|^BM_CairnColdGet/scan/real_time/threads:1\$|Cairn get data set"
)
for case in "${cases[@]}"; do
  IFS='|' read -r goal filter ready <<<"${case}"
  log="${work}/${goal}.log"
  # Long enough to cover the wait and the recording on a slow machine.
  "${bench}" --benchmark_filter="${filter}" \
    --benchmark_min_time=$((seconds + 4)) >"${log}" 2>&1 &
  bench_pid=$!
  if [ -n "${ready}" ]; then
    for _ in $(seq 1 1200); do  # at most 120 s
      grep -q "${ready}" "${log}" && break
      kill -0 "${bench_pid}" 2>/dev/null || break
      sleep 0.1
    done
  fi
  sleep 1  # past the warm-up, into the timed loop
  if kill -0 "${bench_pid}" 2>/dev/null; then
    perf record -q -F 999 -p "${bench_pid}" -o "${work}/${goal}.data" \
      -- sleep "${seconds}" >/dev/null 2>&1 || true
  fi
  wait "${bench_pid}" || echo "profile.sh: ${goal}: the benchmark failed" \
    "(see below)" >&2
  bench_pid=""
  if [ -s "${work}/${goal}.data" ]; then
    {
      echo "# ${goal}: perf record -F 999 for ${seconds} s of ${filter}"
      perf report -i "${work}/${goal}.data" --no-children --stdio -g none \
        --sort dso,sym --percent-limit 0.2 2>/dev/null | grep '%'
    } >"${out}/${goal}.txt"
    echo "profile.sh: ${goal} -> ${out}/${goal}.txt" >&2
  else
    echo "profile.sh: ${goal}: no samples recorded" >&2
    tail -5 "${log}" >&2
  fi
done
