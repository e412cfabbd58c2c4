// Corruption of Cairn's own data (LevelDB-style corruption tests): op-log
// batches, metadata and records that do not parse are refused with DataLoss
// naming what is wrong; a damaged ring layout or cache segment header is
// rebuilt and every read stays correct; Db::Check reports damage by file
// and key.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/cache/segment_name.h"
#include "engine/db.h"
#include "engine/db_iterator.h"
#include "engine/format.h"
#include "gtest/gtest.h"
#include "leveldb/db.h"
#include "nlohmann/json.hpp"
#include "tests/unit/corruption_util.h"
#include "tests/unit/test_util.h"

namespace cairn {
namespace {

using testing::TempDir;

// Direct access to the LevelDB under a closed Cairn database.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    leveldb::Options o;
    leveldb::DB* db = nullptr;
    leveldb::Status s = leveldb::DB::Open(o, path, &db);
    EXPECT_TRUE(s.ok()) << s.ToString();
    db_.reset(db);
  }
  std::string Get(const std::string& key) {
    std::string v;
    EXPECT_TRUE(db_->Get({}, key, &v).ok()) << key;
    return v;
  }
  void Put(const std::string& key, const std::string& value) {
    EXPECT_TRUE(db_->Put({}, key, value).ok()) << key;
  }

 private:
  std::unique_ptr<leveldb::DB> db_;
};

absl::StatusOr<std::unique_ptr<Db>> Open(
    const std::string& path, const testing::OptionList& extra = {}) {
  Options o;
  o.create_if_missing = true;
  o.cache_capacity_mb = 4;  // small segments: quick to create
  for (const auto& [k, v] : extra) EXPECT_TRUE(SetOption(&o, k, v).ok()) << k;
  return Db::Open(o, path);
}

void Fill(const std::string& path, int n, const testing::OptionList& extra) {
  auto db = Open(path, extra);
  ASSERT_TRUE(db.ok()) << db.status();
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(
        (*db)->Put({}, absl::StrCat("k", i), absl::StrCat("v", i)).ok());
  }
}

void ExpectAllCorrect(Db* db, int n) {
  for (int i = 0; i < n; ++i) {
    std::string v;
    absl::Status s = db->Get({}, absl::StrCat("k", i), &v);
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_EQ(v, absl::StrCat("v", i));
  }
}

TEST(CorruptionFormatTest, NewestOpLogBatchCutShortFailsOpen) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  Fill(path, 10, {});
  std::string good;
  {
    RawDb raw(path);
    good = raw.Get(OpLogKey(10));
  }
  // Every strict prefix of a batch fails to parse.
  for (size_t len = 0; len < good.size(); ++len) {
    {
      RawDb raw(path);
      raw.Put(OpLogKey(10), good.substr(0, len));
    }
    auto db = Open(path);
    ASSERT_EQ(db.status().code(), absl::StatusCode::kDataLoss) << len;
    EXPECT_TRUE(absl::StrContains(db.status().message(), "sequence 10"))
        << db.status();
  }
  {
    RawDb raw(path);
    raw.Put(OpLogKey(10), good + "x");  // trailing bytes
  }
  EXPECT_EQ(Open(path).status().code(), absl::StatusCode::kDataLoss);
  {
    RawDb raw(path);
    raw.Put(OpLogKey(10), good);
  }
  EXPECT_TRUE(Open(path).ok());
}

TEST(CorruptionFormatTest, OlderOpLogBatchCutShortFailsOpenReadsAndCheck) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  Fill(path, 10, {});
  {
    RawDb raw(path);
    std::string v = raw.Get(OpLogKey(5));
    raw.Put(OpLogKey(5), v.substr(0, v.size() - 1));
  }
  // The open checks the newest op-log batches (here all of them).
  auto refused = Open(path);
  ASSERT_EQ(refused.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "sequence 5"))
      << refused.status();
  // Without paranoid checks it opens; readers of the batch still refuse it.
  auto db = Open(path, {{"paranoid_checks", "false"}});
  ASSERT_TRUE(db.ok()) << db.status();
  auto log = (*db)->ReadOpLog(1, 100);
  ASSERT_EQ(log.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(log.status().message(), "sequence 5"));
  EXPECT_TRUE((*db)->ReadOpLog(6, 100).ok());  // the rest stays readable
  EXPECT_EQ((*db)->TrimOpLog(7).code(), absl::StatusCode::kDataLoss);
  bool clean = true;
  auto report = (*db)->Check(&clean);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(clean);
  auto j = nlohmann::json::parse(*report);
  ASSERT_FALSE(j["problems"].empty());
  for (const auto& p : j["problems"]) {
    EXPECT_EQ(p["kind"], "op_log") << *report;
    EXPECT_TRUE(absl::StrContains(std::string(p["message"]), "sequence 5"))
        << *report;
  }
}

TEST(CorruptionFormatTest, MalformedMetadataFailsOpen) {
  struct Case {
    std::string name, value, expect;
  };
  const std::vector<Case> cases = {
      {"node_id", "abc", "node_id"},
      {"node_id", "0", "node_id"},
      {"node_id", "", "node_id"},
      {"node_id", "99999999999", "node_id"},
      {"node_id", "12 ", "node_id"},
      {"oplog.trimmed_upto", "abc", "oplog.trimmed_upto"},
      {"oplog.trimmed_hlc", "12345", "oplog.trimmed_hlc"},
      {"oplog.clock_hlc", "123456789", "oplog.clock_hlc"},
  };
  for (const Case& c : cases) {
    TempDir dir;
    const std::string path = dir.Sub("db");
    Fill(path, 3, {{"node_id", "7"}});
    {
      RawDb raw(path);
      raw.Put(MetaKey(c.name), c.value);
    }
    auto db = Open(path);
    ASSERT_EQ(db.status().code(), absl::StatusCode::kDataLoss)
        << c.name << "='" << c.value << "'";
    EXPECT_TRUE(absl::StrContains(db.status().message(), c.expect))
        << db.status();
  }
}

TEST(CorruptionFormatTest, MalformedRecordIsRefusedByKey) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  Fill(path, 5, {{"cache.capacity_mb", "0"}});
  {
    RawDb raw(path);
    raw.Put(DataKey("k2"), std::string("\x09", 1) + std::string(12, '\0'));
    raw.Put(DataKey("k3"), "short");
  }
  auto db = Open(path, {{"cache.capacity_mb", "0"}});
  ASSERT_TRUE(db.ok()) << db.status();
  std::string v;
  for (const char* key : {"k2", "k3"}) {
    absl::Status s = (*db)->Get({}, key, &v);
    ASSERT_EQ(s.code(), absl::StatusCode::kDataLoss) << key;
    EXPECT_TRUE(absl::StrContains(s.message(), key)) << s;
  }
  auto it = (*db)->NewIterator({});
  ASSERT_TRUE(it.ok());
  int seen = 0;
  for ((*it)->SeekToFirst(); (*it)->Valid(); (*it)->Next()) ++seen;
  EXPECT_EQ(seen, 2);  // k0, k1, then k2 does not parse
  EXPECT_EQ((*it)->status().code(), absl::StatusCode::kDataLoss);
  bool clean = true;
  auto report = (*db)->Check(&clean);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(clean);
  EXPECT_TRUE(absl::StrContains(*report, "\"key\":\"k2\"")) << *report;
  EXPECT_TRUE(absl::StrContains(*report, "\"key\":\"k3\"")) << *report;
}

TEST(CorruptionFormatTest, CheckIsCleanOnAHealthyDatabase) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  Fill(path, 200, {{"write_buffer_size", "65536"}});
  auto db = Open(path, {{"cache.capacity_mb", "4"}});
  ASSERT_TRUE(db.ok());
  ExpectAllCorrect(db->get(), 200);  // fills the cache
  ASSERT_TRUE((*db)->Delete({}, "k3").ok());
  bool clean = false;
  auto report = (*db)->Check(&clean);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(clean) << *report;
  auto j = nlohmann::json::parse(*report);
  EXPECT_EQ(j["records"]["records"], 200);
  EXPECT_EQ(j["records"]["tombstones"], 1);
  EXPECT_EQ(j["records"]["op_log_operations"], 201);
  EXPECT_GE(j["cache"]["items_checked"], 199);
  EXPECT_FALSE(j["write_ahead_logs"].empty());
  EXPECT_EQ(j["manifest"]["status"], "ok");
}

TEST(CorruptionFormatTest, CheckNamesADamagedTableBlockAndItsKeys) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  const testing::OptionList opts = {{"compression", "none"},
                                    {"block_size", "1024"},
                                    {"cache.capacity_mb", "0"}};
  {
    auto db = Open(path, opts);
    ASSERT_TRUE(db.ok());
    for (int i = 0; i < 500; ++i) {
      ASSERT_TRUE((*db)
                      ->Put({}, absl::StrCat("k", 1000 + i),
                            std::string(100, 'a' + i % 26))
                      .ok());
    }
  }
  {
    auto db = Open(path, opts);  // the log becomes a table
    ASSERT_TRUE(db.ok()) << db.status();
  }
  std::string table;
  for (const auto& e : std::filesystem::directory_iterator(path)) {
    if (absl::EndsWith(e.path().string(), ".ldb")) table = e.path().string();
  }
  ASSERT_FALSE(table.empty());
  // The first data block holds the first records, never read at open.
  std::string name = std::filesystem::path(table).filename().string();
  int fd = open(table.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char byte;
  ASSERT_EQ(pread(fd, &byte, 1, 200), 1);
  byte ^= 0x10;
  ASSERT_EQ(pwrite(fd, &byte, 1, 200), 1);
  close(fd);

  auto db = Open(path, opts);
  ASSERT_TRUE(db.ok()) << db.status();
  std::string v;
  absl::Status s = (*db)->Get({}, "k1000", &v);
  ASSERT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(s.message(), name)) << s;
  bool clean = true;
  auto report = (*db)->Check(&clean);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(clean);
  auto j = nlohmann::json::parse(*report);
  bool found = false;
  for (const auto& p : j["problems"]) {
    if (p["kind"] == "table" && p["file"] == name) {
      found = true;
      EXPECT_TRUE(p["lost_keys_between"]["after_key"].is_null()) << p;
      EXPECT_TRUE(p["lost_keys_between"]["before_key"].is_string()) << p;
    }
  }
  EXPECT_TRUE(found) << *report;
}

// Paths of this database's cache segments in /dev/shm.
std::vector<std::string> Segments(const std::string& db_path) {
  std::string canonical = std::filesystem::canonical(db_path).string();
  std::string name = cache::SegmentName(canonical, 0);
  std::string prefix = name.substr(1, name.rfind('-'));  // "cairn-<hash>-"
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator("/dev/shm")) {
    std::string f = e.path().filename().string();
    if (absl::StartsWith(f, prefix)) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(CorruptionFormatTest, CheckFindsACachedItemThatDiffersFromLevelDB) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  const testing::OptionList opts = {{"cache.capacity_mb", "4"}};
  Fill(path, 20, opts);
  {
    RawDb raw(path);
    std::string rec = raw.Get(DataKey("k4"));
    rec.back() ^= 1;  // the same version, another value
    raw.Put(DataKey("k4"), rec);
  }
  auto db = Open(path, opts);  // the clean segments are reattached warm
  ASSERT_TRUE(db.ok());
  bool clean = true;
  auto report = (*db)->Check(&clean);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(clean);
  EXPECT_TRUE(absl::StrContains(*report, "cached value differs")) << *report;
}

TEST(CorruptionFormatTest, DamagedRingLayoutIsRebuiltAndReadsStayCorrect) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  const testing::OptionList opts = {{"cache.capacity_mb", "4"}};
  constexpr int kKeys = 50;
  Fill(path, kKeys, opts);
  std::mt19937 rng(18);
  for (int trial = 0; trial < 24; ++trial) {
    {
      RawDb raw(path);
      std::string layout = raw.Get(MetaKey("cache.layout"));
      if (trial % 4 == 3) {
        layout.resize(rng() % layout.size());
      } else {
        layout[rng() % layout.size()] ^= static_cast<char>(1 << (rng() % 8));
      }
      raw.Put(MetaKey("cache.layout"), layout);
    }
    auto db = Open(path, opts);
    ASSERT_TRUE(db.ok()) << trial << ": " << db.status();
    ExpectAllCorrect(db->get(), kKeys);
  }
}

TEST(CorruptionFormatTest, DamagedSegmentHeaderIsRebuiltAndReadsStayCorrect) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  const testing::OptionList opts = {{"cache.capacity_mb", "4"},
                                    {"cache.instances", "2"}};
  constexpr int kKeys = 50;
  Fill(path, kKeys, opts);
  std::mt19937 rng(1818);
  for (int trial = 0; trial < 24; ++trial) {
    {
      auto db = Open(path, opts);
      ASSERT_TRUE(db.ok());
      ExpectAllCorrect(db->get(), kKeys);  // cached, then a clean close
    }
    std::vector<std::string> segments = Segments(path);
    ASSERT_FALSE(segments.empty());
    const std::string& seg = segments[rng() % segments.size()];
    if (trial % 4 == 3) {
      ASSERT_EQ(truncate(seg.c_str(), rng() % 8192), 0);
    } else {
      int fd = open(seg.c_str(), O_RDWR);
      ASSERT_GE(fd, 0);
      off_t at = static_cast<off_t>(rng() % 512);  // the header's fields
      unsigned char b;
      ASSERT_EQ(pread(fd, &b, 1, at), 1);
      b ^= static_cast<unsigned char>(1u << (rng() % 8));
      ASSERT_EQ(pwrite(fd, &b, 1, at), 1);
      close(fd);
    }
    auto db = Open(path, opts);
    ASSERT_TRUE(db.ok()) << trial << ": " << db.status();
    ExpectAllCorrect(db->get(), kKeys);
  }
}

}  // namespace
}  // namespace cairn
