#include "cairn_runs.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "leveldb/db.h"
#include "leveldb/write_batch.h"
#include "ycsb_workload.h"

namespace cairn_repl {
namespace {

using cairn_ycsb::FormatKey;
using cairn_ycsb::FormatValue;
using cairn_ycsb::kKeyBytes;
using cairn_ycsb::kValueBytes;

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(s));
}

// How long the peer may take to show a write before the run fails.
constexpr std::chrono::milliseconds kReplicationTimeout(60000);
// Between polls of the peer.
constexpr std::chrono::microseconds kPollPause(20);

}  // namespace

std::string RecordKey(uint64_t record) {
  std::string key(kKeyBytes, '\0');
  FormatKey(record, key.data());
  return key;
}

bool PutThroughput(CairnNode* node, double seconds, uint64_t key_base,
                   PutRun* out, std::string* error) {
  char key[kKeyBytes], value[kValueBytes];
  uint64_t n = 0;
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + Seconds(seconds);
  do {
    // The clock is read once per 64 puts.
    for (int i = 0; i < 64; ++i, ++n) {
      FormatKey(key_base + n, key);
      FormatValue(key_base + n, 0, value);
      if (!Put(node->db(), nullptr, {key, kKeyBytes}, {value, kValueBytes},
               error)) {
        return false;
      }
    }
  } while (Clock::now() < deadline);
  out->records = n;
  out->ops_per_sec =
      static_cast<double>(n) / SecondsBetween(start, Clock::now());
  out->last_record = key_base + n - 1;
  return true;
}

// Writes records [key_base, key_base + records) to `db` in write batches.
bool WriteBatches(cairn_db_t* db, uint64_t records, int batch,
                  uint64_t key_base, std::string* error) {
  cairn_writebatch_t* wb = cairn_writebatch_create();
  char key[kKeyBytes], value[kValueBytes];
  char* err = nullptr;
  cairn_status_t s = CAIRN_OK;
  const char* what = "";
  for (uint64_t n = 0; s == CAIRN_OK && n < records;) {
    cairn_writebatch_clear(wb);
    for (int i = 0; s == CAIRN_OK && i < batch && n < records; ++i, ++n) {
      FormatKey(key_base + n, key);
      FormatValue(key_base + n, 0, value);
      s = cairn_writebatch_put(wb, key, kKeyBytes, value, kValueBytes, &err);
      what = "cairn_writebatch_put";
    }
    if (s == CAIRN_OK) {
      s = cairn_write(db, nullptr, wb, &err);
      what = "cairn_write";
    }
  }
  cairn_writebatch_destroy(wb);
  if (s == CAIRN_OK) return true;
  *error = std::string(what) + ": " + cairn_status_name(s) + ": " +
           (err != nullptr ? err : "");
  cairn_free(err);
  return false;
}

bool StreamRate(NodePair* pair, uint64_t records, int batch, uint64_t key_base,
                StreamRun* out, std::string* error) {
  const Clock::time_point start = Clock::now();
  if (!WriteBatches(pair->first->db(), records, batch, key_base, error)) {
    return false;
  }
  const Clock::time_point written = Clock::now();
  // Records are sent in order: the last one readable means all are.
  Clock::time_point caught_up;
  if (!pair->second->WaitFor(RecordKey(key_base + records - 1), kPollPause,
                             kReplicationTimeout, &caught_up)) {
    *error = "stream: the peer did not catch up within 60 s";
    return false;
  }
  out->records = records;
  out->write_per_sec =
      static_cast<double>(records) / SecondsBetween(start, written);
  out->stream_per_sec =
      static_cast<double>(records) / SecondsBetween(start, caught_up);
  out->tail_ms = SecondsBetween(written, caught_up) * 1e3;
  return true;
}

bool BareLevelDbBatchRate(const std::string& dir, uint64_t records, int batch,
                          uint64_t key_base, double* per_sec,
                          std::string* error) {
  leveldb::Options options;
  options.create_if_missing = true;
  options.error_if_exists = true;
  leveldb::DB* raw = nullptr;
  leveldb::Status s = leveldb::DB::Open(options, dir, &raw);
  if (!s.ok()) {
    *error = "bare LevelDB open: " + s.ToString();
    return false;
  }
  std::unique_ptr<leveldb::DB> db(raw);
  char key[kKeyBytes], value[kValueBytes];
  leveldb::WriteBatch wb;
  const Clock::time_point start = Clock::now();
  for (uint64_t n = 0; s.ok() && n < records;) {
    wb.Clear();
    for (int i = 0; i < batch && n < records; ++i, ++n) {
      FormatKey(key_base + n, key);
      FormatValue(key_base + n, 0, value);
      wb.Put(leveldb::Slice(key, kKeyBytes), leveldb::Slice(value, kValueBytes));
    }
    s = db->Write(leveldb::WriteOptions(), &wb);
  }
  *per_sec = static_cast<double>(records) / SecondsBetween(start, Clock::now());
  db.reset();
  (void)leveldb::DestroyDB(dir, options);
  if (!s.ok()) {
    *error = "bare LevelDB write: " + s.ToString();
    return false;
  }
  return true;
}

bool ReplayRate(NodePair* pair, uint64_t records, int batch, uint64_t key_base,
                ReplayRun* out, std::string* error) {
  if (records < 2) {
    *error = "replay: needs at least 2 records";
    return false;
  }
  // Closed, not destroyed: node 1 keeps node 2's cursor and log.
  pair->second->Close();
  if (!WriteBatches(pair->first->db(), records, batch, key_base, error) ||
      !pair->second->Reopen(pair->second_reopen, error)) {
    return false;
  }
  const Clock::time_point opened = Clock::now();
  Clock::time_point first, last;
  if (!pair->second->WaitFor(RecordKey(key_base), kPollPause,
                             kReplicationTimeout, &first) ||
      !pair->second->WaitFor(RecordKey(key_base + records - 1), kPollPause,
                             kReplicationTimeout, &last)) {
    *error = "replay: the peer did not catch up within 60 s of its reopen";
    return false;
  }
  out->records = records;
  // At least one poll interval: first and last may come in one batch.
  out->stream_per_sec =
      static_cast<double>(records - 1) /
      std::max(SecondsBetween(first, last), 1e-6 * kPollPause.count());
  out->reconnect_ms = SecondsBetween(opened, first) * 1e3;
  out->with_reconnect_per_sec =
      static_cast<double>(records) / SecondsBetween(opened, last);
  return true;
}

bool PacedLag(NodePair* pair, double per_sec, double seconds, uint64_t key_base,
              LagRun* out, std::string* error) {
  struct Sample {
    uint64_t record;
    Clock::time_point committed;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Sample> queue;  // guarded by mu
  bool writer_done = false;  // guarded by mu
  std::string poller_error;  // written by the poller, read after join
  std::vector<uint64_t> lags_ns;
  const Clock::time_point start = Clock::now();

  // Takes the samples in order and polls the peer for each.
  std::thread poller([&] {
    for (;;) {
      Sample s;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return writer_done || !queue.empty(); });
        if (queue.empty()) return;
        s = queue.front();
        queue.pop_front();
      }
      Clock::time_point seen;
      if (!pair->second->WaitFor(RecordKey(s.record), kPollPause,
                                 kReplicationTimeout, &seen)) {
        poller_error = "lag: a write did not reach the peer within 60 s";
        std::lock_guard<std::mutex> lock(mu);
        writer_done = true;  // stops the writer too
        return;
      }
      lags_ns.push_back(NanosBetween(s.committed, seen));
      out->samples.emplace_back(SecondsBetween(start, s.committed),
                                NanosBetween(s.committed, seen) / 1e6);
    }
  });

  // Ticks of 1 ms: each writes what the rate owes so far. The last write
  // of each millisecond is a sample, also when the writer is behind (a
  // stalled engine) and a tick's writes take longer than a tick.
  char key[kKeyBytes], value[kValueBytes];
  uint64_t n = 0;
  bool ok = true;
  bool stop = false;
  const Clock::time_point deadline = start + Seconds(seconds);
  Clock::time_point last_sample = start;
  for (Clock::time_point tick = start; ok && !stop && tick < deadline;
       tick += std::chrono::milliseconds(1)) {
    std::this_thread::sleep_until(tick);
    {
      std::lock_guard<std::mutex> lock(mu);
      if (writer_done) break;  // the poller failed
    }
    const uint64_t due =
        static_cast<uint64_t>(per_sec * SecondsBetween(start, Clock::now()));
    while (n < due) {
      FormatKey(key_base + n, key);
      FormatValue(key_base + n, 0, value);
      if (!Put(pair->first->db(), nullptr, {key, kKeyBytes},
               {value, kValueBytes}, error)) {
        ok = false;
        break;
      }
      ++n;
      const Clock::time_point committed = Clock::now();
      stop = committed >= deadline;
      if (n == due || stop ||
          committed - last_sample >= std::chrono::milliseconds(1)) {
        last_sample = committed;
        {
          std::lock_guard<std::mutex> lock(mu);
          queue.push_back({key_base + n - 1, committed});
        }
        cv.notify_one();
      }
      if (stop) break;
    }
  }
  const Clock::time_point end = Clock::now();
  {
    std::lock_guard<std::mutex> lock(mu);
    writer_done = true;
  }
  cv.notify_one();
  poller.join();
  if (!ok) return false;
  if (!poller_error.empty()) {
    *error = poller_error;
    return false;
  }
  out->target_per_sec = per_sec;
  out->achieved_per_sec = static_cast<double>(n) / SecondsBetween(start, end);
  out->lag = Summarize(&lags_ns);
  return true;
}

bool SyncLatency(CairnNode* node, int writers, double seconds,
                 uint64_t key_base, std::vector<uint64_t>* ns,
                 uint64_t* timeouts_out, std::string* error, bool sync) {
  std::mutex mu;
  std::condition_variable cv;
  bool go = false;
  Clock::time_point deadline;
  std::vector<std::vector<uint64_t>> samples(writers);
  std::vector<std::string> errors(writers);
  std::atomic<uint64_t> timeouts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      cairn_writeoptions_t* wo = cairn_writeoptions_create();
      char* err = nullptr;
      const cairn_status_t s = cairn_writeoptions_set_replication_mode(
          wo, sync ? CAIRN_REPLICATION_SYNC : CAIRN_REPLICATION_ASYNC, &err);
      cairn_writeoptions_set_sync_acks(wo, 1);
      if (s != CAIRN_OK) {
        errors[t] = std::string("set_replication_mode: ") + (err ? err : "");
        cairn_free(err);
      }
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return go; });
      }
      char key[kKeyBytes], value[kValueBytes];
      const uint64_t base = key_base + (static_cast<uint64_t>(t) << 32);
      for (uint64_t n = 0; errors[t].empty() && Clock::now() < deadline; ++n) {
        FormatKey(base + n, key);
        FormatValue(base + n, 0, value);
        const Clock::time_point t0 = Clock::now();
        char* err = nullptr;
        const cairn_status_t s =
            cairn_put(node->db(), wo, key, kKeyBytes, value, kValueBytes, &err);
        const uint64_t ns_taken = NanosBetween(t0, Clock::now());
        if (s == CAIRN_TIMEOUT) {
          // Committed here, not acknowledged in time: counted, and its
          // latency (the timeout) kept.
          timeouts.fetch_add(1, std::memory_order_relaxed);
        } else if (s != CAIRN_OK) {
          errors[t] = std::string("cairn_put: ") + cairn_status_name(s) + ": " +
                      (err != nullptr ? err : "");
        }
        cairn_free(err);
        if (!errors[t].empty()) break;
        samples[t].push_back(ns_taken);
      }
      cairn_writeoptions_destroy(wo);
    });
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    deadline = Clock::now() + Seconds(seconds);
    go = true;
  }
  cv.notify_all();
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < writers; ++t) {
    if (!errors[t].empty()) {
      *error = "sync writer " + std::to_string(t) + ": " + errors[t];
      return false;
    }
    ns->insert(ns->end(), samples[t].begin(), samples[t].end());
  }
  *timeouts_out += timeouts.load();
  return true;
}

}  // namespace cairn_repl
