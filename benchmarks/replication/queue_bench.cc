// cairn_queue_bench: P5's "queuing a write for replication ≤ 200 ns"
// (shared BENCHMARKS.md), measured on the write path itself.
//
// The op log is the queue: every write's op-log entry goes into LevelDB in
// the write's own batch whether the node has peers or not (P3 counts it, in
// cairn_bench). What a node with peers adds to a write is done by the write
// queue's leader after the LevelDB write: the copy of the batch into the
// in-memory tail its senders ship from (OpLogTail::Append) and the wake-up
// of a sender waiting for the log to grow (OpLog::Publish). Benchmarks:
//
//   BM_QueueTailAppend      OpLogTail::Append of a one-write batch (the
//                           tail full, so each append also drops the oldest)
//   BM_QueuePublish/sender:0  Publish with no sender waiting
//   BM_QueuePublish/sender:1  Publish with a sender thread waiting for each
//                           next sequence (the wake-up an idle peer costs)
//   BM_QueuePut/peers:0/delay_us:0    a whole Db::Put (no sync), alone
//   BM_QueuePut/peers:1/delay_us:D    the same with the tail enabled and a
//                           sender draining it as Peer does, woken by every
//                           commit (D = 0) or gathering for up to D µs
//                           (replication.max_send_delay_us, default 200):
//                           the difference from alone is what queuing
//                           costs a put
//
// Keys and values have the replication benchmark's sizes (16 and 100
// bytes). run.sh runs this beside cairn_repl_bench and report.py puts its
// figures in the P5 table. The databases live under --dir (default: a
// directory under /tmp, removed at exit); no cache instance is opened.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/db.h"
#include "engine/op_log.h"
#include "engine/op_log_tail.h"
#include "engine/options.h"

namespace {

constexpr size_t kKeySize = 16;
constexpr size_t kValueSize = 100;
constexpr size_t kTailBytes = 32u << 20;  // replication.send_cache_mb's default
constexpr size_t kSenderBatch = 1024;     // replication.batch_max_ops's default

std::string g_dir;  // set in main

std::string Key(uint64_t i) {
  char buf[kKeySize + 1];
  std::snprintf(buf, sizeof(buf), "k%015llu", static_cast<unsigned long long>(i));
  return std::string(buf, kKeySize);
}

std::unique_ptr<cairn::Db> OpenDb(const std::string& name,
                                  benchmark::State& state) {
  const std::string path = g_dir + "/" + name;
  (void)cairn::Db::Destroy(path);
  cairn::Options o;
  o.create_if_missing = true;
  o.cache_capacity_mb = 0;  // the queue is the subject, not the cache
  absl::StatusOr<std::unique_ptr<cairn::Db>> db = cairn::Db::Open(o, path);
  if (!db.ok()) {
    state.SkipWithError(std::string(db.status().message()).c_str());
    return nullptr;
  }
  return std::move(*db);
}

// A sender as Peer::Stream runs one: waits for the log to pass what it
// shipped, then takes whole batches from the tail. With `delay_us` > 0 it
// gathers as Peer does (replication.max_send_delay_us): while writes keep
// coming it waits for a quarter batch or `delay_us`, not for each commit.
class Sender {
 public:
  Sender(cairn::Db* db, uint64_t delay_us)
      : db_(db), delay_us_(delay_us), thread_([this] { Run(); }) {}
  ~Sender() {
    stop_.store(true);
    thread_.join();
  }
  uint64_t shipped() const { return shipped_.load(); }
  uint64_t wakeups() const { return wakeups_.load(); }

 private:
  void Run() {
    uint64_t next = db_->LastSequence() + 1;
    uint64_t kicks = 0;
    bool flowing = false;
    std::vector<cairn::OpLogBatch> batches;
    while (!stop_.load(std::memory_order_relaxed)) {
      if (db_->LastSequence() < next) {
        const bool gather = delay_us_ > 0 && flowing;
        db_->WaitForSequence(
            gather ? next + kSenderBatch / 4 - 1 : next,
            absl::Now() + (gather ? absl::Microseconds(delay_us_)
                                  : absl::Milliseconds(20)),
            &kicks);
        wakeups_.fetch_add(1, std::memory_order_relaxed);
        flowing = db_->LastSequence() >= next;
        continue;
      }
      batches.clear();
      if (!db_->ReadOpLogTail(next, kSenderBatch, &batches)) {
        next = db_->LastSequence() + 1;  // fell behind the tail: skip ahead
        continue;
      }
      for (const cairn::OpLogBatch& b : batches) {
        next = b.first_sequence + b.ops.size();
        shipped_.fetch_add(b.ops.size(), std::memory_order_relaxed);
      }
    }
  }
  cairn::Db* const db_;
  const uint64_t delay_us_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> shipped_{0};
  std::atomic<uint64_t> wakeups_{0};
  std::thread thread_;
};

void BM_QueueTailAppend(benchmark::State& state) {
  cairn::OpLogTail tail(kTailBytes);
  const std::string key = Key(1);
  const std::string value(kValueSize, 'v');
  uint64_t seq = 1;
  cairn::Version version{};
  // Fill the tail first, so appends also drop the oldest batch, as they do
  // on a node that has been writing for a while.
  for (size_t bytes = 0; bytes < 2 * kTailBytes; bytes += 256) {
    cairn::OpLogTail::Op op{cairn::OpKind::kPut, version, key, value};
    tail.Append(seq++, 0, {&op, 1});
  }
  for (auto _ : state) {
    version.hlc = seq;
    cairn::OpLogTail::Op op{cairn::OpKind::kPut, version, key, value};
    tail.Append(seq++, 0, {&op, 1});
  }
  state.counters["tail_batches"] = static_cast<double>(tail.GetStats().batches);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QueueTailAppend);

// Publish as the write leader calls it after each commit. "sender": a
// thread waits for each next sequence as an idle Peer does, so a publish
// that finds it asleep pays its wake-up.
void BM_QueuePublish(benchmark::State& state) {
  const bool waiting_sender = state.range(0) != 0;
  cairn::OpLog log(nullptr);  // publish and wait use no LevelDB
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> wakeups{0};
  std::thread sender;
  if (waiting_sender) {
    sender = std::thread([&] {
      while (!stop.load(std::memory_order_relaxed)) {
        log.WaitFor(log.LastSequence() + 1,
                    absl::Now() + absl::Milliseconds(20));
        wakeups.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  uint64_t seq = 0;
  for (auto _ : state) log.Publish(++seq);
  stop.store(true);
  log.Close();
  if (sender.joinable()) sender.join();
  state.counters["sender_wakeups"] = static_cast<double>(wakeups.load());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QueuePublish)->ArgName("sender")->Arg(0)->Arg(1)->UseRealTime();

void BM_QueuePut(benchmark::State& state) {
  const bool peers = state.range(0) != 0;
  const uint64_t delay_us = static_cast<uint64_t>(state.range(1));
  std::unique_ptr<cairn::Db> db =
      OpenDb(peers ? "put_peers" : "put_alone", state);
  if (db == nullptr) return;
  std::unique_ptr<Sender> sender;
  if (peers) {
    db->EnableOpLogTail(kTailBytes);
    sender = std::make_unique<Sender>(db.get(), delay_us);
  }
  const std::string value(kValueSize, 'v');
  uint64_t i = 0;
  for (auto _ : state) {
    absl::Status s = db->Put({}, Key(i++), value);
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      break;
    }
  }
  if (sender != nullptr) {
    // The sender must have kept up (it ships from memory): a sender that
    // fell behind would not be the steady state measured.
    const absl::Time until = absl::Now() + absl::Seconds(10);
    while (sender->shipped() < i && absl::Now() < until) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    state.counters["shipped"] = static_cast<double>(sender->shipped());
    state.counters["sender_wakeups"] = static_cast<double>(sender->wakeups());
    sender.reset();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QueuePut)
    ->ArgNames({"peers", "delay_us"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({1, 200})
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  // --dir=PATH is ours; the rest goes to Google Benchmark.
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--dir=", 6) == 0) {
      g_dir = argv[i] + 6;
    } else {
      args.push_back(argv[i]);
    }
  }
  bool remove_dir = false;
  if (g_dir.empty()) {
    char tmpl[] = "/tmp/cairn_queue_bench.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::perror("cairn_queue_bench: mkdtemp");
      return 1;
    }
    g_dir = tmpl;
    remove_dir = true;
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (remove_dir) {
    std::error_code ec;
    std::filesystem::remove_all(g_dir, ec);
  }
  return 0;
}
