// The shared-memory cache across processes, through libcairn.so: warm
// restart (BENCHMARKS P8), unclean restart (RELIABILITY R5), layout mismatch
// (R6), a foreign file under a segment's name, and segment modes (S3).
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "cairn/cairn.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/process/process_util.h"

namespace cairn::testing {
namespace {

constexpr int kKeys = 20000;

std::string Key(int i) { return "cache-key-" + std::to_string(i); }
std::string Value(int i, int gen) {
  return std::to_string(gen) + ":" + std::string(80 + i % 40, 'v');
}

cairn_db_t* OpenCached(const std::string& path) {
  return OpenOrDie(path,
                   {{"cache.capacity_mb", "16"}, {"cache.instances", "2"}});
}

nlohmann::json Cache(cairn_db_t* db) {
  char* json = nullptr;
  EXPECT_EQ(cairn_property(db, "cairn.cache", &json, nullptr), CAIRN_OK);
  nlohmann::json j = nlohmann::json::parse(json);
  cairn_free(json);
  return j;
}

// Reads every key, checking values; returns the hit ratio of the pass.
double ReadAll(cairn_db_t* db, int gen) {
  nlohmann::json before = Cache(db)["total"];
  for (int i = 0; i < kKeys; ++i) {
    std::string k = Key(i);
    char* v = nullptr;
    size_t n = 0;
    EXPECT_EQ(cairn_get(db, nullptr, k.data(), k.size(), &v, &n, nullptr),
              CAIRN_OK);
    EXPECT_EQ(std::string(v, n), Value(i, gen));
    cairn_free(v);
  }
  nlohmann::json after = Cache(db)["total"];
  double hits = after["hits"].get<double>() - before["hits"].get<double>();
  double misses =
      after["misses"].get<double>() - before["misses"].get<double>();
  return hits / (hits + misses);
}

void WriteAll(cairn_db_t* db, int gen) {
  for (int i = 0; i < kKeys; ++i) {
    std::string k = Key(i), v = Value(i, gen);
    ASSERT_EQ(
        cairn_put(db, nullptr, k.data(), k.size(), v.data(), v.size(), nullptr),
        CAIRN_OK);
  }
}

TEST(CacheProcessTest, WarmRestartInANewProcessKeepsTheHitRatio) {
  TempDir dir;
  std::string path = dir.Sub("db");
  int ratio_pipe[2];
  ASSERT_EQ(pipe(ratio_pipe), 0);
  Child writer([&] {
    cairn_db_t* db = OpenCached(path);
    WriteAll(db, 1);
    ReadAll(db, 1);
    double ratio = ReadAll(db, 1);
    cairn_close(db);
    return write(ratio_pipe[1], &ratio, sizeof ratio) == sizeof ratio ? 0 : 1;
  });
  ASSERT_EQ(writer.Wait(), 0);
  double before = 0;
  ASSERT_EQ(read(ratio_pipe[0], &before, sizeof before),
            static_cast<ssize_t>(sizeof before));
  close(ratio_pipe[0]);
  close(ratio_pipe[1]);

  cairn_db_t* db = OpenCached(path);
  nlohmann::json j = Cache(db);
  for (const auto& inst : j["instances"]) {
    EXPECT_EQ(inst["open"], "warm") << j.dump();
  }
  double after = ReadAll(db, 1);
  EXPECT_GE(after, 0.95 * before) << "before close " << before;
  cairn_close(db);
}

TEST(CacheProcessTest, KilledWriterLeavesDirtySegmentsThatAreRebuilt) {
  TempDir dir;
  std::string path = dir.Sub("db");
  {
    cairn_db_t* db = OpenCached(path);
    WriteAll(db, 1);
    cairn_close(db);  // clean: generation 1 cached
  }
  int acks[2];
  ASSERT_EQ(pipe(acks), 0);
  Child writer([&] {
    close(acks[0]);
    cairn_db_t* db = OpenCached(path);
    for (int i = 0;; i = (i + 1) % kKeys) {
      std::string k = Key(i), v = Value(i, 2);
      if (cairn_put(db, nullptr, k.data(), k.size(), v.data(), v.size(),
                    nullptr) != CAIRN_OK) {
        return 2;
      }
      if (write(acks[1], &i, sizeof i) != sizeof i) return 3;
    }
  });
  close(acks[1]);
  int acked = -1, i = 0, got = 0;
  while (got < 3000) {
    pollfd p{acks[0], POLLIN, 0};
    if (poll(&p, 1, 10000) != 1) break;
    if (read(acks[0], &i, sizeof i) != sizeof i) break;
    acked = i;
    ++got;
  }
  writer.Kill();
  writer.Wait();
  while (read(acks[0], &i, sizeof i) == sizeof i) acked = i;
  close(acks[0]);
  ASSERT_GE(acked, 0);

  cairn_db_t* db = OpenCached(path);
  nlohmann::json j = Cache(db);
  for (const auto& inst : j["instances"]) {
    EXPECT_EQ(inst["open"].get<std::string>().rfind("rebuilt", 0), 0u)
        << j.dump();
  }
  // Keys up to the last acknowledgement carry generation 2; the one after
  // may (in flight); the rest carry generation 1. Never an older value.
  for (int k = 0; k < kKeys; ++k) {
    std::string key = Key(k);
    char* v = nullptr;
    size_t n = 0;
    ASSERT_EQ(cairn_get(db, nullptr, key.data(), key.size(), &v, &n, nullptr),
              CAIRN_OK);
    std::string got_value(v, n);
    cairn_free(v);
    if (k <= acked) {
      EXPECT_EQ(got_value, Value(k, 2)) << key;
    } else if (k > acked + 1) {
      EXPECT_EQ(got_value, Value(k, 1)) << key;
    }
  }
  cairn_close(db);
}

std::vector<std::string> SegmentFiles(cairn_db_t* db) {
  std::vector<std::string> files;
  nlohmann::json j = Cache(db);  // not a temporary: the loop borrows from it
  for (const auto& inst : j["instances"]) {
    files.push_back("/dev/shm" + inst["segment"].get<std::string>());
  }
  return files;
}

TEST(CacheProcessTest, AlteredHeaderIsRebuiltAndLogged) {
  TempDir dir;
  std::string path = dir.Sub("db");
  cairn_db_t* db = OpenCached(path);
  WriteAll(db, 1);
  std::vector<std::string> files = SegmentFiles(db);
  ASSERT_EQ(files.size(), 2u);
  cairn_close(db);
  // Flip the first bytes (the magic) of one segment, as another build or a
  // stray write would.
  int fd = open(files[0].c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, "XXXXXXXX", 8, 0), 8);
  close(fd);
  db = OpenCached(path);
  nlohmann::json j = Cache(db);
  EXPECT_NE(j["instances"][0]["open"].get<std::string>().find("rebuilt"),
            std::string::npos)
      << j.dump();
  EXPECT_EQ(j["instances"][1]["open"], "warm");
  EXPECT_GT(ReadAll(db, 1), 0.0);  // values right; half the keys still warm
  cairn_close(db);
  std::ifstream log(path + "/LOG");
  std::string text((std::istreambuf_iterator<char>(log)),
                   std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("rebuilt"), std::string::npos);
}

TEST(CacheProcessTest, ForeignFileUnderTheSegmentName) {
  TempDir dir;
  std::string path = dir.Sub("db");
  cairn_db_t* db = OpenCached(path);
  WriteAll(db, 1);
  std::vector<std::string> files = SegmentFiles(db);
  cairn_close(db);
  {
    std::ofstream out(files[1], std::ios::trunc);
    out << "this is not a cairn segment";
  }
  db = OpenCached(path);
  nlohmann::json j = Cache(db);
  EXPECT_NE(j["instances"][1]["state"], "failed") << j.dump();
  ReadAll(db, 1);
  cairn_close(db);
}

TEST(CacheProcessTest, SegmentsArePrivate) {
  TempDir dir;
  cairn_db_t* db = OpenCached(dir.Sub("db"));
  for (const std::string& f : SegmentFiles(db)) {
    struct stat st;
    ASSERT_EQ(stat(f.c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
  std::vector<std::string> files = SegmentFiles(db);
  cairn_close(db);
  ASSERT_EQ(cairn_destroy(dir.Sub("db").c_str(), nullptr), CAIRN_OK);
  for (const std::string& f : files) {
    struct stat st;
    EXPECT_NE(stat(f.c_str(), &st), 0) << f << " survived cairn_destroy";
  }
}

}  // namespace
}  // namespace cairn::testing
