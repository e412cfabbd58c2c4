// Test helper for `cairn audit`: writes audit records, or holds a log open.
//
//   audit_fill PATH COUNT START_US   appends COUNT records; record i has
//       method get/put/delete/scan (i % 4), start START_US + i seconds,
//       client "client-<i % 3>", outcome UNAVAILABLE when i % 5 == 4
//   audit_fill PATH hold             opens the log, prints "ready", and keeps
//       it open until stdin closes
#include <stdio.h>
#include <stdlib.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cluster/audit_log.h"

int main(int argc, char** argv) {
  using namespace cairn::cluster;  // NOLINT: a test helper
  if (argc < 3) {
    fprintf(stderr, "usage: audit_fill PATH (COUNT START_US | hold)\n");
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
  const char* methods[] = {"get", "put", "delete", "scan"};
  for (long i = 0; i < count; ++i) {
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
    absl::Status s = (*log)->Append(r);
    if (!s.ok()) {
      fprintf(stderr, "audit_fill: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  return 0;
}
