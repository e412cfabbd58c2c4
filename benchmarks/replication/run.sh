#!/usr/bin/env bash
# P5 and P6 (shared BENCHMARKS.md) in one run: Cairn replicating to one peer
# on loopback beside Redis replicating to one replica, reported as ratios.
#
#   benchmarks/replication/run.sh          3 rounds of 1 s throughput runs,
#                                          1M-record streams, 10 s of paced
#                                          lag, 1 s per sync case (~2 min)
#   benchmarks/replication/run.sh --quick  a smoke run with tiny sizes (~5 s)
#
# Options: --binary PATH (a built cairn_repl_bench; default: build it in
# build-release/), --results DIR (default benchmarks/results/replication).
# Environment overrides: SECONDS_PER_RUN, ROUNDS, PIPELINE, STREAM_RECORDS,
# LAG_SECONDS, SYNC_SECONDS, CLIENTS (e.g. "1,4,16"), CAIRN_OPTIONS (Cairn
# options for every node, "name=value" separated by spaces, e.g.
# "replication.digest_interval_ms=0").
#
# Starts two redis-servers on 127.0.0.1 with free ephemeral ports, in a
# temporary directory, without persistence (save "", appendonly no): a
# master and a replica (replicaof the master). Stops them and removes every
# database on exit, failed or not.
# Then runs cairn_queue_bench (P5's queuing cost on the write path, built
# beside the --binary). Writes DIR/replication.json, queue.json,
# replication.md, replication_lag.csv and replication_lag.png (report.py).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
binary=""
results="${root}/benchmarks/results/replication"
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
  queue_args=(--benchmark_min_time=0.01)
  args=(--seconds="${SECONDS_PER_RUN:-0.05}" --rounds="${ROUNDS:-1}"
        --pipeline="${PIPELINE:-16}" --stream-records="${STREAM_RECORDS:-5000}"
        --lag-seconds="${LAG_SECONDS:-0.3}" --sync-seconds="${SYNC_SECONDS:-0.05}"
        --clients="${CLIENTS:-1,4}")
else
  queue_args=(--benchmark_min_time=0.3 --benchmark_repetitions=6
              --benchmark_enable_random_interleaving=true
              --benchmark_display_aggregates_only=true)
  args=(--seconds="${SECONDS_PER_RUN:-1}" --rounds="${ROUNDS:-3}"
        --pipeline="${PIPELINE:-64}"
        --stream-records="${STREAM_RECORDS:-1000000}"
        --lag-seconds="${LAG_SECONDS:-10}" --sync-seconds="${SYNC_SECONDS:-1}"
        --clients="${CLIENTS:-1,4,16}")
fi

for option in ${CAIRN_OPTIONS:-}; do args+=(--cairn-option="${option}"); done

if [ -z "${binary}" ]; then
  build="${root}/build-release"
  cmake -S "${root}" -B "${build}" -DCMAKE_BUILD_TYPE=Release \
    -DCAIRN_BUILD_BENCHMARKS=ON -DCAIRN_BUILD_TESTS=ON \
    -DCAIRN_BUILD_PYTHON=OFF -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
  cmake --build "${build}" -j2 --target cairn_repl_bench cairn_queue_bench
  binary="${build}/benchmarks/replication/cairn_repl_bench"
fi
# P5's queuing cost (queue_bench.cc), built beside cairn_repl_bench.
queue_binary="$(dirname "${binary}")/cairn_queue_bench"
[ -x "${queue_binary}" ] || {
  echo "run.sh: ${queue_binary} not built (target cairn_queue_bench)" >&2
  exit 1; }
command -v redis-server >/dev/null || {
  echo "run.sh: redis-server not found (scripts/install-deps)" >&2; exit 1; }

mkdir -p "${results}"
work="$(mktemp -d /tmp/cairn_repl.XXXXXX)"
pids=()
cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do kill "${pid}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "${pid}" 2>/dev/null || true; done
  rm -rf "${work}"
  # After a failed run, the cache segments of the databases just removed.
  if [ "${rc}" != 0 ]; then "${binary}" --gc || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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

master_port=$(free_port)
replica_port=$(free_port)
start_redis() {  # $1 name, $2 port, then extra arguments
  local name="$1" port="$2"
  shift 2
  mkdir -p "${work}/${name}"
  redis-server --port "${port}" --bind 127.0.0.1 --save "" \
    --appendonly no --daemonize no --protected-mode yes \
    --dir "${work}/${name}" --logfile "${work}/${name}/redis.log" "$@" &
  pids+=($!)
}
# No delay before a full sync (Redis 7 waits 5 s for more replicas by
# default): the benchmark detaches and attaches the replica between cases.
start_redis master "${master_port}" --repl-diskless-sync-delay 0
wait_port "${master_port}"
start_redis replica "${replica_port}" --replicaof 127.0.0.1 "${master_port}"
wait_port "${replica_port}"

mkdir -p "${work}/cairn"
echo "load before: $(cat /proc/loadavg)"
"${binary}" --out="${results}/replication.json" --dir="${work}/cairn" \
  --lag-csv="${results}/replication_lag.csv" \
  --redis-master-port="${master_port}" --redis-replica-port="${replica_port}" \
  "${args[@]}" 2>&1 | tee "${results}/replication.log"

mkdir -p "${work}/queue"
"${queue_binary}" --dir="${work}/queue" "${queue_args[@]}" \
  --benchmark_out="${results}/queue.json" --benchmark_out_format=json \
  2>&1 | tee -a "${results}/replication.log"

/usr/bin/python3 "${root}/benchmarks/replication/report.py" \
  "${results}/replication.json" --output "${results}/replication.md" \
  --queue "${results}/queue.json" \
  --plot "${results}/replication_lag.png" --strict
