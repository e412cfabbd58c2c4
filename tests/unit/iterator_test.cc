// Iterators checked against a std::map model: random writes and deletes,
// random bounds, every movement compared in both directions.
#include <map>
#include <random>

#include "engine/db.h"
#include "engine/db_iterator.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace cairn {
namespace {

using Model = std::map<std::string, std::string>;

// The model's view of an iterator with bounds [lo, hi).
struct ModelIter {
  const Model* m;
  std::optional<std::string> lo, hi;
  Model::const_iterator it;
  bool valid = false;

  bool In(Model::const_iterator i) const {
    return i != m->end() && (!lo || i->first >= *lo) && (!hi || i->first < *hi);
  }
  void Seek(const std::string& t) {
    std::string target = lo && t < *lo ? *lo : t;
    it = m->lower_bound(target);
    valid = In(it);
  }
  void SeekForPrev(const std::string& t) {
    it = m->upper_bound(t);
    if (it == m->begin()) {
      valid = false;
      return;
    }
    --it;
    while (!In(it)) {
      if (hi && it->first >= *hi && it != m->begin()) {
        --it;
        continue;
      }
      valid = false;
      return;
    }
    valid = true;
  }
  void SeekToFirst() { Seek(lo.value_or("")); }
  void SeekToLast() {
    if (hi) {
      it = m->lower_bound(*hi);
    } else {
      it = m->end();
    }
    if (it == m->begin()) {
      valid = false;
      return;
    }
    --it;
    valid = In(it);
  }
  void Next() {
    ++it;
    valid = In(it);
  }
  void Prev() {
    if (it == m->begin()) {
      valid = false;
      return;
    }
    --it;
    valid = In(it);
  }
};

std::string RandKey(std::mt19937& rng) {
  // A small alphabet so keys collide, share prefixes, and bounds land between
  // and on keys.
  std::uniform_int_distribution<int> len(1, 3), ch(0, 3);
  std::string k;
  for (int i = len(rng); i > 0; --i) k.push_back("ab\0\xff"[ch(rng)]);
  return k;
}

TEST(IteratorTest, MatchesModelUnderRandomOperations) {
  cairn::testing::TempDir dir;
  Options o;
  o.create_if_missing = true;
  o.write_buffer_size = 64 << 10;  // exercise table files too
  auto db = Db::Open(o, dir.Sub("db"));
  ASSERT_TRUE(db.ok()) << db.status();
  Model model;
  std::mt19937 rng(1234);
  for (int round = 0; round < 30; ++round) {
    for (int i = 0; i < 100; ++i) {
      std::string k = RandKey(rng);
      if (rng() % 4 == 0) {
        ASSERT_TRUE((*db)->Delete({}, k).ok());
        model.erase(k);
      } else {
        std::string v = std::to_string(rng());
        ASSERT_TRUE((*db)->Put({}, k, v).ok());
        model[k] = v;
      }
    }
    ReadOptions ro;
    if (rng() % 2) ro.lower_bound = RandKey(rng);
    if (rng() % 2) ro.upper_bound = RandKey(rng);
    auto it = (*db)->NewIterator(ro);
    ASSERT_TRUE(it.ok());
    ModelIter mi{&model, ro.lower_bound, ro.upper_bound};
    for (int step = 0; step < 200; ++step) {
      int op = rng() % 6;
      std::string t = RandKey(rng);
      switch (op) {
        case 0:
          (*it)->SeekToFirst();
          mi.SeekToFirst();
          break;
        case 1:
          (*it)->SeekToLast();
          mi.SeekToLast();
          break;
        case 2:
          (*it)->Seek(t);
          mi.Seek(t);
          break;
        case 3:
          (*it)->SeekForPrev(t);
          mi.SeekForPrev(t);
          break;
        case 4:
          if (mi.valid) {
            (*it)->Next();
            mi.Next();
          }
          break;
        case 5:
          if (mi.valid) {
            (*it)->Prev();
            mi.Prev();
          }
          break;
      }
      ASSERT_EQ((*it)->Valid(), mi.valid)
          << "round " << round << " step " << step << " op " << op;
      if (mi.valid) {
        ASSERT_EQ(std::string((*it)->key()), mi.it->first);
        ASSERT_EQ(std::string((*it)->value()), mi.it->second);
      }
    }
    ASSERT_TRUE((*it)->status().ok());
  }
}

TEST(IteratorTest, SeesConsistentViewAndBoundsAreCopies) {
  cairn::testing::TempDir dir;
  Options o;
  o.create_if_missing = true;
  auto db = Db::Open(o, dir.Sub("db"));
  ASSERT_TRUE(db.ok());
  for (char c = 'a'; c <= 'e'; ++c) {
    ASSERT_TRUE((*db)->Put({}, std::string(1, c), "v").ok());
  }
  ReadOptions ro;
  {
    std::string lo = "b", hi = "d";
    ro.lower_bound = lo;
    ro.upper_bound = hi;
  }
  auto it = (*db)->NewIterator(ro);
  ASSERT_TRUE(it.ok());
  ASSERT_TRUE((*db)->Put({}, "bb", "later").ok());  // not in the view
  ASSERT_TRUE((*db)->Delete({}, "c").ok());         // still in the view
  std::vector<std::string> keys;
  for ((*it)->SeekToFirst(); (*it)->Valid(); (*it)->Next()) {
    keys.emplace_back((*it)->key());
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"b", "c"}));
}

}  // namespace
}  // namespace cairn
