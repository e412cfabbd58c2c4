#include "plugin/sqlite/store_registry.h"

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/escaping.h"
#include "engine/mutex.h"  // pthread-based, so TSan checks it
#include "plugin/sqlite/cairn_lib.h"
#include "plugin/sqlite/row_codec.h"

namespace cairn::sqlite {
namespace {

struct Registry {
  Mutex mu;
  std::map<std::string, std::unique_ptr<Store>> stores ABSL_GUARDED_BY(mu);
};

Registry& TheRegistry() {
  static Registry registry;
  return registry;
}

bool ReadLimit(const cairn_api_t* api, cairn_options_t* opts, const char* name,
               size_t* out, std::string* error) {
  char* value = nullptr;
  char* msg = nullptr;
  cairn_status_t s = api->options_get(opts, name, &value, &msg);
  if (s != CAIRN_OK) {
    *error = "cairn: reading option " + std::string(name) + ": " +
             TakeCairnMessage(api, s, msg);
    return false;
  }
  *out = std::strtoull(value, nullptr, 10);
  api->free_fn(value);
  return true;
}

// Checks (or, for a new empty store, writes) the format marker.
bool CheckFormat(Store* store, OpenMode mode, std::string* error) {
  const cairn_api_t* api = store->api;
  char* value = nullptr;
  size_t len = 0;
  char* msg = nullptr;
  cairn_status_t s = api->get(store->db, nullptr, kFormatKey.data(),
                              kFormatKey.size(), &value, &len, &msg);
  if (s == CAIRN_OK) {
    std::string found(value, len);
    api->free_fn(value);
    if (found == kFormatValue) return true;
    *error = "cairn: store " + store->path + " holds rows in an unknown " +
             "format '" + absl::CHexEscape(found.substr(0, 40)) +
             "' (a newer version of the extension?)";
    return false;
  }
  if (s != CAIRN_NOT_FOUND) {
    *error =
        "cairn: store " + store->path + ": " + TakeCairnMessage(api, s, msg);
    return false;
  }
  api->free_fn(msg);
  // No marker: only an empty store may become a table.
  cairn_iterator_t* it = nullptr;
  s = api->iter_create(store->db, nullptr, &it, &msg);
  if (s != CAIRN_OK) {
    *error =
        "cairn: store " + store->path + ": " + TakeCairnMessage(api, s, msg);
    return false;
  }
  api->iter_seek_to_first(it);
  bool empty = !api->iter_valid(it);
  api->iter_destroy(it);
  if (!empty || mode == OpenMode::kConnect) {
    *error = "cairn: store " + store->path +
             " was not created by the cairn SQLite module (it has no "
             "table format marker); a table needs an empty or new store";
    return false;
  }
  cairn_writeoptions_t* wo = api->writeoptions_create();
  api->writeoptions_set_sync(wo, 1);
  s = api->put(store->db, wo, kFormatKey.data(), kFormatKey.size(),
               kFormatValue.data(), kFormatValue.size(), &msg);
  api->writeoptions_destroy(wo);
  if (s != CAIRN_OK) {
    *error =
        "cairn: store " + store->path + ": " + TakeCairnMessage(api, s, msg);
    return false;
  }
  return true;
}

// Whether the CREATE asked for error_if_exists, as Cairn reads the option.
bool WantsErrorIfExists(const cairn_api_t* api, const TableArgs& args) {
  for (const auto& [name, value] : args.options) {
    if (name != "error_if_exists") continue;
    cairn_options_t* opts = api->options_create();
    char* canonical = nullptr;
    bool yes =
        api->options_set(opts, name.c_str(), value.c_str(), nullptr) ==
            CAIRN_OK &&
        api->options_get(opts, name.c_str(), &canonical, nullptr) == CAIRN_OK &&
        std::string_view(canonical) == "true";
    api->free_fn(canonical);
    api->options_destroy(opts);
    return yes;
  }
  return false;
}

std::unique_ptr<Store> Open(const cairn_api_t* api, const std::string& path,
                            const TableArgs& args, OpenMode mode,
                            std::string* error, cairn_status_t* code) {
  *code = CAIRN_INVALID_ARGUMENT;
  auto store = std::make_unique<Store>();
  store->api = api;
  store->path = path;
  cairn_options_t* opts = api->options_create();
  char* msg = nullptr;
  for (const auto& [name, value] : args.options) {
    // A reconnect must never create: a store that vanished is an error,
    // not a silently empty table.
    if (mode == OpenMode::kConnect &&
        (name == "create_if_missing" || name == "error_if_exists")) {
      continue;
    }
    cairn_status_t s =
        api->options_set(opts, name.c_str(), value.c_str(), &msg);
    if (s != CAIRN_OK) {
      *code = s;
      *error = "cairn: " + TakeCairnMessage(api, s, msg);
      api->options_destroy(opts);
      return nullptr;
    }
  }
  if (!ReadLimit(api, opts, "max_key_size", &store->max_key_size, error) ||
      !ReadLimit(api, opts, "max_value_size", &store->max_value_size, error)) {
    api->options_destroy(opts);
    return nullptr;
  }
  std::error_code ec;
  const bool existed = std::filesystem::exists(path, ec) || ec;
  cairn_status_t s = api->open(opts, path.c_str(), &store->db, &msg);
  api->options_destroy(opts);
  if (s != CAIRN_OK) {
    *code = s;
    *error =
        "cairn: opening store " + path + ": " + TakeCairnMessage(api, s, msg);
    return nullptr;
  }
  // A foreign store is the caller's mistake; read errors are rare here.
  *code = CAIRN_INVALID_ARGUMENT;
  if (!CheckFormat(store.get(), mode, error)) {
    api->close(store->db);
    // A store this CREATE made and could not use goes again.
    if (!existed) api->destroy(path.c_str(), nullptr);
    return nullptr;
  }
  return store;
}

}  // namespace

StoreRef& StoreRef::operator=(StoreRef&& other) noexcept {
  if (this != &other) {
    Reset();
    store_ = other.store_;
    other.store_ = nullptr;
  }
  return *this;
}

void StoreRef::Reset() {
  if (store_ == nullptr) return;
  Registry& r = TheRegistry();
  MutexLock lock(&r.mu);
  if (--store_->refs == 0) {
    store_->api->close(store_->db);
    r.stores.erase(store_->path);  // frees *store_
  }
  store_ = nullptr;
}

std::string CanonicalStorePath(const std::string& path) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  if (ec) return path;
  std::filesystem::path canon = std::filesystem::weakly_canonical(abs, ec);
  std::string out = (ec ? abs : canon).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

StoreRef AcquireStore(const cairn_api_t* api, const std::string& path,
                      const TableArgs& args, OpenMode mode, std::string* error,
                      cairn_status_t* code) {
  Registry& r = TheRegistry();
  MutexLock lock(&r.mu);
  auto it = r.stores.find(path);
  if (it != r.stores.end() && mode == OpenMode::kCreate &&
      WantsErrorIfExists(api, args)) {
    *code = CAIRN_INVALID_ARGUMENT;
    *error = "cairn: opening store " + path +
             ": INVALID_ARGUMENT: " + "database '" + path +
             "' already exists (error_if_exists is " +
             "true; it is open in this process)";
    return StoreRef();
  }
  if (it == r.stores.end()) {
    std::unique_ptr<Store> store = Open(api, path, args, mode, error, code);
    if (store == nullptr) return StoreRef();
    it = r.stores.emplace(path, std::move(store)).first;
  }
  ++it->second->refs;
  return StoreRef(it->second.get());
}

bool DestroyStore(StoreRef* ref, std::string* error) {
  Store* store = ref->get();
  if (store == nullptr) return true;
  Registry& r = TheRegistry();
  {
    MutexLock lock(&r.mu);
    if (store->refs > 1) {
      *error = "cairn: cannot drop: store " + store->path +
               " is still used by another table in this process (close the "
               "other connection first)";
      return false;
    }
  }
  const cairn_api_t* api = store->api;
  std::string path = store->path;
  ref->Reset();  // closes the database
  char* msg = nullptr;
  cairn_status_t s = api->destroy(path.c_str(), &msg);
  if (s != CAIRN_OK && s != CAIRN_NOT_FOUND) {
    *error = "cairn: destroying store " + path + ": " +
             TakeCairnMessage(api, s, msg);
    return false;
  }
  api->free_fn(msg);
  return true;
}

}  // namespace cairn::sqlite
