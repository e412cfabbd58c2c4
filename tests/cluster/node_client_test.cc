// NodeClient against servers that misbehave: one that never answers, one
// that answers garbage bytes, and one that shakes hands properly and then
// answers a wrong frame type, a mismatched id, an undecodable reply or
// nothing. Each call returns a non-OK status within its deadline (plus
// scheduling slack), never crashes or hangs, and the next call reconnects.
#include <poll.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/write.hpp"
#include "cluster/client_wire.h"
#include "cluster/node_client.h"
#include "gtest/gtest.h"
#include "replication/connection.h"

namespace cairn::cluster {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using replication::Connection;
using replication::FrameType;

// How far past its deadline a failing call may return (a loaded machine).
constexpr absl::Duration kSlack = absl::Seconds(1);

// A loopback server running `serve` on each accepted connection, one at a
// time, on its own thread, until destroyed.
class FakeServer {
 public:
  using Serve = std::function<void(Connection* conn)>;

  // `raw` is written to each connection before `serve` runs.
  explicit FakeServer(Serve serve, std::string raw = "")
      : serve_(std::move(serve)),
        raw_(std::move(raw)),
        acceptor_(replication::BlockingIoContext()) {
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Run(); });
  }
  ~FakeServer() {
    stop_.store(true);
    thread_.join();
  }
  uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  void Run() {
    while (!stop_.load()) {
      pollfd pfd{acceptor_.native_handle(), POLLIN, 0};
      if (::poll(&pfd, 1, 20) <= 0) continue;
      tcp::socket socket(replication::BlockingIoContext());
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec) continue;
      ++accepted_;
      if (!raw_.empty()) asio::write(socket, asio::buffer(raw_), ec);
      Connection conn(std::move(socket), "fake client");
      serve_(&conn);
      // Hold the connection until the client gives up or the test ends, so
      // a silent server stays silent.
      while (!stop_.load()) {
        absl::StatusOr<replication::Frame> f =
            conn.Receive(absl::Now() + absl::Milliseconds(20));
        if (!f.ok() && !absl::IsDeadlineExceeded(f.status())) break;
      }
    }
  }

  Serve serve_;
  const std::string raw_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

replication::HandshakeConfig ServerConfig() {
  replication::HandshakeConfig hc;
  hc.cluster_id = "cairn";
  hc.node_id = 1;
  hc.max_frame_payload = 1 << 20;
  return hc;
}

// Shakes hands as node 1, then reads one request and lets `answer` reply.
FakeServer::Serve HandshakeThen(
    std::function<void(Connection*, const ClientRequest&)> answer) {
  return [answer](Connection* conn) {
    absl::StatusOr<replication::Hello> hello = conn->ServerHandshake(
        ServerConfig(), [](const replication::Hello&) {
          return absl::StatusOr<replication::ReceiveCursor>(
              replication::ReceiveCursor());
        });
    if (!hello.ok()) return;
    absl::StatusOr<replication::Frame> f =
        conn->Receive(absl::Now() + absl::Seconds(5));
    if (!f.ok()) return;
    absl::StatusOr<ClientRequest> request = DecodeRequest(f->payload);
    if (!request.ok()) return;
    answer(conn, *request);
  };
}

ClientRequest Get() {
  ClientRequest r;
  r.method = Method::kGet;
  r.ops.push_back({false, "k", ""});
  return r;
}

// Calls through a NodeClient for node 1 at `port`; expects a failure within
// the deadline and returns it.
absl::Status FailingCall(uint16_t port,
                         absl::Duration timeout = absl::Milliseconds(300)) {
  NodeClient client(NodeAddress{1, "127.0.0.1", port}, NodeClientOptions{});
  const absl::Time deadline = absl::Now() + timeout;
  absl::StatusOr<ClientReply> r = client.Call(Get(), deadline);
  EXPECT_LE(absl::Now(), deadline + kSlack);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(client.LocalAddress().empty());  // the connection is closed
  return r.status();
}

TEST(NodeClientTest, ASilentServerTimesOut) {
  FakeServer server([](Connection*) {});
  absl::Status s = FailingCall(server.port());
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
  EXPECT_NE(s.message().find("node 1"), std::string::npos) << s;
}

TEST(NodeClientTest, GarbageBytesFail) {
  // Not a frame at all: the client's decoder refuses the magic.
  FakeServer raw([](Connection*) {}, std::string(64, '\xff'));
  absl::Status s = FailingCall(raw.port(), absl::Seconds(5));
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_NE(s.message().find("magic"), std::string::npos) << s;
  // A well-framed Welcome whose payload is garbage.
  FakeServer welcome([](Connection* conn) {
    (void)conn->Send(FrameType::kWelcome, std::string(64, '\xff'));
  });
  s = FailingCall(welcome.port(), absl::Seconds(5));
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
}

TEST(NodeClientTest, AnUnansweredRequestTimesOut) {
  FakeServer server(HandshakeThen([](Connection*, const ClientRequest&) {}));
  absl::Status s = FailingCall(server.port());
  EXPECT_TRUE(absl::IsDeadlineExceeded(s)) << s;
}

TEST(NodeClientTest, AWrongFrameTypeFails) {
  FakeServer server(HandshakeThen([](Connection* conn, const ClientRequest&) {
    (void)conn->Send(FrameType::kAck, "");
  }));
  absl::Status s = FailingCall(server.port(), absl::Seconds(5));
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_NE(s.message().find("frame type"), std::string::npos) << s;
}

TEST(NodeClientTest, AMismatchedReplyIdFails) {
  FakeServer server(
      HandshakeThen([](Connection* conn, const ClientRequest& request) {
        ClientReply reply;
        reply.id = request.id + 1;
        std::string p;
        ASSERT_TRUE(EncodeReply(reply, &p).ok());
        (void)conn->Send(FrameType::kClientReply, p);
      }));
  absl::Status s = FailingCall(server.port(), absl::Seconds(5));
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_NE(s.message().find("does not match"), std::string::npos) << s;
}

TEST(NodeClientTest, AnUndecodableReplyFails) {
  FakeServer server(HandshakeThen([](Connection* conn, const ClientRequest&) {
    (void)conn->Send(FrameType::kClientReply, "\x01\x02\x03");
  }));
  absl::Status s = FailingCall(server.port(), absl::Seconds(5));
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_NE(s.message().find("ClientReply"), std::string::npos) << s;
}

TEST(NodeClientTest, AnErrorFrameFails) {
  FakeServer server(HandshakeThen([](Connection* conn, const ClientRequest&) {
    conn->Fail("go away");
  }));
  absl::Status s = FailingCall(server.port(), absl::Seconds(5));
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_NE(s.message().find("go away"), std::string::npos) << s;
}

TEST(NodeClientTest, NobodyListeningFailsAndTheNextCallReconnects) {
  // Find a free port, then close it.
  uint16_t port;
  {
    tcp::acceptor a(replication::BlockingIoContext(),
                    tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }
  NodeClient client(NodeAddress{1, "127.0.0.1", port}, NodeClientOptions{});
  absl::StatusOr<ClientReply> r =
      client.Call(Get(), absl::Now() + absl::Seconds(2));
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();

  // A server that answers properly, reached by a client whose last call
  // failed: it reconnects, and each request gets its own id.
  FakeServer server(
      HandshakeThen([](Connection* conn, const ClientRequest& request) {
        ClientReply reply;
        reply.id = request.id;
        reply.found = true;
        reply.value = "v";
        std::string p;
        ASSERT_TRUE(EncodeReply(reply, &p).ok());
        (void)conn->Send(FrameType::kClientReply, p);
      }));
  NodeClient good(NodeAddress{1, "127.0.0.1", server.port()},
                  NodeClientOptions{});
  r = good.Call(Get(), absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->value, "v");
  EXPECT_EQ(r->id, 1u);
  // The fake serves one request per connection: the second call fails (the
  // server stays silent), the third reconnects.
  r = good.Call(Get(), absl::Now() + absl::Milliseconds(200));
  EXPECT_FALSE(r.ok());
  r = good.Call(Get(), absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->id, 3u);
  EXPECT_EQ(server.accepted(), 2);
}

TEST(NodeClientTest, ADeadlineInThePastFailsAtOnce) {
  FakeServer server([](Connection*) {});
  NodeClient client(NodeAddress{1, "127.0.0.1", server.port()},
                    NodeClientOptions{});
  absl::StatusOr<ClientReply> r = client.Call(Get(), absl::InfinitePast());
  EXPECT_TRUE(absl::IsDeadlineExceeded(r.status())) << r.status();
}

}  // namespace
}  // namespace cairn::cluster
