// serve: run a node — open the database, serve its replication peers until
// SIGTERM/SIGINT, print status, and take control commands on stdin
// (serve_control.h).
//
// Threads: the main thread waits for signals (blocked in every thread,
// taken with sigtimedwait) and prints the status line; one thread reads
// stdin and executes commands; the library runs its own. On a signal or
// `quit` the reader is woken through a pipe and joined (a command in
// progress finishes first), then the database is closed cleanly.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "bindings/cli/cli.h"
#include "bindings/cli/serve_control.h"
#include "nlohmann/json.hpp"

namespace cairn::cli {
namespace {

// Longer control lines are refused (and skipped up to their newline).
constexpr size_t kMaxLineBytes = 1 << 20;

struct ServeArgs {
  std::string db_path;
  std::string options_file;
  std::string port_file;
  uint64_t status_interval_ms = 10000;
};

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// "name=value" lines; blank lines and lines starting with '#' are skipped.
std::vector<std::string> ReadOptionsFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw CliError(kExitUsage, "options file '" + path +
                                   "': cannot open: " + strerror(errno));
  }
  std::vector<std::string> options;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#') continue;
    size_t eq = t.find('=');
    if (eq == std::string::npos || Trim(t.substr(0, eq)).empty()) {
      throw CliError(kExitUsage, "options file '" + path + "' line " +
                                     std::to_string(n) + ": expected " +
                                     "NAME=VALUE, got '" + t + "'");
    }
    options.push_back(Trim(t.substr(0, eq)) + "=" + Trim(t.substr(eq + 1)));
  }
  if (in.bad()) {
    throw CliError(kExitError, "options file '" + path + "': read failed");
  }
  return options;
}

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stdout gone (EPIPE): the server goes on
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Writes "<port>\n" to `path` through a rename, so a reader never sees a
// partial file.
void WritePortFile(const std::string& path, uint64_t port) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw CliError(kExitError, "port file '" + tmp +
                                   "': cannot create: " + strerror(errno));
  }
  std::string text = std::to_string(port) + "\n";
  bool ok =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    unlink(tmp.c_str());
    throw CliError(kExitError,
                   "port file '" + path + "': cannot write: " + strerror(e));
  }
}

// Reads control lines from stdin on its own thread until stopped, `quit`
// or an error; EOF only ends the reading (the server goes on, so it can run
// detached with stdin at /dev/null).
class ControlReader {
 public:
  explicit ControlReader(ServeControl* control) : control_(control) {
    if (pipe2(wake_, O_CLOEXEC) != 0) {
      throw CliError(kExitError, std::string("pipe: ") + strerror(errno));
    }
    thread_ = std::thread([this] { Run(); });
  }
  ~ControlReader() {
    char c = 0;
    WriteAll(wake_[1], std::string_view(&c, 1));
    thread_.join();
    close(wake_[0]);
    close(wake_[1]);
  }
  ControlReader(const ControlReader&) = delete;
  ControlReader& operator=(const ControlReader&) = delete;

 private:
  void Run() {
    std::string buffer;
    bool skipping = false;  // inside an over-long line
    char chunk[64 << 10];
    for (;;) {
      pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents != 0) return;
      ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return;  // EOF or error: stop reading, keep serving
      buffer.append(chunk, static_cast<size_t>(n));
      size_t start = 0;
      for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos;
           start = nl + 1) {
        if (skipping) {
          skipping = false;
          continue;
        }
        if (!Handle(std::string_view(buffer).substr(start, nl - start))) {
          return;
        }
      }
      buffer.erase(0, start);
      if (buffer.size() > kMaxLineBytes) {
        if (!skipping) {
          Reply("err INVALID_ARGUMENT control line longer than " +
                std::to_string(kMaxLineBytes) + " bytes");
        }
        skipping = true;
        buffer.clear();
      }
    }
  }

  // Executes one line; false after `quit`.
  bool Handle(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    bool quit = false;
    Reply(control_->Execute(line, &quit));
    if (quit) kill(getpid(), SIGTERM);  // taken by the main thread
    return !quit;
  }

  static void Reply(const std::string& line) {
    WriteAll(STDOUT_FILENO, line + "\n");
  }

  ServeControl* const control_;
  int wake_[2] = {-1, -1};
  std::thread thread_;
};

void Log(const std::string& line) { WriteAll(STDERR_FILENO, line + "\n"); }

// Waits for SIGTERM or SIGINT (blocked in every thread), printing the
// status line every `interval_ms` (never when 0). Returns the signal.
int WaitForSignal(const sigset_t& signals, uint64_t interval_ms,
                  ServeControl* control) {
  for (;;) {
    uint64_t ms = interval_ms == 0 ? 3600 * 1000 : interval_ms;
    timespec timeout{static_cast<time_t>(ms / 1000),
                     static_cast<long>(ms % 1000) * 1000000};
    int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig > 0) return sig;
    if (errno != EAGAIN || interval_ms == 0) continue;  // EINTR
    cairn_status_t s;
    Log("cairn serve: status " + control->StatusJson(&s));
  }
}

void Serve(const Globals& globals, const ServeArgs& args) {
  Globals g = globals;
  if (!args.db_path.empty()) g.db_path = args.db_path;
  if (!args.options_file.empty()) {
    std::vector<std::string> options = ReadOptionsFile(args.options_file);
    options.insert(options.end(), g.options.begin(), g.options.end());
    g.options = std::move(options);  // flags after the file: they win
  }
  // Blocked before the library starts threads, so that every thread
  // inherits the mask and the main thread alone takes them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed stdout must not kill the node

  Database db(g, /*create=*/true);
  ServeControl control(db.get());
  cairn_status_t s;
  std::string status = control.StatusJson(&s);
  nlohmann::json j = nlohmann::json::parse(status, nullptr, false);
  uint64_t port = 0;
  if (s == CAIRN_OK && j.is_object() && j.contains("listen_port") &&
      j["listen_port"].is_number_unsigned()) {
    port = j["listen_port"].get<uint64_t>();
  }
  if (!args.port_file.empty()) WritePortFile(args.port_file, port);
  Log("cairn serve: serving " + db.path() + " (pid " +
      std::to_string(getpid()) + ", replication port " + std::to_string(port) +
      ")");
  int sig;
  {
    ControlReader reader(&control);
    sig = WaitForSignal(signals, args.status_interval_ms, &control);
  }
  Log(std::string("cairn serve: ") + strsignal(sig) + ", closing " + db.path());
}

}  // namespace

void AddServeCommand(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "serve",
      "Run a node: open the database (created if missing), serve its "
      "replication peers until SIGTERM/SIGINT, print status to stderr, and "
      "take control commands on stdin (put, sync-put, del, get, count, keys, "
      "checksum, status, compare, peer-add, peer-remove, resync, quit; one "
      "reply line "
      "each). EOF on stdin does not stop the server.");
  auto args = std::make_shared<ServeArgs>();
  cmd->add_option("db_path", args->db_path,
                  "Database directory (or --db / CAIRN_DB)");
  cmd->add_option("--options-file", args->options_file,
                  "Options as NAME=VALUE lines ('#' comments); -o flags win")
      ->check(CLI::ExistingFile);
  cmd->add_option("--port-file", args->port_file,
                  "Write the bound replication port here once open (0 when "
                  "replication is off)");
  cmd->add_option("--status-interval-ms", args->status_interval_ms,
                  "Print a status line to stderr this often (0: never)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->callback([&g, args] { Serve(g, *args); });
}

}  // namespace cairn::cli
