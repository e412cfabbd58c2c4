// FaultEnv: a LevelDB Env for tests that fails writes on demand and can
// lose what was never synced, as a power cut would (RELIABILITY R2).
//
// Wraps another Env (the default one unless told otherwise). Every file
// LevelDB writes through it is tracked: how many bytes were appended and how
// many of them a Sync() made durable. After the database is closed,
// DropUnsyncedData() truncates each file to its synced length. While
// SetWritesFail(true), appends and syncs return an IOError; FailAfter(n)
// lets n more through first, so a test can stop the writes at every point
// of a commit in turn, as a crash there would.
//
// Thread-safe. Must outlive the databases opened with it.
#ifndef CAIRN_TESTS_UNIT_FAULT_ENV_H_
#define CAIRN_TESTS_UNIT_FAULT_ENV_H_

#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "leveldb/env.h"

namespace cairn::testing {

class FaultEnv : public leveldb::EnvWrapper {
 public:
  explicit FaultEnv(leveldb::Env* base = leveldb::Env::Default())
      : leveldb::EnvWrapper(base) {}

  void SetWritesFail(bool fail) {
    writes_fail_.store(fail);
    budget_.store(-1);
  }
  // Lets the next `n` appends and syncs through, then fails every one after
  // them until SetWritesFail(false).
  void FailAfter(int n) {
    writes_fail_.store(false);
    budget_.store(n);
  }
  bool writes_fail() const { return writes_fail_.load(); }
  // Appends and syncs refused since construction.
  int failed_writes() const { return failed_writes_.load(); }

  // Truncates every tracked file to the bytes its last Sync() covered.
  // Call with every database using this Env closed.
  void DropUnsyncedData() {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [name, state] : files_) {
      if (state.size > state.synced) {
        (void)truncate(name.c_str(), static_cast<off_t>(state.synced));
      }
    }
  }

  leveldb::Status NewWritableFile(const std::string& f,
                                  leveldb::WritableFile** r) override {
    leveldb::WritableFile* base = nullptr;
    leveldb::Status s = target()->NewWritableFile(f, &base);
    if (!s.ok()) return s;
    Track(f, 0);
    *r = new File(this, f, base);
    return s;
  }

  leveldb::Status NewAppendableFile(const std::string& f,
                                    leveldb::WritableFile** r) override {
    uint64_t size = 0;
    if (!target()->GetFileSize(f, &size).ok()) size = 0;
    leveldb::WritableFile* base = nullptr;
    leveldb::Status s = target()->NewAppendableFile(f, &base);
    if (!s.ok()) return s;
    Track(f, size);
    *r = new File(this, f, base);
    return s;
  }

  leveldb::Status RemoveFile(const std::string& f) override {
    {
      std::lock_guard<std::mutex> l(mu_);
      files_.erase(f);
    }
    return target()->RemoveFile(f);
  }

  leveldb::Status RenameFile(const std::string& from,
                             const std::string& to) override {
    leveldb::Status s = target()->RenameFile(from, to);
    if (s.ok()) {
      std::lock_guard<std::mutex> l(mu_);
      auto it = files_.find(from);
      if (it != files_.end()) {
        files_[to] = it->second;
        files_.erase(it);
      } else {
        files_.erase(to);
      }
    }
    return s;
  }

 private:
  struct State {
    uint64_t size = 0;
    uint64_t synced = 0;
  };

  class File : public leveldb::WritableFile {
   public:
    File(FaultEnv* env, std::string name, leveldb::WritableFile* base)
        : env_(env), name_(std::move(name)), base_(base) {}
    leveldb::Status Append(const leveldb::Slice& data) override {
      if (env_->Refuse()) return leveldb::Status::IOError(name_, "injected");
      leveldb::Status s = base_->Append(data);
      if (s.ok()) env_->Grow(name_, data.size());
      return s;
    }
    leveldb::Status Close() override { return base_->Close(); }
    leveldb::Status Flush() override { return base_->Flush(); }
    leveldb::Status Sync() override {
      if (env_->Refuse()) return leveldb::Status::IOError(name_, "injected");
      leveldb::Status s = base_->Sync();
      if (s.ok()) env_->MarkSynced(name_);
      return s;
    }

   private:
    FaultEnv* const env_;
    const std::string name_;
    std::unique_ptr<leveldb::WritableFile> base_;
  };

  bool Refuse() {
    if (!writes_fail_.load()) {
      int budget = budget_.load();
      while (budget > 0 && !budget_.compare_exchange_weak(budget, budget - 1)) {
      }
      if (budget != 0) return false;  // unlimited, or one of the n let through
      writes_fail_.store(true);
    }
    failed_writes_.fetch_add(1);
    return true;
  }
  void Track(const std::string& f, uint64_t size) {
    std::lock_guard<std::mutex> l(mu_);
    files_[f] = State{size, size};
  }
  void Grow(const std::string& f, uint64_t n) {
    std::lock_guard<std::mutex> l(mu_);
    files_[f].size += n;
  }
  void MarkSynced(const std::string& f) {
    std::lock_guard<std::mutex> l(mu_);
    State& s = files_[f];
    s.synced = s.size;
  }

  std::atomic<bool> writes_fail_{false};
  std::atomic<int> budget_{-1};  // writes FailAfter still lets through; -1: all
  std::atomic<int> failed_writes_{0};
  std::mutex mu_;
  std::map<std::string, State> files_;
};

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_UNIT_FAULT_ENV_H_
