#include "tests/cluster/etcd_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cluster/etcd_client.h"

extern char** environ;

namespace cairn::cluster::testing {

uint16_t FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

EtcdServer::EtcdServer() : dir_([](const std::string&) {}) {}

EtcdServer::~EtcdServer() { Kill(); }

std::string EtcdServer::endpoint() const {
  return absl::StrCat("127.0.0.1:", client_port_);
}

std::string EtcdServer::Log() const {
  std::ifstream in(dir_.Sub("etcd.log"));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > 4000 ? s.substr(s.size() - 4000) : s;
}

void EtcdServer::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

absl::Status EtcdServer::Start(absl::Duration timeout) {
  absl::Status s;
  for (int attempt = 0; attempt < 3; ++attempt) {
    s = StartOnce(timeout);
    if (s.ok()) return s;
    Kill();
  }
  return s;
}

absl::Status EtcdServer::StartOnce(absl::Duration timeout) {
  client_port_ = FreeLoopbackPort();
  peer_port_ = FreeLoopbackPort();
  if (client_port_ == 0 || peer_port_ == 0 || client_port_ == peer_port_) {
    return absl::UnavailableError("no free loopback port");
  }
  const std::string client_url = absl::StrCat("http://", endpoint());
  const std::string peer_url = absl::StrCat("http://127.0.0.1:", peer_port_);
  const std::string data = dir_.Sub(absl::StrCat("data-", client_port_));
  std::vector<std::string> args = {
      "/usr/bin/etcd",
      "--name=cairn-test",
      "--data-dir=" + data,
      "--listen-client-urls=" + client_url,
      "--advertise-client-urls=" + client_url,
      "--listen-peer-urls=" + peer_url,
      "--initial-advertise-peer-urls=" + peer_url,
      "--initial-cluster=cairn-test=" + peer_url,
      "--initial-cluster-state=new",
      "--log-level=warn",
  };
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const std::string log = dir_.Sub("etcd.log");
  const int log_fd =
      ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) {
    const int err = errno;
    if (log_fd >= 0) ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    return absl::UnavailableError(
        absl::StrCat("cannot open etcd's log or /dev/null: ", strerror(err)));
  }
  // fork + exec rather than posix_spawn, for PR_SET_PDEATHSIG: etcd dies with
  // the test even when the test is killed (a ctest timeout), instead of
  // outliving it with its port and data directory.
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Async-signal-safe calls only until exec.
    if (::dup2(null_fd, STDIN_FILENO) < 0 ||
        ::dup2(log_fd, STDOUT_FILENO) < 0 ||
        ::dup2(log_fd, STDERR_FILENO) < 0) {
      _exit(127);
    }
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(127);
    // The environment passes through, so /usr/bin/etcd runs as it would
    // from a shell.
    ::execve(argv[0], argv.data(), environ);
    _exit(127);
  }
  const int fork_errno = errno;
  ::close(log_fd);
  ::close(null_fd);
  if (pid < 0) {
    pid_ = -1;
    return absl::UnavailableError(
        absl::StrCat("cannot start /usr/bin/etcd: ", strerror(fork_errno)));
  }
  pid_ = pid;

  EtcdClient::Options options;
  options.timeout = absl::Milliseconds(300);
  absl::StatusOr<std::unique_ptr<EtcdClient>> client =
      EtcdClient::Create(endpoint(), options);
  if (!client.ok()) return client.status();
  const absl::Time deadline = absl::Now() + timeout;
  absl::Status last;
  while (absl::Now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::UnavailableError(
          absl::StrCat("etcd exited at start:\n", Log()));
    }
    absl::StatusOr<std::optional<EtcdKeyValue>> r = (*client)->Get("/health");
    if (r.ok()) return absl::OkStatus();
    last = r.status();
    ::usleep(20 * 1000);  // polling a starting process: no event to wait on
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "etcd did not serve within ", absl::FormatDuration(timeout), ": ",
      last.message(), "\n", Log()));
}

}  // namespace cairn::cluster::testing
