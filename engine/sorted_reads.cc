#include "engine/sorted_reads.h"

#include <algorithm>
#include <memory>
#include <numeric>

#include "engine/format.h"
#include "leveldb/db.h"
#include "leveldb/iterator.h"

namespace cairn {
namespace {

constexpr int kMaxSteps = 4;        // Next() calls tried before a Seek
constexpr size_t kProbeKeys = 32;   // keys judged before choosing Get

}  // namespace

leveldb::Status ReadRecordsSorted(
    leveldb::DB* db, const leveldb::ReadOptions& ro,
    absl::Span<const std::string_view> keys,
    std::vector<std::optional<std::string>>* records, SortedReadStats* stats) {
  SortedReadStats local;
  SortedReadStats& st = stats != nullptr ? *stats : local;
  records->assign(keys.size(), std::nullopt);
  // Data keys sort as their user keys do (one prefix byte before them).
  std::vector<size_t> order(keys.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  std::unique_ptr<leveldb::Iterator> it;
  bool use_get = false;
  std::string target;
  std::string value;
  size_t judged = 0;
  for (size_t i : order) {
    target.clear();
    AppendDataKey(&target, keys[i]);
    if (use_get) {
      ++st.gets;
      leveldb::Status s = db->Get(ro, target, &value);
      if (s.ok()) {
        (*records)[i] = value;
      } else if (!s.IsNotFound()) {
        return s;
      }
      continue;
    }
    const leveldb::Slice t(target);
    bool sought = true;
    if (it == nullptr) {
      it.reset(db->NewIterator(ro));
    } else {
      // Sorted targets: the iterator sits at the first entry at or after
      // the previous one, so this one is at or after it.
      for (int n = 0; n < kMaxSteps && it->Valid() && it->key().compare(t) < 0;
           ++n) {
        it->Next();
      }
      sought = !it->Valid() || it->key().compare(t) < 0;
    }
    if (sought) {
      it->Seek(t);
      ++st.seeks;
    } else {
      ++st.steps;
    }
    if (!it->status().ok()) return it->status();
    if (it->Valid() && it->key().compare(t) == 0) {
      (*records)[i] = it->value().ToString();
    }
    if (++judged == kProbeKeys && st.seeks * 4 > kProbeKeys) {
      use_get = true;
      it.reset();
    }
  }
  return leveldb::Status::OK();
}

}  // namespace cairn
