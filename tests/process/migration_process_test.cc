// Crashes in the middle of cache migrations, through libcairn.so: a child
// grows or reshapes the cache while writing, is SIGKILLed, and the next
// open must read back every acknowledged write and finish the migration.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "cairn/cairn.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/process/process_util.h"

namespace cairn::testing {
namespace {

constexpr int kKeys = 10000;

std::string Key(int i) { return "mig-key-" + std::to_string(i); }
std::string Value(int i, int gen) {
  return std::to_string(gen) + ":" + std::to_string(i) + std::string(90, 'm');
}

nlohmann::json Property(cairn_db_t* db, const char* name) {
  char* json = nullptr;
  EXPECT_EQ(cairn_property(db, name, &json, nullptr), CAIRN_OK);
  nlohmann::json j = nlohmann::json::parse(json ? json : "null");
  cairn_free(json);
  return j;
}

int Put(cairn_db_t* db, int i, int gen) {
  std::string k = Key(i), v = Value(i, gen);
  return cairn_put(db, nullptr, k.data(), k.size(), v.data(), v.size(),
                   nullptr) == CAIRN_OK
             ? 0
             : 1;
}

// Reads `pipe_fd` until `want` ints arrived or 20 s passed; returns the last.
int AwaitAcks(int pipe_fd, int want) {
  int last = -1, got = 0, i = 0;
  while (got < want) {
    pollfd p{pipe_fd, POLLIN, 0};
    if (poll(&p, 1, 20000) != 1) break;
    if (read(pipe_fd, &i, sizeof i) != sizeof i) break;
    last = i;
    ++got;
  }
  return last;
}

// Waits for `want` acknowledgements on `pipe_fd` (bounded), SIGKILLs the
// child, checks it was the kill that ended it, and returns the last key the
// child acknowledged (-1 for none), draining and closing the pipe.
int KillAfterAcks(Child& child, int pipe_fd, int want) {
  int acked = AwaitAcks(pipe_fd, want), i = 0;
  child.Kill();
  EXPECT_EQ(child.Wait(), 128 + SIGKILL) << "the child failed before the kill";
  while (read(pipe_fd, &i, sizeof i) == sizeof i) acked = i;
  close(pipe_fd);
  return acked;
}

// After the kill: every key up to `acked` has generation 2, every key past
// acked + 1 generation 1 (the one in flight may have either).
void ExpectAcknowledged(cairn_db_t* db, int acked) {
  for (int k = 0; k < kKeys; ++k) {
    std::string key = Key(k);
    char* v = nullptr;
    size_t n = 0;
    ASSERT_EQ(cairn_get(db, nullptr, key.data(), key.size(), &v, &n, nullptr),
              CAIRN_OK)
        << key;
    std::string got(v, n);
    cairn_free(v);
    if (k <= acked) {
      ASSERT_EQ(got, Value(k, 2)) << key;
    } else if (k > acked + 1) {
      ASSERT_EQ(got, Value(k, 1)) << key;
    }
  }
}

bool WaitStable(cairn_db_t* db) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (Property(db, "cairn.migration")["state"] == "stable") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void LoadGeneration1(const std::string& path) {
  cairn_db_t* db =
      OpenOrDie(path, {{"cache.capacity_mb", "16"}, {"cache.instances", "2"}});
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(Put(db, i, 1), 0);
  cairn_close(db);
}

TEST(MigrationProcessTest, KilledMidMigrationReopensCorrectAndFinishes) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  LoadGeneration1(path);
  int acks[2];
  ASSERT_EQ(pipe(acks), 0);
  Child child([&] {
    close(acks[0]);
    // A crawling mover keeps the migration running until the kill.
    cairn_db_t* db = OpenOrDie(path, {{"cache.capacity_mb", "16"},
                                      {"cache.instances", "2"},
                                      {"migration.rate_items_per_sec", "50"}});
    uint32_t id = 0;
    if (cairn_cache_add_instance(db, 8 << 20, &id, nullptr) != CAIRN_OK) {
      return 2;
    }
    for (int i = 0; i < kKeys; ++i) {
      // Reads move items lazily; writes race them.
      std::string k = Key((i * 7) % kKeys);
      char* v = nullptr;
      size_t n = 0;
      if (cairn_get(db, nullptr, k.data(), k.size(), &v, &n, nullptr) !=
          CAIRN_OK) {
        return 3;
      }
      cairn_free(v);
      if (Put(db, i, 2) != 0) return 4;
      if (write(acks[1], &i, sizeof i) != sizeof i) return 5;
    }
    pause();  // wait for the kill
    return 0;
  });
  close(acks[1]);
  const int acked = KillAfterAcks(child, acks[0], 3000);
  ASSERT_GE(acked, 0);

  cairn_db_t* db =
      OpenOrDie(path, {{"cache.capacity_mb", "16"}, {"cache.instances", "2"}});
  nlohmann::json c = Property(db, "cairn.cache");
  EXPECT_EQ(c["epoch"], 2) << c.dump();
  EXPECT_EQ(c["instances"].size(), 3u) << c.dump();
  for (const auto& inst : c["instances"]) {  // the child died: all dirty
    EXPECT_NE(inst["open"], "warm") << c.dump();
  }
  ExpectAcknowledged(db, acked);
  ASSERT_TRUE(WaitStable(db));
  ExpectAcknowledged(db, acked);
  cairn_close(db);
}

TEST(MigrationProcessTest, KilledWhileAddingAndRemovingInstances) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  LoadGeneration1(path);
  int acks[2];
  ASSERT_EQ(pipe(acks), 0);
  Child child([&] {
    close(acks[0]);
    cairn_db_t* db =
        OpenOrDie(path, {{"cache.capacity_mb", "16"},
                         {"cache.instances", "2"},
                         {"migration.rate_items_per_sec", "2000"}});
    uint32_t ids[64];
    int n = 0;
    for (int i = 0;; i = (i + 1) % kKeys) {
      if (i % 50 == 0) {
        // Changes at arbitrary points: add until 4 extra, then remove.
        if (n < 4) {
          if (cairn_cache_add_instance(db, 1 << 20, &ids[n], nullptr) !=
              CAIRN_OK) {
            return 2;
          }
          ++n;
        } else {
          if (cairn_cache_remove_instance(db, ids[0], nullptr) != CAIRN_OK) {
            return 3;
          }
          for (int j = 1; j < n; ++j) ids[j - 1] = ids[j];
          --n;
        }
      }
      if (Put(db, i, 2) != 0) return 4;
      if (write(acks[1], &i, sizeof i) != sizeof i) return 5;
      if (i == kKeys - 1) {
        pause();
        return 0;
      }
    }
  });
  close(acks[1]);
  const int acked = KillAfterAcks(child, acks[0], 2500);
  ASSERT_GE(acked, 0);

  cairn_db_t* db =
      OpenOrDie(path, {{"cache.capacity_mb", "16"}, {"cache.instances", "2"}});
  nlohmann::json m = Property(db, "cairn.migration");
  EXPECT_GT(m["epoch"].get<uint64_t>(), 1u) << m.dump();
  ExpectAcknowledged(db, acked);
  ASSERT_TRUE(WaitStable(db));
  ExpectAcknowledged(db, acked);
  // The layout the child last saved is the one in force, and a change works.
  uint32_t id = 0;
  EXPECT_EQ(cairn_cache_add_instance(db, 1 << 20, &id, nullptr), CAIRN_OK);
  cairn_close(db);
  // Nothing of the database remains in /dev/shm after destroy.
  ASSERT_EQ(cairn_destroy(path.c_str(), nullptr), CAIRN_OK);
}

}  // namespace
}  // namespace cairn::testing
