// RELIABILITY R11 with etcd: two processes campaign for one leader key and
// record every instant at which they would accept a write. The leader is
// SIGSTOPped past its lease and SIGCONTed: the other took over meanwhile,
// and the resumed one must not accept even once. Then the new leader is
// SIGKILLed and the failover time (kill to first accepted instant of the
// other) is reported.
//
// Each child samples LeaderLease::IsLeader(now) every ~0.5 ms and appends
// "A <ns>" (accepting) or, on a change to not accepting, "F <ns>" to its own
// file; times are CLOCK_MONOTONIC, shared by every process on the machine.
// The check: in the merged, time-ordered samples, every change of owner is
// separated by a gap — overlapping intervals would interleave samples
// within a millisecond.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cluster/coordination_options.h"
#include "cluster/leader_lease.h"
#include "gtest/gtest.h"
#include "tests/cluster/etcd_server.h"

extern char** environ;

namespace cairn::cluster::testing {

int64_t MonoNanos(MonoTime t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             t.time_since_epoch())
      .count();
}

// argv: --lease-child <etcd endpoint> <node id> <output file> <ttl ms>
int LeaseChildMain(int argc, char** argv) {
  if (argc != 6) return 2;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  uint32_t node = 0;
  uint64_t ttl_ms = 0;
  if (!absl::SimpleAtoi(argv[3], &node) || !absl::SimpleAtoi(argv[5], &ttl_ms)) {
    return 2;
  }
  EtcdClient::Options eo;
  eo.timeout = absl::Milliseconds(300);
  auto client = EtcdClient::Create(argv[2], eo);
  if (!client.ok()) return 3;
  LeaderLeaseOptions o;
  o.key = LeaderKey("r11");
  o.node_id = node;
  o.ttl = absl::Milliseconds(ttl_ms);
  o.renew_interval = o.ttl / 3;
  o.clock_margin = absl::Milliseconds(200);
  LeaderLease lease(*std::move(client), std::move(o));
  lease.Start();
  const int fd = ::open(argv[4], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                        0600);
  if (fd < 0) return 4;
  bool was = false;
  for (;;) {
    const MonoTime now = MonoClock::now();
    const bool leader = lease.IsLeader(now);
    if (leader || was) {
      const std::string line =
          absl::StrCat(leader ? "A " : "F ", MonoNanos(now), "\n");
      if (::write(fd, line.data(), line.size()) !=
          static_cast<ssize_t>(line.size())) {
        return 5;
      }
    }
    was = leader;
    ::usleep(500);  // the sampling period
  }
}

namespace {

struct Sample {
  int64_t ns;
  char kind;  // 'A' accepting, 'F' stopped accepting
  int owner;
};

std::vector<Sample> ReadSamples(const std::string& path, int owner) {
  std::vector<Sample> out;
  std::ifstream in(path);
  std::string kind, ns;
  while (in >> kind >> ns) {
    int64_t v = 0;
    if (kind.size() == 1 && absl::SimpleAtoi(ns, &v)) {
      out.push_back({v, kind[0], owner});
    }
  }
  return out;
}

// A child process, SIGKILLed and reaped when it goes (even when stopped).
class Child {
 public:
  Child(const std::string& endpoint, uint32_t node, const std::string& out,
        uint64_t ttl_ms) {
    std::vector<std::string> args = {"/proc/self/exe", "--lease-child",
                                     endpoint, absl::StrCat(node), out,
                                     absl::StrCat(ttl_ms)};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) !=
        0) {
      pid_ = -1;
    }
  }
  ~Child() { Kill(); }
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  void Signal(int sig) { ::kill(pid_, sig); }
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

template <typename Done>
bool WaitUntil(Done done, absl::Duration timeout) {
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    if (done()) return true;
    ::usleep(2000);
  }
  return false;
}

bool HasSampleAfter(const std::string& path, int64_t ns, char kind) {
  for (const Sample& s : ReadSamples(path, 0)) {
    if (s.kind == kind && s.ns > ns) return true;
  }
  return false;
}

TEST(LeaseProcessTest, PausedMasterNeverAcceptsAlongsideItsSuccessor) {
  uint64_t ttl_ms = 2000;
  if (const char* env = std::getenv("CAIRN_LEASE_TTL_MS")) {
    ASSERT_TRUE(absl::SimpleAtoi(env, &ttl_ms));
  }
  const absl::Duration ttl = absl::Milliseconds(ttl_ms);
  EtcdServer etcd;
  ASSERT_TRUE(etcd.Start().ok());
  cairn::testing::BasicTempDir dir([](const std::string&) {});
  const std::string file_a = dir.Sub("a.log");
  const std::string file_b = dir.Sub("b.log");
  auto client = EtcdClient::Create(etcd.endpoint());
  ASSERT_TRUE(client.ok());
  auto holder = [&]() -> std::string {
    auto kv = (*client)->Get(LeaderKey("r11"));
    return kv.ok() && kv->has_value() ? (*kv)->value : "";
  };

  Child a(etcd.endpoint(), 1, file_a, ttl_ms);
  ASSERT_TRUE(a.running());
  ASSERT_TRUE(WaitUntil([&] { return holder() == "1"; }, absl::Seconds(10)));
  ASSERT_TRUE(WaitUntil([&] { return HasSampleAfter(file_a, 0, 'A'); },
                        absl::Seconds(10)));
  Child b(etcd.endpoint(), 2, file_b, ttl_ms);
  ASSERT_TRUE(b.running());

  // Pause the master past its lease; the other takes over meanwhile.
  a.Signal(SIGSTOP);
  ASSERT_TRUE(WaitUntil([&] { return HasSampleAfter(file_b, 0, 'A'); },
                        2 * ttl + absl::Seconds(5)))
      << "b never took over; etcd log:\n"
      << etcd.Log();
  // Keep the old master stopped a little longer, then resume it: it must
  // see at once that it is not leader.
  const int64_t resumed = MonoNanos(MonoClock::now());
  a.Signal(SIGCONT);
  ASSERT_TRUE(WaitUntil([&] { return HasSampleAfter(file_a, resumed, 'F'); },
                        absl::Seconds(5)));
  // Let both run through a few renewal periods.
  ASSERT_TRUE(WaitUntil(
      [&] {
        return MonoNanos(MonoClock::now()) - resumed >
               absl::ToInt64Nanoseconds(ttl);
      },
      2 * ttl));

  // Failover: SIGKILL the new master; time to the first accept of the other.
  const int64_t killed = MonoNanos(MonoClock::now());
  b.Kill();
  ASSERT_TRUE(WaitUntil([&] { return HasSampleAfter(file_a, killed, 'A'); },
                        2 * ttl + absl::Seconds(5)));
  a.Kill();

  std::vector<Sample> all = ReadSamples(file_a, 1);
  std::vector<Sample> sb = ReadSamples(file_b, 2);
  all.insert(all.end(), sb.begin(), sb.end());
  all.erase(std::remove_if(all.begin(), all.end(),
                           [](const Sample& s) { return s.kind != 'A'; }),
            all.end());
  std::sort(all.begin(), all.end(),
            [](const Sample& x, const Sample& y) { return x.ns < y.ns; });
  int switches = 0;
  int64_t min_gap = INT64_MAX;
  int64_t failover_ns = -1;
  // The resumed master's first record after SIGCONT says it stopped.
  char first_after_resume = 0;
  for (const Sample& s : ReadSamples(file_a, 1)) {
    if (s.ns > resumed) {
      first_after_resume = s.kind;
      break;
    }
  }
  EXPECT_EQ(first_after_resume, 'F') << "the resumed master accepted";
  for (size_t i = 0; i < all.size(); ++i) {
    if (failover_ns < 0 && all[i].owner == 1 && all[i].ns > killed) {
      failover_ns = all[i].ns - killed;
    }
    if (i == 0 || all[i].owner == all[i - 1].owner) continue;
    ++switches;
    const int64_t gap = all[i].ns - all[i - 1].ns;
    min_gap = std::min(min_gap, gap);
    EXPECT_GE(gap, 100 * 1000 * 1000)
        << "node " << all[i - 1].owner << " accepted at " << all[i - 1].ns
        << " and node " << all[i].owner << " at " << all[i].ns;
  }
  // a -> b (pause), b -> a (kill); more only if a loaded machine delayed
  // renewals past the TTL, which is a legitimate hand-over.
  EXPECT_GE(switches, 2);
  ASSERT_GE(failover_ns, 0);
  std::printf(
      "R11 lease: ttl %lld ms, %zu accepting samples, owner switches %d, "
      "smallest gap between owners %.1f ms, failover (SIGKILL of the master "
      "to first accept by the next) %.0f ms\n",
      static_cast<long long>(ttl_ms), all.size(), switches, min_gap / 1e6,
      failover_ns / 1e6);
  ::testing::Test::RecordProperty("failover_ms",
                                  static_cast<int>(failover_ns / 1000000));
}

}  // namespace
}  // namespace cairn::cluster::testing
