// WriteBatch: operations applied atomically by Db::Write.
//
// The batch only collects operations; versions, op-log sequences and limits
// are applied by Db::Write, which checks every key and value against the
// database's limits before writing anything. A later operation on the same
// key wins. Thread-compatible: one thread at a time.
#ifndef CAIRN_ENGINE_WRITE_BATCH_H_
#define CAIRN_ENGINE_WRITE_BATCH_H_

#include <string>
#include <string_view>
#include <vector>

#include "engine/format.h"

namespace cairn {

class WriteBatch {
 public:
  struct Op {
    OpKind kind;
    std::string key;
    std::string value;
    Version version;  // zero for local writes; set by the *Versioned calls
  };

  void Put(std::string_view key, std::string_view value) {
    bytes_ += key.size() + value.size();
    ops_.push_back({OpKind::kPut, std::string(key), std::string(value)});
  }
  void Delete(std::string_view key) {
    bytes_ += key.size();
    ops_.push_back({OpKind::kDelete, std::string(key), {}});
  }
  // A record with the version it already has (a load, a replicated write),
  // for Db::Apply.
  void PutVersioned(std::string_view key, std::string_view value,
                    const Version& version) {
    bytes_ += key.size() + value.size();
    ++versioned_;
    ops_.push_back(
        {OpKind::kPut, std::string(key), std::string(value), version});
  }
  void DeleteVersioned(std::string_view key, const Version& version) {
    bytes_ += key.size();
    ++versioned_;
    ops_.push_back({OpKind::kDelete, std::string(key), {}, version});
  }
  // Appends a copy of every operation of `other` (which may be *this).
  void Append(const WriteBatch& other) {
    if (&other == this) {
      std::vector<Op> copy = ops_;
      for (Op& op : copy) ops_.push_back(std::move(op));
      bytes_ *= 2;
      versioned_ *= 2;
      return;
    }
    ops_.insert(ops_.end(), other.ops_.begin(), other.ops_.end());
    bytes_ += other.bytes_;
    versioned_ += other.versioned_;
  }
  void Clear() {
    ops_.clear();
    bytes_ = 0;
    versioned_ = 0;
  }
  size_t Count() const { return ops_.size(); }
  // Sum of key and value bytes.
  size_t ByteSize() const { return bytes_; }
  const std::vector<Op>& ops() const { return ops_; }
  // Operations added with a version. Db::Write assigns versions and ignores
  // these; a batch of versioned operations goes to Db::Apply.
  size_t VersionedCount() const { return versioned_; }

 private:
  std::vector<Op> ops_;
  size_t bytes_ = 0;
  size_t versioned_ = 0;
};

}  // namespace cairn

#endif  // CAIRN_ENGINE_WRITE_BATCH_H_
