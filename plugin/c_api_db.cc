// C ABI: open, close, destroy, point operations, batches, properties.
// Argument checks and status mapping only; the engine does the work. A node
// with replication on serves cluster clients (cluster/serving.h) unless
// node.serve_clients is false.
#include <stdlib.h>
#include <string.h>

#include "absl/strings/str_cat.h"
#include "cluster/serving.h"
#include "plugin/copy_out.h"
#include "plugin/handles.h"
#include "plugin/status_map.h"
#include "plugin/versioned_batch.h"

using cairn::plugin::Fail;
using cairn::plugin::Guard;
using cairn::plugin::Report;

using cairn::plugin::BadBytes;
using cairn::plugin::CopyCString;
using cairn::plugin::CopyOut;

extern "C" {

cairn_status_t cairn_open(const cairn_options_t* options, const char* path,
                          cairn_db_t** db, char** errmsg) {
  return Guard(errmsg, [&] {
    if (db == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "db out-parameter is NULL", errmsg);
    }
    *db = nullptr;
    if (path == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "path is NULL", errmsg);
    }
    const cairn::cluster::HostOptions o =
        options ? options->options : cairn::cluster::HostOptions();
    absl::StatusOr<std::unique_ptr<cairn::replication::Node>> opened =
        cairn::replication::Node::Open(
            o.node, path, cairn::DbEnv(),
            cairn::cluster::ServeClientsAs(o.coordination));
    if (!opened.ok()) return Report(opened.status(), errmsg);
    *db = new cairn_db_t{std::move(*opened)};
    return CAIRN_OK;
  });
}

void cairn_close(cairn_db_t* db) {
  cairn::plugin::GuardVoid([&] { delete db; });
}

cairn_status_t cairn_destroy(const char* path, char** errmsg) {
  return Guard(errmsg, [&] {
    if (path == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "path is NULL", errmsg);
    }
    return Report(cairn::Db::Destroy(path), errmsg);
  });
}

cairn_status_t cairn_put(cairn_db_t* db, const cairn_writeoptions_t* options,
                         const char* key, size_t keylen, const char* value,
                         size_t valuelen, char** errmsg) {
  return Guard(errmsg, [&] {
    if (db == nullptr)
      return Fail(CAIRN_INVALID_ARGUMENT, "db is NULL", errmsg);
    if (BadBytes(key, keylen)) {
      return Fail(CAIRN_INVALID_ARGUMENT, "key is NULL with nonzero length",
                  errmsg);
    }
    if (BadBytes(value, valuelen)) {
      return Fail(CAIRN_INVALID_ARGUMENT, "value is NULL with nonzero length",
                  errmsg);
    }
    return Report(db->node->Put(cairn::plugin::ToWriteOptions(options),
                                {key, keylen}, {value, valuelen},
                                cairn::plugin::ToReplicaWrite(options)),
                  errmsg);
  });
}

cairn_status_t cairn_delete(cairn_db_t* db, const cairn_writeoptions_t* options,
                            const char* key, size_t keylen, char** errmsg) {
  return Guard(errmsg, [&] {
    if (db == nullptr)
      return Fail(CAIRN_INVALID_ARGUMENT, "db is NULL", errmsg);
    if (BadBytes(key, keylen)) {
      return Fail(CAIRN_INVALID_ARGUMENT, "key is NULL with nonzero length",
                  errmsg);
    }
    return Report(
        db->node->Delete(cairn::plugin::ToWriteOptions(options), {key, keylen},
                         cairn::plugin::ToReplicaWrite(options)),
        errmsg);
  });
}

cairn_status_t cairn_get(cairn_db_t* db, const cairn_readoptions_t* options,
                         const char* key, size_t keylen, char** value,
                         size_t* valuelen, char** errmsg) {
  if (value != nullptr) *value = nullptr;
  if (valuelen != nullptr) *valuelen = 0;
  return Guard(errmsg, [&] {
    if (db == nullptr)
      return Fail(CAIRN_INVALID_ARGUMENT, "db is NULL", errmsg);
    if (value == nullptr || valuelen == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT,
                  "value and valuelen out-parameters must not be NULL", errmsg);
    }
    if (BadBytes(key, keylen)) {
      return Fail(CAIRN_INVALID_ARGUMENT, "key is NULL with nonzero length",
                  errmsg);
    }
    // Reused per thread: the engine fills it, we copy out once.
    thread_local std::string buf;
    absl::Status s = db->node->Get(cairn::plugin::ToPointReadOptions(options),
                                   {key, keylen}, &buf);
    if (!s.ok()) return Report(s, errmsg);
    *value = CopyOut(buf);
    *valuelen = buf.size();
    if (buf.capacity() > (1u << 20)) std::string().swap(buf);
    return CAIRN_OK;
  });
}

cairn_status_t cairn_write(cairn_db_t* db, const cairn_writeoptions_t* options,
                           const cairn_writebatch_t* batch, char** errmsg) {
  return Guard(errmsg, [&] {
    if (db == nullptr)
      return Fail(CAIRN_INVALID_ARGUMENT, "db is NULL", errmsg);
    if (batch == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "batch is NULL", errmsg);
    }
    if (batch->batch.VersionedCount() > 0) {
      return cairn::plugin::ApplyVersionedBatch(db, options, batch, errmsg);
    }
    return Report(
        db->node->Write(cairn::plugin::ToWriteOptions(options), batch->batch,
                        cairn::plugin::ToReplicaWrite(options)),
        errmsg);
  });
}

cairn_status_t cairn_property(cairn_db_t* db, const char* name, char** value,
                              char** errmsg) {
  if (value != nullptr) *value = nullptr;
  return Guard(errmsg, [&] {
    if (db == nullptr)
      return Fail(CAIRN_INVALID_ARGUMENT, "db is NULL", errmsg);
    if (name == nullptr || value == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "name and value must not be NULL",
                  errmsg);
    }
    absl::StatusOr<std::string> v = db->node->Property(name);
    if (!v.ok()) return Report(v.status(), errmsg);
    *value = CopyCString(*v);
    return CAIRN_OK;
  });
}

cairn_status_t cairn_check(cairn_db_t* db, char** report, char** errmsg) {
  if (report != nullptr) *report = nullptr;
  return Guard(errmsg, [&] {
    if (db == nullptr)
      return Fail(CAIRN_INVALID_ARGUMENT, "db is NULL", errmsg);
    if (report == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "report must not be NULL", errmsg);
    }
    bool clean = false;
    absl::StatusOr<std::string> r = db->node->engine().Check(&clean);
    if (!r.ok()) return Report(r.status(), errmsg);
    *report = CopyCString(*r);
    if (clean) return CAIRN_OK;
    return Fail(CAIRN_CORRUPTION,
                "the check found damage; the report lists every problem",
                errmsg);
  });
}

}  // extern "C"
