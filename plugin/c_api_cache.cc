// C ABI: cache instances — add, remove, bulk transfer (ABI 1.1); orphan
// segment reclaim (ABI 1.2).
// Argument checks and status mapping only; the engine does the work.
#include "engine/cache/segment_gc.h"
#include "plugin/handles.h"
#include "plugin/status_map.h"

using cairn::plugin::Fail;
using cairn::plugin::Guard;
using cairn::plugin::Report;

extern "C" {

cairn_status_t cairn_cache_add_instance(cairn_db_t* db, uint64_t capacity_bytes,
                                        uint32_t* instance_id, char** errmsg) {
  return Guard(errmsg, [&] {
    if (db == nullptr)
      return Fail(CAIRN_INVALID_ARGUMENT, "db is NULL", errmsg);
    if (instance_id == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "instance_id out-parameter is NULL",
                  errmsg);
    }
    absl::StatusOr<uint32_t> id =
        db->node->engine().AddCacheInstance(capacity_bytes);
    if (!id.ok()) return Report(id.status(), errmsg);
    *instance_id = *id;
    return CAIRN_OK;
  });
}

cairn_status_t cairn_cache_remove_instance(cairn_db_t* db, uint32_t instance_id,
                                           char** errmsg) {
  return Guard(errmsg, [&] {
    if (db == nullptr)
      return Fail(CAIRN_INVALID_ARGUMENT, "db is NULL", errmsg);
    return Report(db->node->engine().RemoveCacheInstance(instance_id), errmsg);
  });
}

cairn_status_t cairn_cache_transfer(cairn_db_t* db, uint32_t from_id,
                                    uint32_t to_id, char** errmsg) {
  return Guard(errmsg, [&] {
    if (db == nullptr)
      return Fail(CAIRN_INVALID_ARGUMENT, "db is NULL", errmsg);
    absl::StatusOr<uint64_t> moved =
        db->node->engine().TransferCache(from_id, to_id);
    return Report(moved.status(), errmsg);
  });
}

cairn_status_t cairn_gc_segments(uint32_t* removed, char** errmsg) {
  return Guard(errmsg, [&] {
    absl::StatusOr<cairn::cache::ReclaimResult> r =
        cairn::cache::ReclaimOrphanSegments(UINT32_MAX);
    if (!r.ok()) return Report(r.status(), errmsg);
    if (removed != nullptr) *removed = r->removed;
    return CAIRN_OK;
  });
}

}  // extern "C"
