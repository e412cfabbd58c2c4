// The coordination tests' main: gtest, or — when the first argument is
// --lease-child — one campaigning process of the multi-process lease test
// (lease_process_test.cc), re-executed from this same binary.
#include <cstring>

#include "gtest/gtest.h"

namespace cairn::cluster::testing {
int LeaseChildMain(int argc, char** argv);
}  // namespace cairn::cluster::testing

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--lease-child") == 0) {
    return cairn::cluster::testing::LeaseChildMain(argc, argv);
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
