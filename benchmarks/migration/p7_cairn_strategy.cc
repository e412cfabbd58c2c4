#include "p7_cairn_strategy.h"

#include <span>
#include <utility>
#include <vector>

#include "compaction_wait.h"

namespace p7 {
namespace {

using cairn_bench::CairnStore;
using json = nlohmann::ordered_json;

CairnStore::NamedOptions CacheOptions(const Config& cfg) {
  CairnStore::NamedOptions o = {
      {"cache.instances", std::to_string(cfg.instances)},
      {"cache.capacity_mb", std::to_string(cfg.instance_mb * cfg.instances)},
  };
  if (cfg.migration_rate != 0) {
    o.emplace_back("migration.rate_items_per_sec",
                   std::to_string(cfg.migration_rate));
  }
  return o;
}

}  // namespace

std::unique_ptr<CairnStore> OpenCairn(const std::string& path,
                                      const CairnStore::NamedOptions& options) {
  std::string error;
  std::unique_ptr<CairnStore> db =
      CairnStore::OpenWithOptions(path, options, &error);
  if (db == nullptr) Die("cairn_open(" + path + "): " + error);
  return db;
}

json PropertyJson(CairnStore& db, const std::string& name) {
  std::string text;
  if (!db.Property(name, &text)) Die("cairn_property(" + name + ") failed");
  return json::parse(text);
}

void LoadDatabase(const Config& cfg, const std::string& path,
                  const cairn_bench::ValuePool& pool) {
  std::unique_ptr<CairnStore> db =
      OpenCairn(path, {{"create_if_missing", "1"}, {"cache.capacity_mb", "0"}});
  std::vector<cairn_bench::Record> batch(1000);
  size_t n = 0;
  for (uint64_t i = 0; i < cfg.keys; ++i) {
    cairn_bench::FormatKey(cairn_bench::PresentIndex(i), batch[n].key);
    batch[n].value = pool.Value(i);
    ++n;
    if (n == batch.size() || i + 1 == cfg.keys) {
      std::string error;
      if (!db->PutBatch(std::span(batch.data(), n), &error)) {
        Die("cairn_write: " + error);
      }
      n = 0;
    }
  }
  cairn_bench::WaitForCompactions(*db);
}

void DropCache(const std::string& path) {
  OpenCairn(path, {{"cache.capacity_mb", "0"}});
}

CairnStrategy::CairnStrategy(const Config& cfg, const std::string& path,
                             const cairn_bench::ValuePool& pool)
    : cfg_(cfg), pool_(pool), db_(OpenCairn(path, CacheOptions(cfg))) {
  cairn_bench::WaitForCompactions(*db_);
  json cache = PropertyJson(*db_, "cairn.cache");
  for (const json& inst : cache["instances"]) {
    if (inst.value("state", "") != "ok") {
      Die("Cairn cache instance " + inst.dump() + " is not usable");
    }
  }
}

std::string CairnStrategy::description() const {
  return "Cairn (the product, C ABI): ring + lazy and background "
         "migration, cairn_cache_add_instance";
}

ReadResult CairnStrategy::Read(uint64_t index, std::string_view key) {
  bool ok = false;
  std::string error;
  // Reused per reader thread: a get allocates nothing of its own.
  thread_local std::string scratch;
  const cairn_bench::GetResult got = db_->Get(
      key, &scratch,
      [&](std::string_view v) {
        ok = ValueOk(pool_, index, v.data(), v.size());
      },
      &error);
  if (got != cairn_bench::GetResult::kFound) return ReadResult::kError;
  return ok ? ReadResult::kUnknown : ReadResult::kError;
}

void CairnStrategy::AddInstance() {
  uint32_t id = 0;
  std::string error;
  if (!db_->AddCacheInstance(cfg_.instance_mb << 20, &id, &error)) {
    add_error_ = "cairn_cache_add_instance: " + error;
  }
}

bool CairnStrategy::CacheCounts(uint64_t* hits, uint64_t* misses) {
  json c = PropertyJson(*db_, "cairn.cache");
  *hits = c["total"]["hits"].get<uint64_t>();
  *misses = c["total"]["misses"].get<uint64_t>();
  return true;
}

uint64_t CairnStrategy::CachedItems() {
  return PropertyJson(*db_, "cairn.cache")["total"]["items"].get<uint64_t>();
}

uint32_t CairnStrategy::Instances() {
  return static_cast<uint32_t>(
      PropertyJson(*db_, "cairn.migration")["instances"].size());
}

MigrationInfo CairnStrategy::Migration() {
  json m = PropertyJson(*db_, "cairn.migration");
  MigrationInfo i;
  i.state = m["state"].get<std::string>();
  i.moved_total = m["moved_total"].get<uint64_t>();
  i.moved_lazy = m["moved_lazy"].get<uint64_t>();
  i.moved_mover = m["moved_mover"].get<uint64_t>();
  i.remaining = m["remaining_estimate"].get<uint64_t>();
  i.started_ms = m["started_ms"].get<uint64_t>();
  i.finished_ms = m["finished_ms"].get<uint64_t>();
  i.rate = m["rate_items_per_sec"].get<uint64_t>();
  return i;
}

}  // namespace p7
