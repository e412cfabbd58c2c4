// The audit log survives SIGKILL of its client (issue 13, SPEC R1-R3): a
// child process — this binary re-executed with --audit-child — opens a
// routing client with audit.path, makes kPuts writes and kGets reads,
// flushes its audit log and tells the parent, writes on, tells it again
// and is SIGKILLed while writing. The parent then opens the log (no
// trimming at open, as a reader does): every record flushed before the
// kill is there, the later ones a gapless prefix, and a query by method
// returns exactly that method's records, in order.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cluster/audit_log.h"
#include "cluster/client_api.h"
#include "gtest/gtest.h"
#include "tests/cluster/process_cluster.h"
#include "tests/support/temp_dir.h"

namespace cairn::cluster::testing {

constexpr int kPuts = 40;
constexpr int kGets = 15;
constexpr int kMorePuts = 20;  // before the second signal

// argv: --audit-child <cluster.nodes> <audit.path> <signal fd>
int AuditChildMain(int argc, char** argv) {
  if (argc != 5) return 2;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  int fd = -1;
  if (!absl::SimpleAtoi(argv[4], &fd)) return 2;
  ClusterOptions o;
  if (!SetClusterOption(&o, "cluster.nodes", argv[2]).ok() ||
      !SetClusterOption(&o, "audit.path", argv[3]).ok() ||
      !SetClusterOption(&o, "cluster.client_id", "audit-child").ok()) {
    return 3;
  }
  absl::StatusOr<std::unique_ptr<Cluster>> client = OpenCluster(o);
  if (!client.ok()) {
    fprintf(stderr, "audit child: %s\n", client.status().ToString().c_str());
    return 4;
  }
  // Records leave the call's path (audit.flush_ms, default 2 ms): what the
  // child reports as done is what it flushed, the promise a kill keeps.
  AuditLog* log = (*client)->audit_log();
  auto tell = [fd, log] { return log->Flush().ok() && write(fd, "x", 1) == 1; };
  for (int i = 0; i < kPuts; ++i) {
    if (!(*client)->Put(absl::StrCat("a-", i), "v").ok()) return 5;
  }
  for (int i = 0; i < kGets; ++i) {
    std::string value;
    if (!(*client)->Get(absl::StrCat("a-", i), &value).ok()) return 6;
  }
  if (!tell()) return 7;
  for (int i = 0; i < 1000000; ++i) {  // until killed
    if (!(*client)->Put(absl::StrCat("b-", i), "v").ok()) return 8;
    if (i + 1 == kMorePuts && !tell()) return 7;
  }
  return 9;
}

namespace {

// Reads `n` bytes from `fd` within `timeout`.
bool ReadSignals(int fd, int n, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (n > 0) {
    const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char c;
    ssize_t r = read(fd, &c, 1);
    if (r == 0) return false;  // the child exited
    if (r == 1) --n;
  }
  return true;
}

// The keys of `records`, in order.
std::vector<std::string> Keys(const std::vector<AuditRecord>& records) {
  std::vector<std::string> keys;
  for (const AuditRecord& r : records) keys.push_back(AuditKey(r));
  return keys;
}

TEST(AuditProcessTest, RecordsSurviveSigkillOfTheClientAndQueryByMethod) {
  HarnessOptions o;
  o.nodes = 1;
  o.replication = false;
  o.node_options = {{"replication.node_id=1"}};
  Harness harness(o);
  ASSERT_TRUE(harness.Start(0));
  ::cairn::testing::BasicTempDir dir([](const std::string&) {});
  const std::string audit = dir.Sub("audit");

  // The write end is inherited by the child (no FD_CLOEXEC).
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ASSERT_EQ(fcntl(fds[0], F_SETFD, FD_CLOEXEC), 0);
  std::string nodes = "1@127.0.0.1:" + std::to_string(harness.port(0));
  std::string self = "/proc/self/exe";
  std::string flag = "--audit-child";
  std::string audit_arg = audit;
  std::string fd_arg = std::to_string(fds[1]);
  std::vector<char*> argv = {self.data(),      flag.data(),   nodes.data(),
                             audit_arg.data(), fd_arg.data(), nullptr};
  pid_t pid = fork();
  if (pid == 0) {  // async-signal-safe calls only until exec
    execv(argv[0], argv.data());
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  close(fds[1]);
  struct Reap {  // also when an assertion returns early
    pid_t pid;
    int fd;
    ~Reap() {
      kill(pid, SIGKILL);
      int status;
      waitpid(pid, &status, 0);
      close(fd);
    }
  } reap{pid, fds[0]};

  ASSERT_TRUE(ReadSignals(fds[0], 2, absl::Seconds(30)))
      << "the child did not finish its requests";
  kill(pid, SIGKILL);  // mid-stream: it is writing on

  AuditOptions options;
  options.trim_at_open = false;
  options.trim_interval = absl::ZeroDuration();
  // A SIGKILLed holder releases the log's lock; bounded retry until the
  // kernel has reaped it.
  absl::StatusOr<std::unique_ptr<AuditLog>> log;
  ASSERT_TRUE(WaitUntil(
      [&] {
        log = AuditLog::Open(audit, options);
        return log.ok();
      },
      absl::Seconds(10)))
      << log.status();
  const absl::Time all = absl::InfinitePast();
  absl::StatusOr<std::vector<AuditRecord>> gets =
      (*log)->Query("get", all, absl::InfiniteFuture(), 100000);
  absl::StatusOr<std::vector<AuditRecord>> puts =
      (*log)->Query("put", all, absl::InfiniteFuture(), 100000);
  absl::StatusOr<std::vector<AuditRecord>> every =
      (*log)->Query("", all, absl::InfiniteFuture(), 100000);
  ASSERT_TRUE(gets.ok() && puts.ok() && every.ok());

  std::vector<std::string> want_gets, want_puts;
  for (int i = 0; i < kGets; ++i) want_gets.push_back(absl::StrCat("a-", i));
  EXPECT_EQ(Keys(*gets), want_gets);
  // The puts before the kill: a-0..a-39, then b-0.. without a gap.
  ASSERT_GE(puts->size(), static_cast<size_t>(kPuts + kMorePuts));
  for (int i = 0; i < kPuts; ++i) want_puts.push_back(absl::StrCat("a-", i));
  for (size_t i = kPuts; i < puts->size(); ++i) {
    want_puts.push_back(absl::StrCat("b-", i - kPuts));
  }
  EXPECT_EQ(Keys(*puts), want_puts);
  EXPECT_EQ(every->size(), gets->size() + puts->size());
  for (const std::vector<AuditRecord>* records : {&*gets, &*puts}) {
    for (const AuditRecord& r : *records) {
      EXPECT_EQ(r.outcome, "OK") << r.params;
      EXPECT_EQ(r.node, 1u);
      EXPECT_EQ(r.client_id, "audit-child");
    }
  }
  printf(
      "[ audit ] %zu records readable after SIGKILL of the client "
      "(%zu puts, %zu gets)\n",
      every->size(), puts->size(), gets->size());
}

}  // namespace
}  // namespace cairn::cluster::testing
