// RELIABILITY R3: damaged files give CAIRN_CORRUPTION (DataLoss) or the
// correct value, never a wrong value, never a crash.
//
// A small database is built once; every trial copies it, damages one file of
// one kind (a random bit flip or a truncation, fixed seed), opens the copy,
// reads every key ever written plus some never written, and iterates the
// whole range both ways. Every answer is classified against the model of
// what was written: correct, corruption, or wrong (a different value, a
// deleted or never-written key that reads as present, a present key that
// reads as absent). Any wrong answer fails the test. The one exception is
// LevelDB's torn-tail rule for the write-ahead log: damage in its last
// block reads as a crash mid-write, and the writes after it are dropped
// (counted as "as of an earlier write", never as a different value).
//
// The pristine database's file layout depends on when LevelDB's background
// compactions ran, so the counts per outcome vary a little between runs;
// wrong answers and unnamed files must be zero in every run.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/db.h"
#include "engine/db_iterator.h"
#include "gtest/gtest.h"
#include "tests/unit/corruption_util.h"
#include "tests/unit/test_util.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using testing::Outcome;
using testing::TempDir;

constexpr int kKeys = 1000;
constexpr uint32_t kSeed = 20261130;

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%06d", i);
  return buf;
}

// Distinct per key and generation, 60..139 bytes.
std::string Value(int i, int gen) {
  std::string v = absl::StrCat("value-", i, "-gen", gen, "-");
  size_t len = 60 + static_cast<size_t>((i * 7919 + gen * 31) % 80);
  while (v.size() < len)
    v.push_back(static_cast<char>('a' + (v.size() + i) % 26));
  return v;
}

enum class FileKind { kTable, kWal, kManifest };

const char* KindName(FileKind k) {
  switch (k) {
    case FileKind::kTable:
      return "table";
    case FileKind::kWal:
      return "write-ahead log";
    case FileKind::kManifest:
      return "manifest";
  }
  return "?";
}

bool IsKind(const std::string& name, FileKind k) {
  switch (k) {
    case FileKind::kTable:
      return absl::EndsWith(name, ".ldb") || absl::EndsWith(name, ".sst");
    case FileKind::kWal:
      return absl::EndsWith(name, ".log");
    case FileKind::kManifest:
      return absl::StartsWith(name, "MANIFEST-");
  }
  return false;
}

class CorruptionTest : public ::testing::Test {
 protected:
  // The pristine database: tables from several memtable flushes, a
  // write-ahead log holding the newest writes, a manifest. Overwrites and
  // deletes make stale versions and tombstones that must never resurface.
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    history_ = new testing::History();
    std::unique_ptr<Db> db =
        testing::OpenTestDb(Pristine(), Options(/*cache=*/false));
    ASSERT_NE(db, nullptr);
    for (int i = 0; i < kKeys; ++i) {
      ASSERT_TRUE(db->Put({}, Key(i), Value(i, 0)).ok());
      history_->emplace_back(Key(i), Value(i, 0));
    }
    for (int i = 0; i < kKeys; i += 4) {
      WriteBatch b;
      b.Put(Key(i), Value(i, 1));
      if (i + 3 < kKeys) b.Delete(Key(i + 3));
      ASSERT_TRUE(db->Write({}, b).ok());
      history_->emplace_back(Key(i), Value(i, 1));
      if (i + 3 < kKeys) history_->emplace_back(Key(i + 3), std::nullopt);
    }
  }
  static void TearDownTestSuite() {
    delete history_;
    delete dir_;
  }

  static std::string Pristine() { return dir_->Sub("pristine"); }

  static testing::OptionList Options(bool cache) {
    return {{"compression", "none"},
            {"write_buffer_size", "65536"},
            {"block_size", "1024"},
            {"cache.capacity_mb", cache ? "4" : "0"},
            {"cache.instances", "2"}};
  }

  // Copies the pristine database to a fresh directory.
  std::string CopyPristine(int trial) {
    std::string to = dir_->Sub(absl::StrCat("trial", trial));
    fs::copy(Pristine(), to, fs::copy_options::recursive);
    return to;
  }

  static std::vector<std::string> FilesOfKind(const std::string& db,
                                              FileKind k) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(db)) {
      std::string name = e.path().filename().string();
      if (IsKind(name, k) && fs::file_size(e.path()) > 0) out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // Damages one file of kind `k` and checks the copy; returns what it saw.
  Outcome Trial(FileKind k, bool truncate, std::mt19937* rng, int trial) {
    std::string db = CopyPristine(trial);
    std::vector<std::string> files = FilesOfKind(db, k);
    EXPECT_FALSE(files.empty()) << "no " << KindName(k) << " file";
    if (files.empty()) return {};
    std::string name = files[(*rng)() % files.size()];
    std::string what = truncate
                           ? testing::TruncateAtRandom(db + "/" + name, rng)
                           : testing::FlipRandomBit(db + "/" + name, rng);
    Outcome o =
        testing::CheckCopy(db, *history_, Options(false), name,
                           absl::StrCat(KindName(k), " ", name, " ", what),
                           /*allow_prefix=*/k == FileKind::kWal);
    (void)Db::Destroy(db);
    return o;
  }

  void RunKind(FileKind k, int flips, int truncations) {
    std::mt19937 rng(kSeed + static_cast<uint32_t>(k));
    Outcome total;
    for (int t = 0; t < flips + truncations; ++t) {
      total += Trial(k, t >= flips, &rng, t);
    }
    std::printf("[R3] %-15s %d trials: %s\n", KindName(k), flips + truncations,
                total.ToString().c_str());
    EXPECT_EQ(total.wrong, 0) << total.first_wrong;
    EXPECT_EQ(total.unnamed, 0) << total.first_unnamed;
    if (k != FileKind::kWal) {
      EXPECT_EQ(total.tail_lost, 0) << KindName(k);
    }
  }

  static TempDir* dir_;
  static testing::History* history_;
};

TempDir* CorruptionTest::dir_ = nullptr;
testing::History* CorruptionTest::history_ = nullptr;

TEST_F(CorruptionTest, PristineCopyReadsCorrectly) {
  std::string db = CopyPristine(-1);
  EXPECT_GT(FilesOfKind(db, FileKind::kTable).size(), 1u);
  EXPECT_GE(FilesOfKind(db, FileKind::kWal).size(), 1u);
  Outcome o = testing::CheckCopy(db, *history_, Options(false), "", "none",
                                 /*allow_prefix=*/false);
  EXPECT_EQ(o.wrong, 0) << o.first_wrong;
  EXPECT_EQ(o.open_corruption + o.read_corruption, 0);
}

TEST_F(CorruptionTest, TableBitFlipsAndTruncations) {
  RunKind(FileKind::kTable, 40, 12);
}

TEST_F(CorruptionTest, WriteAheadLogBitFlipsAndTruncations) {
  RunKind(FileKind::kWal, 40, 12);
}

TEST_F(CorruptionTest, ManifestBitFlipsAndTruncations) {
  RunKind(FileKind::kManifest, 30, 10);
}

}  // namespace
}  // namespace cairn
