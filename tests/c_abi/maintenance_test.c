/* maintenance_test: the ABI 1.2 calls (harness.h) — compaction and size
 * estimates, repair of a database that lost its manifest (refused while it
 * is open), and appending write batches and measuring them. */
#include <dlfcn.h>

#include "harness.h"

static void Key(char* out, int i) { snprintf(out, 16, "k%05d", i); }

/* sizes[0]: [k00000, k99999); [1]: [a, b), no keys; [2]: reversed. */
static void Sizes(cairn_db_t* db, uint64_t out[3]) {
  const char* starts[3] = {"k00000", "a", "k9"};
  const char* limits[3] = {"k99999", "b", "k0"};
  size_t slen[3] = {6, 1, 2};
  size_t llen[3] = {6, 1, 2};
  char* err = NULL;
  CheckOk(api->approximate_sizes(db, 3, starts, slen, limits, llen, out, &err),
          &err);
}

/* 5000 keys of 200 incompressible bytes (the sizes must not depend on
 * snappy). */
static void Fill(cairn_db_t* db) {
  char* err = NULL;
  char key[16];
  char value[200];
  uint32_t seed = 12345;
  for (int i = 0; i < 5000; ++i) {
    Key(key, i);
    for (size_t j = 0; j < sizeof value; ++j) {
      seed = seed * 1103515245u + 12345u;
      value[j] = (char)(seed >> 24);
    }
    CheckOk(api->put(db, NULL, key, strlen(key), value, sizeof value, &err),
            &err);
  }
}

static void TestTable(void) {
  StartPhase("api_table_1_2");
  CheckCondition(api->abi_minor >= 2);
  CheckCondition((void*)api->compact_range ==
                 dlsym(loaded_lib, "cairn_compact_range"));
  CheckCondition((void*)api->approximate_sizes ==
                 dlsym(loaded_lib, "cairn_approximate_sizes"));
  CheckCondition((void*)api->repair == dlsym(loaded_lib, "cairn_repair"));
  CheckCondition((void*)api->writebatch_append ==
                 dlsym(loaded_lib, "cairn_writebatch_append"));
  CheckCondition((void*)api->writebatch_approximate_size ==
                 dlsym(loaded_lib, "cairn_writebatch_approximate_size"));
}

static void TestCompactAndSizes(void) {
  StartPhase("compact_and_sizes");
  char path[PATH_MAX];
  char* err = NULL;
  cairn_db_t* db = OpenNew("compact", path, sizeof path);
  Fill(db);
  /* Compacting flushes the memtable: the data now has a size on disk. */
  CheckOk(api->compact_range(db, NULL, 0, NULL, 0, &err), &err);
  uint64_t sizes[3];
  Sizes(db, sizes);
  CheckCondition(sizes[0] > 5000 * 200);
  CheckCondition(sizes[1] == 0);
  CheckCondition(sizes[2] == 0);
  const uint64_t before = sizes[0];

  char key[16];
  for (int i = 0; i < 5000; i += 2) {
    Key(key, i);
    CheckOk(api->del(db, NULL, key, strlen(key), &err), &err);
  }
  /* A bounded compaction of the user range drops the deleted records. */
  CheckOk(api->compact_range(db, "k", 1, "l", 1, &err), &err);
  Sizes(db, sizes);
  CheckCondition(sizes[0] < before * 3 / 4);
  CheckOk(api->compact_range(db, "k0", 2, NULL, 0, &err), &err);
  CheckOk(api->compact_range(db, NULL, 0, "k5", 2, &err), &err);
  CheckGet(db, NULL, "k00000", NULL);
  char* v = NULL;
  size_t vlen = 0;
  CheckOk(api->get(db, NULL, "k00001", 6, &v, &vlen, &err), &err);
  CheckCondition(vlen == 200);
  api->free_fn(v);

  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->compact_range(db, "z", 1, "a", 1, &err), &err, "start",
                 NULL);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->compact_range(db, NULL, 3, NULL, 0, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->compact_range(NULL, NULL, 0, NULL, 0, &err), &err);
  CheckOk(api->approximate_sizes(db, 0, NULL, NULL, NULL, NULL, NULL, &err),
          &err);
  CheckStatus(
      CAIRN_INVALID_ARGUMENT,
      api->approximate_sizes(db, 1, NULL, NULL, NULL, NULL, sizes, &err), &err);
  const char* nul[1] = {NULL};
  const char* one[1] = {"a"};
  size_t len1[1] = {1};
  CheckStatusMsg(
      CAIRN_INVALID_ARGUMENT,
      api->approximate_sizes(db, 1, nul, len1, one, len1, sizes, &err), &err,
      "range 0", NULL);
  CheckStatus(
      CAIRN_INVALID_ARGUMENT,
      api->approximate_sizes(NULL, 1, one, len1, one, len1, sizes, &err), &err);
  api->close(db);
}

static void TestRepair(void) {
  StartPhase("repair");
  char path[PATH_MAX];
  char* err = NULL;
  cairn_db_t* db = OpenNew("repair", path, sizeof path);
  Fill(db);
  CheckOk(api->compact_range(db, NULL, 0, NULL, 0, &err), &err);
  Put(db, "recent", "in the log only");
  /* Open here: the repair must refuse. */
  CheckStatus(CAIRN_BUSY, api->repair(NULL, path, &err), &err);
  api->close(db);

  /* Losing the manifest is what RepairDB recovers from. */
  char current[PATH_MAX + 16];
  snprintf(current, sizeof current, "%s/CURRENT", path);
  CheckCondition(remove(current) == 0);
  cairn_options_t* options = api->options_create();
  CheckOk(api->repair(options, path, &err), &err);
  api->options_destroy(options);

  db = OpenNew("repair", path, sizeof path);
  CheckGet(db, NULL, "recent", "in the log only");
  CheckCondition(CountKeys(db) == 5001);
  api->close(db);

  char missing[PATH_MAX];
  MakePath(missing, sizeof missing, "missing");
  CheckStatusMsg(CAIRN_NOT_FOUND, api->repair(NULL, missing, &err), &err,
                 missing, NULL);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->repair(NULL, NULL, &err), &err);
}

static void TestBatchAppend(void) {
  StartPhase("batch_append");
  char path[PATH_MAX];
  char* err = NULL;
  cairn_writebatch_t* a = api->writebatch_create();
  cairn_writebatch_t* b = api->writebatch_create();
  CheckCondition(api->writebatch_approximate_size(a) == 0);
  CheckCondition(api->writebatch_approximate_size(NULL) == 0);
  CheckOk(api->writebatch_put(a, "x", 1, "old", 3, &err), &err);
  CheckOk(api->writebatch_put(b, "x", 1, "new!", 4, &err), &err);
  CheckOk(api->writebatch_delete(b, "y", 1, &err), &err);
  CheckCondition(api->writebatch_approximate_size(a) == 4);
  CheckOk(api->writebatch_append(a, b, &err), &err);
  CheckCondition(api->writebatch_count(a) == 3);
  CheckCondition(api->writebatch_count(b) == 2); /* src unchanged */
  CheckCondition(api->writebatch_approximate_size(a) == 4 + 5 + 1);
  CheckOk(api->writebatch_append(b, b, &err), &err);
  CheckCondition(api->writebatch_count(b) == 4);
  CheckCondition(api->writebatch_approximate_size(b) == 12);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->writebatch_append(NULL, b, &err),
              &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->writebatch_append(a, NULL, &err),
              &err);

  /* Appended operations apply in order: the later put of x wins. */
  cairn_db_t* db = OpenNew("batch", path, sizeof path);
  Put(db, "y", "gone");
  CheckOk(api->write(db, NULL, a, &err), &err);
  CheckGet(db, NULL, "x", "new!");
  CheckGet(db, NULL, "y", NULL);
  api->close(db);
  api->writebatch_destroy(a);
  api->writebatch_destroy(b);
}

int main(int argc, char** argv) {
  static const Phase kPhases[] = {
      {"api_table_1_2", TestTable},
      {"compact_and_sizes", TestCompactAndSizes},
      {"repair", TestRepair},
      {"batch_append", TestBatchAppend},
  };
  return RunPhases(argc, argv, kPhases, sizeof kPhases / sizeof kPhases[0]);
}
