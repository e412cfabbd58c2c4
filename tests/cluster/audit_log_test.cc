// The audit log (cluster/audit_log.h): appends and queries by method and
// time, the index agreeing with the records, retention by age and size (at
// open, by Trim, in the background), durability across reopen and SIGKILL
// (RELIABILITY R15), damaged records, refusing a data database, and that no
// value's bytes are ever stored.
#include "cluster/audit_log.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cluster/audit_record_codec.h"
#include "cluster/client_wire.h"
#include "engine/db.h"
#include "engine/options.h"
#include "gtest/gtest.h"
#include "leveldb/db.h"
#include "nlohmann/json.hpp"
#include "tests/support/temp_dir.h"

namespace cairn::cluster {
namespace {

using ::cairn::testing::BasicTempDir;

class AuditTempDir : public BasicTempDir {
 public:
  AuditTempDir()
      : BasicTempDir([](const std::string& db) { (void)Db::Destroy(db); }) {}
};

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

AuditRecord MakeRecord(const std::string& method, absl::Time start, int n) {
  AuditRecord r;
  r.start = start;
  r.end = start + absl::Microseconds(100 + n);
  r.client_id = absl::StrCat("client-", n % 3);
  r.client_address = "127.0.0.1:40000";
  r.method = method;
  r.params = absl::StrCat("key=\"k", n, "\"");
  r.shard = n % 5 - 1;
  r.node = static_cast<uint32_t>(n % 3 + 1);
  r.outcome = n % 4 == 0 ? "UNAVAILABLE" : "OK";
  r.message = n % 4 == 0 ? "node 2 is tagged failed" : "";
  return r;
}

void ExpectSame(const AuditRecord& a, const AuditRecord& b) {
  EXPECT_EQ(a.start, b.start);
  EXPECT_EQ(a.end, b.end);
  EXPECT_EQ(a.client_id, b.client_id);
  EXPECT_EQ(a.client_address, b.client_address);
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.params, b.params);
  EXPECT_EQ(a.shard, b.shard);
  EXPECT_EQ(a.node, b.node);
  EXPECT_EQ(a.outcome, b.outcome);
  EXPECT_EQ(a.message, b.message);
}

AuditOptions NoThread() {
  AuditOptions o;
  o.trim_interval = absl::ZeroDuration();
  // The fixed test times lie in 2027: an age limit of a century keeps them.
  o.retention_age = absl::Hours(24 * 365 * 100);
  return o;
}

std::unique_ptr<AuditLog> OpenLog(const std::string& path,
                                  const AuditOptions& o = NoThread()) {
  absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(path, o);
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? *std::move(log) : nullptr;
}

std::vector<AuditRecord> QueryAll(AuditLog* log, const std::string& method) {
  absl::StatusOr<std::vector<AuditRecord>> r = log->Query(
      method, absl::InfinitePast(), absl::InfiniteFuture(), SIZE_MAX);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : std::vector<AuditRecord>{};
}

// Every key of the LevelDB at `path` (the log must be closed).
std::vector<std::string> RawKeys(const std::string& path) {
  leveldb::DB* raw = nullptr;
  leveldb::Options lo;
  EXPECT_TRUE(leveldb::DB::Open(lo, path, &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  std::vector<std::string> keys;
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator({}));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    keys.push_back(it->key().ToString());
  }
  return keys;
}

// Checks, on a closed log, that every record has exactly its index entry
// and every index entry its record; returns the number of records.
size_t CheckIndexAgrees(const std::string& path) {
  leveldb::DB* raw = nullptr;
  leveldb::Options lo;
  EXPECT_TRUE(leveldb::DB::Open(lo, path, &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  std::set<std::string> from_records;
  std::set<std::string> from_index;
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator({}));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string key = it->key().ToString();
    if (key[0] == kAuditRecordPrefix) {
      absl::StatusOr<AuditKey> k = ParseAuditRecordKey(key);
      EXPECT_TRUE(k.ok());
      absl::StatusOr<AuditRecord> r = DecodeAuditRecord(it->value().ToString());
      EXPECT_TRUE(r.ok()) << r.status();
      if (!k.ok() || !r.ok()) continue;
      from_records.insert(AuditIndexKey(r->method, k->start_us, k->seq));
    } else if (key[0] == kAuditIndexPrefix) {
      from_index.insert(key);
    }
  }
  EXPECT_EQ(from_records, from_index);
  return from_records.size();
}

TEST(AuditLogTest, QueryByMethodReturnsExactlyTheMatchingRecordsInOrder) {
  AuditTempDir dir;
  auto log = OpenLog(dir.Sub("audit"));
  ASSERT_NE(log, nullptr);
  const std::vector<std::string> methods = {"get",    "put", "get", "scan",
                                            "delete", "get", "put"};
  std::vector<AuditRecord> all;
  // Appended out of time order, with repeated start times.
  for (int n = 0; n < 70; ++n) {
    const absl::Time start = kT0 + absl::Milliseconds((n * 37) % 50);
    all.push_back(MakeRecord(methods[n % methods.size()], start, n));
    ASSERT_TRUE(log->Append(all.back()).ok());
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const AuditRecord& a, const AuditRecord& b) {
                     return a.start < b.start;
                   });
  struct Case {
    std::string method;
    absl::Time since, until;
    size_t limit;
  };
  const std::vector<Case> cases = {
      {"", absl::InfinitePast(), absl::InfiniteFuture(), 1000},
      {"get", absl::InfinitePast(), absl::InfiniteFuture(), 1000},
      {"put", kT0 + absl::Milliseconds(10), kT0 + absl::Milliseconds(30), 1000},
      {"get", kT0 + absl::Milliseconds(10), kT0 + absl::Milliseconds(30), 3},
      {"", kT0 + absl::Milliseconds(49), kT0 + absl::Milliseconds(50), 1000},
      {"scan", kT0, kT0, 1000},  // empty range
      {"status", absl::InfinitePast(), absl::InfiniteFuture(), 1000},
      {"nosuchmethod", absl::InfinitePast(), absl::InfiniteFuture(), 10},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat("method '", c.method, "' [",
                              absl::FormatTime(c.since), ", ",
                              absl::FormatTime(c.until), ") limit ", c.limit));
    std::vector<AuditRecord> want;
    for (const AuditRecord& r : all) {
      if ((c.method.empty() || r.method == c.method) && r.start >= c.since &&
          r.start < c.until && want.size() < c.limit) {
        want.push_back(r);
      }
    }
    absl::StatusOr<std::vector<AuditRecord>> got =
        log->Query(c.method, c.since, c.until, c.limit);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->size(), want.size());
    // Records of one microsecond come back in append order (the sequence).
    for (size_t i = 0; i < want.size(); ++i) ExpectSame((*got)[i], want[i]);
  }
  EXPECT_EQ(QueryAll(log.get(), "get").size(), 30u);
  log.reset();
  EXPECT_EQ(CheckIndexAgrees(dir.Sub("audit")), 70u);
}

TEST(AuditLogTest, RefusesBadQueriesAndOptions) {
  AuditTempDir dir;
  auto log = OpenLog(dir.Sub("audit"));
  ASSERT_NE(log, nullptr);
  auto q = log->Query("get", kT0, kT0 + absl::Seconds(1), 0);
  EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(q.status().message().find("limit"), std::string_view::npos);
  q = log->Query("get", kT0 + absl::Seconds(1), kT0, 10);
  EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(q.status().message().find("after until"), std::string_view::npos);
  EXPECT_EQ(log->Append(MakeRecord(std::string(256, 'm'), kT0, 0)).code(),
            absl::StatusCode::kInvalidArgument);
  log.reset();

  AuditOptions o;
  o.retention_bytes = 0;
  EXPECT_EQ(AuditLog::Open(dir.Sub("b"), o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = AuditOptions();
  o.retention_age = absl::ZeroDuration();
  EXPECT_EQ(AuditLog::Open(dir.Sub("b"), o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = AuditOptions();
  o.trim_interval = -absl::Seconds(1);
  EXPECT_EQ(AuditLog::Open(dir.Sub("b"), o).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AuditLog::Open("", AuditOptions()).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::ofstream(dir.Sub("file")) << "x";
  absl::Status s = AuditLog::Open(dir.Sub("file"), AuditOptions()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("not a directory"), std::string_view::npos);
}

TEST(AuditLogTest, SecondOpenOfTheSameLogIsBusy) {
  AuditTempDir dir;
  auto log = OpenLog(dir.Sub("audit"));
  ASSERT_NE(log, nullptr);
  const auto inode = [&] {
    struct stat st;
    return stat((dir.Sub("audit") + "/LOG").c_str(), &st) == 0 ? st.st_ino : 0;
  };
  const ino_t before = inode();
  absl::Status s = AuditLog::Open(dir.Sub("audit"), NoThread()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
  EXPECT_NE(s.message().find(dir.Sub("audit")), std::string_view::npos);
  // The first handle is untouched: its lock, its message log.
  EXPECT_EQ(inode(), before);
  ASSERT_TRUE(log->Append(MakeRecord("get", kT0, 1)).ok());
  EXPECT_EQ(QueryAll(log.get(), "get").size(), 1u);
  s = AuditLog::Open(dir.Sub("audit/../audit"), NoThread()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
  // Closed, it opens again.
  log.reset();
  EXPECT_NE(OpenLog(dir.Sub("audit")), nullptr);
}

TEST(AuditLogTest, ReopenKeepsRecords) {
  AuditTempDir dir;
  std::vector<AuditRecord> written;
  {
    auto log = OpenLog(dir.Sub("audit"));
    ASSERT_NE(log, nullptr);
    for (int n = 0; n < 20; ++n) {
      written.push_back(MakeRecord("put", kT0 + absl::Seconds(n), n));
      ASSERT_TRUE(log->Append(written.back()).ok());
    }
  }
  auto log = OpenLog(dir.Sub("audit"));
  ASSERT_NE(log, nullptr);
  // New records after a reopen get fresh sequences: same start time, both
  // kept.
  AuditRecord again = MakeRecord("put", kT0, 99);
  ASSERT_TRUE(log->Append(again).ok());
  std::vector<AuditRecord> got = QueryAll(log.get(), "put");
  ASSERT_EQ(got.size(), 21u);
  ExpectSame(got[0], written[0]);
  ExpectSame(got[1], again);
  for (int n = 1; n < 20; ++n) ExpectSame(got[n + 1], written[n]);
}

TEST(AuditLogTest, RetentionByAgeDropsOldRecordsAndTheirIndexEntries) {
  AuditTempDir dir;
  AuditOptions o;
  o.trim_interval = absl::ZeroDuration();
  o.retention_age = absl::Hours(1);
  const absl::Time now = absl::Now();
  {
    auto log = OpenLog(dir.Sub("audit"), o);
    ASSERT_NE(log, nullptr);
    for (int n = 0; n < 10; ++n) {
      ASSERT_TRUE(
          log->Append(
                 MakeRecord("get", now - absl::Hours(2) + absl::Seconds(n), n))
              .ok());
      ASSERT_TRUE(
          log->Append(MakeRecord("put", now + absl::Seconds(n), n)).ok());
    }
    absl::StatusOr<uint64_t> dropped = log->Trim();
    ASSERT_TRUE(dropped.ok()) << dropped.status();
    EXPECT_EQ(*dropped, 10u);
    EXPECT_TRUE(QueryAll(log.get(), "get").empty());
    EXPECT_EQ(QueryAll(log.get(), "put").size(), 10u);
    EXPECT_EQ(*log->Trim(), 0u);
    // Old records appended later go at the next Trim...
    ASSERT_TRUE(log->Append(MakeRecord("get", now - absl::Hours(3), 0)).ok());
  }
  EXPECT_EQ(CheckIndexAgrees(dir.Sub("audit")), 11u);
  // A reader (trim_at_open false) or unlimited retention drops nothing...
  AuditOptions reader = o;
  reader.trim_at_open = false;
  EXPECT_EQ(QueryAll(OpenLog(dir.Sub("audit"), reader).get(), "").size(), 11u);
  AuditOptions unlimited = o;
  unlimited.retention_age = absl::InfiniteDuration();
  unlimited.retention_bytes = UINT64_MAX;
  EXPECT_EQ(QueryAll(OpenLog(dir.Sub("audit"), unlimited).get(), "").size(),
            11u);
  // ...the owner drops the old record at its next open.
  auto log = OpenLog(dir.Sub("audit"), o);
  ASSERT_NE(log, nullptr);
  EXPECT_TRUE(QueryAll(log.get(), "get").empty());
  EXPECT_EQ(QueryAll(log.get(), "").size(), 10u);
  log.reset();
  EXPECT_EQ(CheckIndexAgrees(dir.Sub("audit")), 10u);
}

TEST(AuditLogTest, RetentionBySizeKeepsTheNewestUnderTheCap) {
  AuditTempDir dir;
  AuditOptions o = NoThread();
  o.retention_bytes = 20'000;
  std::vector<AuditRecord> written;
  {
    auto log = OpenLog(dir.Sub("audit"), o);
    ASSERT_NE(log, nullptr);
    for (int n = 0; n < 1000; ++n) {
      written.push_back(
          MakeRecord(n % 2 ? "get" : "put", kT0 + absl::Milliseconds(n), n));
      ASSERT_TRUE(log->Append(written.back()).ok());
    }
    absl::StatusOr<uint64_t> dropped = log->Trim();
    ASSERT_TRUE(dropped.ok()) << dropped.status();
    std::vector<AuditRecord> kept = QueryAll(log.get(), "");
    EXPECT_EQ(kept.size() + *dropped, 1000u);
    ASSERT_GT(kept.size(), 50u);
    ASSERT_LT(kept.size(), 1000u);
    // The newest survive, as one contiguous tail.
    for (size_t i = 0; i < kept.size(); ++i) {
      ExpectSame(kept[i], written[1000 - kept.size() + i]);
    }
  }
  EXPECT_LT(CheckIndexAgrees(dir.Sub("audit")), 1000u);
  // What is stored (records and index keys and values) is within the cap.
  uint64_t stored = 0;
  leveldb::DB* raw = nullptr;
  ASSERT_TRUE(
      leveldb::DB::Open(leveldb::Options(), dir.Sub("audit"), &raw).ok());
  std::unique_ptr<leveldb::DB> db(raw);
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator({}));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key()[0] == kAuditRecordPrefix ||
        it->key()[0] == kAuditIndexPrefix) {
      stored += it->key().size() + it->value().size();
    }
  }
  EXPECT_LE(stored, o.retention_bytes);
  EXPECT_GT(stored, o.retention_bytes * 9 / 10);
}

TEST(AuditLogTest, BackgroundTrimmerEnforcesTheSizeCap) {
  AuditTempDir dir;
  AuditOptions o = NoThread();
  o.retention_bytes = 10'000;
  o.trim_interval = absl::Hours(1);  // woken by the appends, not the timer
  auto log = OpenLog(dir.Sub("audit"), o);
  ASSERT_NE(log, nullptr);
  for (int n = 0; n < 500; ++n) {
    ASSERT_TRUE(
        log->Append(MakeRecord("get", kT0 + absl::Milliseconds(n), n)).ok());
  }
  // The trimmer runs on its own thread: wait (bounded) until the oldest
  // record is gone.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  bool trimmed = false;
  while (!trimmed && absl::Now() < deadline) {
    auto first =
        log->Query("get", absl::InfinitePast(), absl::InfiniteFuture(), 1);
    ASSERT_TRUE(first.ok());
    trimmed = !first->empty() && first->front().start > kT0;
    if (!trimmed) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(trimmed);
  EXPECT_LT(QueryAll(log.get(), "").size(), 500u);
  // Destruction stops the thread at once, not after its hour.
  const absl::Time before = absl::Now();
  log.reset();
  EXPECT_LT(absl::Now() - before, absl::Seconds(5));
}

void ConcurrentAppendsAreAllKept(absl::Duration flush);

// Appends written by the caller, then queued for the batch writer.
TEST(AuditLogTest, ConcurrentAppendsAreAllKept) {
  for (absl::Duration flush : {absl::ZeroDuration(), absl::Milliseconds(2)}) {
    SCOPED_TRACE(absl::StrCat("flush_interval ", absl::FormatDuration(flush)));
    ConcurrentAppendsAreAllKept(flush);
  }
}

// A query sees what was queued a moment before, and a clean close writes
// everything queued.
TEST(AuditLogTest, BatchedAppendsAreQueryableAtOnceAndKeptAtClose) {
  AuditTempDir dir;
  const std::string path = dir.Sub("audit");
  AuditOptions o = NoThread();
  o.flush_interval = absl::Seconds(30);  // only a query or close writes
  auto log = OpenLog(path, o);
  ASSERT_NE(log, nullptr);
  for (int n = 0; n < 10; ++n) {
    ASSERT_TRUE(
        log->Append(MakeRecord("get", kT0 + absl::Microseconds(n), n)).ok());
  }
  EXPECT_EQ(QueryAll(log.get(), "get").size(), 10u);
  for (int n = 10; n < 20; ++n) {
    ASSERT_TRUE(
        log->Append(MakeRecord("get", kT0 + absl::Microseconds(n), n)).ok());
  }
  log.reset();
  log = OpenLog(path);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(QueryAll(log.get(), "get").size(), 20u);
}

void ConcurrentAppendsAreAllKept(absl::Duration flush) {
  AuditTempDir dir;
  AuditOptions o = NoThread();
  o.trim_interval = absl::Milliseconds(1);  // a trimmer racing the appends
  o.flush_interval = flush;
  auto log = OpenLog(dir.Sub("audit"), o);
  ASSERT_NE(log, nullptr);
  constexpr int kThreads = 4;
  constexpr int kEach = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < kEach; ++n) {
        AuditRecord r = MakeRecord("put", kT0 + absl::Microseconds(n), n);
        r.client_id = absl::StrCat("t", t, "-", n);
        EXPECT_TRUE(log->Append(r).ok());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> ids;
  for (const AuditRecord& r : QueryAll(log.get(), "put"))
    ids.insert(r.client_id);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kEach));
}

void RecordsWrittenBeforeSigkillSurvive(absl::Duration flush);

// RELIABILITY R15: a client killed while appending (not synced) loses none
// of the records it had written before it said so, and leaves none
// half-written — records written by the caller, and records queued for the
// batch writer once a Flush returned.
TEST(AuditLogTest, RecordsWrittenBeforeSigkillSurvive) {
  for (absl::Duration flush : {absl::ZeroDuration(), absl::Milliseconds(2)}) {
    SCOPED_TRACE(absl::StrCat("flush_interval ", absl::FormatDuration(flush)));
    RecordsWrittenBeforeSigkillSurvive(flush);
  }
}

void RecordsWrittenBeforeSigkillSurvive(absl::Duration flush) {
  AuditTempDir dir;
  const std::string path = dir.Sub("audit");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    AuditOptions o = NoThread();
    o.flush_interval = flush;
    absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(path, o);
    if (!log.ok()) _exit(2);
    // Appends for ever; after every 50th record says how many are written
    // (queued ones once flushed).
    for (uint32_t n = 1;; ++n) {
      AuditRecord r = MakeRecord("put", kT0 + absl::Microseconds(n), n);
      r.client_id = absl::StrCat(n);
      if (!(*log)->Append(r).ok()) _exit(3);
      if (n % 50 != 0) continue;
      if (!(*log)->Flush().ok()) _exit(5);
      if (write(fds[1], &n, sizeof n) != sizeof n) _exit(4);
    }
  }
  close(fds[1]);
  uint32_t acknowledged = 0;
  uint32_t n = 0;
  while (acknowledged < 2000 && read(fds[0], &n, sizeof n) == sizeof n) {
    acknowledged = n;
  }
  kill(child, SIGKILL);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(wstatus))
      << "child exited with " << WEXITSTATUS(wstatus);
  ASSERT_GE(acknowledged, 2000u);

  auto log = OpenLog(path);
  ASSERT_NE(log, nullptr);
  std::vector<AuditRecord> got = QueryAll(log.get(), "put");
  ASSERT_GE(got.size(), acknowledged);
  // Every record decodes (Query would say DataLoss) and they are 1..k, in
  // order, with no gap: nothing half-written, nothing lost before the kill.
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].client_id, absl::StrCat(i + 1));
  }
  log.reset();
  EXPECT_EQ(CheckIndexAgrees(path), got.size());
}

TEST(AuditLogTest, DamagedRecordIsDataLossNamingTheKey) {
  AuditTempDir dir;
  const std::string path = dir.Sub("audit");
  {
    auto log = OpenLog(path);
    ASSERT_NE(log, nullptr);
    for (int n = 0; n < 3; ++n) {
      ASSERT_TRUE(
          log->Append(MakeRecord("get", kT0 + absl::Seconds(n), n)).ok());
    }
  }
  std::string damaged_key;
  {
    leveldb::DB* raw = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), path, &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    std::unique_ptr<leveldb::Iterator> it(db->NewIterator({}));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key()[0] == kAuditRecordPrefix) {
        damaged_key = it->key().ToString();  // the last record
      }
    }
    std::string cut = "";
    ASSERT_TRUE(db->Get({}, damaged_key, &cut).ok());
    cut.resize(cut.size() / 2);  // a half-written value
    ASSERT_TRUE(db->Put({}, damaged_key, cut).ok());
  }
  auto log = OpenLog(path);
  ASSERT_NE(log, nullptr);
  for (const std::string method : {"", "get"}) {
    auto q =
        log->Query(method, absl::InfinitePast(), absl::InfiniteFuture(), 10);
    EXPECT_EQ(q.status().code(), absl::StatusCode::kDataLoss) << q.status();
    EXPECT_NE(q.status().message().find(AuditKeyForMessage(damaged_key)),
              std::string_view::npos)
        << q.status();
  }
  // The records before it still read.
  auto q = log->Query("get", absl::InfinitePast(), kT0 + absl::Seconds(2), 10);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->size(), 2u);
  // An index entry whose record is gone is DataLoss too.
  log.reset();
  {
    leveldb::DB* raw = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), path, &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    ASSERT_TRUE(db->Delete({}, damaged_key).ok());
  }
  log = OpenLog(path);
  ASSERT_NE(log, nullptr);
  auto missing =
      log->Query("get", absl::InfinitePast(), absl::InfiniteFuture(), 10);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(missing.status().message().find("missing"), std::string_view::npos);
}

TEST(AuditLogTest, RetentionDropsADamagedRecordAndItsIndexEntry) {
  AuditTempDir dir;
  const std::string path = dir.Sub("audit");
  AuditOptions o = NoThread();
  {
    auto log = OpenLog(path, o);
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(log->Append(MakeRecord("scan", kT0, 0)).ok());
  }
  {
    leveldb::DB* raw = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), path, &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    ASSERT_TRUE(
        db->Put({}, AuditRecordKey(AuditMicros(kT0), 1), "\x07junk").ok());
  }
  o.retention_bytes = 1;  // the size cap drops everything
  auto log = OpenLog(path, o);
  ASSERT_NE(log, nullptr);
  EXPECT_TRUE(QueryAll(log.get(), "scan").empty());
  log.reset();
  EXPECT_EQ(CheckIndexAgrees(path), 0u);
}

TEST(AuditLogTest, RefusesACairnDataDatabase) {
  AuditTempDir dir;
  const std::string data = dir.Sub("data");
  {
    Options options;
    options.cache_capacity_mb = 0;
    options.create_if_missing = true;
    absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(options, data);
    ASSERT_TRUE(db.ok()) << db.status();
  }
  const std::vector<std::string> before = RawKeys(data);
  absl::Status s = AuditLog::Open(data, NoThread()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("Cairn data database"), std::string_view::npos)
      << s;
  EXPECT_NE(s.message().find(data), std::string_view::npos) << s;
  // Without its lock file it is still known by its metadata.
  std::filesystem::remove(data + "/CAIRN.LOCK");
  s = AuditLog::Open(data, NoThread()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("Cairn data database"), std::string_view::npos)
      << s;
  // Nothing was written into it.
  EXPECT_EQ(RawKeys(data), before);

  // Any other LevelDB is refused too.
  {
    leveldb::DB* raw = nullptr;
    leveldb::Options lo;
    lo.create_if_missing = true;
    ASSERT_TRUE(leveldb::DB::Open(lo, dir.Sub("other"), &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    ASSERT_TRUE(db->Put({}, "k", "v").ok());
  }
  s = AuditLog::Open(dir.Sub("other"), NoThread()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_NE(s.message().find("not an audit log"), std::string_view::npos) << s;
}

TEST(AuditLogTest, ValuesNeverReachTheStoredBytes) {
  AuditTempDir dir;
  const std::string path = dir.Sub("audit");
  // A marker no key, name or number contains.
  const std::string marker = "VALUE-7f3a9c1e5b-MUST-NOT-BE-AUDITED";
  {
    auto log = OpenLog(path);
    ASSERT_NE(log, nullptr);
    ClientRequest put;
    put.method = Method::kPut;
    put.ops.push_back({false, "user:1", marker + marker});
    ClientRequest batch;
    batch.method = Method::kBatch;
    batch.ops.push_back({false, "a", marker});
    batch.ops.push_back({true, "b", ""});
    batch.ops.push_back({false, "c", marker});
    for (const ClientRequest* req : {&put, &batch}) {
      AuditRecord r = MakeRecord(std::string(MethodName(req->method)), kT0, 1);
      r.params = AuditParams(*req, 64);
      EXPECT_EQ(r.params.find(marker), std::string::npos) << r.params;
      ASSERT_TRUE(log->Append(r).ok());
    }
    for (const AuditRecord& r : QueryAll(log.get(), "")) {
      EXPECT_EQ(AuditRecordJson(r).find(marker), std::string::npos);
    }
  }
  // Every file of the log (LevelDB's write-ahead log holds them verbatim).
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(marker), std::string::npos) << entry.path();
    EXPECT_EQ(bytes.find(marker.substr(0, 12)), std::string::npos)
        << entry.path();
    ++files;
  }
  EXPECT_GT(files, 0u);
}

TEST(AuditParamsTest, KeysAreCutAndEscapedValuesAreSizes) {
  ClientRequest get;
  get.method = Method::kGet;
  get.ops.push_back({false, "user:17", ""});
  EXPECT_EQ(AuditParams(get, 64), "key=\"user:17\"");
  EXPECT_EQ(AuditParams(get, 4), "key=\"user\"...(7 bytes)");
  EXPECT_EQ(AuditParams(get, 0), "key=\"\"...(7 bytes)");

  ClientRequest put;
  put.method = Method::kPut;
  put.sync = true;
  put.ops.push_back(
      {false, std::string("a\"\\\x01\xff", 5), std::string(100, 'v')});
  EXPECT_EQ(AuditParams(put, 64),
            "key=\"a\\x22\\x5c\\x01\\xff\" value_bytes=100 sync");

  ClientRequest del;
  del.method = Method::kDelete;
  del.ops.push_back({true, "gone", ""});
  EXPECT_EQ(AuditParams(del, 64), "key=\"gone\"");

  ClientRequest batch;
  batch.method = Method::kBatch;
  batch.ops.push_back({false, "first-key", "12345"});
  batch.ops.push_back({true, "x", ""});
  batch.ops.push_back({false, "y", "123"});
  EXPECT_EQ(
      AuditParams(batch, 5),
      "ops=3 puts=2 deletes=1 value_bytes=8 first_key=\"first\"...(9 bytes)");

  ClientRequest scan;
  scan.method = Method::kScan;
  scan.scan_start = "a";
  scan.scan_limit = 100;
  EXPECT_EQ(AuditParams(scan, 64), "start=\"a\" end=\"\" limit=100");

  ClientRequest status;
  status.method = Method::kStatus;
  EXPECT_EQ(AuditParams(status, 64), "");

  ClientRequest report;
  report.method = Method::kReportFailure;
  report.failed_request_id = 17;
  report.failure_reason = "checksum mismatch";
  EXPECT_EQ(AuditParams(report, 8),
            "failed_request=17 reason=\"checksum\"...(17 bytes)");
}

TEST(AuditRecordJsonTest, HasEveryFieldInMicroseconds) {
  AuditRecord r = MakeRecord("get", kT0, 4);
  r.client_id = std::string("bad\xff", 4);  // not UTF-8: replaced, no throw
  nlohmann::json j = nlohmann::json::parse(AuditRecordJson(r));
  EXPECT_EQ(j["start_us"].get<int64_t>(), absl::ToUnixMicros(kT0));
  EXPECT_EQ(j["end_us"].get<int64_t>(), absl::ToUnixMicros(kT0) + 104);
  EXPECT_EQ(j["elapsed_us"].get<int64_t>(), 104);
  EXPECT_EQ(j["client_address"], "127.0.0.1:40000");
  EXPECT_EQ(j["method"], "get");
  EXPECT_EQ(j["params"], "key=\"k4\"");
  EXPECT_EQ(j["shard"], 3);
  EXPECT_EQ(j["node"], 2);
  EXPECT_EQ(j["outcome"], "UNAVAILABLE");
  EXPECT_EQ(j["message"], "node 2 is tagged failed");
  EXPECT_EQ(j.size(), 11u);
}

TEST(AuditRecordCodecTest, RoundTripsAndRefusesDamage) {
  AuditRecord r = MakeRecord("report_failure", absl::FromUnixMicros(-5), 7);
  r.shard = INT64_MIN;
  r.node = UINT32_MAX;
  std::string encoded;
  EncodeAuditRecord(r, &encoded);
  absl::StatusOr<AuditRecord> back = DecodeAuditRecord(encoded);
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectSame(*back, r);
  for (size_t cut = 0; cut < encoded.size(); ++cut) {
    EXPECT_EQ(DecodeAuditRecord(encoded.substr(0, cut)).status().code(),
              absl::StatusCode::kDataLoss)
        << cut;
  }
  EXPECT_EQ(DecodeAuditRecord(encoded + "x").status().code(),
            absl::StatusCode::kDataLoss);
  std::string other_version = encoded;
  other_version[0] = 2;
  absl::Status s = DecodeAuditRecord(other_version).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("version 2"), std::string_view::npos);
  // Keys sort by time, negative times first.
  EXPECT_LT(AuditRecordKey(-1, 9), AuditRecordKey(0, 0));
  EXPECT_LT(AuditRecordKey(5, 1), AuditRecordKey(5, 2));
  EXPECT_LT(AuditIndexKey("get", -1, 0), AuditIndexKey("get", 1, 0));
  absl::StatusOr<AuditKey> k = ParseAuditRecordKey(AuditRecordKey(-42, 7));
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->start_us, -42);
  EXPECT_EQ(k->seq, 7u);
}

}  // namespace
}  // namespace cairn::cluster
