#include "cluster/client_service.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/db_iterator.h"
#include "engine/info_log.h"
#include "engine/strings.h"
#include "engine/write_batch.h"
#include "nlohmann/json.hpp"

namespace cairn::cluster {
namespace {

// The weight of a new sample in the smoothed service time.
constexpr double kSampleWeight = 1.0 / 8;

std::string Clip(absl::string_view s, size_t cap) {
  return std::string(s.substr(0, cap));
}

ClientReply Error(const ClientRequest& request, const absl::Status& status) {
  ClientReply reply;
  reply.id = request.id;
  reply.code = static_cast<uint32_t>(status.code());
  reply.message = Clip(status.message(), kMaxReplyMessageSize);
  return reply;
}

ClientReply Invalid(const ClientRequest& request, absl::string_view why) {
  return Error(request, absl::InvalidArgumentError(why));
}

ClientReply Done(const ClientRequest& request, const absl::Status& status) {
  if (!status.ok()) return Error(request, status);
  ClientReply reply;
  reply.id = request.id;
  return reply;
}

// A get, put or delete names exactly one key.
absl::Status OneOp(const ClientRequest& request) {
  if (request.ops.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        AV(MethodName(request.method)), " needs exactly one op (the key), got ",
        request.ops.size()));
  }
  return absl::OkStatus();
}

}  // namespace

ClientService::ClientService(replication::Node* node, NodeRole* role,
                             ClientServiceOptions options)
    : node_(node), role_(role), options_(options) {}

ClientWireLimits ClientService::RequestLimits() const {
  const Options& o = node_->engine().options();
  ClientWireLimits limits;
  limits.max_key_size = static_cast<uint32_t>(
      std::min<uint64_t>(o.max_key_size, limits.max_key_size));
  limits.max_value_size = static_cast<uint32_t>(
      std::min<uint64_t>(o.max_value_size, limits.max_value_size));
  return limits;
}

ClientReply ClientService::Handle(const ClientRequest& request,
                                  std::string_view peer) {
  const auto m = static_cast<uint8_t>(request.method);
  if (m >= 1 && m <= kMaxMethod) requests_[m].fetch_add(1);
  ClientReply reply;
  switch (request.method) {
    case Method::kStatus:
      reply.id = request.id;
      reply.status = Status();
      return reply;
    case Method::kReportFailure:
      ReportFailure(request, peer);
      reply.id = request.id;
      return reply;
    case Method::kGet:
    case Method::kPut:
    case Method::kDelete:
    case Method::kBatch:
    case Method::kScan:
      break;
    default:
      ++errors_;
      return Invalid(request, absl::StrCat("unknown method ", m));
  }
  const NodeRole::View view = role_->Current();
  if (!view.serves) {
    ++refused_;
    reply = Error(request,
                  absl::UnavailableError(absl::StrCat(
                      "node ", node_->engine().node_id(), " does not serve ",
                      AV(MethodName(request.method)), " now",
                      view.why.empty() ? "" : absl::StrCat(" (", view.why, ")"),
                      view.master != 0
                          ? absl::StrCat("; the master is node ", view.master)
                          : std::string("; no master is known"))));
    reply.status = Status();
    return reply;
  }
  const absl::Time start = absl::Now();
  reply = Serve(request);
  RecordServiceTime(absl::Now() - start);
  // A master paused (or cut from etcd) between the check above and the
  // end of the work may have lost its lease meanwhile: its answer is not
  // acknowledged, so no write is ever acknowledged by two masters (R11).
  // A write applied here may still reach the others by replication.
  if (const NodeRole::View after = role_->Current(); !after.serves) {
    ++stepped_down_;
    reply = Error(
        request,
        absl::UnavailableError(absl::StrCat(
            "node ", node_->engine().node_id(), " stopped serving while it ",
            request.method == Method::kGet || request.method == Method::kScan
                ? "read (the answer may be stale)"
                : "applied the write (not acknowledged; it may still reach "
                  "the other nodes through replication)",
            after.why.empty() ? "" : absl::StrCat(" (", after.why, ")"),
            after.master != 0
                ? absl::StrCat("; the master is node ", after.master)
                : std::string("; no master is known"))));
    reply.status = Status();
  }
  if (reply.code != 0) ++errors_;
  return reply;
}

ClientReply ClientService::Serve(const ClientRequest& request) {
  switch (request.method) {
    case Method::kGet:
      return Get(request);
    case Method::kPut:
      return Put(request);
    case Method::kDelete:
      return Delete(request);
    case Method::kBatch:
      return Batch(request);
    case Method::kScan:
      return Scan(request);
    default:
      return Invalid(request, "not a data method");
  }
}

ClientReply ClientService::Get(const ClientRequest& request) {
  if (absl::Status s = OneOp(request); !s.ok()) return Error(request, s);
  ClientReply reply;
  reply.id = request.id;
  absl::Status s = node_->Get(ReadOptions(), request.ops[0].key, &reply.value);
  if (absl::IsNotFound(s)) {
    reply.value.clear();
    return reply;
  }
  if (!s.ok()) return Error(request, s);
  reply.found = true;
  return reply;
}

ClientReply ClientService::Put(const ClientRequest& request) {
  if (absl::Status s = OneOp(request); !s.ok()) return Error(request, s);
  if (request.ops[0].is_delete) {
    return Invalid(request, "put: op 0 is a delete (use the delete method)");
  }
  WriteOptions wo;
  wo.sync = request.sync;
  return Done(request,
              node_->Put(wo, request.ops[0].key, request.ops[0].value));
}

ClientReply ClientService::Delete(const ClientRequest& request) {
  if (absl::Status s = OneOp(request); !s.ok()) return Error(request, s);
  WriteOptions wo;
  wo.sync = request.sync;
  return Done(request, node_->Delete(wo, request.ops[0].key));
}

ClientReply ClientService::Batch(const ClientRequest& request) {
  if (request.ops.empty()) return Invalid(request, "batch: no ops");
  WriteBatch batch;
  for (const BatchOp& op : request.ops) {
    if (op.is_delete) {
      batch.Delete(op.key);
    } else {
      batch.Put(op.key, op.value);
    }
  }
  WriteOptions wo;
  wo.sync = request.sync;
  return Done(request, node_->Write(wo, batch));
}

ClientReply ClientService::Scan(const ClientRequest& request) {
  if (request.scan_limit == 0) {
    return Invalid(request, "scan: scan_limit 0 (ask for at least 1 entry)");
  }
  if (!request.scan_end.empty() && request.scan_end < request.scan_start) {
    return Invalid(request,
                   absl::StrCat("scan: scan_end (", request.scan_end.size(),
                                " bytes) sorts before scan_start (",
                                request.scan_start.size(), " bytes)"));
  }
  if (!request.ops.empty()) {
    return Invalid(
        request, absl::StrCat("scan: takes no ops, got ", request.ops.size()));
  }
  const uint32_t limit =
      std::min(request.scan_limit, options_.max_scan_entries);
  ReadOptions ro;
  ro.fill_cache = false;  // a scan must not evict the hot set
  if (!request.scan_start.empty()) ro.lower_bound = request.scan_start;
  if (!request.scan_end.empty()) ro.upper_bound = request.scan_end;
  absl::StatusOr<std::unique_ptr<DbIterator>> it = node_->NewIterator(ro);
  if (!it.ok()) return Error(request, it.status());
  ClientReply reply;
  reply.id = request.id;
  size_t bytes = 0;
  for ((*it)->Seek(request.scan_start); (*it)->Valid(); (*it)->Next()) {
    if (reply.entries.size() >= limit ||
        (!reply.entries.empty() && bytes >= kMaxScanReplyBytes)) {
      reply.scan_truncated = true;
      break;
    }
    bytes += (*it)->key().size() + (*it)->value().size();
    reply.entries.emplace_back(std::string((*it)->key()),
                               std::string((*it)->value()));
  }
  if (absl::Status s = (*it)->status(); !s.ok()) return Error(request, s);
  return reply;
}

void ClientService::ReportFailure(const ClientRequest& request,
                                  std::string_view peer) {
  ++failures_reported_;
  FailureReport report{Clip(request.client_id, kMaxClientIdSize),
                       std::string(peer), request.failed_request_id,
                       Clip(request.failure_reason, kMaxFailureReasonSize)};
  const std::string client = absl::CHexEscape(report.client_id);
  const std::string reason = absl::CHexEscape(report.reason);
  InfoLog(node_->engine().info_log(),
          "cairn clients: client '%s' (%s) reports that its request %llu "
          "failed at this node: %s",
          client.c_str(), report.address.c_str(),
          static_cast<unsigned long long>(report.request_id), reason.c_str());
  MutexLock lock(&mu_);
  recent_failures_.push_back(std::move(report));
  while (recent_failures_.size() > kRecentFailures) {
    recent_failures_.pop_front();
  }
}

void ClientService::RecordServiceTime(absl::Duration elapsed) {
  const double ns = absl::ToDoubleNanoseconds(elapsed);
  MutexLock lock(&mu_);
  mean_ns_ = mean_ns_ < 0 ? ns : mean_ns_ + kSampleWeight * (ns - mean_ns_);
}

uint64_t ClientService::ResponseMicros() {
  MutexLock lock(&mu_);
  if (mean_ns_ < 0) return 0;
  return std::max<uint64_t>(1,
                            static_cast<uint64_t>(std::ceil(mean_ns_ / 1000)));
}

NodeStatus ClientService::Status() {
  NodeStatus st;
  st.node_id = node_->engine().node_id();
  st.capacity = options_.capacity;
  absl::StatusOr<uint64_t> cached =
      node_->engine().IntProperty("cairn.cache.used_bytes");
  st.cached_bytes = cached.ok() ? *cached : 0;  // 0 with the cache off
  st.response_us = ResponseMicros();
  const NodeRole::View view = role_->Current();
  st.serves = view.serves;
  st.master = view.master;
  st.why = Clip(view.why, kMaxWhySize);
  return st;
}

std::string ClientService::StatusJson() {
  nlohmann::ordered_json j;
  j["serving"] = true;
  j["sessions"] = sessions_.load();
  j["sessions_total"] = sessions_total_.load();
  nlohmann::ordered_json requests = nlohmann::ordered_json::object();
  for (uint8_t m = 1; m <= kMaxMethod; ++m) {
    requests[std::string(MethodName(static_cast<Method>(m)))] =
        requests_[m].load();
  }
  j["requests"] = requests;
  j["errors"] = errors_.load();
  j["refused_not_serving"] = refused_.load();
  j["stepped_down_while_serving"] = stepped_down_.load();
  j["bad_requests"] = bad_requests_.load();
  j["bad_frames"] = bad_frames_.load();
  j["failures_reported"] = failures_reported_.load();
  nlohmann::ordered_json recent = nlohmann::ordered_json::array();
  {
    MutexLock lock(&mu_);
    for (const FailureReport& r : recent_failures_) {
      recent.push_back({{"client_id", absl::CHexEscape(r.client_id)},
                        {"address", r.address},
                        {"request_id", r.request_id},
                        {"reason", absl::CHexEscape(r.reason)}});
    }
  }
  j["recent_failures"] = recent;
  const NodeStatus st = Status();
  j["status"] = {
      {"capacity", st.capacity},       {"cached_bytes", st.cached_bytes},
      {"response_us", st.response_us}, {"serves", st.serves},
      {"master", st.master},           {"why", st.why}};
  return j.dump();
}

}  // namespace cairn::cluster
