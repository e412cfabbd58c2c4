// EtcdServer: a private etcd for one test — Debian's /usr/bin/etcd on
// loopback, with a temporary data directory and client and peer ports
// chosen at run time (never 2379/2380: the machine may run its own etcd).
//
// Start() waits (bounded) until etcd answers; the destructor SIGKILLs it and
// removes the directory, also when the test failed. Kill() stops it early
// (the "etcd killed" fault).
//
// Thread-compatible.
#ifndef CAIRN_TESTS_CLUSTER_ETCD_SERVER_H_
#define CAIRN_TESTS_CLUSTER_ETCD_SERVER_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tests/support/temp_dir.h"

namespace cairn::cluster::testing {

class EtcdServer {
 public:
  EtcdServer();
  ~EtcdServer();
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;

  // Starts etcd and waits until it serves (at most `timeout`); a few retries
  // with new ports if a port was taken meanwhile.
  [[nodiscard]] absl::Status Start(absl::Duration timeout = absl::Seconds(15));
  // SIGKILLs etcd and reaps it (idempotent).
  void Kill();

  // "127.0.0.1:PORT" of the client API.
  std::string endpoint() const;
  uint16_t client_port() const { return client_port_; }
  // etcd's own output (for failure messages).
  std::string Log() const;

 private:
  absl::Status StartOnce(absl::Duration timeout);

  cairn::testing::BasicTempDir dir_;
  pid_t pid_ = -1;
  uint16_t client_port_ = 0;
  uint16_t peer_port_ = 0;
};

// A loopback TCP port free at the time of the call.
uint16_t FreeLoopbackPort();

}  // namespace cairn::cluster::testing

#endif  // CAIRN_TESTS_CLUSTER_ETCD_SERVER_H_
