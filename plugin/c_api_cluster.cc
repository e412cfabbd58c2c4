// C ABI 1.4: the routing cluster client. Argument checks and status mapping
// only; cluster::Cluster routes (cluster/cluster.h) and client_api.h opens
// it and renders its JSON.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cluster/client_api.h"
#include "plugin/copy_out.h"
#include "plugin/handles.h"
#include "plugin/status_map.h"

struct cairn_cluster_t {
  std::unique_ptr<cairn::cluster::Cluster> cluster;
};

using cairn::plugin::BadBytes;
using cairn::plugin::CopyCString;
using cairn::plugin::CopyOut;
using cairn::plugin::Fail;
using cairn::plugin::Guard;
using cairn::plugin::Report;

namespace {

bool SyncOf(const cairn_writeoptions_t* options) {
  return options != nullptr && options->options.sync;
}

// *json = render(cluster), for the calls that only read a JSON document.
template <typename Render>
cairn_status_t JsonOut(cairn_cluster_t* cluster, char** json, char** errmsg,
                       Render render) {
  if (json != nullptr) *json = nullptr;
  return Guard(errmsg, [&] {
    if (cluster == nullptr || json == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "cluster and json must not be NULL",
                  errmsg);
    }
    *json = CopyCString(render(*cluster->cluster));
    return CAIRN_OK;
  });
}

}  // namespace

extern "C" {

cairn_status_t cairn_cluster_open(const cairn_options_t* options,
                                  cairn_cluster_t** cluster, char** errmsg) {
  return Guard(errmsg, [&] {
    if (cluster == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "cluster out-parameter is NULL",
                  errmsg);
    }
    *cluster = nullptr;
    if (options == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT,
                  "options is NULL (cluster.nodes must be set)", errmsg);
    }
    absl::StatusOr<std::unique_ptr<cairn::cluster::Cluster>> opened =
        cairn::cluster::OpenCluster(options->options.cluster);
    if (!opened.ok()) return Report(opened.status(), errmsg);
    *cluster = new cairn_cluster_t{std::move(*opened)};
    return CAIRN_OK;
  });
}

void cairn_cluster_close(cairn_cluster_t* cluster) {
  cairn::plugin::GuardVoid([&] { delete cluster; });
}

cairn_status_t cairn_cluster_put(cairn_cluster_t* cluster,
                                 const cairn_writeoptions_t* options,
                                 const char* key, size_t keylen,
                                 const char* value, size_t valuelen,
                                 char** errmsg) {
  return Guard(errmsg, [&] {
    if (cluster == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "cluster is NULL", errmsg);
    }
    if (BadBytes(key, keylen)) {
      return Fail(CAIRN_INVALID_ARGUMENT, "key is NULL with nonzero length",
                  errmsg);
    }
    if (BadBytes(value, valuelen)) {
      return Fail(CAIRN_INVALID_ARGUMENT, "value is NULL with nonzero length",
                  errmsg);
    }
    return Report(cluster->cluster->Put({key, keylen}, {value, valuelen},
                                        SyncOf(options)),
                  errmsg);
  });
}

cairn_status_t cairn_cluster_delete(cairn_cluster_t* cluster,
                                    const cairn_writeoptions_t* options,
                                    const char* key, size_t keylen,
                                    char** errmsg) {
  return Guard(errmsg, [&] {
    if (cluster == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "cluster is NULL", errmsg);
    }
    if (BadBytes(key, keylen)) {
      return Fail(CAIRN_INVALID_ARGUMENT, "key is NULL with nonzero length",
                  errmsg);
    }
    return Report(cluster->cluster->Delete({key, keylen}, SyncOf(options)),
                  errmsg);
  });
}

cairn_status_t cairn_cluster_get(cairn_cluster_t* cluster, const char* key,
                                 size_t keylen, char** value, size_t* valuelen,
                                 char** errmsg) {
  if (value != nullptr) *value = nullptr;
  if (valuelen != nullptr) *valuelen = 0;
  return Guard(errmsg, [&] {
    if (cluster == nullptr || value == nullptr || valuelen == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT,
                  "cluster, value and valuelen must not be NULL", errmsg);
    }
    if (BadBytes(key, keylen)) {
      return Fail(CAIRN_INVALID_ARGUMENT, "key is NULL with nonzero length",
                  errmsg);
    }
    std::string v;
    absl::Status s = cluster->cluster->Get({key, keylen}, &v);
    if (!s.ok()) return Report(s, errmsg);
    *value = CopyOut(v);
    *valuelen = v.size();
    return CAIRN_OK;
  });
}

cairn_status_t cairn_cluster_write(cairn_cluster_t* cluster,
                                   const cairn_writeoptions_t* options,
                                   const cairn_writebatch_t* batch,
                                   char** errmsg) {
  return Guard(errmsg, [&] {
    if (cluster == nullptr || batch == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "cluster and batch must not be NULL",
                  errmsg);
    }
    std::vector<cairn::cluster::BatchOp> ops;
    ops.reserve(batch->batch.ops().size());
    for (const cairn::WriteBatch::Op& op : batch->batch.ops()) {
      if (!op.version.IsZero()) {
        return Fail(CAIRN_INVALID_ARGUMENT,
                    "the batch holds records with versions "
                    "(cairn_writebatch_put_versioned): a cluster client "
                    "writes new records only",
                    errmsg);
      }
      ops.push_back({op.kind == cairn::OpKind::kDelete, op.key, op.value});
    }
    if (ops.empty()) {
      return Fail(CAIRN_INVALID_ARGUMENT, "the batch is empty", errmsg);
    }
    return Report(cluster->cluster->Write(ops, SyncOf(options)), errmsg);
  });
}

cairn_status_t cairn_cluster_scan(cairn_cluster_t* cluster, const char* start,
                                  size_t startlen, const char* end,
                                  size_t endlen, uint32_t limit,
                                  cairn_cluster_scan_fn fn, void* arg,
                                  unsigned char* truncated, char** errmsg) {
  if (truncated != nullptr) *truncated = 0;
  return Guard(errmsg, [&] {
    if (cluster == nullptr || fn == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "cluster and fn must not be NULL",
                  errmsg);
    }
    if (BadBytes(start, startlen) || BadBytes(end, endlen)) {
      return Fail(CAIRN_INVALID_ARGUMENT,
                  "start or end is NULL with nonzero length", errmsg);
    }
    if (limit == 0) {
      return Fail(CAIRN_INVALID_ARGUMENT, "scan limit 0 (at least 1)", errmsg);
    }
    absl::StatusOr<cairn::cluster::ScanResult> r =
        cluster->cluster->Scan({start, startlen}, {end, endlen}, limit);
    if (!r.ok()) return Report(r.status(), errmsg);
    for (const auto& [k, v] : r->entries) {
      fn(arg, k.data(), k.size(), v.data(), v.size());
    }
    if (truncated != nullptr) *truncated = r->truncated ? 1 : 0;
    return CAIRN_OK;
  });
}

cairn_status_t cairn_cluster_nodes(cairn_cluster_t* cluster, char** json,
                                   char** errmsg) {
  return JsonOut(cluster, json, errmsg, [](cairn::cluster::Cluster& c) {
    return cairn::cluster::NodesToJson(c.Nodes());
  });
}

cairn_status_t cairn_cluster_stats(cairn_cluster_t* cluster, char** json,
                                   char** errmsg) {
  return JsonOut(cluster, json, errmsg, [](cairn::cluster::Cluster& c) {
    return cairn::cluster::ClusterStatsJson(c.stats());
  });
}

cairn_status_t cairn_cluster_audit(cairn_cluster_t* cluster, const char* method,
                                   int64_t since_us, int64_t until_us,
                                   uint32_t limit, char** jsonl,
                                   char** errmsg) {
  if (jsonl != nullptr) *jsonl = nullptr;
  return Guard(errmsg, [&] {
    if (cluster == nullptr || jsonl == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "cluster and jsonl must not be NULL",
                  errmsg);
    }
    absl::StatusOr<std::string> lines = cairn::cluster::QueryAuditJsonLines(
        cluster->cluster.get(), method == nullptr ? "" : method, since_us,
        until_us, limit);
    if (!lines.ok()) return Report(lines.status(), errmsg);
    *jsonl = CopyCString(*lines);
    return CAIRN_OK;
  });
}

}  // extern "C"
