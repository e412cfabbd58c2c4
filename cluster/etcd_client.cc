#include "cluster/etcd_client.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/address.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "replication/options.h"

namespace cairn::cluster {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

// A failed network step as a status: a deadline or a refused connection
// alike mean "etcd is not reachable now".
absl::Status NetworkError(std::string_view stage, const beast::error_code& ec,
                          absl::Duration timeout) {
  if (ec == beast::error::timeout) {
    return absl::UnavailableError(
        absl::StrCat("unreachable: no reply within ",
                     absl::FormatDuration(timeout), " (timed out while ",
                     std::string(stage), ")"));
  }
  return absl::UnavailableError(absl::StrCat(
      "unreachable: ", std::string(stage), " failed: ", ec.message()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Create(
    std::string_view endpoint, const Options& options) {
  std::string host;
  uint16_t port = 0;
  if (absl::Status s = replication::ParseHostPort(endpoint, &host, &port);
      !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "etcd endpoint '", std::string(endpoint), "': ", s.message()));
  }
  if (port == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "etcd endpoint '", std::string(endpoint), "': port 0"));
  }
  if (host == "localhost") host = "127.0.0.1";
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("etcd client: timeout must be > 0");
  }
  return std::unique_ptr<EtcdClient>(
      new EtcdClient(std::string(endpoint), host, port, options));
}

absl::Status EtcdClient::Named(std::string_view call,
                               const absl::Status& s) const {
  return absl::Status(s.code(), absl::StrCat("etcd at ", endpoint_, ": ",
                                             std::string(call), ": ",
                                             s.message()));
}

absl::StatusOr<std::string> EtcdClient::Post(std::string_view path,
                                             const std::string& body) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  boost::system::error_code addr_ec;
  const asio::ip::tcp::endpoint target(
      asio::ip::make_address(host_, addr_ec), port_);
  if (addr_ec) return absl::InvalidArgumentError("bad address");

  http::request<http::string_body> req{http::verb::post, std::string(path),
                                       11};
  req.set(http::field::host, endpoint_);
  req.set(http::field::content_type, "application/json");
  req.keep_alive(false);
  req.body() = body;
  req.prepare_payload();

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options_.max_reply_bytes);
  parser.header_limit(16 * 1024);

  // One deadline for the whole exchange: the stream's timer closes the
  // socket when it passes and the pending step fails with error::timeout.
  stream.expires_after(absl::ToChronoNanoseconds(options_.timeout));
  beast::error_code result;
  std::string_view stage = "connect";
  stream.async_connect(target, [&](const beast::error_code& ec) {
    if (ec) {
      result = ec;
      return;
    }
    stage = "send";
    http::async_write(
        stream, req, [&](const beast::error_code& ec, size_t) {
          if (ec) {
            result = ec;
            return;
          }
          stage = "receive";
          http::async_read(stream, buffer, parser,
                           [&](const beast::error_code& ec, size_t) {
                             result = ec;
                           });
        });
  });
  ioc.run();
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  if (result) return NetworkError(stage, result, options_.timeout);

  const http::response<http::string_body>& res = parser.get();
  if (res.result() != http::status::ok) {
    return etcd_wire::ParseErrorReply(res.result_int(), res.body());
  }
  return res.body();
}

absl::StatusOr<EtcdLease> EtcdClient::LeaseGrant(int64_t ttl_seconds) {
  constexpr std::string_view kCall = "lease grant";
  absl::StatusOr<std::string> body =
      Post("/v3/lease/grant", etcd_wire::LeaseGrantRequest(ttl_seconds));
  if (!body.ok()) return Named(kCall, body.status());
  absl::StatusOr<EtcdLease> lease = etcd_wire::ParseLeaseGrant(*body);
  if (!lease.ok()) return Named(kCall, lease.status());
  return lease;
}

absl::StatusOr<int64_t> EtcdClient::LeaseKeepAlive(int64_t lease) {
  const std::string call = absl::StrCat("lease keepalive of ", lease);
  absl::StatusOr<std::string> body =
      Post("/v3/lease/keepalive", etcd_wire::LeaseIdRequest(lease));
  if (!body.ok()) return Named(call, body.status());
  absl::StatusOr<EtcdLease> reply = etcd_wire::ParseKeepAlive(*body);
  if (!reply.ok()) return Named(call, reply.status());
  if (reply->ttl_seconds <= 0) {
    return Named(call, absl::NotFoundError("the lease expired or was revoked"));
  }
  return reply->ttl_seconds;
}

absl::Status EtcdClient::LeaseRevoke(int64_t lease) {
  const std::string call = absl::StrCat("lease revoke of ", lease);
  absl::StatusOr<std::string> body =
      Post("/v3/lease/revoke", etcd_wire::LeaseIdRequest(lease));
  absl::Status s = body.ok() ? etcd_wire::ParseObject(*body) : body.status();
  if (s.code() == absl::StatusCode::kNotFound) return absl::OkStatus();
  return s.ok() ? s : Named(call, s);
}

absl::StatusOr<EtcdTxnReply> EtcdClient::CreateIfAbsent(std::string_view key,
                                                        std::string_view value,
                                                        int64_t lease) {
  constexpr std::string_view kCall = "create-if-absent txn";
  absl::StatusOr<std::string> body =
      Post("/v3/kv/txn", etcd_wire::CreateIfAbsentRequest(key, value, lease));
  if (!body.ok()) return Named(kCall, body.status());
  absl::StatusOr<EtcdTxnReply> reply = etcd_wire::ParseTxn(*body);
  if (!reply.ok()) return Named(kCall, reply.status());
  return reply;
}

absl::StatusOr<std::optional<EtcdKeyValue>> EtcdClient::Get(
    std::string_view key) {
  constexpr std::string_view kCall = "range";
  absl::StatusOr<std::string> body =
      Post("/v3/kv/range", etcd_wire::RangeRequest(key));
  if (!body.ok()) return Named(kCall, body.status());
  absl::StatusOr<std::vector<EtcdKeyValue>> kvs = etcd_wire::ParseRange(*body);
  if (!kvs.ok()) return Named(kCall, kvs.status());
  if (kvs->size() > 1) {
    return Named(kCall, absl::InvalidArgumentError(
                            "malformed etcd reply: one key gave several"));
  }
  if (kvs->empty()) return std::optional<EtcdKeyValue>();
  return std::optional<EtcdKeyValue>(std::move((*kvs)[0]));
}

absl::StatusOr<int64_t> EtcdClient::Delete(std::string_view key) {
  constexpr std::string_view kCall = "deleterange";
  absl::StatusOr<std::string> body =
      Post("/v3/kv/deleterange", etcd_wire::RangeRequest(key));
  if (!body.ok()) return Named(kCall, body.status());
  absl::StatusOr<int64_t> deleted = etcd_wire::ParseDeleteRange(*body);
  if (!deleted.ok()) return Named(kCall, deleted.status());
  return deleted;
}

}  // namespace cairn::cluster
