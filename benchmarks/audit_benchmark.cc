// What the audit log costs a routed request (issue 13, R1-R6; P15 in the
// shared BENCHMARKS.md), two ways in one binary:
//
//   BM_AuditAppend          one Append per iteration of a typical put's
//                           record (params as AuditParams makes), written by
//                           the caller, not synced (audit.flush_ms=0)
//   BM_AuditAppendQueued    the same queued for the batch writer thread
//                           (audit.flush_ms=2, the cluster default): the
//                           caller's cost only
//   BM_AuditAppend/threads  the same from several client threads at once
//   BM_AuditAppendSync      audit.sync=true: each record fsynced
//   BM_Routed{Put,Get}/audit:<0|1>
//                           routed throughput at one client against one
//                           serving node on loopback, audit log off and on
//                           (audit_routed_benchmark.h)
//
// Run (Release build with -DCAIRN_BUILD_BENCHMARKS=ON):
//   build-rel/benchmarks/cairn_audit_bench --benchmark_repetitions=30 \
//     --benchmark_min_time=0.1 --benchmark_enable_random_interleaving=true \
//     --benchmark_out=audit.json --benchmark_out_format=json
//   /usr/bin/python3 benchmarks/report.py audit.json   # the on ÷ off ratio
// CAIRN_BENCH_DIR: where the temporary logs and the node go ($TMPDIR).
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "audit_routed_benchmark.h"
#include "benchmark/benchmark.h"
#include "cluster/audit_log.h"

namespace {

using cairn::cluster::AuditLog;
using cairn::cluster::AuditOptions;
using cairn::cluster::AuditRecord;

std::string TempLogDir() {
  const char* base = getenv("CAIRN_BENCH_DIR");
  std::string tmpl =
      (base != nullptr ? std::filesystem::path(base)
                       : std::filesystem::temp_directory_path()) /
      "cairn-audit-bench-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) abort();
  return tmpl;
}

// One log shared by the threads of a run; made by thread 0 before, removed
// after (google benchmark synchronises the threads around Setup/Teardown).
struct SharedLog {
  std::string dir;
  std::unique_ptr<AuditLog> log;
};
SharedLog* g_log = nullptr;

void OpenShared(bool sync, absl::Duration flush) {
  g_log = new SharedLog;
  g_log->dir = TempLogDir();
  AuditOptions o;
  o.sync = sync;
  o.flush_interval = flush;
  auto log = AuditLog::Open(g_log->dir + "/audit", o);
  if (!log.ok()) abort();
  g_log->log = *std::move(log);
}

void CloseShared() {
  g_log->log.reset();
  std::filesystem::remove_all(g_log->dir);
  delete g_log;
  g_log = nullptr;
}

AuditRecord TypicalRecord(int thread, uint64_t n) {
  AuditRecord r;
  r.start = absl::Now();
  r.end = r.start + absl::Microseconds(80);
  r.client_id = absl::StrCat("bench-client-", thread);
  r.client_address = "127.0.0.1:51234";
  r.method = "put";
  r.params = absl::StrCat("key=\"user:", n, "\" value_bytes=100");
  r.shard = static_cast<int64_t>(n % 16384);
  r.node = 2;
  r.outcome = "OK";
  return r;
}

void RunAppend(benchmark::State& state, bool sync,
               absl::Duration flush = absl::ZeroDuration()) {
  if (state.thread_index() == 0) OpenShared(sync, flush);
  uint64_t n = 0;
  for (auto _ : state) {
    AuditRecord r = TypicalRecord(state.thread_index(), n++);
    if (!g_log->log->Append(r).ok()) {
      state.SkipWithError("Append failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) CloseShared();
}

void BM_AuditAppend(benchmark::State& state) { RunAppend(state, false); }
BENCHMARK(BM_AuditAppend)->Threads(1)->Threads(4)->UseRealTime();

void BM_AuditAppendQueued(benchmark::State& state) {
  RunAppend(state, false, absl::Milliseconds(2));
}
BENCHMARK(BM_AuditAppendQueued)->Threads(1)->Threads(4)->UseRealTime();

void BM_AuditAppendSync(benchmark::State& state) { RunAppend(state, true); }
BENCHMARK(BM_AuditAppendSync)->Threads(1)->UseRealTime();

// The console reporter, remembering whether a run reported an error (so the
// smoke test fails on one).
class ErrorNotingReporter : public benchmark::ConsoleReporter {
 public:
  ErrorNotingReporter()
      : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_Color : OO_None) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) failed_ = failed_ || run.error_occurred;
    ConsoleReporter::ReportRuns(runs);
  }
  bool failed() const { return failed_; }

 private:
  bool failed_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  cairn_bench::RegisterRoutedBenchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  ErrorNotingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  cairn_bench::DestroyRoutedFixture();
  return reporter.failed() ? 1 : 0;
}
