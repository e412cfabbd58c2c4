// RELIABILITY R1: a child writes unique keys with sync=true and reports each
// acknowledgement; the parent SIGKILLs it at a random point, several times.
// Afterwards every acknowledged key must read back exactly, and nothing may
// exist that was never written.
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <string>

#include "cairn/cairn.h"
#include "gtest/gtest.h"
#include "tests/process/process_util.h"

namespace cairn::testing {
namespace {

std::string KeyOf(int round, uint32_t i) {
  return "r" + std::to_string(round) + "-" + std::to_string(i);
}
std::string ValueOf(int round, uint32_t i) {
  return "value-" + std::to_string(round * 1000003u + i * 7919u) +
         std::string(i % 50, 'x');
}

TEST(SyncKillTest, AcknowledgedSyncWritesSurviveSigkill) {
  TempDir dir;
  std::string path = dir.Sub("db");
  std::mt19937 rng(std::random_device{}());
  constexpr int kRounds = 4;
  std::map<std::string, std::string> acked;
  std::map<std::string, std::string> attempted;  // acked or in flight
  for (int round = 0; round < kRounds; ++round) {
    int acks[2];
    ASSERT_EQ(pipe(acks), 0);
    Child writer([&] {
      close(acks[0]);
      cairn_db_t* db = OpenOrDie(path);
      cairn_writeoptions_t* wo = cairn_writeoptions_create();
      cairn_writeoptions_set_sync(wo, 1);
      for (uint32_t i = 0; i < 100000; ++i) {
        std::string k = KeyOf(round, i), v = ValueOf(round, i);
        if (cairn_put(db, wo, k.data(), k.size(), v.data(), v.size(),
                      nullptr) != CAIRN_OK) {
          return 2;
        }
        if (write(acks[1], &i, sizeof(i)) != sizeof(i)) return 3;
      }
      return 0;
    });
    close(acks[1]);
    // Kill after a random number of acknowledgements, or after 10 s.
    uint32_t kill_after = 20 + rng() % 200, got = 0, i = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (got < kill_after && std::chrono::steady_clock::now() < deadline) {
      pollfd p{acks[0], POLLIN, 0};
      if (poll(&p, 1, 1000) != 1) continue;
      if (read(acks[0], &i, sizeof(i)) != sizeof(i)) break;
      acked[KeyOf(round, i)] = ValueOf(round, i);
      ++got;
    }
    writer.Kill();
    writer.Wait();
    // Acks written before the kill but not yet read are still acks.
    while (read(acks[0], &i, sizeof(i)) == sizeof(i)) {
      acked[KeyOf(round, i)] = ValueOf(round, i);
      ++got;
    }
    close(acks[0]);
    ASSERT_GT(got, 0u) << "round " << round << ": writer never acknowledged";
    for (uint32_t j = 0; j <= i + 1; ++j) {
      attempted[KeyOf(round, j)] = ValueOf(round, j);
    }
  }

  cairn_db_t* db = OpenOrDie(path);
  size_t lost = 0, wrong = 0, unexpected = 0;
  for (const auto& [k, v] : acked) {
    char* got = nullptr;
    size_t n = 0;
    cairn_status_t s =
        cairn_get(db, nullptr, k.data(), k.size(), &got, &n, nullptr);
    if (s == CAIRN_NOT_FOUND) {
      ++lost;
    } else if (s != CAIRN_OK || std::string(got, n) != v) {
      ++wrong;
    }
    cairn_free(got);
  }
  cairn_iterator_t* it = nullptr;
  ASSERT_EQ(cairn_iter_create(db, nullptr, &it, nullptr), CAIRN_OK);
  size_t seen = 0;
  for (cairn_iter_seek_to_first(it); cairn_iter_valid(it);
       cairn_iter_next(it)) {
    size_t kl = 0, vl = 0;
    const char* k = cairn_iter_key(it, &kl);
    const char* v = cairn_iter_value(it, &vl);
    auto found = attempted.find(std::string(k, kl));
    if (found == attempted.end() || found->second != std::string(v, vl)) {
      ++unexpected;
    }
    ++seen;
  }
  EXPECT_EQ(cairn_iter_status(it, nullptr), CAIRN_OK);
  cairn_iter_destroy(it);
  cairn_close(db);
  EXPECT_EQ(lost, 0u) << "acknowledged keys lost out of " << acked.size();
  EXPECT_EQ(wrong, 0u);
  EXPECT_EQ(unexpected, 0u);
  EXPECT_GE(seen, acked.size());
}

}  // namespace
}  // namespace cairn::testing
