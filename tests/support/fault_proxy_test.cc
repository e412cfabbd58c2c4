// FaultProxy against a trivial echo server: relaying, retargeting, and each
// fault (delay, drop, cut) with its heal. Clients are blocking sockets with
// receive timeouts, so every wait is bounded.
#include "tests/support/fault_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "boost/asio.hpp"
#include "gtest/gtest.h"

namespace cairn::testing {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Echoes every byte back; closes its side when the client does. Counts the
// connections it accepted.
class EchoServer {
 public:
  EchoServer()
      : acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~EchoServer() {
    asio::post(io_, [this] { acceptor_.close(); });
    io_.stop();
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int connections() const { return connections_.load(); }

 private:
  struct Conn : std::enable_shared_from_this<Conn> {
    explicit Conn(tcp::socket s) : socket(std::move(s)) {}
    void Read() {
      socket.async_read_some(
          asio::buffer(buffer),
          [self = shared_from_this()](boost::system::error_code ec, size_t n) {
            if (ec) {
              boost::system::error_code ignored;
              self->socket.shutdown(tcp::socket::shutdown_send, ignored);
              return;
            }
            asio::async_write(self->socket, asio::buffer(self->buffer, n),
                              [self](boost::system::error_code ec, size_t) {
                                if (!ec) self->Read();
                              });
          });
    }
    tcp::socket socket;
    char buffer[8192];
  };

  void Accept() {
    acceptor_.async_accept(
        [this](boost::system::error_code ec, tcp::socket socket) {
          if (ec) return;
          connections_++;
          std::make_shared<Conn>(std::move(socket))->Read();
          Accept();
        });
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<int> connections_{0};
};

// A blocking client socket whose receives give up after a timeout.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Client() { close(fd_); }
  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  bool Send(const std::string& data) {
    return send(fd_, data.data(), data.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(data.size());
  }

  // Receives until `n` bytes, EOF/error, or `timeout` in all.
  std::string Receive(size_t n, milliseconds timeout) {
    std::string out;
    auto deadline = Clock::now() + timeout;
    while (out.size() < n) {
      auto left = std::chrono::duration_cast<std::chrono::microseconds>(
          deadline - Clock::now());
      if (left.count() <= 0) break;
      timeval tv{static_cast<time_t>(left.count() / 1000000),
                 static_cast<suseconds_t>(left.count() % 1000000)};
      setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      char buf[65536];
      ssize_t got = recv(fd_, buf, std::min(sizeof buf, n - out.size()), 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        ended_ = got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
        break;
      }
      out.append(buf, static_cast<size_t>(got));
    }
    return out;
  }

  // Whether the connection ended (EOF or reset) within `timeout`.
  bool EndsWithin(milliseconds timeout) {
    ended_ = false;
    Receive(1 << 30, timeout);
    return ended_;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool ended_ = false;
};

constexpr milliseconds kWait(10000);  // an upper bound for what must happen
constexpr milliseconds kQuiet(300);   // how long "nothing happens" is watched

TEST(FaultProxyTest, RelaysBothWaysAndCounts) {
  EchoServer echo;
  FaultProxy proxy(echo.port());
  Client c(proxy.port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send("hello"));
  EXPECT_EQ(c.Receive(5, kWait), "hello");
  FaultProxy::Stats s = proxy.stats();
  EXPECT_EQ(s.accepted, 1u);
  EXPECT_EQ(s.refused, 0u);
  EXPECT_EQ(s.open, 1u);
  EXPECT_EQ(s.bytes_to_target, 5u);
  EXPECT_EQ(s.bytes_to_client, 5u);
  EXPECT_EQ(s.bytes_held, 0u);
}

TEST(FaultProxyTest, HalfCloseIsPassedOnAndEndsTheConnection) {
  EchoServer echo;
  FaultProxy proxy(echo.port());
  Client c(proxy.port());
  ASSERT_TRUE(c.Send("bye"));
  ASSERT_EQ(shutdown(c.fd(), SHUT_WR), 0);
  EXPECT_EQ(c.Receive(3, kWait), "bye");
  EXPECT_TRUE(c.EndsWithin(kWait));
  for (int i = 0; i < 1000 && proxy.stats().open != 0; ++i) {
    std::this_thread::sleep_for(milliseconds(5));  // the relay's own close
  }
  EXPECT_EQ(proxy.stats().open, 0u);
}

TEST(FaultProxyTest, WithoutTargetConnectionsAreResetUntilOneIsSet) {
  EchoServer echo;
  FaultProxy proxy;
  {
    Client c(proxy.port());
    EXPECT_TRUE(c.EndsWithin(kWait));
  }
  EXPECT_EQ(proxy.stats().refused, 1u);
  proxy.SetTarget(echo.port());
  Client c(proxy.port());
  ASSERT_TRUE(c.Send("x"));
  EXPECT_EQ(c.Receive(1, kWait), "x");
}

TEST(FaultProxyTest, TargetDownResetsTheClient) {
  uint16_t dead_port;
  {
    EchoServer gone;
    dead_port = gone.port();
  }
  FaultProxy proxy(dead_port);
  Client c(proxy.port());
  EXPECT_TRUE(c.EndsWithin(kWait));
  EXPECT_EQ(proxy.stats().refused, 1u);
}

TEST(FaultProxyTest, SetTargetRedirectsNewConnectionsOnly) {
  EchoServer a, b;
  FaultProxy proxy(a.port());
  Client first(proxy.port());
  ASSERT_TRUE(first.Send("1"));
  ASSERT_EQ(first.Receive(1, kWait), "1");
  proxy.SetTarget(b.port());
  Client second(proxy.port());
  ASSERT_TRUE(second.Send("2"));
  ASSERT_EQ(second.Receive(1, kWait), "2");
  ASSERT_TRUE(first.Send("3"));
  EXPECT_EQ(first.Receive(1, kWait), "3");
  EXPECT_EQ(a.connections(), 1);
  EXPECT_EQ(b.connections(), 1);
}

TEST(FaultProxyTest, DelayHoldsEachDirection) {
  EchoServer echo;
  FaultProxy proxy(echo.port());
  proxy.Delay(milliseconds(150));
  Client c(proxy.port());
  auto start = Clock::now();
  ASSERT_TRUE(c.Send("slow"));
  ASSERT_EQ(c.Receive(4, kWait), "slow");
  // 150 ms there and 150 ms back.
  EXPECT_GE(Clock::now() - start, milliseconds(300));
  proxy.Heal();
  ASSERT_TRUE(c.Send("fast"));
  EXPECT_EQ(c.Receive(4, kWait), "fast");
}

TEST(FaultProxyTest, DropHoldsBytesAndNewConnectionsUntilHeal) {
  EchoServer echo;
  FaultProxy proxy(echo.port());
  Client open(proxy.port());
  ASSERT_TRUE(open.Send("a"));
  ASSERT_EQ(open.Receive(1, kWait), "a");
  proxy.Drop();
  Client held(proxy.port());
  ASSERT_TRUE(held.connected());  // a blackhole accepts...
  ASSERT_TRUE(open.Send("bb"));
  ASSERT_TRUE(held.Send("ccc"));
  EXPECT_EQ(open.Receive(2, kQuiet), "");  // ...and answers nothing
  EXPECT_EQ(held.Receive(3, kQuiet), "");
  EXPECT_EQ(proxy.stats().bytes_held, 5u);
  EXPECT_EQ(echo.connections(), 1);  // the held one never reached it
  proxy.Heal();
  EXPECT_EQ(open.Receive(2, kWait), "bb");
  EXPECT_EQ(held.Receive(3, kWait), "ccc");
  EXPECT_EQ(echo.connections(), 2);
  EXPECT_EQ(proxy.stats().bytes_held, 0u);
}

TEST(FaultProxyTest, CutResetsOpenConnectionsAndRefusesNewOnesUntilHeal) {
  EchoServer echo;
  FaultProxy proxy(echo.port());
  Client open(proxy.port());
  ASSERT_TRUE(open.Send("a"));
  ASSERT_EQ(open.Receive(1, kWait), "a");
  proxy.Cut();
  EXPECT_TRUE(open.EndsWithin(kWait));
  {
    Client refused(proxy.port());
    EXPECT_TRUE(refused.EndsWithin(kWait));
  }
  EXPECT_EQ(proxy.stats().refused, 1u);
  EXPECT_EQ(proxy.stats().open, 0u);
  proxy.Heal();
  Client again(proxy.port());
  ASSERT_TRUE(again.Send("b"));
  EXPECT_EQ(again.Receive(1, kWait), "b");
}

TEST(FaultProxyTest, HeldBytesAreBoundedAndDeliveredInOrder) {
  constexpr size_t kBound = 64 << 10;
  EchoServer echo;
  FaultProxy proxy(echo.port(), kBound);
  Client c(proxy.port());
  ASSERT_TRUE(c.Send("x"));
  ASSERT_EQ(c.Receive(1, kWait), "x");
  proxy.Drop();
  // Send without blocking until the relay stops reading and every buffer
  // between is full.
  ASSERT_EQ(fcntl(c.fd(), F_SETFL, fcntl(c.fd(), F_GETFL) | O_NONBLOCK), 0);
  std::string sent;
  std::string block(4096, '\0');
  for (int i = 0; i < 100000; ++i) {
    for (size_t j = 0; j < block.size(); ++j) {
      block[j] = static_cast<char>('a' + (sent.size() + j) % 26);
    }
    ssize_t n = send(c.fd(), block.data(), block.size(), MSG_NOSIGNAL);
    if (n < 0) {
      ASSERT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << errno;
      break;
    }
    sent.append(block, 0, static_cast<size_t>(n));
  }
  ASSERT_EQ(fcntl(c.fd(), F_SETFL, fcntl(c.fd(), F_GETFL) & ~O_NONBLOCK), 0);
  EXPECT_GT(sent.size(), kBound);  // the kernel buffers some too
  EXPECT_LE(proxy.stats().bytes_held, kBound + (16 << 10));
  proxy.Heal();
  EXPECT_EQ(c.Receive(sent.size(), kWait), sent);
}

TEST(FaultProxyTest, DestructionClosesHeldConnections) {
  EchoServer echo;
  auto proxy = std::make_unique<FaultProxy>(echo.port());
  proxy->Drop();
  Client c(proxy->port());
  ASSERT_TRUE(c.Send("a"));
  proxy.reset();
  EXPECT_TRUE(c.EndsWithin(kWait));
}

}  // namespace
}  // namespace cairn::testing
