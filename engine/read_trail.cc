#include "engine/read_trail.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/status.h"
#include "engine/strings.h"
#include "leveldb/env.h"

namespace cairn {
namespace {

// The distinct files read on this thread since its trail started, oldest
// first, at most kMaxFiles (then the oldest is dropped). Reused: recording a
// name of similar length allocates nothing. A seek positions every table of
// level 0 (at most 12 before LevelDB stops writes) and one per other level,
// so 24 holds every file one operation can read.
constexpr size_t kMaxFiles = 24;
struct Trail {
  std::string files[kMaxFiles];
  size_t count = 0;
};
thread_local Trail trail;

void Record(const std::string& name) {
  for (size_t i = 0; i < trail.count; ++i) {
    if (trail.files[i] == name) return;
  }
  if (trail.count == kMaxFiles) {
    for (size_t i = 1; i < kMaxFiles; ++i)
      trail.files[i - 1].swap(trail.files[i]);
    --trail.count;
  }
  trail.files[trail.count++].assign(name);
}

class TrailSequentialFile : public leveldb::SequentialFile {
 public:
  TrailSequentialFile(std::string name, leveldb::SequentialFile* base)
      : name_(std::move(name)), base_(base) {}
  leveldb::Status Read(size_t n, leveldb::Slice* result,
                       char* scratch) override {
    Record(name_);
    return base_->Read(n, result, scratch);
  }
  leveldb::Status Skip(uint64_t n) override { return base_->Skip(n); }

 private:
  const std::string name_;
  std::unique_ptr<leveldb::SequentialFile> base_;
};

class TrailRandomAccessFile : public leveldb::RandomAccessFile {
 public:
  TrailRandomAccessFile(std::string name, uint64_t size,
                        leveldb::RandomAccessFile* base)
      : name_(std::move(name)), size_(size), base_(base) {}
  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                       char* scratch) const override {
    Record(name_);
    // LevelDB reads a table at the offsets its manifest recorded; a file
    // shorter than that was truncated, which is damage, not an I/O error
    // (the mmap reader reports EINVAL, the pread one a short read).
    if (offset > size_ || n > size_ - offset) {
      *result = leveldb::Slice();
      return leveldb::Status::Corruption(
          name_, absl::StrCat("truncated: a read of ", n, " bytes at offset ",
                              offset, " passes its end (", size_, " bytes)"));
    }
    return base_->Read(offset, n, result, scratch);
  }

 private:
  const std::string name_;
  const uint64_t size_;
  std::unique_ptr<leveldb::RandomAccessFile> base_;
};

class TrailEnv : public leveldb::EnvWrapper {
 public:
  explicit TrailEnv(leveldb::Env* base) : EnvWrapper(base) {}

  leveldb::Status NewSequentialFile(const std::string& fname,
                                    leveldb::SequentialFile** result) override {
    leveldb::SequentialFile* base = nullptr;
    leveldb::Status s = target()->NewSequentialFile(fname, &base);
    *result = s.ok() ? new TrailSequentialFile(fname, base) : nullptr;
    return s;
  }
  leveldb::Status NewRandomAccessFile(
      const std::string& fname, leveldb::RandomAccessFile** result) override {
    uint64_t size = 0;
    leveldb::Status s = target()->GetFileSize(fname, &size);
    leveldb::RandomAccessFile* base = nullptr;
    if (s.ok()) s = target()->NewRandomAccessFile(fname, &base);
    *result = s.ok() ? new TrailRandomAccessFile(fname, size, base) : nullptr;
    return s;
  }
};

}  // namespace

std::unique_ptr<leveldb::Env> NewReadTrailEnv(leveldb::Env* base) {
  return std::make_unique<TrailEnv>(base);
}

ReadTrail::ReadTrail() { trail.count = 0; }

std::string_view ReadTrail::LastFile() {
  return trail.count == 0 ? std::string_view() : trail.files[trail.count - 1];
}

absl::Status ReadTrail::Annotate(absl::Status s) {
  if (s.code() != absl::StatusCode::kDataLoss || trail.count == 0) return s;
  std::string suffix;
  if (trail.count == 1) {
    if (absl::StrContains(s.message(), trail.files[0])) return s;
    suffix = absl::StrCat(" (file ", trail.files[0], ")");
  } else {
    // LevelDB's iterators step over a damaged block and report it later, so
    // with several files read the culprit is one of them.
    suffix = " (in one of the files read: ";
    for (size_t i = 0; i < trail.count; ++i) {
      absl::StrAppend(&suffix, i == 0 ? "" : ", ", trail.files[i]);
    }
    suffix += ")";
  }
  return absl::Status(s.code(), absl::StrCat(s.message(), suffix));
}

absl::Status ReadTrail::Convert(const leveldb::Status& s,
                                std::string_view context) {
  return Annotate(FromLevelDB(s, context));
}

}  // namespace cairn
