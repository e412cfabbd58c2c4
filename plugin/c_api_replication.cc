// C ABI 1.3: replication — per-write replication choices and peers at run
// time. Argument checks and status mapping only; replication::Node does the
// work.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "plugin/copy_out.h"
#include "plugin/handles.h"
#include "plugin/status_map.h"

using cairn::plugin::CopyCString;
using cairn::plugin::Fail;
using cairn::plugin::Guard;
using cairn::plugin::Report;
using cairn::replication::ReplicationMode;

extern "C" {

cairn_status_t cairn_writeoptions_set_replication_mode(
    cairn_writeoptions_t* options, int mode, char** errmsg) {
  return Guard(errmsg, [&] {
    if (options == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "write options is NULL", errmsg);
    }
    switch (mode) {
      case CAIRN_REPLICATION_DEFAULT:
        options->replica.mode = ReplicationMode::kDefault;
        return CAIRN_OK;
      case CAIRN_REPLICATION_ASYNC:
        options->replica.mode = ReplicationMode::kAsync;
        return CAIRN_OK;
      case CAIRN_REPLICATION_SYNC:
        options->replica.mode = ReplicationMode::kSync;
        return CAIRN_OK;
    }
    return Fail(CAIRN_INVALID_ARGUMENT,
                absl::StrCat("replication mode ", mode,
                             " is not CAIRN_REPLICATION_DEFAULT (0), "
                             "CAIRN_REPLICATION_ASYNC (1) or "
                             "CAIRN_REPLICATION_SYNC (2)"),
                errmsg);
  });
}

void cairn_writeoptions_set_sync_acks(cairn_writeoptions_t* options,
                                      uint32_t acks) {
  if (options != nullptr) options->replica.sync_acks = acks;
}

cairn_status_t cairn_peer_add(cairn_db_t* db, const char* spec, char** errmsg) {
  return Guard(errmsg, [&] {
    if (db == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "db is NULL", errmsg);
    }
    if (spec == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT,
                  "peer spec is NULL (expected \"id@host:port\")", errmsg);
    }
    return Report(db->node->AddPeer(spec), errmsg);
  });
}

cairn_status_t cairn_peer_remove(cairn_db_t* db, uint32_t node_id,
                                 char** errmsg) {
  return Guard(errmsg, [&] {
    if (db == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "db is NULL", errmsg);
    }
    return Report(db->node->RemovePeer(node_id), errmsg);
  });
}

cairn_status_t cairn_peer_resync(cairn_db_t* db, uint32_t node_id,
                                 char** errmsg) {
  return Guard(errmsg, [&] {
    if (db == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "db is NULL", errmsg);
    }
    return Report(db->node->ResyncPeer(node_id), errmsg);
  });
}

cairn_status_t cairn_replication_compare(cairn_db_t* db, uint32_t timeout_ms,
                                         unsigned char* all_agree,
                                         char** report, char** errmsg) {
  if (all_agree != nullptr) *all_agree = 0;
  if (report != nullptr) *report = nullptr;
  return Guard(errmsg, [&] {
    if (db == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "db is NULL", errmsg);
    }
    bool agree = false;
    absl::StatusOr<std::string> r =
        db->node->CompareWithPeers(absl::Milliseconds(timeout_ms), &agree);
    if (!r.ok()) return Report(r.status(), errmsg);
    if (report != nullptr) *report = CopyCString(*r);
    if (all_agree != nullptr) *all_agree = agree ? 1 : 0;
    return CAIRN_OK;
  });
}

}  // extern "C"
