// The multi-process cluster tests' main: gtest, or — when the first
// argument is --audit-child — the client process of the audit test
// (audit_process_test.cc), re-executed from this same binary.
#include <cstring>

#include "gtest/gtest.h"

namespace cairn::cluster::testing {
int AuditChildMain(int argc, char** argv);
}  // namespace cairn::cluster::testing

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--audit-child") == 0) {
    return cairn::cluster::testing::AuditChildMain(argc, argv);
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
