#include "engine/db_iterator.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/db_core.h"
#include "engine/format.h"
#include "engine/read_trail.h"
#include "engine/status.h"
#include "engine/strings.h"
#include "leveldb/iterator.h"

namespace cairn {

DbIterator::DbIterator(std::shared_ptr<DbCore> core, leveldb::Iterator* it,
                       std::optional<std::string> lower,
                       std::optional<std::string> upper, bool include_deleted)
    : core_(std::move(core)), it_(it), include_deleted_(include_deleted) {
  lower_ = DataKey(lower.value_or(""));
  if (upper.has_value()) {
    upper_ = DataKey(*upper);
  } else {
    upper_ = std::string(1, kDataPrefix + 1);  // end of the data key space
  }
}

DbIterator::~DbIterator() { core_->UnregisterIterator(this); }

void DbIterator::InvalidateLocked() {
  delete it_;
  it_ = nullptr;
  valid_ = false;
  closed_ = true;
}

bool DbIterator::Usable() {
  if (it_ != nullptr) return true;
  valid_ = false;
  return false;
}

std::string_view DbIterator::key() const {
  if (!valid_) return {};
  leveldb::Slice k = it_->key();
  return std::string_view(k.data() + 1, k.size() - 1);
}

absl::Status DbIterator::status() const {
  if (closed_) return absl::UnavailableError("iterator's database is closed");
  if (!status_.ok()) return status_;
  if (it_ != nullptr) return FromLevelDB(it_->status(), "iterator");
  return absl::OkStatus();
}

bool DbIterator::Damaged() {
  // LevelDB's iterator steps over a block that fails its checksum and only
  // remembers the error: stop there rather than yield a range with a hole.
  leveldb::Status s = it_->status();
  if (s.ok()) return false;
  status_ = ReadTrail::Convert(s, "iterator");
  valid_ = false;
  return true;
}

void DbIterator::SkipForward() {
  valid_ = false;
  while (it_->Valid() && !Damaged()) {
    leveldb::Slice k = it_->key();
    if (std::string_view(k.data(), k.size()) >= upper_) return;
    leveldb::Slice v = it_->value();
    absl::StatusOr<RecordView> r = ParseRecord({v.data(), v.size()});
    if (!r.ok()) {
      status_ = CorruptionError(absl::StrCat(
          "record of key '",
          absl::CHexEscape(absl::string_view(k.data() + 1, k.size() - 1)),
          "': ", r.status().message()));
      return;
    }
    if (r->kind == OpKind::kPut || include_deleted_) {
      value_ = r->value;
      version_ = r->version;
      deleted_ = r->kind == OpKind::kDelete;
      valid_ = true;
      return;
    }
    it_->Next();
  }
}

void DbIterator::SkipBackward() {
  valid_ = false;
  while (it_->Valid() && !Damaged()) {
    leveldb::Slice k = it_->key();
    if (std::string_view(k.data(), k.size()) < lower_) return;
    leveldb::Slice v = it_->value();
    absl::StatusOr<RecordView> r = ParseRecord({v.data(), v.size()});
    if (!r.ok()) {
      status_ = CorruptionError(absl::StrCat(
          "record of key '",
          absl::CHexEscape(absl::string_view(k.data() + 1, k.size() - 1)),
          "': ", r.status().message()));
      return;
    }
    if (r->kind == OpKind::kPut || include_deleted_) {
      value_ = r->value;
      version_ = r->version;
      deleted_ = r->kind == OpKind::kDelete;
      valid_ = true;
      return;
    }
    it_->Prev();
  }
}

void DbIterator::SeekToFirst() {
  ReadTrail trail;  // names the file of a damaged block
  if (!Usable()) return;
  status_ = absl::OkStatus();
  it_->Seek(lower_);
  SkipForward();
}

void DbIterator::SeekToLast() {
  ReadTrail trail;  // names the file of a damaged block
  if (!Usable()) return;
  status_ = absl::OkStatus();
  it_->Seek(upper_);
  if (it_->Valid()) {
    it_->Prev();
  } else {
    it_->SeekToLast();
  }
  SkipBackward();
}

void DbIterator::Seek(std::string_view target) {
  ReadTrail trail;  // names the file of a damaged block
  if (!Usable()) return;
  status_ = absl::OkStatus();
  std::string k = DataKey(target);
  it_->Seek(k < lower_ ? lower_ : k);
  SkipForward();
}

void DbIterator::SeekForPrev(std::string_view target) {
  ReadTrail trail;  // names the file of a damaged block
  if (!Usable()) return;
  std::string k = DataKey(target);
  if (k >= upper_) {
    SeekToLast();
    return;
  }
  status_ = absl::OkStatus();
  it_->Seek(k);
  if (!it_->Valid()) {
    it_->SeekToLast();
  } else if (it_->key().compare(leveldb::Slice(k)) > 0) {
    it_->Prev();
  }
  SkipBackward();
}

void DbIterator::Next() {
  ReadTrail trail;  // names the file of a damaged block
  if (!valid_ || !Usable()) return;
  it_->Next();
  SkipForward();
}

void DbIterator::Prev() {
  ReadTrail trail;  // names the file of a damaged block
  if (!valid_ || !Usable()) return;
  it_->Prev();
  SkipBackward();
}

}  // namespace cairn
