// P15 (shared BENCHMARKS.md): routed throughput at one client with the
// audit log off and on, in the same run.
//
// One serving node opened in this process through the C ABI (cairn_open
// with replication.node_id set: it serves cluster clients on its loopback
// replication listener) holding 20,000 records of 16-byte keys and 100-byte
// values, and two cluster clients (cairn_cluster_open) of it over real
// loopback connections: one without audit.path, one with (not synced, the
// default). Both stay open for the whole run, so
// --benchmark_enable_random_interleaving can mix the runs. One thread each:
//   BM_RoutedPut/audit:<0|1>  puts over the loaded keys, in order
//   BM_RoutedGet/audit:<0|1>  gets of loaded keys (every key once a pass)
// benchmarks/report.py prints ops/s off and on and the ratio on ÷ off
// (the goal: ≥ 0.90).
//
// CAIRN_BENCH_DIR: where the node and the audit log go (default $TMPDIR).
#ifndef CAIRN_BENCHMARKS_AUDIT_ROUTED_BENCHMARK_H_
#define CAIRN_BENCHMARKS_AUDIT_ROUTED_BENCHMARK_H_

namespace cairn_bench {

// Registers the four benchmarks; the node and clients are made on the
// first run.
void RegisterRoutedBenchmarks();
// Closes the clients and the node and removes their files (call after the
// runs).
void DestroyRoutedFixture();

}  // namespace cairn_bench

#endif  // CAIRN_BENCHMARKS_AUDIT_ROUTED_BENCHMARK_H_
