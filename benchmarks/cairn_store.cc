#include "cairn_store.h"

#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <utility>

namespace cairn_bench {
namespace {

struct OptionsDeleter {
  void operator()(cairn_options_t* options) const {
    cairn_options_destroy(options);
  }
};
using OptionsPtr = std::unique_ptr<cairn_options_t, OptionsDeleter>;

struct NamedValue {
  const char* name;
  std::string value;
};

std::vector<NamedValue> OptionValues(const StoreOptions& store) {
  std::vector<NamedValue> values = {
      {"create_if_missing", "true"},
      {"write_buffer_size", std::to_string(store.write_buffer_size)},
      {"block_cache_mb", std::to_string(store.block_cache_mb)},
      {"bloom_bits_per_key", std::to_string(store.bloom_bits_per_key)},
      {"compression", store.snappy ? "snappy" : "none"},
      {"cache.capacity_mb", std::to_string(store.cairn_cache_mb)},
      {"cache.instances", std::to_string(store.cairn_cache_instances)},
      {"verify_checksums", store.verify_checksums ? "true" : "false"},
  };
  for (const auto& [name, value] : store.cairn_extra) {
    values.push_back({name.c_str(), value});
  }
  return values;
}

std::string TakeMessage(char* message) {
  std::string text = message != nullptr ? message : "(no message)";
  cairn_free(message);
  return text;
}

}  // namespace

std::vector<std::string> CairnStore::SetOptions(cairn_options_t* options,
                                                const StoreOptions& store) {
  std::vector<std::string> errors;
  for (const NamedValue& option : OptionValues(store)) {
    char* message = nullptr;
    cairn_status_t status =
        cairn_options_set(options, option.name, option.value.c_str(), &message);
    if (status == CAIRN_INVALID_ARGUMENT && option.value == "true") {
      // Booleans may be spelled 1/0 only.
      cairn_free(message);
      message = nullptr;
      status = cairn_options_set(options, option.name, "1", &message);
    }
    if (status != CAIRN_OK) {
      errors.push_back(std::string("cairn_options_set(\"") + option.name +
                       "\", \"" + option.value + "\"): " +
                       cairn_status_name(status) + ": " + TakeMessage(message));
    }
  }
  return errors;
}

std::string CairnStore::DescribeOptions(const StoreOptions& store) {
  OptionsPtr options(cairn_options_create());
  SetOptions(options.get(), store);
  std::string description;
  for (const NamedValue& option : OptionValues(store)) {
    char* value = nullptr;
    char* message = nullptr;
    const cairn_status_t status =
        cairn_options_get(options.get(), option.name, &value, &message);
    if (!description.empty()) description += ' ';
    description += option.name;
    description += '=';
    description += status == CAIRN_OK ? value : "(unknown)";
    cairn_free(value);
    cairn_free(message);
  }
  return description;
}

std::unique_ptr<CairnStore> CairnStore::Open(const std::string& path,
                                             const StoreOptions& options,
                                             std::string* error) {
  OptionsPtr cairn_options(cairn_options_create());
  static bool reported = false;  // Open is only called from one thread.
  for (const std::string& rejected : SetOptions(cairn_options.get(), options)) {
    if (!reported) std::fprintf(stderr, "WARNING: %s\n", rejected.c_str());
  }
  reported = true;

  cairn_db_t* db = nullptr;
  char* message = nullptr;
  const cairn_status_t status =
      cairn_open(cairn_options.get(), path.c_str(), &db, &message);
  if (!Check(status, message, error)) return nullptr;
  return std::unique_ptr<CairnStore>(new CairnStore(db));
}

std::unique_ptr<CairnStore> CairnStore::OpenWithOptions(
    const std::string& path, const NamedOptions& options, std::string* error) {
  OptionsPtr cairn_options(cairn_options_create());
  for (const auto& [name, value] : options) {
    char* message = nullptr;
    const cairn_status_t status = cairn_options_set(
        cairn_options.get(), name.c_str(), value.c_str(), &message);
    if (!Check(status, message, error)) {
      *error = "cairn_options_set(" + name + "=" + value + "): " + *error;
      return nullptr;
    }
  }
  cairn_db_t* db = nullptr;
  char* message = nullptr;
  const cairn_status_t status =
      cairn_open(cairn_options.get(), path.c_str(), &db, &message);
  if (!Check(status, message, error)) return nullptr;
  return std::unique_ptr<CairnStore>(new CairnStore(db));
}

bool CairnStore::Destroy(const std::string& path, std::string* error) {
  char* message = nullptr;
  const cairn_status_t status = cairn_destroy(path.c_str(), &message);
  return status == CAIRN_NOT_FOUND || Check(status, message, error);
}

int CairnStore::MultiGet(size_t n, const char* const* keys,
                         const size_t* key_sizes, char* buf, size_t stride,
                         std::string* error) {
  constexpr size_t kMax = 256;
  if (n > kMax) {
    *error = "multi-get batch larger than " + std::to_string(kMax);
    return -1;
  }
  char* values[kMax] = {};
  size_t caps[kMax] = {};
  size_t sizes[kMax];
  cairn_status_t statuses[kMax];
  for (size_t i = 0; i < n; ++i) {
    values[i] = buf + i * stride;
    caps[i] = stride;
  }
  char* message = nullptr;
  const cairn_status_t status =
      cairn_multi_get(db_, nullptr, n, keys, key_sizes, values, caps, sizes,
                      statuses, &message);
  if (!Check(status, message, error)) return -1;
  int found = 0;
  for (size_t i = 0; i < n; ++i) found += statuses[i] == CAIRN_OK;
  return found;
}

bool CairnStore::PutBatch(std::span<const Record> records, std::string* error) {
  cairn_writebatch_t* batch = cairn_writebatch_create();
  bool ok = true;
  for (const Record& record : records) {
    char* message = nullptr;
    const cairn_status_t status =
        cairn_writebatch_put(batch, record.key, kKeySize, record.value.data(),
                             record.value.size(), &message);
    if (!Check(status, message, error)) {
      ok = false;
      break;
    }
  }
  if (ok) {
    char* message = nullptr;
    ok = Check(cairn_write(db_, nullptr, batch, &message), message, error);
  }
  cairn_writebatch_destroy(batch);
  return ok;
}

bool CairnStore::Property(const std::string& name, std::string* value) {
  char* text = nullptr;
  if (cairn_property(db_, name.c_str(), &text, nullptr) != CAIRN_OK) {
    return false;
  }
  *value = text;
  cairn_free(text);
  return true;
}

bool CairnStore::CacheStats(CacheSnapshot* snapshot, std::string* error) {
  std::string text;
  if (!Property("cairn.cache", &text)) {
    *error = "cairn.cache property unavailable";
    return false;
  }
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *error = "cairn.cache is not JSON: " + text;
    return false;
  }
  auto number = [](const nlohmann::json& o, const char* key) -> uint64_t {
    const auto it = o.find(key);
    return it != o.end() && it->is_number() ? it->get<uint64_t>() : 0;
  };
  auto text_of = [](const nlohmann::json& o, const char* key) -> std::string {
    const auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>() : "";
  };
  *snapshot = CacheSnapshot();
  const auto instances = j.find("instances");
  if (instances != j.end() && instances->is_array()) {
    for (const nlohmann::json& e : *instances) {
      CacheInstanceStats s;
      s.state = text_of(e, "state");
      s.open = s.state == "disabled" ? "disabled" : text_of(e, "open");
      s.capacity_bytes = number(e, "capacity_bytes");
      s.used_bytes = number(e, "used_bytes");
      s.live_bytes = number(e, "live_bytes");
      s.items = number(e, "items");
      s.hits = number(e, "hits");
      s.misses = number(e, "misses");
      s.evictions = number(e, "evictions");
      const std::string segment = text_of(e, "segment");
      struct stat st;
      if (!segment.empty() &&
          stat(("/dev/shm/" + segment.substr(segment[0] == '/')).c_str(),
               &st) == 0) {
        s.resident_bytes = static_cast<uint64_t>(st.st_blocks) * 512;
      }
      snapshot->total.live_bytes += s.live_bytes;
      snapshot->total.resident_bytes += s.resident_bytes;
      snapshot->instances.push_back(std::move(s));
    }
  }
  const auto total = j.find("total");
  if (total != j.end() && total->is_object()) {
    CacheInstanceStats& t = snapshot->total;
    t.capacity_bytes = number(*total, "capacity_bytes");
    t.used_bytes = number(*total, "used_bytes");
    t.items = number(*total, "items");
    t.hits = number(*total, "hits");
    t.misses = number(*total, "misses");
    t.evictions = number(*total, "evictions");
  }
  return true;
}

bool CairnStore::AddCacheInstance(uint64_t capacity_bytes, uint32_t* id,
                                  std::string* error) {
  char* message = nullptr;
  const cairn_status_t status =
      cairn_cache_add_instance(db_, capacity_bytes, id, &message);
  return Check(status, message, error);
}

bool CairnStore::Check(cairn_status_t status, char* message,
                       std::string* error) {
  if (status == CAIRN_OK) {
    cairn_free(message);
    return true;
  }
  *error = std::string(cairn_status_name(status)) + ": " + TakeMessage(message);
  return false;
}

}  // namespace cairn_bench
