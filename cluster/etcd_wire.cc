#include "cluster/etcd_wire.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace cairn::cluster::etcd_wire {
namespace {

using Json = nlohmann::json;

absl::Status Malformed(std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed etcd reply: ", std::string(what)));
}

// Parses without exceptions; a body that is not one JSON object is refused.
absl::StatusOr<Json> ParseBody(std::string_view body) {
  Json j = Json::parse(body.begin(), body.end(), nullptr,
                       /*allow_exceptions=*/false);
  if (j.is_discarded()) return Malformed("not JSON");
  if (!j.is_object()) return Malformed("not a JSON object");
  return j;
}

// An int64 field: a decimal string (grpc-gateway's encoding) or a JSON
// integer; absent means 0 (proto3 omits zero values).
absl::Status GetInt(const Json& obj, const char* name, int64_t* out) {
  *out = 0;
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    if (!absl::SimpleAtoi(s, out)) {
      return Malformed(absl::StrCat("field ", name, " is not an integer"));
    }
    return absl::OkStatus();
  }
  if (it->is_number_integer()) {
    if (it->is_number_unsigned() &&
        it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return Malformed(absl::StrCat("field ", name, " out of range"));
    }
    *out = it->get<int64_t>();
    return absl::OkStatus();
  }
  return Malformed(absl::StrCat("field ", name, " is not an integer"));
}

absl::Status GetBool(const Json& obj, const char* name, bool* out) {
  *out = false;
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_boolean()) {
    return Malformed(absl::StrCat("field ", name, " is not a boolean"));
  }
  *out = it->get<bool>();
  return absl::OkStatus();
}

// A base64 bytes field (absent: empty).
absl::Status GetBytes(const Json& obj, const char* name, std::string* out) {
  out->clear();
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string() ||
      !absl::Base64Unescape(it->get_ref<const std::string&>(), out)) {
    return Malformed(absl::StrCat("field ", name, " is not base64"));
  }
  return absl::OkStatus();
}

absl::StatusOr<EtcdKeyValue> ParseKv(const Json& j) {
  if (!j.is_object()) return Malformed("a kv is not an object");
  EtcdKeyValue kv;
  if (absl::Status s = GetBytes(j, "key", &kv.key); !s.ok()) return s;
  if (absl::Status s = GetBytes(j, "value", &kv.value); !s.ok()) return s;
  if (absl::Status s = GetInt(j, "create_revision", &kv.create_revision);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = GetInt(j, "mod_revision", &kv.mod_revision); !s.ok()) {
    return s;
  }
  if (absl::Status s = GetInt(j, "lease", &kv.lease); !s.ok()) return s;
  return kv;
}

absl::StatusOr<std::vector<EtcdKeyValue>> ParseKvs(const Json& range) {
  std::vector<EtcdKeyValue> kvs;
  auto it = range.find("kvs");
  if (it == range.end() || it->is_null()) return kvs;
  if (!it->is_array()) return Malformed("kvs is not an array");
  for (const Json& e : *it) {
    absl::StatusOr<EtcdKeyValue> kv = ParseKv(e);
    if (!kv.ok()) return kv.status();
    kvs.push_back(*std::move(kv));
  }
  return kvs;
}

absl::StatusOr<EtcdLease> ParseLease(const Json& j) {
  EtcdLease lease;
  if (absl::Status s = GetInt(j, "ID", &lease.id); !s.ok()) return s;
  if (absl::Status s = GetInt(j, "TTL", &lease.ttl_seconds); !s.ok()) {
    return s;
  }
  return lease;
}

// gRPC codes are absl codes by number (both follow google.rpc.Code).
absl::Status StatusFromGrpc(int64_t code, std::string_view message) {
  absl::StatusCode c = code > 0 && code <= 16
                           ? static_cast<absl::StatusCode>(code)
                           : absl::StatusCode::kUnknown;
  return absl::Status(c, absl::StrCat("etcd: ", std::string(message)));
}

// The error message of an {"error": ...} object (either form the gateway
// uses: a string with "message"/"code" beside it, or an object).
absl::Status ErrorFrom(const Json& j) {
  const Json* e = &j;
  auto it = j.find("error");
  if (it != j.end() && it->is_object()) e = &*it;
  int64_t code = 0;
  if (!GetInt(*e, "code", &code).ok() || code == 0) {
    if (!GetInt(*e, "grpc_code", &code).ok()) code = 0;
  }
  std::string message = "(no message)";
  auto m = e->find("message");
  if (m != e->end() && m->is_string()) {
    message = m->get<std::string>();
  } else if (it != j.end() && it->is_string()) {
    message = it->get<std::string>();
  }
  if (message.size() > 200) message.resize(200);
  return StatusFromGrpc(code, message);
}

Json B64(std::string_view s) {
  return absl::Base64Escape(absl::string_view(s.data(), s.size()));
}

}  // namespace

std::string LeaseGrantRequest(int64_t ttl_seconds) {
  return Json{{"TTL", std::to_string(ttl_seconds)}}.dump();
}

std::string LeaseIdRequest(int64_t lease) {
  return Json{{"ID", std::to_string(lease)}}.dump();
}

std::string RangeRequest(std::string_view key) {
  return Json{{"key", B64(key)}}.dump();
}

std::string CreateIfAbsentRequest(std::string_view key, std::string_view value,
                                  int64_t lease) {
  Json compare = {{"key", B64(key)},
                  {"target", "CREATE"},
                  {"result", "EQUAL"},
                  {"create_revision", "0"}};
  Json put = {{"request_put",
               {{"key", B64(key)},
                {"value", B64(value)},
                {"lease", std::to_string(lease)}}}};
  Json get = {{"request_range", {{"key", B64(key)}}}};
  return Json{{"compare", Json::array({compare})},
              {"success", Json::array({put})},
              {"failure", Json::array({get})}}
      .dump();
}

absl::StatusOr<EtcdLease> ParseLeaseGrant(std::string_view body) {
  absl::StatusOr<Json> j = ParseBody(body);
  if (!j.ok()) return j.status();
  if (j->contains("error")) return ErrorFrom(*j);
  absl::StatusOr<EtcdLease> lease = ParseLease(*j);
  if (lease.ok() && (lease->id == 0 || lease->ttl_seconds <= 0)) {
    return Malformed("lease grant without an ID or a TTL");
  }
  return lease;
}

absl::StatusOr<EtcdLease> ParseKeepAlive(std::string_view body) {
  // One JSON object per line; the first is the answer to our one request.
  size_t start = body.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return Malformed("empty stream");
  size_t end = body.find('\n', start);
  std::string_view first =
      body.substr(start, end == std::string_view::npos ? end : end - start);
  absl::StatusOr<Json> j = ParseBody(first);
  if (!j.ok()) return j.status();
  auto error = j->find("error");
  if (error != j->end() && !error->is_null()) return ErrorFrom(*j);
  auto result = j->find("result");
  if (result == j->end() || !result->is_object()) {
    return Malformed("keepalive message without a result");
  }
  return ParseLease(*result);
}

absl::StatusOr<EtcdTxnReply> ParseTxn(std::string_view body) {
  absl::StatusOr<Json> j = ParseBody(body);
  if (!j.ok()) return j.status();
  if (j->contains("error")) return ErrorFrom(*j);
  EtcdTxnReply reply;
  if (absl::Status s = GetBool(*j, "succeeded", &reply.succeeded); !s.ok()) {
    return s;
  }
  if (reply.succeeded) return reply;
  auto responses = j->find("responses");
  if (responses == j->end() || !responses->is_array() ||
      responses->size() != 1 || !(*responses)[0].is_object()) {
    return Malformed("failed txn without exactly one response");
  }
  auto range = (*responses)[0].find("response_range");
  if (range == (*responses)[0].end() || !range->is_object()) {
    return Malformed("failed txn without its range response");
  }
  absl::StatusOr<std::vector<EtcdKeyValue>> kvs = ParseKvs(*range);
  if (!kvs.ok()) return kvs.status();
  if (kvs->size() > 1) return Malformed("range of one key gave several");
  if (!kvs->empty()) reply.current = std::move((*kvs)[0]);
  return reply;
}

absl::StatusOr<std::vector<EtcdKeyValue>> ParseRange(std::string_view body) {
  absl::StatusOr<Json> j = ParseBody(body);
  if (!j.ok()) return j.status();
  if (j->contains("error")) return ErrorFrom(*j);
  return ParseKvs(*j);
}

absl::StatusOr<int64_t> ParseDeleteRange(std::string_view body) {
  absl::StatusOr<Json> j = ParseBody(body);
  if (!j.ok()) return j.status();
  if (j->contains("error")) return ErrorFrom(*j);
  int64_t deleted = 0;
  if (absl::Status s = GetInt(*j, "deleted", &deleted); !s.ok()) return s;
  return deleted;
}

absl::Status ParseObject(std::string_view body) {
  absl::StatusOr<Json> j = ParseBody(body);
  if (!j.ok()) return j.status();
  if (j->contains("error")) return ErrorFrom(*j);
  return absl::OkStatus();
}

absl::Status ParseErrorReply(int http_status, std::string_view body) {
  Json j = Json::parse(body.begin(), body.end(), nullptr, false);
  absl::Status s = !j.is_discarded() && j.is_object()
                       ? ErrorFrom(j)
                       : absl::UnknownError("etcd: (no error body)");
  if (s.code() == absl::StatusCode::kUnknown && http_status >= 500) {
    s = absl::UnavailableError(s.message());
  }
  return absl::Status(s.code(),
                      absl::StrCat("HTTP ", http_status, ": ", s.message()));
}

}  // namespace cairn::cluster::etcd_wire
