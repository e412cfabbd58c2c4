// Db: op-log access, cache instance management, properties and stats (see
// db.h).
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/cache/cache_tier.h"
#include "engine/db.h"
#include "engine/strings.h"
#include "leveldb/db.h"
#include "nlohmann/json.hpp"

namespace cairn {

uint64_t Db::LastSequence() const { return oplog_->LastSequence(); }

uint64_t Db::OpLogFirstSequence() const { return oplog_->FirstSequence(); }

absl::StatusOr<std::vector<OpEntry>> Db::ReadOpLog(uint64_t from,
                                                   size_t max_entries) {
  return oplog_->Read(from, max_entries);
}

absl::StatusOr<std::vector<OpLogBatch>> Db::ReadOpLogAt(
    const Snapshot& snapshot, uint64_t from, size_t max_entries,
    uint32_t skip_node) {
  if (snapshot.handle() == nullptr) {
    return absl::UnavailableError(
        "snapshot was released or its database closed");
  }
  if (snapshot.core_ != core_) {
    return absl::InvalidArgumentError("snapshot belongs to another database");
  }
  return oplog_->ReadBatches(snapshot.handle(), snapshot.sequence(), from,
                             max_entries, skip_node);
}

bool Db::WaitForSequence(uint64_t sequence, absl::Time deadline,
                         uint64_t* kicks) {
  return oplog_->WaitFor(sequence, deadline, kicks);
}

void Db::WakeSequenceWaiters() { oplog_->Kick(); }

absl::Status Db::TrimOpLog(uint64_t upto) { return oplog_->Trim(upto); }

absl::Status Db::SetOpLogHold(uint64_t from) { return oplog_->SetHold(from); }

void Db::ClearOpLogHold() { oplog_->ClearHold(); }

void Db::SetOpLogHoldCap(uint64_t bytes) {
  OpLogRetention retention;
  retention.retain_ops = options_.oplog_retain_ops;
  retention.hold_cap_bytes = bytes;
  oplog_->SetRetention(retention);
}

bool Db::WaitForOpLogTrim(uint64_t first, absl::Time deadline) {
  return oplog_->WaitForTrimmedTo(first, deadline);
}

void Db::Compact() { ldb_->CompactRange(nullptr, nullptr); }

absl::Status Db::CacheDisabled() {
  return absl::UnimplementedError(
      "the shared-memory cache is disabled (cache.capacity_mb=0)");
}

absl::StatusOr<uint32_t> Db::AddCacheInstance(uint64_t capacity_bytes) {
  if (!cache_) return CacheDisabled();
  return cache_->AddInstance(capacity_bytes);
}

absl::Status Db::RemoveCacheInstance(uint32_t id) {
  if (!cache_) return CacheDisabled();
  return cache_->RemoveInstance(id);
}

absl::StatusOr<uint64_t> Db::TransferCache(uint32_t from, uint32_t to) {
  if (!cache_) return CacheDisabled();
  return cache_->Transfer(from, to);
}

absl::Status Db::FinishCacheMigration() {
  if (!cache_) return CacheDisabled();
  return cache_->FinishMigration();
}

bool Db::WaitForCacheMigration(absl::Time deadline) {
  return !cache_ || cache_->WaitMigrationEnd(deadline);
}

absl::StatusOr<std::string> Db::Property(std::string_view name) {
  if (name == "cairn.stats") return StatsJson();
  if (name == "cairn.options") return OptionsToJson(options_);
  if (name == "cairn.cache") {
    if (!cache_) return std::string("{\"enabled\":false}");
    return cache_->PropertyJson();
  }
  if (name == "cairn.migration") {
    if (!cache_) return std::string("{\"enabled\":false,\"state\":\"stable\"}");
    return cache_->MigrationJson();
  }
  if (absl::StartsWith(AV(name), "leveldb.")) {
    std::string value;
    if (ldb_->GetProperty(leveldb::Slice(name.data(), name.size()), &value)) {
      return value;
    }
  }
  return absl::NotFoundError(absl::StrCat("unknown property '", AV(name), "'"));
}

std::string Db::StatsJson() {
  nlohmann::ordered_json j;
  for (int c = 0; c < static_cast<int>(Counter::kCount); ++c) {
    j[CounterName(static_cast<Counter>(c))] =
        stats_.Get(static_cast<Counter>(c));
  }
  j["last_sequence"] = LastSequence();
  j["oplog_first_sequence"] = OpLogFirstSequence();
  j["oplog_trims"] = oplog_->trims();
  j["oplog_trimmed_ops"] = oplog_->trimmed_ops();
  j["oplog_hold"] = oplog_->hold();
  j["oplog_hold_overrides"] = oplog_->hold_overrides();
  j["node_id"] = node_id_;
  nlohmann::ordered_json ldb;
  std::string v;
  uint64_t n = 0;
  if (ldb_->GetProperty("leveldb.approximate-memory-usage", &v) &&
      absl::SimpleAtoi(v, &n)) {
    ldb["approximate_memory_usage"] = n;
  }
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (int level = 0; level < 7; ++level) {
    if (ldb_->GetProperty(absl::StrCat("leveldb.num-files-at-level", level),
                          &v) &&
        absl::SimpleAtoi(v, &n)) {
      files.push_back(n);
    }
  }
  ldb["files_per_level"] = files;
  j["leveldb"] = ldb;
  nlohmann::ordered_json cache;
  cache["enabled"] = cache_ != nullptr;
  if (cache_) {
    cache::TierTotals t = cache_->Totals();
    cache["capacity_bytes"] = t.capacity_bytes;
    cache["used_bytes"] = t.used_bytes;
    cache["items"] = t.items;
    cache["hits"] = t.hits;
    cache["misses"] = t.misses;
    cache["fills"] = t.fills;
    cache["evictions"] = t.evictions;
    cache["expirations"] = t.expirations;
  }
  j["cache"] = cache;
  return j.dump();
}

}  // namespace cairn
