#include "replication/connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/asio/ip/address.hpp"
#include "boost/asio/write.hpp"
#include "engine/strings.h"

namespace cairn::replication {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// How long a blocked send may wait for the peer to take bytes.
constexpr int kSendTimeoutMs = 5000;

int MillisUntil(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(
      std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1 << 30));
}

void Tune(tcp::socket& socket) {
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  timeval tv{kSendTimeoutMs / 1000, (kSendTimeoutMs % 1000) * 1000};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv,
               sizeof(tv));
}

std::array<uint8_t, kNonceSize> NewNonce() {
  std::array<uint8_t, kNonceSize> n{};
  if (!RandomBytes(n.data(), n.size()).ok()) {
    // Unreachable in practice (OpenSSL seeds from the OS); a fixed nonce
    // would only weaken replay protection across connections, so fall back
    // to the clock rather than fail the handshake.
    uint64_t t = absl::GetCurrentTimeNanos();
    std::memcpy(n.data(), &t, sizeof(t));
  }
  return n;
}

absl::Status Refused(const Frame& frame) {
  absl::StatusOr<ErrorFrame> e = DecodeError(frame.payload);
  return absl::FailedPreconditionError(absl::StrCat(
      "peer refused the connection: ", e.ok() ? e->reason : "(no reason)"));
}

}  // namespace

asio::io_context& BlockingIoContext() {
  static asio::io_context* io = new asio::io_context();
  return *io;
}

Connection::Connection(tcp::socket socket, std::string remote)
    : socket_(std::move(socket)), remote_(std::move(remote)) {
  Tune(socket_);
}

Connection::~Connection() {
  Shutdown();
  boost::system::error_code ec;
  socket_.close(ec);
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Connect(
    const std::string& host, uint16_t port, absl::Duration timeout) {
  boost::system::error_code ec;
  asio::ip::address addr = asio::ip::make_address(
      host == "localhost" ? std::string("127.0.0.1") : host, ec);
  std::string where = absl::StrCat(host, ":", port);
  if (ec) return absl::InvalidArgumentError("bad address " + where);
  tcp::endpoint ep(addr, port);
  tcp::socket socket(BlockingIoContext());
  socket.open(ep.protocol(), ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("socket for ", where, ": ", ec.message()));
  }
  socket.non_blocking(true, ec);
  socket.connect(ep, ec);
  if (ec == asio::error::would_block || ec == asio::error::in_progress) {
    pollfd pfd{socket.native_handle(), POLLOUT, 0};
    int r = ::poll(&pfd, 1, MillisUntil(absl::Now() + timeout));
    if (r == 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("connect to ", where, " timed out"));
    }
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(socket.native_handle(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (r < 0 || err != 0) {
      return absl::UnavailableError(absl::StrCat(
          "connect to ", where, ": ", std::strerror(err != 0 ? err : errno)));
    }
  } else if (ec) {
    return absl::UnavailableError(
        absl::StrCat("connect to ", where, ": ", ec.message()));
  }
  socket.non_blocking(false, ec);
  return std::make_unique<Connection>(std::move(socket), where);
}

absl::Status Connection::Send(FrameType type, std::string_view payload) {
  MutexLock lock(&send_mu_);
  if (shut_down_.load()) return absl::UnavailableError("connection closed");
  std::string buf;
  if (absl::Status s = FrameEncoder::Encode(
          type, payload, authenticated_ && !send_mac_.secret.empty()
                             ? &send_mac_
                             : nullptr,
          &buf);
      !s.ok()) {
    return s;
  }
  boost::system::error_code ec;
  asio::write(socket_, asio::buffer(buf), ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("send to ", remote_, ": ", ec.message()));
  }
  bytes_sent_.fetch_add(buf.size(), std::memory_order_relaxed);
  return absl::OkStatus();
}

absl::StatusOr<Frame> Connection::Receive(absl::Time deadline) {
  char buf[64 << 10];
  for (;;) {
    absl::StatusOr<std::optional<Frame>> next = decoder_.Next();
    if (!next.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad frame from ", remote_, ": ", next.status().message()));
    }
    if (next->has_value()) return std::move(**next);
    if (shut_down_.load()) return absl::UnavailableError("connection closed");
    pollfd pfd{socket_.native_handle(), POLLIN, 0};
    int r = ::poll(&pfd, 1, MillisUntil(deadline));
    if (r == 0) {
      return absl::DeadlineExceededError(
          absl::StrCat("no complete frame from ", remote_, " in time (",
                       decoder_.buffered(), " bytes pending)"));
    }
    if (r < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(
          absl::StrCat("poll ", remote_, ": ", std::strerror(errno)));
    }
    ssize_t n = ::recv(socket_.native_handle(), buf, sizeof(buf), 0);
    if (n == 0) {
      return absl::UnavailableError(
          absl::StrCat("connection closed by ", remote_));
    }
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return absl::UnavailableError(
          absl::StrCat("receive from ", remote_, ": ", std::strerror(errno)));
    }
    bytes_received_.fetch_add(static_cast<uint64_t>(n),
                              std::memory_order_relaxed);
    decoder_.Feed(buf, static_cast<size_t>(n));
  }
}

void Connection::Authenticate(
    const std::string& secret, Direction send_direction,
    const std::array<uint8_t, kNonceSize>& local_nonce,
    const std::array<uint8_t, kNonceSize>& remote_nonce,
    uint32_t max_payload) {
  {
    MutexLock lock(&send_mu_);
    send_mac_.secret = secret;
    send_mac_.direction = send_direction;
    send_mac_.nonce_local = local_nonce;
    send_mac_.nonce_remote = remote_nonce;
    send_mac_.counter = 0;
    authenticated_ = true;
  }
  recv_mac_.secret = secret;
  recv_mac_.direction = send_direction == Direction::kClientToServer
                            ? Direction::kServerToClient
                            : Direction::kClientToServer;
  // Our own point of view (frame.h): the decoder puts the sender's nonce
  // first.
  recv_mac_.nonce_local = local_nonce;
  recv_mac_.nonce_remote = remote_nonce;
  recv_mac_.counter = 0;
  decoder_.Authenticated(max_payload, secret.empty() ? nullptr : &recv_mac_);
}

absl::StatusOr<Welcome> Connection::ClientHandshake(
    const HandshakeConfig& config, Role role, uint32_t expected_peer) {
  const absl::Time deadline = absl::Now() + config.timeout;
  Hello hello;
  hello.cluster_id = config.cluster_id;
  hello.node_id = config.node_id;
  hello.role = role;
  hello.has_secret = !config.secret.empty();
  hello.nonce = NewNonce();
  if (absl::Status s = Send(FrameType::kHello, EncodeHello(hello)); !s.ok()) {
    return s;
  }
  absl::StatusOr<Frame> frame = Receive(deadline);
  if (!frame.ok()) return frame.status();
  if (frame->type == FrameType::kError) return Refused(*frame);
  if (frame->type != FrameType::kWelcome) {
    return absl::InvalidArgumentError(
        absl::StrCat(remote_, " answered the hello with frame type ",
                     static_cast<int>(frame->type)));
  }
  absl::StatusOr<Welcome> welcome = DecodeWelcome(frame->payload);
  if (!welcome.ok()) return welcome.status();
  if (welcome->protocol_version != kProtocolVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat(remote_, " speaks protocol ", welcome->protocol_version,
                     ", this node ", kProtocolVersion));
  }
  if (welcome->cluster_id != config.cluster_id) {
    return absl::FailedPreconditionError(absl::StrCat(
        remote_, " is in cluster '", welcome->cluster_id, "', not '",
        config.cluster_id, "'"));
  }
  if (expected_peer != 0 && welcome->node_id != expected_peer) {
    return absl::FailedPreconditionError(
        absl::StrCat(remote_, " is node ", welcome->node_id,
                     ", but the peer list says node ", expected_peer));
  }
  if (welcome->has_secret != hello.has_secret) {
    return absl::PermissionDeniedError(absl::StrCat(
        remote_, welcome->has_secret ? " requires a shared secret"
                                     : " has no shared secret configured"));
  }
  if (!config.secret.empty()) {
    Auth mine;
    mine.proof = AuthProof(config.secret, true, hello.nonce, welcome->nonce,
                           config.cluster_id, config.node_id,
                           welcome->node_id);
    if (absl::Status s = Send(FrameType::kAuth, EncodeAuth(mine)); !s.ok()) {
      return s;
    }
    absl::StatusOr<Frame> reply = Receive(deadline);
    if (!reply.ok()) return reply.status();
    if (reply->type == FrameType::kError) return Refused(*reply);
    absl::StatusOr<Auth> theirs = reply->type == FrameType::kAuth
                                      ? DecodeAuth(reply->payload)
                                      : absl::InvalidArgumentError("not auth");
    auto expected = AuthProof(config.secret, false, hello.nonce,
                              welcome->nonce, config.cluster_id,
                              config.node_id, welcome->node_id);
    if (!theirs.ok() ||
        !MacEqual(theirs->proof.data(), expected.data(), kMacSize)) {
      return absl::PermissionDeniedError(
          absl::StrCat(remote_, " failed to prove the shared secret"));
    }
  }
  Authenticate(config.secret, Direction::kClientToServer, hello.nonce,
               welcome->nonce, config.max_frame_payload);
  return welcome;
}

absl::StatusOr<Hello> Connection::ServerHandshake(
    const HandshakeConfig& config,
    const std::function<absl::StatusOr<ReceiveCursor>(const Hello&)>& admit) {
  const absl::Time deadline = absl::Now() + config.timeout;
  absl::StatusOr<Frame> frame = Receive(deadline);
  if (!frame.ok()) return frame.status();
  if (frame->type != FrameType::kHello) {
    absl::Status s = absl::InvalidArgumentError(absl::StrCat(
        "first frame from ", remote_, " has type ",
        static_cast<int>(frame->type), ", not hello"));
    Fail(SV(s.message()));
    return s;
  }
  absl::StatusOr<Hello> hello = DecodeHello(frame->payload);
  auto refuse = [&](absl::Status s) {
    Fail(SV(s.message()));
    return s;
  };
  if (!hello.ok()) return refuse(hello.status());
  if (hello->protocol_version != kProtocolVersion) {
    return refuse(absl::FailedPreconditionError(
        absl::StrCat("protocol ", hello->protocol_version,
                     " not supported (this node speaks ", kProtocolVersion,
                     ")")));
  }
  if (hello->cluster_id != config.cluster_id) {
    return refuse(absl::FailedPreconditionError(
        absl::StrCat("wrong cluster id '", hello->cluster_id,
                     "' (this node is in '", config.cluster_id, "')")));
  }
  if (hello->has_secret != !config.secret.empty()) {
    return refuse(absl::PermissionDeniedError(
        config.secret.empty() ? "this node has no shared secret configured"
                              : "this node requires the shared secret"));
  }
  absl::StatusOr<ReceiveCursor> cursor = admit(*hello);
  if (!cursor.ok()) return refuse(cursor.status());
  Welcome welcome;
  welcome.cluster_id = config.cluster_id;
  welcome.node_id = config.node_id;
  welcome.has_secret = !config.secret.empty();
  welcome.nonce = NewNonce();
  welcome.cursor = *cursor;
  if (absl::Status s = Send(FrameType::kWelcome, EncodeWelcome(welcome));
      !s.ok()) {
    return s;
  }
  if (!config.secret.empty()) {
    absl::StatusOr<Frame> auth = Receive(deadline);
    if (!auth.ok()) return auth.status();
    absl::StatusOr<Auth> theirs = auth->type == FrameType::kAuth
                                      ? DecodeAuth(auth->payload)
                                      : absl::InvalidArgumentError("not auth");
    auto expected = AuthProof(config.secret, true, hello->nonce,
                              welcome.nonce, config.cluster_id, hello->node_id,
                              config.node_id);
    if (!theirs.ok() ||
        !MacEqual(theirs->proof.data(), expected.data(), kMacSize)) {
      return refuse(absl::PermissionDeniedError(absl::StrCat(
          "node ", hello->node_id, " at ", remote_,
          " failed to prove the shared secret")));
    }
    Auth mine;
    mine.proof = AuthProof(config.secret, false, hello->nonce, welcome.nonce,
                           config.cluster_id, hello->node_id, config.node_id);
    if (absl::Status s = Send(FrameType::kAuth, EncodeAuth(mine)); !s.ok()) {
      return s;
    }
  }
  Authenticate(config.secret, Direction::kServerToClient, welcome.nonce,
               hello->nonce, config.max_frame_payload);
  return hello;
}

std::string Connection::LocalAddress() const {
  boost::system::error_code ec;
  tcp::endpoint ep = socket_.local_endpoint(ec);
  if (ec) return "";
  return absl::StrCat(ep.address().to_string(), ":", ep.port());
}

void Connection::Fail(std::string_view reason) {
  ErrorFrame e;
  e.reason = std::string(reason.substr(0, 1024));
  (void)Send(FrameType::kError, EncodeError(e));
  Shutdown();
}

void Connection::Shutdown() {
  if (shut_down_.exchange(true)) return;
  ::shutdown(socket_.native_handle(), SHUT_RDWR);
}

}  // namespace cairn::replication
