// Db::MultiGet: point reads of a batch of keys (see db.h). The cache
// lookups run as one batch under one route pin, so their memory accesses
// overlap (CacheTier::Access::GetBatch); the keys the cache did not hold
// then read LevelDB and fill the cache as Get does.
#include <algorithm>
#include <memory>
#include <optional>

#include "engine/cache/cache_tier.h"
#include "engine/cache/placement.h"
#include "engine/db.h"
#include "leveldb/options.h"

namespace cairn {

void Db::MultiGet(const ReadOptions& ro,
                  absl::Span<const std::string_view> keys, ValueDest* dests,
                  absl::Status* statuses, Version* versions) {
  const size_t n = keys.size();
  if (n == 0) return;
  leveldb::ReadOptions lro;
  const absl::Status resolved = ResolveReadOptions(ro, &lro);
  // Per-key state in chunks, so a batch of any size needs bounded memory.
  constexpr size_t kChunk = 64;
  uint64_t hashes[kChunk];
  bool hit[kChunk];
  const bool use_cache = cache_ != nullptr && ro.snapshot == nullptr;
  std::string raw;
  for (size_t begin = 0; begin < n; begin += kChunk) {
    const size_t count = std::min(kChunk, n - begin);
    const std::string_view* k = keys.data() + begin;
    ValueDest* d = dests + begin;
    absl::Status* st = statuses + begin;
    Version* v = versions != nullptr ? versions + begin : nullptr;
    auto version_of = [v](size_t i) { return v != nullptr ? &v[i] : nullptr; };
    // Bad keys (and a bad snapshot) fail alone; the rest are read.
    for (size_t i = 0; i < count; ++i) {
      st[i] = resolved.ok() ? CheckKey(k[i]) : resolved;
      hit[i] = false;
      hashes[i] = cache::KeyHash(k[i]);
      if (st[i].ok()) stats_.Add(Counter::kGets);
    }
    std::optional<cache::CacheTier::Access> cache;
    if (use_cache && resolved.ok()) {
      cache.emplace(cache_.get());
      cache->GetBatch(count, hashes, k, d, v, hit);
    }
    for (size_t i = 0; i < count; ++i) {
      if (!st[i].ok()) {
        d[i].Clear();
        continue;
      }
      if (hit[i]) {
        stats_.Add(Counter::kGetHits);
        stats_.Add(Counter::kBytesRead, d[i].size());
        continue;
      }
      cache::CacheTier::FillHandle fill;
      if (cache && ro.fill_cache) fill = cache->BeginFill(hashes[i], k[i]);
      RecordView r;
      st[i] = ReadRecord(lro, k[i], &raw, &r);
      if (!st[i].ok()) {
        d[i].Clear();
        continue;
      }
      if (version_of(i) != nullptr) *version_of(i) = r.version;
      if (fill.pending()) cache->Fill(fill, k[i], r.value, r.version);
      d[i].Assign(r.value);
      stats_.Add(Counter::kGetHits);
      stats_.Add(Counter::kBytesRead, d[i].size());
    }
  }
}

}  // namespace cairn
