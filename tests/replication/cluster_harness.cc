#include "tests/replication/cluster_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#ifndef CAIRN_TOOL_PATH
#error "CAIRN_TOOL_PATH (the built cairn tool) must be defined by CMake"
#endif

namespace cairn::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kKillWait(10000);  // SIGKILL to reaped

std::string Ms(milliseconds d) { return std::to_string(d.count()) + " ms"; }

std::string ExitText(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return std::string("signal ") + strsignal(WTERMSIG(status));
  }
  return "status " + std::to_string(status);
}

// Waits until `fd` is readable or the deadline passes; false on timeout.
bool WaitReadable(int fd, Clock::time_point deadline) {
  for (;;) {
    auto left =
        std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    int r =
        poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return true;  // let the read report it
  }
}

// Reads one '\n'-terminated line from `fd` (buffering the rest in *input).
// Returns "" and sets *why on timeout or EOF.
bool ReadLine(int fd, std::string* input, Clock::time_point deadline,
              std::string* line, std::string* why) {
  for (;;) {
    size_t nl = input->find('\n');
    if (nl != std::string::npos) {
      *line = input->substr(0, nl);
      input->erase(0, nl + 1);
      return true;
    }
    if (!WaitReadable(fd, deadline)) {
      *why = "timeout";
      return false;
    }
    char buf[65536];
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      *why = n == 0 ? "the node closed its control channel (exited?)"
                    : std::string("control channel: ") + strerror(errno);
      return false;
    }
    input->append(buf, static_cast<size_t>(n));
  }
}

// Waits for `pid` to exit (it is our child) and reaps it; false on timeout.
bool WaitExit(pid_t pid, milliseconds timeout, int* status) {
  auto deadline = Clock::now() + timeout;
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  for (;;) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) break;  // not ours (already reaped)
    auto left =
        std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      if (pidfd >= 0) close(pidfd);
      return false;
    }
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    } else {  // no pidfd (old kernel): poll the child
      std::this_thread::sleep_for(milliseconds(5));
    }
  }
  if (pidfd >= 0) close(pidfd);
  return true;
}

}  // namespace

Cluster::Cluster(ClusterOptions options) : options_(std::move(options)) {
  int n = options_.nodes;
  if (options_.replication && n > 1) {
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        proxies_.push_back(i == j ? nullptr : std::make_unique<FaultProxy>());
      }
    }
  }
  for (int i = 0; i < n; ++i) {
    auto node = std::make_unique<Node>();
    node->dir = dir_.Sub("node" + std::to_string(i + 1));
    std::filesystem::create_directories(node->dir);
    node->db = node->dir + "/db";
    node->port_file = node->dir + "/port";
    node->log = node->dir + "/serve.log";
    // Small caches: several nodes share /dev/shm.
    node->options.push_back("cache.capacity_mb=4");
    if (options_.replication) {
      node->options.push_back("replication.node_id=" + std::to_string(i + 1));
      std::string peers;
      for (int j = 0; j < n; ++j) {
        if (j == i) continue;
        if (!peers.empty()) peers += ",";
        peers += std::to_string(j + 1) +
                 "@127.0.0.1:" + std::to_string(Proxy(i, j).port());
      }
      if (!peers.empty()) node->options.push_back("replication.peers=" + peers);
    }
    for (const std::string& o : options_.options) node->options.push_back(o);
    if (static_cast<size_t>(i) < options_.node_options.size()) {
      for (const std::string& o : options_.node_options[i]) {
        node->options.push_back(o);
      }
    }
    nodes_.push_back(std::move(node));
  }
}

Cluster::~Cluster() {
  for (auto& node : nodes_) {
    pid_t pid = node->pid.exchange(-1);
    if (pid > 0) {
      kill(pid, SIGKILL);
      int status;
      if (!WaitExit(pid, kKillWait, &status)) {
        fprintf(stderr, "Cluster: pid %d survived SIGKILL for %s\n", pid,
                Ms(kKillWait).c_str());
      }
    }
    CloseControl(*node);
  }
  if (::testing::Test::HasFailure()) {
    for (int i = 0; i < size(); ++i) {
      fprintf(stderr, "---- node %d (%s) log tail ----\n%s\n", i + 1,
              nodes_[i]->log.c_str(), LogTail(i).c_str());
    }
  }
  proxies_.clear();
  // dir_ then destroys the databases (segments too) and removes the dir.
}

FaultProxy& Cluster::Proxy(int i, int j) {
  int n = options_.nodes;
  if (proxies_.empty() || i < 0 || j < 0 || i >= n || j >= n || i == j) {
    fprintf(stderr, "Cluster::Proxy(%d, %d): no such link\n", i, j);
    abort();
  }
  return *proxies_[i * n + j];
}

void Cluster::CutNode(int i) {
  for (int j = 0; j < size(); ++j) {
    if (j == i) continue;
    Proxy(i, j).Cut();
    Proxy(j, i).Cut();
  }
}

void Cluster::HealAll() {
  for (auto& p : proxies_) {
    if (p != nullptr) p->Heal();
  }
}

bool Cluster::running(int i) const { return nodes_[i]->pid.load() > 0; }

uint16_t Cluster::port(int i) const { return running(i) ? nodes_[i]->port : 0; }

std::string Cluster::db_path(int i) const { return nodes_[i]->db; }

std::string Cluster::LogTail(int i, size_t bytes) const {
  std::ifstream in(nodes_[i]->log, std::ios::binary);
  if (!in) return "(no log)";
  std::stringstream s;
  s << in.rdbuf();
  std::string all = s.str();
  return all.size() > bytes ? "..." + all.substr(all.size() - bytes) : all;
}

void Cluster::CloseControl(Node& node) {
  absl::MutexLock lock(&node.mu);
  if (node.control_fd >= 0) close(node.control_fd);
  node.control_fd = -1;
  node.input.clear();
  node.unanswered = 0;
}

::testing::AssertionResult Cluster::Start(int i) {
  Node& node = *nodes_[i];
  if (running(i)) {
    return ::testing::AssertionFailure() << "node " << i + 1 << " is running";
  }
  std::filesystem::remove(node.port_file);
  std::vector<std::string> args = {
      CAIRN_TOOL_PATH,        "serve", node.db, "--port-file", node.port_file,
      "--status-interval-ms", "1000"};
  for (const std::string& o : node.options) {
    args.push_back("-o");
    args.push_back(o);
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return ::testing::AssertionFailure() << "socketpair: " << strerror(errno);
  }
  int log_fd =
      open(node.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    close(sv[0]);
    close(sv[1]);
    return ::testing::AssertionFailure()
           << "log " << node.log << ": " << strerror(errno);
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // Async-signal-safe calls only until exec.
    if (dup2(sv[1], STDIN_FILENO) < 0 || dup2(sv[1], STDOUT_FILENO) < 0 ||
        dup2(log_fd, STDERR_FILENO) < 0) {
      _exit(127);
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    syscall(SYS_close_range, 3, ~0u, 0);
    execv(argv[0], argv.data());
    const char msg[] = "Cluster: execv of the cairn tool failed\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    _exit(127);
  }
  close(sv[1]);
  close(log_fd);
  if (pid < 0) {
    close(sv[0]);
    return ::testing::AssertionFailure() << "fork: " << strerror(errno);
  }
  {
    absl::MutexLock lock(&node.mu);
    node.control_fd = sv[0];
    node.input.clear();
    node.unanswered = 0;
  }
  node.pid = pid;

  // Once it answers, it is open and its port file is written.
  std::string reply = Command(i, "status", options_.start_timeout);
  if (reply.rfind("ok ", 0) != 0) {
    pid_t p = node.pid.exchange(-1);
    if (p > 0) kill(p, SIGKILL);
    int status = 0;
    bool reaped = p > 0 && WaitExit(p, kKillWait, &status);
    CloseControl(node);
    return ::testing::AssertionFailure()
           << "node " << i + 1 << " did not start: " << reply
           << (reaped ? " (" + ExitText(status) + ")" : "") << "\n"
           << LogTail(i);
  }
  std::ifstream port_in(node.port_file);
  unsigned port = 0;
  if (!(port_in >> port) || port > 65535) {
    return ::testing::AssertionFailure()
           << "node " << i + 1 << ": no port in " << node.port_file;
  }
  node.port = static_cast<uint16_t>(port);
  if (options_.replication && !proxies_.empty()) {
    if (node.port == 0) {
      return ::testing::AssertionFailure()
             << "node " << i + 1 << " reports replication port 0: " << reply;
    }
    for (int k = 0; k < size(); ++k) {
      if (k != i) Proxy(k, i).SetTarget(node.port);
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Cluster::StartAll() {
  for (int i = 0; i < size(); ++i) {
    ::testing::AssertionResult r = Start(i);
    if (!r) return r;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Cluster::Reap(int i, milliseconds timeout,
                                         int* exit_status) {
  Node& node = *nodes_[i];
  pid_t pid = node.pid.load();
  if (pid <= 0) {
    return ::testing::AssertionFailure()
           << "node " << i + 1 << " is not running";
  }
  if (!WaitExit(pid, timeout, exit_status)) {
    return ::testing::AssertionFailure()
           << "node " << i + 1 << " (pid " << pid << ") did not exit within "
           << Ms(timeout);
  }
  node.pid = -1;
  CloseControl(node);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Cluster::Kill(int i, int signal) {
  pid_t pid = nodes_[i]->pid.load();
  if (pid <= 0) {
    return ::testing::AssertionFailure()
           << "node " << i + 1 << " is not running";
  }
  kill(pid, signal);
  int status = 0;
  return Reap(i, kKillWait, &status);
}

::testing::AssertionResult Cluster::Signal(int i, int signal) {
  pid_t pid = nodes_[i]->pid.load();
  if (pid <= 0) {
    return ::testing::AssertionFailure()
           << "node " << i + 1 << " is not running";
  }
  if (kill(pid, signal) != 0) {
    return ::testing::AssertionFailure()
           << "node " << i + 1 << ": kill(" << pid << ", " << signal
           << "): " << strerror(errno);
  }
  if (signal != SIGSTOP) return ::testing::AssertionSuccess();
  auto deadline = Clock::now() + kKillWait;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  for (;;) {
    bool all_stopped = true;
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
      std::ifstream stat(task.path() / "stat");
      std::string line;
      std::getline(stat, line);
      // "tid (comm) S ...": the state follows the last ')'.
      size_t paren = line.rfind(')');
      if (paren == std::string::npos || paren + 2 >= line.size() ||
          (line[paren + 2] != 'T' && line[paren + 2] != 't')) {
        all_stopped = false;
        break;
      }
    }
    if (ec) {
      return ::testing::AssertionFailure()
             << "node " << i + 1 << ": " << tasks << ": " << ec.message();
    }
    if (all_stopped) return ::testing::AssertionSuccess();
    if (Clock::now() > deadline) {
      return ::testing::AssertionFailure()
             << "node " << i + 1 << " (pid " << pid << ") not stopped within "
             << Ms(kKillWait) << " of SIGSTOP";
    }
    std::this_thread::sleep_for(milliseconds(1));
  }
}

::testing::AssertionResult Cluster::Stop(int i) {
  pid_t pid = nodes_[i]->pid.load();
  if (pid <= 0) {
    return ::testing::AssertionFailure()
           << "node " << i + 1 << " is not running";
  }
  kill(pid, SIGTERM);
  int status = 0;
  ::testing::AssertionResult r = Reap(i, options_.stop_timeout, &status);
  if (!r) {
    ::testing::AssertionResult killed = Kill(i, SIGKILL);
    return r << (killed ? "; SIGKILLed" : "; and SIGKILL failed");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return ::testing::AssertionFailure()
           << "node " << i + 1 << " stopped with " << ExitText(status) << "\n"
           << LogTail(i);
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Cluster::Restart(int i) {
  if (running(i)) {
    ::testing::AssertionResult r = Stop(i);
    if (!r) return r;
  }
  return Start(i);
}

std::string Cluster::Command(int i, const std::string& line,
                             milliseconds timeout) {
  Node& node = *nodes_[i];
  std::string who = "node " + std::to_string(i + 1);
  absl::MutexLock lock(&node.mu);
  if (node.control_fd < 0) return "err HARNESS " + who + " is not running";
  auto deadline = Clock::now() + timeout;
  std::string reply, why;
  while (node.unanswered > 0) {  // late replies to timed-out commands
    if (!ReadLine(node.control_fd, &node.input, deadline, &reply, &why)) {
      return "err HARNESS " + who + ": " + why +
             " while awaiting an earlier command's reply";
    }
    node.unanswered--;
  }
  std::string out = line + "\n";
  for (size_t sent = 0; sent < out.size();) {
    ssize_t n = send(node.control_fd, out.data() + sent, out.size() - sent,
                     MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return "err HARNESS " + who + ": sending '" + line +
             "': " + strerror(errno);
    }
    sent += static_cast<size_t>(n);
  }
  if (!ReadLine(node.control_fd, &node.input, deadline, &reply, &why)) {
    if (why == "timeout") {
      node.unanswered++;
      return "err HARNESS " + who + ": no reply to '" + line + "' within " +
             Ms(timeout);
    }
    return "err HARNESS " + who + ": " + why;
  }
  return reply;
}

std::vector<std::string> KeysOf(const std::string& reply) {
  std::vector<std::string> keys;
  if (reply != "ok" && reply.rfind("ok ", 0) != 0) return keys;
  std::istringstream in(reply.substr(2));
  for (std::string k; in >> k;) keys.push_back(k);
  return keys;
}

}  // namespace cairn::testing
