#!/usr/bin/env bash
# YCSB A–F, uniform and zipfian, 1 and 2 threads, against Cairn, LevelDB,
# RocksDB, LMDB, and Redis and memcached each as a look-aside cache in
# front of LevelDB — all in one run, twice: with every cache sized to hold
# the data ("fit") and to 10% of the key+value bytes ("10pct").
#
#   benchmarks/ycsb/run.sh            1M x 100-byte records, 3 rounds of
#                                     1 s runs (~25 minutes with loading)
#   benchmarks/ycsb/run.sh --quick    2,000 records, 1 round of 20 ms runs
#                                     (a smoke run, ~15 s)
#
# Options: --binary PATH (a built cairn_ycsb; default: build it in
# build-release/), --results DIR (default benchmarks/results/ycsb).
# Environment overrides: RECORDS, SECONDS_PER_RUN, ROUNDS, VARIANTS ("fit
# 10pct" by default; a variant not rerun keeps its last JSON, if any).
#
# The script starts redis-server and memcached on 127.0.0.1 with free
# ephemeral ports, no persistence, and the same memory budget as the other
# stores' caches; it stops them (and removes its databases) on exit.
# Writes DIR/ycsb.json, ycsb.md and ycsb_*.png (report.py).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
binary=""
results="${root}/benchmarks/results/ycsb"
quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --binary) binary="$2"; shift ;;
    --results) results="$2"; shift ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "${quick}" = 1 ]; then
  records="${RECORDS:-2000}"; seconds="${SECONDS_PER_RUN:-0.02}"
  rounds="${ROUNDS:-1}"
else
  records="${RECORDS:-1000000}"; seconds="${SECONDS_PER_RUN:-1}"
  rounds="${ROUNDS:-3}"
fi

if [ -z "${binary}" ]; then
  build="${root}/build-release"
  cmake -S "${root}" -B "${build}" -DCMAKE_BUILD_TYPE=Release \
    -DCAIRN_BUILD_BENCHMARKS=ON -DCAIRN_BUILD_TESTS=ON \
    -DCAIRN_BUILD_PYTHON=OFF -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
  cmake --build "${build}" -j2 --target cairn_ycsb
  binary="${build}/benchmarks/ycsb/cairn_ycsb"
fi
for tool in redis-server memcached; do
  command -v "${tool}" >/dev/null || {
    echo "run.sh: ${tool} not found (scripts/install-deps)" >&2; exit 1; }
done

mkdir -p "${results}"
work="$(mktemp -d /tmp/cairn_ycsb.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "${pid}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "${pid}" 2>/dev/null || true; done
  rm -rf "${work}"
}
trap cleanup EXIT INT TERM

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_port() {  # bounded: 10 s
  for _ in $(seq 100); do
    if /usr/bin/python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "run.sh: nothing listens on port $1" >&2
  return 1
}

# One variant: $1 name, $2 cache fraction of the key+value bytes.
run_variant() {
  local name="$1" fraction="$2"
  local cache_mb
  cache_mb=$(/usr/bin/python3 -c "import math; print(max(2, math.ceil(${records}*116*${fraction}/2**20)))")
  local redis_port memcached_port
  redis_port=$(free_port)
  memcached_port=$(free_port)
  redis-server --port "${redis_port}" --bind 127.0.0.1 --save "" \
    --appendonly no --daemonize no --protected-mode yes \
    --maxmemory "${cache_mb}mb" --maxmemory-policy allkeys-lru \
    --dir "${work}" --logfile "${work}/redis-${name}.log" &
  pids+=($!)
  local redis_pid=$!
  memcached -l 127.0.0.1 -p "${memcached_port}" -U 0 -m "${cache_mb}" \
    -t 2 -u "$(id -un)" >"${work}/memcached-${name}.log" 2>&1 &
  pids+=($!)
  local memcached_pid=$!
  wait_port "${redis_port}"
  wait_port "${memcached_port}"
  mkdir -p "${work}/${name}"
  "${binary}" --out="${results}/ycsb_${name}.json" --records="${records}" \
    --seconds="${seconds}" --rounds="${rounds}" \
    --cache-fraction="${fraction}" --redis-port="${redis_port}" \
    --memcached-port="${memcached_port}" --dir="${work}/${name}" \
    2>&1 | tee "${results}/ycsb_${name}.log"
  kill "${redis_pid}" "${memcached_pid}"
  wait "${redis_pid}" "${memcached_pid}" 2>/dev/null || true
  rm -rf "${work:?}/${name}"
}

# "fit": every cache can hold all the data (Redis and memcached get the
# same byte budget; their per-item overhead is their own).
for variant in ${VARIANTS:-fit 10pct}; do
  case "${variant}" in
    fit) run_variant fit 2 ;;
    10pct) run_variant 10pct 0.1 ;;
    *) echo "run.sh: unknown variant ${variant}" >&2; exit 2 ;;
  esac
done

# A variant neither run now nor kept from an earlier run is left out (with
# VARIANTS=fit on a fresh checkout, the report has no 10% section).
small=()
if [ -f "${results}/ycsb_10pct.json" ]; then
  small=(--small "${results}/ycsb_10pct.json")
fi
/usr/bin/python3 "${root}/benchmarks/ycsb/report.py" \
  --fit "${results}/ycsb_fit.json" "${small[@]}" \
  --output "${results}/ycsb.md" --json "${results}/ycsb.json" \
  --plots "${results}" --strict
