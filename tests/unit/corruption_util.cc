#include "tests/unit/corruption_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/db.h"
#include "engine/db_iterator.h"
#include "gtest/gtest.h"

namespace cairn::testing {
namespace {

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// One key as Get saw it.
struct Seen {
  enum { kValue, kAbsent, kCorrupt } what;
  std::string value;
};

class Classifier {
 public:
  Classifier(const History& history, const std::string& damaged_file,
             const std::string& what, bool allow_prefix, Outcome* out)
      : history_(history),
        damaged_file_(damaged_file),
        what_(what),
        allow_prefix_(allow_prefix),
        out_(out) {
    for (size_t i = 0; i < history.size(); ++i) {
      writes_[history[i].first].push_back(i);
      final_[history[i].first] = history[i].second;
    }
  }

  // Returns true for DataLoss (after checking its message names the file).
  bool Corruption(const absl::Status& s, const std::string& op) {
    if (s.code() != absl::StatusCode::kDataLoss) return false;
    if (!damaged_file_.empty() &&
        !absl::StrContains(s.message(), damaged_file_)) {
      if (out_->unnamed++ == 0) {
        out_->first_unnamed = absl::StrCat(what_, ": ", op, ": ", s.message());
      }
    }
    return true;
  }

  void Wrong(const std::string& message) {
    if (out_->wrong++ == 0)
      out_->first_wrong = absl::StrCat(what_, ": ", message);
  }
  void Other(const absl::Status& s, const std::string& op) {
    ++out_->other_error;
    Wrong(absl::StrCat(op, ": unexpected status ", s.ToString()));
  }

  void Get(Db* db, const std::string& key) {
    std::string value;
    absl::Status s = db->Get({}, key, &value);
    if (s.ok()) {
      seen_[key] = {Seen::kValue, value};
    } else if (absl::IsNotFound(s)) {
      seen_[key] = {Seen::kAbsent, ""};
    } else if (Corruption(s, "get " + key)) {
      seen_[key] = {Seen::kCorrupt, ""};
      corrupt_ = true;
    } else {
      Other(s, "get " + key);
    }
  }

  // The state Gets saw must be the final one, or with allow_prefix the state
  // after some prefix of the history.
  void CheckState() {
    std::vector<std::string> off;
    for (const auto& [key, seen] : seen_) {
      if (seen.what == Seen::kCorrupt) continue;
      if (!Matches(seen, Final(key))) off.push_back(key);
    }
    if (off.empty()) return;
    if (!allow_prefix_) {
      for (const std::string& key : off) {
        Wrong(absl::StrCat("get ", key, " returned ", Describe(seen_[key]),
                           ", expected ", Describe(Final(key))));
      }
      return;
    }
    // Some cut c (the first c writes applied) must explain every answer.
    std::vector<int> votes(history_.size() + 2, 0);
    int voters = 0;
    for (const auto& [key, seen] : seen_) {
      if (seen.what == Seen::kCorrupt) continue;
      ++voters;
      const std::vector<size_t>* w = Writes(key);
      size_t n = w == nullptr ? 0 : w->size();
      // State j (0: before the first write) holds for cuts [lo, hi].
      for (size_t j = 0; j <= n; ++j) {
        std::optional<std::string> state =
            j == 0 ? std::nullopt : history_[(*w)[j - 1]].second;
        if (!Matches(seen, state)) continue;
        size_t lo = j == 0 ? 0 : (*w)[j - 1] + 1;
        size_t hi = j == n ? history_.size() : (*w)[j];
        votes[lo] += 1;
        votes[hi + 1] -= 1;
      }
    }
    int run = 0;
    for (int v : votes) {
      run += v;
      if (run == voters) {
        prefix_ = true;
        return;
      }
    }
    std::string detail;
    for (size_t i = 0; i < off.size() && i < 8; ++i) {
      absl::StrAppend(&detail, " ", off[i], "=",
                      Describe(seen_[off[i]]).substr(0, 20));
    }
    Wrong(absl::StrCat("the answers match no prefix of the history; ",
                       off.size(),
                       " keys differ from the final state:", detail));
  }

  // Iterates the whole range (`forward` or backward): every live key Get saw
  // must appear with the same value, in order, unless the iteration stops
  // with DataLoss.
  void Iterate(Db* db, bool forward) {
    const char* dir = forward ? "forward" : "backward";
    absl::StatusOr<std::unique_ptr<DbIterator>> it = db->NewIterator({});
    if (!it.ok()) {
      if (Corruption(it.status(), "new iterator")) {
        corrupt_ = true;
      } else {
        Other(it.status(), "new iterator");
      }
      return;
    }
    std::vector<std::string> live;  // keys Get found present, in order
    for (const auto& [key, seen] : seen_) {
      if (seen.what == Seen::kValue) live.push_back(key);
    }
    if (!forward) std::reverse(live.begin(), live.end());
    size_t next_live = 0;
    std::string prev;
    bool first = true;
    DbIterator& i = **it;
    for (forward ? i.SeekToFirst() : i.SeekToLast(); i.Valid();
         forward ? i.Next() : i.Prev()) {
      std::string key(i.key()), value(i.value());
      if (!first && (forward ? key <= prev : key >= prev)) {
        Wrong(absl::StrCat(dir, " iteration out of order at ", key));
        return;
      }
      first = false;
      prev = key;
      // Live keys passed over are missing from the iteration.
      while (next_live < live.size() &&
             (forward ? live[next_live] < key : live[next_live] > key)) {
        Wrong(absl::StrCat(dir, " iteration skipped ", live[next_live]));
        ++next_live;
      }
      if (next_live < live.size() && live[next_live] == key) ++next_live;
      auto s = seen_.find(key);
      if (s == seen_.end()) {
        Wrong(absl::StrCat(dir, " iteration yielded unknown key ", key));
      } else if (s->second.what == Seen::kAbsent) {
        Wrong(absl::StrCat(dir, " iteration yielded ", key,
                           " which get found absent"));
      } else if (s->second.what == Seen::kValue && s->second.value != value) {
        Wrong(absl::StrCat(dir, " iteration yielded a value for ", key,
                           " other than get's"));
      } else if (s->second.what == Seen::kCorrupt &&
                 !Matches({Seen::kValue, value}, Final(key)) &&
                 !allow_prefix_) {
        Wrong(absl::StrCat(dir, " iteration yielded a wrong value for ", key));
      }
    }
    absl::Status st = i.status();
    if (Corruption(st, absl::StrCat(dir, " iteration"))) {
      corrupt_ = true;
      return;
    }
    if (!st.ok()) {
      Other(st, absl::StrCat(dir, " iteration"));
      return;
    }
    for (; next_live < live.size(); ++next_live) {
      Wrong(absl::StrCat(dir, " iteration ended before ", live[next_live]));
    }
  }

  bool corrupt() const { return corrupt_; }
  bool prefix() const { return prefix_; }

 private:
  std::optional<std::string> Final(const std::string& key) const {
    auto f = final_.find(key);
    return f == final_.end() ? std::nullopt : f->second;
  }
  const std::vector<size_t>* Writes(const std::string& key) const {
    auto w = writes_.find(key);
    return w == writes_.end() ? nullptr : &w->second;
  }
  static bool Matches(const Seen& seen, const std::optional<std::string>& v) {
    return seen.what == Seen::kValue ? v.has_value() && *v == seen.value
                                     : !v.has_value();
  }
  static std::string Describe(const Seen& s) {
    return s.what == Seen::kValue ? absl::StrCat("'", s.value, "'") : "absent";
  }
  static std::string Describe(const std::optional<std::string>& v) {
    return v.has_value() ? absl::StrCat("'", *v, "'") : "absent";
  }

  const History& history_;
  const std::string damaged_file_;
  const std::string what_;
  const bool allow_prefix_;
  Outcome* out_;
  std::map<std::string, std::vector<size_t>> writes_;
  std::map<std::string, std::optional<std::string>> final_;
  std::map<std::string, Seen> seen_;
  bool corrupt_ = false;
  bool prefix_ = false;
};

}  // namespace

Outcome& Outcome::operator+=(const Outcome& o) {
  trials += o.trials;
  open_corruption += o.open_corruption;
  read_corruption += o.read_corruption;
  clean += o.clean;
  wrong += o.wrong;
  tail_lost += o.tail_lost;
  unnamed += o.unnamed;
  other_error += o.other_error;
  if (first_wrong.empty()) first_wrong = o.first_wrong;
  if (first_unnamed.empty()) first_unnamed = o.first_unnamed;
  return *this;
}

std::string Outcome::ToString() const {
  return absl::StrCat(
      "corruption at open ", open_corruption, ", corruption on read ",
      read_corruption, ", every answer correct ", clean, " (", tail_lost,
      " of them as of an earlier write: torn tail)", ", wrong answers ", wrong,
      ", unnamed file ", unnamed, ", other errors ", other_error);
}

std::string FlipRandomBit(const std::string& path, std::mt19937* rng) {
  uint64_t size = FileSize(path);
  if (size == 0) return "empty file";
  uint64_t offset = (*rng)() % size;
  int bit = static_cast<int>((*rng)() % 8);
  int fd = open(path.c_str(), O_RDWR);
  EXPECT_GE(fd, 0) << path;
  unsigned char byte = 0;
  EXPECT_EQ(pread(fd, &byte, 1, static_cast<off_t>(offset)), 1);
  byte ^= static_cast<unsigned char>(1u << bit);
  EXPECT_EQ(pwrite(fd, &byte, 1, static_cast<off_t>(offset)), 1);
  close(fd);
  return absl::StrCat("bit ", bit, " of byte ", offset, " of ", size);
}

std::string TruncateAtRandom(const std::string& path, std::mt19937* rng) {
  uint64_t size = FileSize(path);
  if (size == 0) return "empty file";
  uint64_t to = (*rng)() % size;
  EXPECT_EQ(truncate(path.c_str(), static_cast<off_t>(to)), 0) << path;
  return absl::StrCat("truncated to ", to, " of ", size);
}

Outcome CheckCopy(const std::string& path, const History& history,
                  const OptionList& options, const std::string& damaged_file,
                  const std::string& what, bool allow_prefix) {
  Outcome out;
  out.trials = 1;
  Classifier c(history, damaged_file, what, allow_prefix, &out);
  Options o;
  for (const auto& [k, v] : options) EXPECT_TRUE(SetOption(&o, k, v).ok()) << k;
  absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(o, path);
  if (!db.ok()) {
    if (c.Corruption(db.status(), "open")) {
      ++out.open_corruption;
    } else {
      c.Other(db.status(), "open");
    }
    return out;
  }
  std::set<std::string> keys;
  for (const auto& [key, value] : history) keys.insert(key);
  for (const std::string& key : keys) c.Get(db->get(), key);
  for (int i = 0; i < 20; ++i) c.Get(db->get(), absl::StrCat("never", i));
  c.CheckState();
  c.Iterate(db->get(), /*forward=*/true);
  c.Iterate(db->get(), /*forward=*/false);
  if (c.corrupt()) {
    ++out.read_corruption;
  } else if (out.wrong == 0) {
    ++out.clean;
  }
  if (c.prefix()) ++out.tail_lost;
  return out;
}

}  // namespace cairn::testing
