// Test helper for `cairn audit`: writes audit records, or holds a log open.
//
//   audit_fill PATH COUNT START_US   appends COUNT records; record i has
//       method get/put/delete/scan (i % 4), start START_US + i seconds,
//       client "client-<i % 3>", outcome UNAVAILABLE when i % 5 == 4
//   audit_fill PATH hold             opens the log, prints "ready", and keeps
//       it open until stdin closes
//   audit_fill PATH stream           appends records (as above, from 2027)
//       until stdin closes, printing the count written after every 1000th
#include <stdio.h>
#include <stdlib.h>

#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cluster/audit_log.h"

int main(int argc, char** argv) {
  using namespace cairn::cluster;  // NOLINT: a test helper
  if (argc < 3) {
    fprintf(stderr, "usage: audit_fill PATH (COUNT START_US | hold | stream)\n");
    return 2;
  }
  AuditOptions options;
  options.trim_interval = absl::ZeroDuration();
  options.retention_age = absl::InfiniteDuration();
  auto log = AuditLog::Open(argv[1], options);
  if (!log.ok()) {
    fprintf(stderr, "audit_fill: %s\n", log.status().ToString().c_str());
    return 1;
  }
  const char* methods[] = {"get", "put", "delete", "scan"};
  auto record = [&methods](long long start_us, long i) {
    AuditRecord r;
    r.start = absl::FromUnixMicros(start_us) + absl::Seconds(i);
    r.end = r.start + absl::Microseconds(100 + i);
    r.client_id = absl::StrCat("client-", i % 3);
    r.client_address = "127.0.0.1:40001";
    r.method = methods[i % 4];
    r.params = absl::StrCat("key=\"k", i, "\"");
    r.shard = i % 7;
    r.node = static_cast<uint32_t>(1 + i % 3);
    r.outcome = i % 5 == 4 ? "UNAVAILABLE" : "OK";
    r.message = i % 5 == 4 ? "node 2 did not answer" : "";
    return r;
  };
  if (std::string(argv[2]) == "stream") {
    // The writer is a thread: the main one watches stdin.
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      for (long i = 0; !stop.load(); ++i) {
        if (!(*log)->Append(record(1800000000000000, i)).ok()) _exit(1);
        if ((i + 1) % 1000 == 0) {
          printf("%ld\n", i + 1);
          fflush(stdout);
        }
      }
    });
    while (getchar() != EOF) {
    }
    stop.store(true);
    writer.join();
    return 0;
  }
  if (std::string(argv[2]) == "hold") {
    printf("ready\n");
    fflush(stdout);
    while (getchar() != EOF) {
    }
    return 0;
  }
  if (argc != 4) return 2;
  const long count = atol(argv[2]);
  const long long start_us = atoll(argv[3]);
  for (long i = 0; i < count; ++i) {
    AuditRecord r = record(start_us, i);
    absl::Status s = (*log)->Append(r);
    if (!s.ok()) {
      fprintf(stderr, "audit_fill: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  return 0;
}
