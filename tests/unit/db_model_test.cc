// Differential test (RELIABILITY B3): random puts, deletes, batches, gets,
// scans and reopens against a std::map model, over several seeds.
#include <map>
#include <random>

#include "engine/db.h"
#include "engine/db_iterator.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace cairn {
namespace {

class DbModelTest : public ::testing::TestWithParam<int> {};

TEST_P(DbModelTest, MatchesStdMapAcrossReopens) {
  cairn::testing::TempDir dir;
  std::mt19937 rng(GetParam());
  Options o;
  o.create_if_missing = true;
  o.write_buffer_size = 64 << 10;
  std::unique_ptr<Db> db = std::move(*Db::Open(o, dir.Sub("db")));
  std::map<std::string, std::string> model;
  auto key = [&] { return "k" + std::to_string(rng() % 300); };
  auto value = [&] { return std::string(rng() % 200, 'a' + rng() % 26); };
  for (int step = 0; step < 4000; ++step) {
    switch (rng() % 10) {
      case 0:
      case 1:
      case 2: {
        std::string k = key(), v = value();
        ASSERT_TRUE(db->Put({}, k, v).ok());
        model[k] = v;
        break;
      }
      case 3: {
        std::string k = key();
        ASSERT_TRUE(db->Delete({}, k).ok());
        model.erase(k);
        break;
      }
      case 4: {
        WriteBatch b;
        auto next = model;
        for (int i = rng() % 10; i > 0; --i) {
          std::string k = key();
          if (rng() % 3 == 0) {
            b.Delete(k);
            next.erase(k);
          } else {
            std::string v = value();
            b.Put(k, v);
            next[k] = v;
          }
        }
        ASSERT_TRUE(db->Write({}, b).ok());
        model = std::move(next);
        break;
      }
      case 5:
      case 6:
      case 7: {
        std::string k = key(), v;
        absl::Status s = db->Get({}, k, &v);
        auto it = model.find(k);
        if (it == model.end()) {
          ASSERT_TRUE(absl::IsNotFound(s)) << k << " " << s;
        } else {
          ASSERT_TRUE(s.ok()) << s;
          ASSERT_EQ(v, it->second) << k;
        }
        break;
      }
      case 8: {
        auto it = std::move(*db->NewIterator({}));
        auto m = model.begin();
        for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
          ASSERT_NE(m, model.end());
          ASSERT_EQ(std::string(it->key()), m->first);
          ASSERT_EQ(std::string(it->value()), m->second);
        }
        ASSERT_EQ(m, model.end());
        break;
      }
      case 9:
        if (rng() % 20 == 0) {
          db.reset();
          db = std::move(*Db::Open(o, dir.Sub("db")));
        }
        break;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, DbModelTest, ::testing::Values(1, 2, 3));

}  // namespace
}  // namespace cairn
