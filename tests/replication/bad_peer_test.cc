// RELIABILITY B1 at the socket: whatever a connection sends, the node closes
// that connection (with the reason in its LOG), keeps its memory bounded,
// and goes on replicating with its real peers.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "replication/frame.h"
#include "replication/wire.h"
#include "tests/replication/cluster_util.h"

namespace cairn::replication::testing {
namespace {

// A raw loopback client.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawClient() { ::close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::string& bytes) {
    (void)!::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  // True when the server closed the connection (reads EOF or a reset),
  // after reading whatever it sent first.
  bool ClosedByPeer() {
    char buf[4096];
    for (int i = 0; i < 100; ++i) {
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
    return false;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::string Header(uint8_t type, uint32_t length) {
  std::string h(16, '\0');
  uint16_t magic = kFrameMagic;
  std::memcpy(h.data(), &magic, 2);
  h[2] = static_cast<char>(type);
  std::memcpy(h.data() + 4, &length, 4);
  return h;
}

std::string HelloFrame(const std::string& cluster, uint32_t node) {
  Hello hello;
  hello.cluster_id = cluster;
  hello.node_id = node;
  std::string out;
  EXPECT_TRUE(
      FrameEncoder::Encode(FrameType::kHello, EncodeHello(hello), nullptr, &out)
          .ok());
  return out;
}

TEST(BadPeerTest, EveryBadFrameClosesOnlyThatConnection) {
  Cluster c(2, {{"replication.connect_timeout_ms", "300"}});
  c.Open(1);
  c.Open(2);
  const uint16_t port = c.port(1);
  std::string good_frame;
  ASSERT_TRUE(FrameEncoder::Encode(FrameType::kHeartbeat, "x", nullptr,
                                   &good_frame)
                  .ok());
  std::string bad_checksum = good_frame;
  bad_checksum[8] ^= 1;
  const std::string cases[] = {
      Header(1, 0),                 // length 0: an empty hello
      Header(1, 1) + "x",           // length 1
      Header(1, kPreAuthMaxPayload + 1),  // cap + 1 before authentication
      Header(1, 0xFFFFFFFFu),       // 2^32 - 1
      bad_checksum,                 // bad checksum
      Header(200, 0),               // unknown type
      std::string("GET / HTTP/1.1\r\n\r\n"),  // not a frame at all
      HelloFrame("another-cluster", 2),      // wrong cluster id
      HelloFrame("cairn", 7),                // not a peer
      good_frame,                   // a valid frame that is not a hello
  };
  int i = 0;
  for (const std::string& bytes : cases) {
    RawClient raw(port);
    ASSERT_TRUE(raw.connected());
    raw.Send(bytes);
    EXPECT_TRUE(raw.ClosedByPeer()) << "case " << i;
    ++i;
  }
  {
    // Truncated: half a header, then silence past the handshake deadline.
    RawClient raw(port);
    raw.Send(Header(1, 10).substr(0, 7));
    EXPECT_TRUE(raw.ClosedByPeer());
  }
  {
    // One byte at a time, slower than the handshake allows.
    RawClient raw(port);
    std::string hello = HelloFrame("cairn", 2);
    bool closed = false;
    for (size_t k = 0; k < hello.size() && !closed; ++k) {
      raw.Send(hello.substr(k, 1));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (k == 5) closed = raw.ClosedByPeer();
    }
    EXPECT_TRUE(closed);
  }
  // The real peer never noticed.
  ASSERT_TRUE(c.node(2).Put(WriteOptions(), "still", "fine").ok());
  EXPECT_TRUE(WaitFor([&] { return Read(c.node(1), "still") == "fine"; }));
  nlohmann::json st = c.Status(1);
  EXPECT_GE(st["refused_connections"].get<uint64_t>() +
                st["bad_frames"].get<uint64_t>(),
            8u)
      << st.dump();
  EXPECT_EQ(c.PeerStatus(1, 2)["state"], "up");
}

TEST(BadPeerTest, ConnectionsPastTheCapAreClosedAtAccept) {
  Cluster c(1, {{"replication.max_connections", "2"},
                {"replication.connect_timeout_ms", "5000"}});
  c.Open(1);
  RawClient a(c.port(1)), b(c.port(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  RawClient third(c.port(1));
  EXPECT_TRUE(third.ClosedByPeer());
  EXPECT_GE(c.Status(1)["refused_connections"].get<uint64_t>(), 1u);
}

TEST(ReplicationPolicyTest, DiscardSkipsWhatATaggedPeerMissed) {
  Cluster c(2, {{"replication.failed_task_policy", "discard"},
                {"replication.failure_threshold", "1"},
                {"replication.reconnect_max_ms", "50"}});
  c.Open(1);
  c.Open(2);
  ASSERT_TRUE(c.node(1).Put(WriteOptions(), "a", "1").ok());
  ASSERT_TRUE(WaitFor([&] { return Read(c.node(2), "a") == "1"; }));
  c.Close(2);
  ASSERT_TRUE(WaitFor([&] { return c.PeerStatus(1, 2)["tagged"] == true; }));
  ASSERT_TRUE(c.node(1).Put(WriteOptions(), "b", "2").ok());
  ASSERT_TRUE(WaitFor(
      [&] { return c.PeerStatus(1, 2)["discarded"].get<uint64_t>() >= 1; }))
      << c.Status(1).dump();
  c.Open(2);
  ASSERT_TRUE(c.node(1).Put(WriteOptions(), "c", "3").ok());
  EXPECT_TRUE(WaitFor([&] { return Read(c.node(2), "c") == "3"; }));
  // "b" was discarded, not replayed: only anti-entropy brings it.
  EXPECT_EQ(Read(c.node(2), "b"), "<NOT_FOUND>");
  bool agree = true;
  ASSERT_TRUE(c.node(1).CompareWithPeers(absl::Seconds(5), &agree).ok());
  EXPECT_FALSE(agree);
  EXPECT_TRUE(WaitFor([&] { return Read(c.node(2), "b") == "2"; }));
}

}  // namespace
}  // namespace cairn::replication::testing
