#include "tests/support/fault_proxy.h"

#include <stdio.h>
#include <stdlib.h>

#include <array>
#include <atomic>
#include <deque>
#include <future>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "boost/asio.hpp"

namespace cairn::testing {
namespace fault_proxy_internal {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using ErrorCode = boost::system::error_code;

constexpr size_t kReadChunk = 16 << 10;
// A relay-thread call that does not run within this is a bug: abort loudly
// rather than let a test hang.
constexpr auto kIoCallLimit = std::chrono::seconds(30);

struct Counters {
  std::atomic<uint64_t> accepted{0}, refused{0}, open{0};
  std::atomic<uint64_t> to_target{0}, to_client{0}, held{0};
};

// What the faults are now; touched on the relay thread only.
struct Settings {
  uint16_t target = 0;
  bool cut = false;
  bool drop = false;
  Clock::duration delay{0};
  size_t max_buffered = 0;
};

class Session;

}  // namespace

class Relay {
 public:
  Relay(uint16_t target, size_t max_buffered)
      : acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    settings_.target = target;
    settings_.max_buffered = max_buffered;
  }

  uint16_t Start() {
    Accept();
    thread_ = std::thread([this] { io_.run(); });
    return acceptor_.local_endpoint().port();
  }

  // Runs `f` on the relay thread and waits for it.
  template <typename F>
  void RunOnIo(F f) {
    auto done = std::make_shared<std::promise<void>>();
    std::future<void> ready = done->get_future();
    asio::post(io_, [f = std::move(f), done]() mutable {
      f();
      done->set_value();
    });
    if (ready.wait_for(kIoCallLimit) != std::future_status::ready) {
      fprintf(stderr, "FaultProxy: the relay thread did not answer in %lld s\n",
              static_cast<long long>(kIoCallLimit.count()));
      abort();
    }
  }

  void Stop();
  void Heal();
  void CloseAll();

  asio::io_context& io() { return io_; }
  Settings& settings() { return settings_; }
  Counters& counters() { return counters_; }
  void Forget(const std::shared_ptr<Session>& s) { sessions_.erase(s); }

 private:
  void Accept();

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{
      io_.get_executor()};
  tcp::acceptor acceptor_;
  std::thread thread_;
  // Relay thread only:
  Settings settings_;
  std::set<std::shared_ptr<Session>> sessions_;
  // Any thread:
  Counters counters_;
};

namespace {

// Closes `socket` with a reset (SO_LINGER 0), as a refusing host would.
void Reset(tcp::socket& socket) {
  ErrorCode ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

// One relayed connection: a client socket, an upstream socket, and a pipe
// per direction. Lives on the relay thread; kept alive by its handlers and
// the proxy's set.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Relay* proxy, tcp::socket client)
      : proxy_(proxy),
        client_(std::move(client)),
        upstream_(proxy->io()),
        up_(proxy->io(), client_, upstream_, &proxy->counters().to_target),
        down_(proxy->io(), upstream_, client_, &proxy->counters().to_client) {}

  void Start() {
    ErrorCode ignored;
    client_.set_option(tcp::no_delay(true), ignored);
    Read(up_);
    Resume();
  }

  // After the faults changed: connect if now allowed, forward what waits.
  void Resume() {
    if (closed_) return;
    const Settings& s = proxy_->settings();
    if (!connected_ && !connecting_ && !s.drop && !s.cut) Connect();
    Pump(up_);
    Pump(down_);
  }

  // Heal: what waits for a delay goes now.
  void ReleaseDelayed() {
    for (Pipe* p : {&up_, &down_}) {
      for (Chunk& c : p->queue) c.due = Clock::now();
      p->timer.cancel();
    }
  }

  void Close(bool reset) {
    if (closed_) return;
    closed_ = true;
    ErrorCode ignored;
    if (reset) {
      Reset(client_);
      Reset(upstream_);
    } else {
      client_.close(ignored);
      upstream_.close(ignored);
    }
    for (Pipe* p : {&up_, &down_}) {
      p->timer.cancel();
      proxy_->counters().held -= p->queued - p->handed_over;
      p->queued = 0;
      p->handed_over = 0;
      p->queue.clear();
    }
    proxy_->counters().open--;
    proxy_->Forget(shared_from_this());
  }

 private:
  struct Chunk {
    std::vector<char> data;
    Clock::time_point due;
  };
  struct Pipe {
    Pipe(asio::io_context& io, tcp::socket& from_socket, tcp::socket& to_socket,
         std::atomic<uint64_t>* forwarded_counter)
        : from(from_socket),
          to(to_socket),
          timer(io),
          forwarded(forwarded_counter) {}
    tcp::socket& from;
    tcp::socket& to;
    std::deque<Chunk> queue;
    size_t queued = 0;       // bytes in `queue`
    size_t handed_over = 0;  // of those, in the write in progress
    bool reading = false, writing = false, waiting = false;
    bool eof = false;       // the sender finished
    bool finished = false;  // and we passed the end on
    asio::steady_timer timer;
    std::atomic<uint64_t>* forwarded;
    std::array<char, kReadChunk> buffer;
  };

  void Connect() {
    connecting_ = true;
    tcp::endpoint target(asio::ip::address_v4::loopback(),
                         proxy_->settings().target);
    upstream_.async_connect(target, [self = shared_from_this()](ErrorCode ec) {
      self->connecting_ = false;
      if (self->closed_) return;
      if (ec) {  // the target is down: the client sees a reset
        self->proxy_->counters().refused++;
        self->Close(/*reset=*/true);
        return;
      }
      self->connected_ = true;
      ErrorCode ignored;
      self->upstream_.set_option(tcp::no_delay(true), ignored);
      self->Read(self->down_);
      self->Resume();
    });
  }

  void Read(Pipe& p) {
    if (closed_ || p.reading || p.eof ||
        p.queued >= proxy_->settings().max_buffered) {
      return;
    }
    if (&p == &down_ && !connected_) return;
    p.reading = true;
    p.from.async_read_some(
        asio::buffer(p.buffer),
        [self = shared_from_this(), &p](ErrorCode ec, size_t n) {
          p.reading = false;
          if (self->closed_) return;
          if (ec == asio::error::eof) {
            p.eof = true;
            self->Pump(p);
            return;
          }
          if (ec) {
            self->Close(/*reset=*/true);
            return;
          }
          p.queue.push_back(
              {std::vector<char>(p.buffer.data(), p.buffer.data() + n),
               Clock::now() + self->proxy_->settings().delay});
          p.queued += n;
          self->proxy_->counters().held += n;
          self->Read(p);
          self->Pump(p);
        });
  }

  void Pump(Pipe& p) {
    const Settings& s = proxy_->settings();
    if (closed_ || p.writing || p.waiting || s.drop || !connected_) return;
    if (p.queue.empty()) {
      if (p.eof && !p.finished) {
        p.finished = true;
        ErrorCode ignored;
        p.to.shutdown(tcp::socket::shutdown_send, ignored);
        if (up_.finished && down_.finished) Close(/*reset=*/false);
      }
      return;
    }
    Chunk& front = p.queue.front();
    if (front.due > Clock::now()) {
      p.waiting = true;
      p.timer.expires_at(front.due);
      p.timer.async_wait([self = shared_from_this(), &p](ErrorCode) {
        p.waiting = false;
        self->Pump(p);
      });
      return;
    }
    p.writing = true;
    // Counted as forwarded when handed over, so that a client that got the
    // bytes also sees them counted.
    proxy_->counters().held -= front.data.size();
    *p.forwarded += front.data.size();
    p.handed_over = front.data.size();
    asio::async_write(p.to, asio::buffer(front.data),
                      [self = shared_from_this(), &p](ErrorCode ec, size_t n) {
                        p.writing = false;
                        if (self->closed_) return;
                        if (ec) {
                          self->Close(/*reset=*/true);
                          return;
                        }
                        p.queue.pop_front();
                        p.queued -= n;
                        p.handed_over = 0;
                        self->Read(p);
                        self->Pump(p);
                      });
  }

  Relay* const proxy_;
  tcp::socket client_;
  tcp::socket upstream_;
  Pipe up_;    // client -> target
  Pipe down_;  // target -> client
  bool connecting_ = false, connected_ = false, closed_ = false;
};

}  // namespace

void Relay::Accept() {
  acceptor_.async_accept([this](ErrorCode ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      counters_.accepted++;
      if (settings_.cut || settings_.target == 0) {
        counters_.refused++;
        Reset(socket);
      } else {
        auto session = std::make_shared<Session>(this, std::move(socket));
        sessions_.insert(session);
        counters_.open++;
        session->Start();
      }
    }
    Accept();
  });
}

void Relay::CloseAll() {
  // Close() erases from the set: iterate over a copy.
  std::vector<std::shared_ptr<Session>> all(sessions_.begin(), sessions_.end());
  for (const auto& s : all) s->Close(/*reset=*/true);
}

void Relay::Heal() {
  settings_.cut = false;
  settings_.drop = false;
  settings_.delay = Clock::duration(0);
  std::vector<std::shared_ptr<Session>> all(sessions_.begin(), sessions_.end());
  for (const auto& s : all) {
    s->ReleaseDelayed();
    s->Resume();
  }
}

void Relay::Stop() {
  RunOnIo([this] {
    ErrorCode ignored;
    acceptor_.close(ignored);
    CloseAll();
  });
  work_.reset();
  io_.stop();
  thread_.join();
}

}  // namespace fault_proxy_internal

using fault_proxy_internal::Relay;

FaultProxy::FaultProxy(uint16_t target_port, size_t max_buffered_bytes)
    : impl_(std::make_unique<Relay>(
          target_port, max_buffered_bytes == 0 ? 1 : max_buffered_bytes)) {
  port_ = impl_->Start();
}

FaultProxy::~FaultProxy() { impl_->Stop(); }

void FaultProxy::SetTarget(uint16_t target_port) {
  impl_->RunOnIo(
      [this, target_port] { impl_->settings().target = target_port; });
}

void FaultProxy::Delay(std::chrono::milliseconds delay) {
  impl_->RunOnIo([this, delay] { impl_->settings().delay = delay; });
}

void FaultProxy::Drop() {
  impl_->RunOnIo([this] { impl_->settings().drop = true; });
}

void FaultProxy::Cut() {
  impl_->RunOnIo([this] {
    impl_->settings().cut = true;
    impl_->CloseAll();
  });
}

void FaultProxy::Heal() {
  impl_->RunOnIo([this] { impl_->Heal(); });
}

FaultProxy::Stats FaultProxy::stats() const {
  const auto& c = impl_->counters();
  Stats s;
  s.accepted = c.accepted.load();
  s.refused = c.refused.load();
  s.open = c.open.load();
  s.bytes_to_target = c.to_target.load();
  s.bytes_to_client = c.to_client.load();
  s.bytes_held = c.held.load();
  return s;
}

}  // namespace cairn::testing
