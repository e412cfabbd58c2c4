#include "cluster/audit_writer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "leveldb/write_batch.h"

namespace cairn::cluster {

AuditBatchWriter::AuditBatchWriter(leveldb::DB* db, absl::Duration interval,
                                   std::string what)
    : db_(db), interval_(interval), what_(std::move(what)) {
  thread_ = std::thread([this] { Run(); });
}

AuditBatchWriter::~AuditBatchWriter() {
  {
    MutexLock l(&mu_);
    stop_ = true;
  }
  work_cv_.SignalAll();
  thread_.join();
}

absl::Status AuditBatchWriter::Add(std::string key, std::string value,
                                   std::string index_key) {
  MutexLock l(&mu_);
  while (error_.ok() && queue_.size() >= kMaxQueued) done_cv_.Wait(&mu_);
  if (!error_.ok()) return error_;
  queue_.push_back({std::move(key), std::move(value), std::move(index_key)});
  ++queued_;
  // The writer sleeps while the queue is empty; the first record starts
  // its interval. A full batch does not wait for the interval.
  if (queue_.size() == 1 || queue_.size() == kBatchRecords) {
    work_cv_.Signal();
  }
  return absl::OkStatus();
}

absl::Status AuditBatchWriter::Flush() {
  MutexLock l(&mu_);
  const uint64_t target = queued_;
  if (target > flush_upto_) flush_upto_ = target;
  work_cv_.Signal();
  while (written_ < target) done_cv_.Wait(&mu_);
  return error_;
}

void AuditBatchWriter::Run() {
  mu_.Lock();
  for (;;) {
    while (queue_.empty() && !stop_) work_cv_.Wait(&mu_);
    if (queue_.empty()) break;  // stopping with nothing left
    const absl::Time due = absl::Now() + interval_;
    while (!stop_ && flush_upto_ <= written_ && queue_.size() < kBatchRecords) {
      if (work_cv_.WaitWithDeadline(&mu_, due)) break;
    }
    std::vector<Entry> batch;
    batch.swap(queue_);
    const uint64_t upto = queued_;
    mu_.Unlock();
    leveldb::WriteBatch wb;
    for (const Entry& e : batch) {
      wb.Put(e.key, e.value);
      wb.Put(e.index_key, leveldb::Slice());
    }
    const leveldb::Status ls = db_->Write(leveldb::WriteOptions(), &wb);
    mu_.Lock();
    if (!ls.ok() && error_.ok()) {
      error_ = absl::UnavailableError(
          absl::StrCat(what_, ": writing ", batch.size(),
                       " queued records: ", ls.ToString()));
    }
    written_ = upto;
    done_cv_.SignalAll();
  }
  mu_.Unlock();
}

}  // namespace cairn::cluster
