#include "plugin/sqlite/txn_overlay.h"

#include <map>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace cairn::sqlite {
namespace {

std::map<std::string, TxnOverlay::Slot> Snapshot(const TxnOverlay& t) {
  return {t.entries().begin(), t.entries().end()};
}

TEST(TxnOverlayTest, PutDeleteAndFind) {
  TxnOverlay t;
  EXPECT_EQ(t.Find("a"), nullptr);
  t.Put("a", "1");
  t.Delete("b");
  ASSERT_NE(t.Find("a"), nullptr);
  EXPECT_EQ(**t.Find("a"), "1");
  ASSERT_NE(t.Find("b"), nullptr);
  EXPECT_FALSE(t.Find("b")->has_value());
  t.Put("b", "2");
  EXPECT_EQ(**t.Find("b"), "2");
  EXPECT_EQ(t.size(), 2u);
}

TEST(TxnOverlayTest, NeighboursInKeyOrder) {
  TxnOverlay t;
  for (const char* k : {"b", "d", "f"}) t.Put(k, k);
  EXPECT_EQ(t.After("b", true)->first, "b");
  EXPECT_EQ(t.After("b", false)->first, "d");
  EXPECT_EQ(t.After("c", false)->first, "d");
  EXPECT_EQ(t.After("f", false), nullptr);
  EXPECT_EQ(t.Before("d", false)->first, "b");
  EXPECT_EQ(t.Before("d", true)->first, "d");
  EXPECT_EQ(t.Before("b", false), nullptr);
  EXPECT_EQ(t.First()->first, "b");
  EXPECT_EQ(t.Last()->first, "f");
}

TEST(TxnOverlayTest, RollbackToRestoresTheSavepointState) {
  TxnOverlay t;
  t.Savepoint(0);
  t.Put("a", "1");
  auto at1 = Snapshot(t);
  t.Savepoint(1);
  t.Put("a", "2");
  t.Delete("c");
  t.Savepoint(2);
  t.Put("d", "4");
  t.RollbackTo(1);
  EXPECT_EQ(Snapshot(t), at1);
  // Savepoint 1 survives its own rollback; 2 is gone.
  t.Put("e", "5");
  t.RollbackTo(1);
  EXPECT_EQ(Snapshot(t), at1);
  t.RollbackTo(0);
  EXPECT_TRUE(t.empty());
}

TEST(TxnOverlayTest, ReleaseKeepsWritesAndOuterSavepoints) {
  TxnOverlay t;
  t.Savepoint(0);
  t.Put("a", "1");
  t.Savepoint(1);
  t.Put("b", "2");
  t.Release(1);
  EXPECT_EQ(t.size(), 2u);
  t.RollbackTo(0);  // the outer savepoint still undoes both
  EXPECT_TRUE(t.empty());
}

TEST(TxnOverlayTest, RollbackToAnOlderLevelThanSeenUndoesEverything) {
  // The table joins a transaction at savepoint level 3; ROLLBACK TO an
  // older savepoint must still undo what it wrote since.
  TxnOverlay t;
  t.Savepoint(3);
  t.Put("a", "1");
  t.RollbackTo(1);
  EXPECT_TRUE(t.empty());
}

TEST(TxnOverlayTest, RollbackWithNoSavepointLeftUndoesEverything) {
  // SAVEPOINT a; INSERT ...; ROLLBACK TO a: a transaction-opening savepoint
  // is never announced to the table.
  TxnOverlay t;
  t.Put("a", "1");
  t.RollbackTo(-1);
  EXPECT_TRUE(t.empty());
  // BEGIN; SAVEPOINT b; <multi-row INSERT: statement savepoint 1, released
  // at its end>; ROLLBACK TO b.
  t.Savepoint(1);
  t.Put("x", "1");
  t.Put("y", "2");
  t.Release(1);
  t.RollbackTo(0);
  EXPECT_TRUE(t.empty());
}

TEST(TxnOverlayTest, ReusedLevelsDoNotHideAnOlderSavepoint) {
  // SAVEPOINT sp1 (opens the transaction: level -1); a multi-row INSERT
  // (statement savepoint 0, released); SAVEPOINT sp2 (level 0 again);
  // DELETE; a multi-row UPDATE (statement savepoint 1); ROLLBACK TO sp1.
  TxnOverlay t;
  t.Savepoint(0);
  t.Put("a", "1");
  t.Put("b", "2");
  t.Release(0);
  t.Savepoint(0);
  t.Delete("a");
  t.Savepoint(1);
  t.Put("bx", "2");
  t.Release(1);
  t.RollbackTo(-1);
  EXPECT_TRUE(t.empty());
}

TEST(TxnOverlayTest, RandomOperationsMatchAModelOfCopies) {
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    TxnOverlay t;
    std::vector<std::pair<int, std::map<std::string, TxnOverlay::Slot>>> model;
    int next_level = 0;
    for (int op = 0; op < 300; ++op) {
      std::string key(1, static_cast<char>('a' + rng() % 6));
      switch (rng() % 6) {
        case 0:
        case 1:
          t.Put(key, std::to_string(op));
          break;
        case 2:
          t.Delete(key);
          break;
        case 3:
          t.Savepoint(next_level);
          model.emplace_back(next_level++, Snapshot(t));
          break;
        case 4:
          if (!model.empty()) {
            size_t i = rng() % model.size();
            t.RollbackTo(model[i].first);
            ASSERT_EQ(Snapshot(t), model[i].second) << "round " << round;
            model.resize(i + 1);
            next_level = model[i].first + 1;
          }
          break;
        case 5:
          if (!model.empty()) {
            size_t i = rng() % model.size();
            t.Release(model[i].first);
            model.resize(i);
            next_level = model.empty() ? 0 : model.back().first + 1;
          }
          break;
      }
    }
  }
}

}  // namespace
}  // namespace cairn::sqlite
