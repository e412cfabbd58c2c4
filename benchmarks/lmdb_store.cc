#include "lmdb_store.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace cairn_bench {
namespace {

// MDB_NOTLS ties a reader slot to its txn rather than to the thread, so a
// Scratch may outlive the benchmark thread that made it without leaking one.
constexpr unsigned kEnvFlags = MDB_NOSYNC | MDB_WRITEMAP | MDB_NOTLS;

size_t MapSize() {
  return std::max<size_t>(size_t{1} << 30, Config().keys * 1024);
}

bool Check(int rc, const char* what, std::string* error) {
  if (rc == 0) return true;
  *error = std::string(what) + ": " + mdb_strerror(rc);
  return false;
}

}  // namespace

std::string LmdbStore::Describe() {
  return "mapsize=" + std::to_string(MapSize()) +
         " flags=MDB_NOSYNC|MDB_WRITEMAP|MDB_NOTLS read_txn_renewed_every=" +
         std::to_string(kGetsPerTxn) + "_gets values_read_in_place";
}

std::unique_ptr<LmdbStore> LmdbStore::Open(const std::string& path,
                                           const StoreOptions& /*options*/,
                                           std::string* error) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    *error = "mkdir: " + ec.message();
    return nullptr;
  }
  std::unique_ptr<LmdbStore> store(new LmdbStore());
  if (!Check(mdb_env_create(&store->env_), "mdb_env_create", error)) {
    store->env_ = nullptr;
    return nullptr;
  }
  if (!Check(mdb_env_set_mapsize(store->env_, MapSize()), "mdb_env_set_mapsize",
             error) ||
      !Check(mdb_env_open(store->env_, path.c_str(), kEnvFlags, 0600),
             "mdb_env_open", error)) {
    return nullptr;
  }
  MDB_txn* txn = nullptr;
  if (!Check(mdb_txn_begin(store->env_, nullptr, 0, &txn), "mdb_txn_begin",
             error)) {
    return nullptr;
  }
  if (!Check(mdb_dbi_open(txn, nullptr, 0, &store->dbi_), "mdb_dbi_open",
             error)) {
    mdb_txn_abort(txn);
    return nullptr;
  }
  if (!Check(mdb_txn_commit(txn), "mdb_txn_commit", error)) return nullptr;
  return store;
}

bool LmdbStore::Destroy(const std::string& path, std::string* error) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) {
    *error = ec.message();
    return false;
  }
  return true;
}

LmdbStore::~LmdbStore() {
  if (env_ != nullptr) {
    mdb_env_sync(env_, 1);
    mdb_env_close(env_);
  }
}

bool LmdbStore::Put(std::string_view key, std::string_view value,
                    std::string* error) {
  Record record;
  std::copy(key.begin(), key.end(), record.key);
  record.value = value;
  return PutBatch(std::span<const Record>(&record, 1), error);
}

bool LmdbStore::PutBatch(std::span<const Record> records, std::string* error) {
  MDB_txn* txn = nullptr;
  if (!Check(mdb_txn_begin(env_, nullptr, 0, &txn), "mdb_txn_begin", error)) {
    return false;
  }
  for (const Record& record : records) {
    MDB_val k{kKeySize, const_cast<char*>(record.key)};
    MDB_val v{record.value.size(), const_cast<char*>(record.value.data())};
    if (!Check(mdb_put(txn, dbi_, &k, &v, 0), "mdb_put", error)) {
      mdb_txn_abort(txn);
      return false;
    }
  }
  return Check(mdb_txn_commit(txn), "mdb_txn_commit", error);
}

}  // namespace cairn_bench
