// C ABI: iterators and snapshots.
#include "plugin/copy_out.h"
#include "plugin/handles.h"
#include "plugin/status_map.h"

using cairn::plugin::Fail;
using cairn::plugin::Guard;
using cairn::plugin::GuardVoid;
using cairn::plugin::Report;

namespace {

// Runs an iterator move; an exception becomes the iterator's status (seen by
// cairn_iter_status, and the iterator turns invalid) instead of vanishing.
template <typename F>
void GuardMove(cairn_iterator_t* iter, F&& move) noexcept {
  iter->error = cairn::plugin::CaptureException(move);
}

}  // namespace

extern "C" {

cairn_status_t cairn_iter_create(cairn_db_t* db,
                                 const cairn_readoptions_t* options,
                                 cairn_iterator_t** iter, char** errmsg) {
  if (iter != nullptr) *iter = nullptr;
  return Guard(errmsg, [&] {
    if (db == nullptr || iter == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "db and iter must not be NULL",
                  errmsg);
    }
    absl::StatusOr<std::unique_ptr<cairn::DbIterator>> it =
        db->node->NewIterator(cairn::plugin::ToReadOptions(options));
    if (!it.ok()) return Report(it.status(), errmsg);
    *iter = new cairn_iterator_t{std::move(*it)};
    return CAIRN_OK;
  });
}

void cairn_iter_destroy(cairn_iterator_t* iter) {
  GuardVoid([&] { delete iter; });
}

void cairn_iter_seek_to_first(cairn_iterator_t* iter) {
  if (iter != nullptr) GuardMove(iter, [&] { iter->iter->SeekToFirst(); });
}

void cairn_iter_seek_to_last(cairn_iterator_t* iter) {
  if (iter != nullptr) GuardMove(iter, [&] { iter->iter->SeekToLast(); });
}

void cairn_iter_seek(cairn_iterator_t* iter, const char* key, size_t keylen) {
  if (iter == nullptr || cairn::plugin::BadBytes(key, keylen)) return;
  GuardMove(iter, [&] { iter->iter->Seek({key, keylen}); });
}

void cairn_iter_seek_for_prev(cairn_iterator_t* iter, const char* key,
                              size_t keylen) {
  if (iter == nullptr || cairn::plugin::BadBytes(key, keylen)) return;
  GuardMove(iter, [&] { iter->iter->SeekForPrev({key, keylen}); });
}

void cairn_iter_next(cairn_iterator_t* iter) {
  if (iter != nullptr) GuardMove(iter, [&] { iter->iter->Next(); });
}

void cairn_iter_prev(cairn_iterator_t* iter) {
  if (iter != nullptr) GuardMove(iter, [&] { iter->iter->Prev(); });
}

unsigned char cairn_iter_valid(const cairn_iterator_t* iter) {
  return iter != nullptr && iter->error.ok() && iter->iter->Valid() ? 1 : 0;
}

const char* cairn_iter_key(const cairn_iterator_t* iter, size_t* keylen) {
  if (cairn_iter_valid(iter) == 0) {
    if (keylen != nullptr) *keylen = 0;
    return nullptr;
  }
  std::string_view k = iter->iter->key();
  if (keylen != nullptr) *keylen = k.size();
  return k.data();
}

const char* cairn_iter_value(const cairn_iterator_t* iter, size_t* valuelen) {
  if (cairn_iter_valid(iter) == 0) {
    if (valuelen != nullptr) *valuelen = 0;
    return nullptr;
  }
  std::string_view v = iter->iter->value();
  if (valuelen != nullptr) *valuelen = v.size();
  // An empty value still gets a non-null pointer, as cairn_get does.
  return v.data() != nullptr ? v.data() : "";
}

cairn_status_t cairn_iter_status(const cairn_iterator_t* iter, char** errmsg) {
  return Guard(errmsg, [&] {
    if (iter == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "iter is NULL", errmsg);
    }
    // A failure caught in a move outranks the engine's view of the iterator.
    if (!iter->error.ok()) return Report(iter->error, errmsg);
    return Report(iter->iter->status(), errmsg);
  });
}

cairn_status_t cairn_snapshot_create(cairn_db_t* db,
                                     cairn_snapshot_t** snapshot,
                                     char** errmsg) {
  if (snapshot != nullptr) *snapshot = nullptr;
  return Guard(errmsg, [&] {
    if (db == nullptr || snapshot == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "db and snapshot must not be NULL",
                  errmsg);
    }
    absl::StatusOr<std::shared_ptr<cairn::Snapshot>> s =
        db->node->GetSnapshot();
    if (!s.ok()) return Report(s.status(), errmsg);
    *snapshot = new cairn_snapshot_t{std::move(*s)};
    return CAIRN_OK;
  });
}

void cairn_snapshot_release(cairn_snapshot_t* snapshot) {
  GuardVoid([&] { delete snapshot; });
}

}  // extern "C"
