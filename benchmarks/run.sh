#!/usr/bin/env bash
# Builds cairn_bench (Release, in build-release/) and runs the full Cairn vs
# LevelDB comparison: 1M keys, every benchmark repeated in a random
# interleaved order so drift on a shared machine hits both stores alike.
# About 6-8 minutes on a 2-core machine: ~2 min to build, ~4-5 min to run.
#
# Writes benchmarks/results/cairn_bench.{json,md,png,log}.
# Extra arguments go to cairn_bench (e.g. --benchmark_filter=Get).
# Environment: CAIRN_BENCH_KEYS, CAIRN_BENCH_DIR, CAIRN_BENCH_BLOCK_CACHE_MB,
# CAIRN_BENCH_CACHE_MB (see bench_config.h), MIN_TIME (seconds per
# repetition, default 0.5), REPETITIONS (default 10).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${root}/build-release"
results="${root}/benchmarks/results"

cmake -S "${root}" -B "${build}" -DCMAKE_BUILD_TYPE=Release \
  -DCAIRN_BUILD_TESTS=OFF
cmake --build "${build}" -j2 --target cairn_bench

mkdir -p "${results}"
# Google Benchmark 1.7.1: --benchmark_min_time takes plain seconds, no "s".
"${build}/benchmarks/cairn_bench" \
  --benchmark_min_time="${MIN_TIME:-0.5}" \
  --benchmark_repetitions="${REPETITIONS:-10}" \
  --benchmark_enable_random_interleaving=true \
  --benchmark_display_aggregates_only=true \
  --benchmark_out="${results}/cairn_bench.json" \
  --benchmark_out_format=json \
  "$@" 2>&1 | tee "${results}/cairn_bench.log"

/usr/bin/python3 "${root}/benchmarks/report.py" \
  "${results}/cairn_bench.json" \
  --output "${results}/cairn_bench.md" \
  --plot "${results}/cairn_bench.png"
