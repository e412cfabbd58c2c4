// AuditBatchWriter: puts audit records into the audit LevelDB off the
// caller's path. Add() queues a record's entries; a writer thread waits
// until the first queued record is `interval` old (or 4096 are queued, or
// someone flushes), then writes everything queued in one LevelDB write.
// Past 64 Ki queued records Add() waits for the writer (bounded memory; a
// record is never dropped). A failed write is kept and returned by every
// later Add and Flush: the log is then as good as its last good write.
//
// Thread-safe. The destructor writes what is queued, then stops.
#ifndef CAIRN_CLUSTER_AUDIT_WRITER_H_
#define CAIRN_CLUSTER_AUDIT_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "engine/mutex.h"
#include "leveldb/db.h"

namespace cairn::cluster {

class AuditBatchWriter {
 public:
  // `db` must outlive the writer; `what` names the log in error messages.
  AuditBatchWriter(leveldb::DB* db, absl::Duration interval, std::string what);
  ~AuditBatchWriter();
  AuditBatchWriter(const AuditBatchWriter&) = delete;
  AuditBatchWriter& operator=(const AuditBatchWriter&) = delete;

  // Queues a record under `key` and its index entry `index_key` (empty
  // value).
  [[nodiscard]] absl::Status Add(std::string key, std::string value,
                                 std::string index_key);
  // Returns once everything queued before the call is written.
  [[nodiscard]] absl::Status Flush();

  static constexpr size_t kBatchRecords = 4096;
  static constexpr size_t kMaxQueued = 64 * 1024;

 private:
  struct Entry {
    std::string key;
    std::string value;
    std::string index_key;
  };
  void Run();

  leveldb::DB* const db_;
  const absl::Duration interval_;
  const std::string what_;

  Mutex mu_;
  CondVar work_cv_;  // the writer: queue_ grew, flush_ or stop_ set
  CondVar done_cv_;  // Flush and a full queue: written_ advanced
  std::vector<Entry> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t queued_ ABSL_GUARDED_BY(mu_) = 0;   // records ever queued
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;  // of those, written (or failed)
  uint64_t flush_upto_ ABSL_GUARDED_BY(mu_) = 0;  // a flusher waits for this
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_AUDIT_WRITER_H_
