#!/usr/bin/env bash
# Builds the migration benchmarks (Release, in build-release/) and runs
#   P12  cairn_p12: routing a key to its cache instance (goal <= 25 ns)
#   P7   cairn_p7: adding a cache instance under a zipfian read load, Cairn
#        beside consistent hashing without migration and modulo rehashing
#        (those two simulated over the same instance code)
# then plots P7. About 5 minutes on a 2-core machine once built (P7: 1M keys
# loaded once, then ~35 s of load per strategy plus a cache fill each).
#
# Writes benchmarks/results/migration/: p12.json, p12.log, p7.json,
# p7_timeseries.csv, p7.log, p7.png, p7_summary.md.
# Environment: CAIRN_P7_* (see p7_config.h; e.g. CAIRN_P7_KEYS,
# CAIRN_P7_AFTER_S, CAIRN_P7_THREADS=2), P12_MIN_TIME (seconds per
# repetition, default 0.2), P12_REPETITIONS (default 5). Extra arguments go
# to cairn_p7 (e.g. --keys=100000).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${root}/build-release"
results="${root}/benchmarks/results/migration"

cmake -S "${root}" -B "${build}" -DCMAKE_BUILD_TYPE=Release \
  -DCAIRN_BUILD_BENCHMARKS=ON -DCAIRN_BUILD_TESTS=ON \
  -DCAIRN_BUILD_PYTHON=OFF -DPython3_EXECUTABLE=/usr/bin/python3
cmake --build "${build}" -j2 --target cairn_p12 cairn_p7

mkdir -p "${results}"
# Google Benchmark 1.7.1: --benchmark_min_time takes plain seconds, no "s".
"${build}/benchmarks/migration/cairn_p12" \
  --benchmark_min_time="${P12_MIN_TIME:-0.2}" \
  --benchmark_repetitions="${P12_REPETITIONS:-5}" \
  --benchmark_enable_random_interleaving=true \
  --benchmark_display_aggregates_only=true \
  --benchmark_out="${results}/p12.json" \
  --benchmark_out_format=json 2>&1 | tee "${results}/p12.log"

"${build}/benchmarks/migration/cairn_p7" --out="${results}" "$@" 2>&1 |
  tee "${results}/p7.log"

/usr/bin/python3 "${root}/benchmarks/migration/plot_p7.py" "${results}" \
  --p12 "${results}/p12.json"
