// Cluster: N `cairn serve` processes on loopback, every directed link
// through its own FaultProxy, for the multi-process replication tests.
//
// Node i (0-based; replication.node_id i+1) runs the built `cairn` tool
// (CAIRN_TOOL_PATH, set by CMake) on its own database in the cluster's temp
// dir, driven through the serve control protocol (bindings/cli/
// serve_control.h) on a socket that is its stdin and stdout; its stderr
// goes to a log file (LogTail). The link i→j is Proxy(i, j): node i's
// replication.peers lists j@127.0.0.1:<Proxy(i, j).port()>, and once node j
// is up (and after every restart, which binds a new port) the harness reads
// j's --port-file and points every Proxy(k, j) at it. A test cuts, drops or
// delays a link through its proxy.
//
// Every wait is bounded: a node that does not answer in time is a failure
// (an AssertionResult or an "err HARNESS ..." reply), never a hang. The
// destructor SIGKILLs and reaps every node, destroys the databases (files
// and /dev/shm/cairn-* segments) and removes the temp dir, whether the test
// passed or not; when it failed, it prints the tail of every node's log.
// Nodes also die with the thread that started them (PR_SET_PDEATHSIG), so
// a crashed test leaves no server behind: call Start, Restart, Stop and
// Kill from the test's main thread.
//
// Thread safety: Command may be called from several threads at once
// (commands to one node are serialized; to different nodes they run in
// parallel) and concurrently with Kill of any node (a command to a killed
// node returns an error reply). Start, Stop, Restart and the destructor are
// for the main thread only.
#ifndef CAIRN_TESTS_REPLICATION_CLUSTER_HARNESS_H_
#define CAIRN_TESTS_REPLICATION_CLUSTER_HARNESS_H_

#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "tests/process/process_util.h"
#include "tests/support/fault_proxy.h"

namespace cairn::testing {

struct ClusterOptions {
  int nodes = 3;
  // Off: the nodes get no replication options and no proxies exist.
  bool replication = true;
  // NAME=VALUE options of every node, after the harness's own
  // (replication.node_id, replication.peers, a small cache); later wins.
  std::vector<std::string> options;
  // Options of one node (index i), after `options`.
  std::vector<std::vector<std::string>> node_options;
  // How long a node may take to open and answer its first command.
  std::chrono::milliseconds start_timeout{30000};
  // How long a SIGTERMed node may take to close.
  std::chrono::milliseconds stop_timeout{30000};
  // Default timeout of Command.
  std::chrono::milliseconds command_timeout{30000};
};

class Cluster {
 public:
  explicit Cluster(ClusterOptions options);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  int size() const { return static_cast<int>(nodes_.size()); }

  // Starts node i (not running) and waits until it answers; points the
  // proxies towards it at its replication port.
  ::testing::AssertionResult Start(int i);
  // Starts every node, in order.
  ::testing::AssertionResult StartAll();
  // Sends `signal` (SIGKILL: a crash) and reaps the process.
  ::testing::AssertionResult Kill(int i, int signal = SIGKILL);
  // Sends `signal` without reaping (e.g. SIGSTOP, SIGCONT: a pause). For
  // SIGSTOP, returns once every thread of the node is stopped (bounded):
  // a request sent afterwards is read only after SIGCONT.
  ::testing::AssertionResult Signal(int i, int signal);
  // SIGTERM, then waits for a clean exit (status 0) within stop_timeout;
  // past it, SIGKILLs and fails.
  ::testing::AssertionResult Stop(int i);
  // Stop (when running), then Start.
  ::testing::AssertionResult Restart(int i);
  bool running(int i) const;

  // Sends one control line to node i and returns its reply line: "ok ...",
  // "err STATUS message", or "err HARNESS <why>" when the node is not
  // running, closed its stdout, or did not answer within `timeout` (a late
  // reply is discarded before the next command).
  std::string Command(int i, const std::string& line,
                      std::chrono::milliseconds timeout);
  std::string Command(int i, const std::string& line) {
    return Command(i, line, options_.command_timeout);
  }

  // The link i→j (i != j). Requires replication.
  FaultProxy& Proxy(int i, int j);
  // Every link into / out of node i, or all links.
  void CutNode(int i);
  void HealAll();

  // Node i's replication port (0 when replication is off or not running).
  uint16_t port(int i) const;
  std::string db_path(int i) const;
  // The last `bytes` of node i's stderr.
  std::string LogTail(int i, size_t bytes = 4096) const;

 private:
  struct Node {
    std::string dir, db, port_file, log;
    std::vector<std::string> options;  // NAME=VALUE, in order
    std::atomic<pid_t> pid{-1};        // -1: not running
    uint16_t port = 0;                 // main thread only
    absl::Mutex mu;                    // the control channel
    int control_fd ABSL_GUARDED_BY(mu) = -1;
    std::string input ABSL_GUARDED_BY(mu);   // received, not yet a line
    int unanswered ABSL_GUARDED_BY(mu) = 0;  // replies owed to timeouts
  };

  ::testing::AssertionResult Reap(int i, std::chrono::milliseconds timeout,
                                  int* exit_status);
  void CloseControl(Node& node);

  const ClusterOptions options_;
  TempDir dir_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<FaultProxy>> proxies_;  // [i * n + j]
};

// Parses a "ok K1 K2 ..." reply of `keys` into its keys (escaped as the
// protocol writes them); an error reply gives an empty list.
std::vector<std::string> KeysOf(const std::string& reply);

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_REPLICATION_CLUSTER_HARNESS_H_
