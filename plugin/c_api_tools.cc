// C ABI 1.2: records with versions (dump, load, replication), integer
// properties and compaction. Argument checks and status mapping only.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "plugin/copy_out.h"
#include "plugin/handles.h"
#include "plugin/status_map.h"
#include "plugin/versioned_batch.h"

using cairn::plugin::BadBytes;
using cairn::plugin::Fail;
using cairn::plugin::Guard;
using cairn::plugin::Report;

namespace {

cairn_status_t CheckVersioned(const cairn_writebatch_t* batch, const char* key,
                              size_t keylen, uint64_t hlc, char** errmsg) {
  if (batch == nullptr) {
    return Fail(CAIRN_INVALID_ARGUMENT, "batch is NULL", errmsg);
  }
  if (BadBytes(key, keylen)) {
    return Fail(CAIRN_INVALID_ARGUMENT, "key is NULL with nonzero length",
                errmsg);
  }
  if (hlc == 0) {
    return Fail(CAIRN_INVALID_ARGUMENT, "version hlc is 0 (no record has it)",
                errmsg);
  }
  return CAIRN_OK;
}

}  // namespace

namespace cairn::plugin {

cairn_status_t ApplyVersionedBatch(cairn_db_t* db,
                                   const cairn_writeoptions_t* options,
                                   const cairn_writebatch_t* batch,
                                   char** errmsg) {
  const WriteBatch& b = batch->batch;
  if (b.VersionedCount() != b.Count()) {
    return Fail(CAIRN_INVALID_ARGUMENT,
                absl::StrCat("batch mixes ", b.VersionedCount(),
                             " versioned and ", b.Count() - b.VersionedCount(),
                             " unversioned operations; write them in "
                             "separate batches"),
                errmsg);
  }
  std::vector<ReceivedOp> ops;
  ops.reserve(b.Count());
  for (const WriteBatch::Op& op : b.ops()) {
    ops.push_back({op.kind, op.version, op.key, op.value});
  }
  absl::StatusOr<ApplyResult> r = db->node->Load(ToWriteOptions(options), ops);
  return r.ok() ? CAIRN_OK : Report(r.status(), errmsg);
}

}  // namespace cairn::plugin

extern "C" {

void cairn_readoptions_set_include_deleted(cairn_readoptions_t* options,
                                           unsigned char include_deleted) {
  if (options != nullptr)
    options->options.include_deleted = include_deleted != 0;
}

unsigned char cairn_iter_deleted(const cairn_iterator_t* iter) {
  return iter != nullptr && iter->iter->Valid() && iter->iter->deleted() ? 1
                                                                         : 0;
}

void cairn_iter_version(const cairn_iterator_t* iter, uint64_t* hlc,
                        uint32_t* node_id) {
  cairn::Version v;
  if (iter != nullptr && iter->iter->Valid()) v = iter->iter->version();
  if (hlc != nullptr) *hlc = v.hlc;
  if (node_id != nullptr) *node_id = v.node;
}

cairn_status_t cairn_writebatch_put_versioned(cairn_writebatch_t* batch,
                                              const char* key, size_t keylen,
                                              const char* value,
                                              size_t valuelen, uint64_t hlc,
                                              uint32_t node_id, char** errmsg) {
  return Guard(errmsg, [&] {
    if (cairn_status_t s = CheckVersioned(batch, key, keylen, hlc, errmsg);
        s != CAIRN_OK) {
      return s;
    }
    if (BadBytes(value, valuelen)) {
      return Fail(CAIRN_INVALID_ARGUMENT, "value is NULL with nonzero length",
                  errmsg);
    }
    batch->batch.PutVersioned({key, keylen}, {value, valuelen},
                              cairn::Version{hlc, node_id});
    return CAIRN_OK;
  });
}

cairn_status_t cairn_writebatch_delete_versioned(cairn_writebatch_t* batch,
                                                 const char* key, size_t keylen,
                                                 uint64_t hlc, uint32_t node_id,
                                                 char** errmsg) {
  return Guard(errmsg, [&] {
    if (cairn_status_t s = CheckVersioned(batch, key, keylen, hlc, errmsg);
        s != CAIRN_OK) {
      return s;
    }
    batch->batch.DeleteVersioned({key, keylen}, cairn::Version{hlc, node_id});
    return CAIRN_OK;
  });
}

cairn_status_t cairn_property_int(cairn_db_t* db, const char* name,
                                  uint64_t* value, char** errmsg) {
  if (value != nullptr) *value = 0;
  return Guard(errmsg, [&] {
    if (db == nullptr || name == nullptr || value == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "db, name and value must not be NULL",
                  errmsg);
    }
    absl::StatusOr<uint64_t> v = db->node->engine().IntProperty(name);
    if (!v.ok()) return Report(v.status(), errmsg);
    *value = *v;
    return CAIRN_OK;
  });
}

}  // extern "C"
