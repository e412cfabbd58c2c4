// The op log across failures and restarts, with an injected environment:
//  - a write's records and its op-log entry commit together or not at all,
//    whichever append or sync fails and whether the process then dies or the
//    machine loses what was not synced;
//  - versions never go backwards across a restart, even when the op log was
//    trimmed empty and the clock now reads earlier than the versions already
//    handed out (last-writer-wins depends on it).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/db.h"
#include "gtest/gtest.h"
#include "tests/unit/fault_env.h"
#include "tests/unit/test_util.h"

namespace cairn {
namespace {

Options NoCache() {
  Options o;
  o.create_if_missing = true;
  o.cache_capacity_mb = 0;
  return o;
}

// key -> version of its newest op-log entry, and of its stored record.
using Versions = std::map<std::string, Version>;

Versions OpLogVersions(Db* db) {
  Versions out;
  absl::StatusOr<std::vector<OpEntry>> log =
      db->ReadOpLog(db->OpLogFirstSequence(), 1 << 20);
  EXPECT_TRUE(log.ok()) << log.status();
  if (!log.ok()) return out;
  EXPECT_EQ(log->size(), db->LastSequence() - db->OpLogFirstSequence() + 1);
  for (const OpEntry& e : *log) out[e.key] = e.version;  // in sequence order
  return out;
}

Versions RecordVersions(Db* db) {
  Versions out;
  absl::StatusOr<std::shared_ptr<Snapshot>> snap = db->GetSnapshot();
  EXPECT_TRUE(snap.ok()) << snap.status();
  if (!snap.ok()) return out;
  std::string start;
  for (int round = 0; round < 1000; ++round) {
    absl::StatusOr<RecordScan> scan =
        db->ScanRecords(**snap, start, 1000, 1 << 20);
    EXPECT_TRUE(scan.ok()) << scan.status();
    if (!scan.ok()) return out;
    for (const KeyedRecord& r : scan->records) out[r.key] = r.record.version;
    if (!scan->resume_key) return out;
    start = *scan->resume_key;
  }
  ADD_FAILURE() << "the record scan never ended";
  return out;
}

// Every op-log entry has its record at that version (the newest entry of a
// key, older ones were overwritten), and every record's version has its
// op-log entry: the two maps are equal.
void ExpectOpLogMatchesRecords(Db* db, const std::string& when) {
  const Versions log = OpLogVersions(db);
  const Versions records = RecordVersions(db);
  for (const auto& [key, version] : log) {
    auto it = records.find(key);
    if (it == records.end()) {
      ADD_FAILURE() << when << ": op-log entry of '" << key << "' at "
                    << version.ToString() << " has no record";
    } else if (it->second != version) {
      ADD_FAILURE() << when << ": op-log entry of '" << key << "' at "
                    << version.ToString() << " but its record is at "
                    << it->second.ToString();
    }
  }
  for (const auto& [key, version] : records) {
    if (!log.contains(key)) {
      ADD_FAILURE() << when << ": record of '" << key << "' at "
                    << version.ToString() << " has no op-log entry";
    }
  }
}

// A synced write of puts, an overwrite and a delete: its records and op-log
// entries, several LevelDB appends and a sync.
absl::Status WriteRound(Db* db, int round) {
  WriteBatch b;
  const std::string r = std::to_string(round);
  b.Put("new-" + r + "-a", std::string(100, 'a'));
  b.Put("new-" + r + "-b", std::string(5000, 'b'));
  b.Put("shared", "round " + r);
  b.Delete("doomed-" + r);
  WriteOptions sync;
  sync.sync = true;
  return db->Write(sync, b);
}

// The writes stop at the n-th append or sync of a commit, for every n up to
// past the end of the commit: first the process sees the write fail and
// carries on, then it dies (every later write fails too), then, reopened,
// the machine may also have lost what was not synced.
TEST(OpLogRecoveryTest, WriteFailureOrCrashNeverSeparatesEntriesFromRecords) {
  constexpr int kPoints = 8;  // a synced commit makes 3 (header, data, sync)
  int failed = 0, committed = 0;
  for (int n = 0; n <= kPoints; ++n) {
    for (bool power_cut : {false, true}) {
      SCOPED_TRACE("writes stop after " + std::to_string(n) + " appends" +
                   (power_cut ? ", unsynced data lost" : ", process died"));
      testing::TempDir dir;
      testing::FaultEnv fault;
      {
        auto db = Db::Open(NoCache(), dir.Sub("db"), DbEnv{&fault, nullptr});
        ASSERT_TRUE(db.ok()) << db.status();
        ASSERT_TRUE(WriteRound(db->get(), 0).ok());
        fault.FailAfter(n);
        const absl::Status s = WriteRound(db->get(), 1);
        s.ok() ? ++committed : ++failed;
        ExpectOpLogMatchesRecords(db->get(), "after the write");
        // The process dies here: nothing more reaches the files.
        fault.SetWritesFail(true);
        (void)WriteRound(db->get(), 2);
      }
      if (power_cut) fault.DropUnsyncedData();
      fault.SetWritesFail(false);
      auto db = Db::Open(NoCache(), dir.Sub("db"), DbEnv{&fault, nullptr});
      ASSERT_TRUE(db.ok()) << db.status();
      ExpectOpLogMatchesRecords(db->get(), "after reopening");
      // Round 0 was synced before any fault: it is all there.
      std::string v;
      EXPECT_TRUE((*db)->Get({}, "new-0-b", &v).ok());
      // And the log goes on from where it stands.
      ASSERT_TRUE(WriteRound(db->get(), 3).ok());
      ExpectOpLogMatchesRecords(db->get(), "after a write past the crash");
    }
  }
  // The points covered both outcomes: some writes failed, and the last
  // points came after the whole commit.
  EXPECT_GT(failed, 0);
  EXPECT_GT(committed, 0);
}

// The clock ran ahead (or a replica's future version was applied), the op
// log was trimmed to nothing, and the next run's clock reads earlier: the
// persisted high-water mark alone must lift the next version above every
// version handed out before.
TEST(OpLogRecoveryTest, VersionsKeepRisingAfterAFullTrimAndAClockBehind) {
  testing::TempDir dir;
  const uint64_t ahead_ms = 2'000'000'000'000;  // the year 2033
  const uint64_t behind_ms = ahead_ms - 3'600'000;
  Version before;
  {
    DbEnv env;
    env.now = [&] { return ahead_ms; };
    auto db = Db::Open(NoCache(), dir.Sub("db"), env);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Put({}, "k", "ahead").ok());
    ASSERT_TRUE((*db)->Put({}, "other", "ahead").ok());
    absl::StatusOr<Record> r = (*db)->GetRecord({}, "other");
    ASSERT_TRUE(r.ok()) << r.status();
    before = r->version;
    ASSERT_EQ(HybridClock::PhysicalMillis(before.hlc), ahead_ms);
    ASSERT_TRUE((*db)->TrimOpLog((*db)->LastSequence()).ok());
    ASSERT_TRUE((*db)->ReadOpLog((*db)->OpLogFirstSequence(), 10)->empty());
  }
  DbEnv env;
  env.now = [&] { return behind_ms; };
  auto db = Db::Open(NoCache(), dir.Sub("db"), env);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->ReadOpLog((*db)->OpLogFirstSequence(), 10)->empty());
  ASSERT_TRUE((*db)->Put({}, "k", "behind").ok());
  absl::StatusOr<Record> after = (*db)->GetRecord({}, "k");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(after->version > before)
      << "a version after the restart, " << after->version.ToString()
      << ", is not above one handed out before, " << before.ToString();
  // So the newer write wins wherever the two meet (last-writer-wins).
  std::string v;
  ASSERT_TRUE((*db)->Get({}, "k", &v).ok());
  EXPECT_EQ(v, "behind");
}

// A version received from a peer whose clock runs ahead is stored, then a
// batch of older versions (from a peer whose clock runs behind) becomes the
// newest in the log. Recover reads only the newest batch, so the clock's
// mark must carry the high water across the restart: otherwise the next
// local write on that key gets a lower version (and loses to the old value
// wherever the two meet), and the version guard's shortcut for versions
// above the clock would accept an older received write.
TEST(OpLogRecoveryTest, AReceivedVersionAheadOutlivesANewerBatchOfOlderOnes) {
  testing::TempDir dir;
  const uint64_t now_ms = 1'800'000'000'000;
  const uint64_t ahead = (now_ms + 3'600'000) << HybridClock::kLogicalBits;
  const uint64_t behind = now_ms << HybridClock::kLogicalBits;
  Options options = NoCache();
  options.node_id = 5;
  DbEnv env;
  env.now = [&] { return now_ms; };
  auto put = [](std::string_view key, std::string_view value, uint64_t hlc,
                uint32_t node) {
    return std::vector<ReceivedOp>{
        ReceivedOp{OpKind::kPut, Version{hlc, node}, key, value}};
  };
  {
    auto db = Db::Open(options, dir.Sub("db"), env);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_EQ((*db)->Apply({}, 77, put("f", "ahead", ahead, 77))->applied, 1u);
    ASSERT_EQ((*db)->Apply({}, 78, put("g", "behind", behind, 78))->applied,
              1u);
  }
  auto db = Db::Open(options, dir.Sub("db"), env);
  ASSERT_TRUE(db.ok()) << db.status();
  // An older write of "f" arriving now is refused ...
  absl::StatusOr<ApplyResult> r =
      (*db)->Apply({}, 78, put("f", "stale", ahead - 1, 78));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->applied, 0u) << "an older version replaced a newer one";
  std::string v;
  ASSERT_TRUE((*db)->Get({}, "f", &v).ok());
  EXPECT_EQ(v, "ahead");
  // ... and a local write orders after the stored version.
  ASSERT_TRUE((*db)->Put({}, "f", "local").ok());
  absl::StatusOr<Record> rec = (*db)->GetRecord({}, "f");
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_GT(rec->version.hlc, ahead) << rec->version.ToString();
}

}  // namespace
}  // namespace cairn
