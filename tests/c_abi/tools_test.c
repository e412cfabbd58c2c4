/* tools_test: ABI 1.2 — records with versions (tombstones included),
 * applying records with their versions, integer properties, compaction
 * (harness.h). */
#include "harness.h"

/* ABI 1.2: records with versions (tombstones included), writing records
 * with given versions, integer properties, compaction. */
static void TestTools(void) {
  char* err = NULL;
  char path[PATH_MAX], copy_path[PATH_MAX];
  StartPhase("tools");
  cairn_db_t* db = OpenNew("tools", path, sizeof path);
  Put(db, "a", "1");
  Put(db, "b", "2");
  Del(db, "b");
  Put(db, "c", "3");

  /* Without include_deleted the tombstone is hidden; with it, visible. */
  cairn_readoptions_t* ro = api->readoptions_create();
  cairn_iterator_t* it = NULL;
  CheckOk(api->iter_create(db, ro, &it, &err), &err);
  api->iter_seek_to_first(it);
  CheckIter(it, "a", "1");
  CheckCondition(api->iter_deleted(it) == 0);
  api->iter_next(it);
  CheckIter(it, "c", "3");
  api->iter_destroy(it);

  api->readoptions_set_include_deleted(ro, 1);
  CheckOk(api->iter_create(db, ro, &it, &err), &err);
  cairn_writebatch_t* load = api->writebatch_create();
  uint64_t hlcs[3] = {0, 0, 0};
  uint32_t nodes[3] = {0, 0, 0};
  int n = 0;
  for (api->iter_seek_to_first(it); api->iter_valid(it); api->iter_next(it)) {
    CheckCondition(n < 3);
    size_t klen = 0, vlen = 0;
    const char* k = api->iter_key(it, &klen);
    const char* v = api->iter_value(it, &vlen);
    api->iter_version(it, &hlcs[n], &nodes[n]);
    CheckCondition(hlcs[n] != 0);
    CheckCondition(n == 0 || hlcs[n - 1] != hlcs[n]);
    if (api->iter_deleted(it)) {
      CheckCondition(klen == 1 && k[0] == 'b' && vlen == 0);
      CheckOk(api->writebatch_delete_versioned(load, k, klen, hlcs[n], nodes[n],
                                               &err),
              &err);
    } else {
      CheckOk(api->writebatch_put_versioned(load, k, klen, v, vlen, hlcs[n],
                                            nodes[n], &err),
              &err);
    }
    ++n;
  }
  CheckCondition(n == 3);
  /* Backwards too, and an invalid iterator reports version 0 and no
   * tombstone. */
  api->iter_seek_to_last(it);
  CheckIter(it, "c", "3");
  api->iter_prev(it);
  CheckIter(it, "b", "");
  CheckCondition(api->iter_deleted(it) == 1);
  api->iter_next(it);
  api->iter_next(it);
  uint64_t hlc = 7;
  uint32_t node = 7;
  api->iter_version(it, &hlc, &node);
  CheckCondition(hlc == 0 && node == 0 && api->iter_deleted(it) == 0);
  api->iter_version(it, NULL, NULL);
  CheckCondition(api->iter_deleted(NULL) == 0);
  api->iter_destroy(it);

  /* Loading the records into another database keeps their versions. */
  cairn_db_t* copy = OpenNew("tools-copy", copy_path, sizeof copy_path);
  CheckOk(api->write(copy, NULL, load, &err), &err);
  CheckGet(copy, NULL, "a", "1");
  CheckGet(copy, NULL, "b", NULL);
  CheckGet(copy, NULL, "c", "3");
  CheckOk(api->iter_create(copy, ro, &it, &err), &err);
  n = 0;
  for (api->iter_seek_to_first(it); api->iter_valid(it); api->iter_next(it)) {
    api->iter_version(it, &hlc, &node);
    CheckCondition(n < 3 && hlc == hlcs[n] && node == nodes[n]);
    CheckCondition(api->iter_deleted(it) == (n == 1));
    ++n;
  }
  CheckCondition(n == 3);
  api->iter_destroy(it);
  /* Applying the same records again writes nothing (version guard). */
  uint64_t seq = 0;
  CheckOk(api->property_int(copy, "cairn.stats.last_sequence", &seq, &err),
          &err);
  CheckCondition(seq == 3);
  CheckOk(api->write(copy, NULL, load, &err), &err);
  CheckOk(api->property_int(copy, "cairn.stats.last_sequence", &seq, &err),
          &err);
  CheckCondition(seq == 3);
  /* An older version of a key loses to the stored one. */
  cairn_writebatch_t* older = api->writebatch_create();
  CheckOk(api->writebatch_put_versioned(older, "a", 1, "old", 3, hlcs[0] - 1,
                                        nodes[0], &err),
          &err);
  CheckOk(api->write(copy, NULL, older, &err), &err);
  CheckGet(copy, NULL, "a", "1");
  api->writebatch_destroy(older);
  /* A later local write orders after the loaded versions. */
  Put(copy, "d", "4");
  CheckOk(api->iter_create(copy, ro, &it, &err), &err);
  api->iter_seek_to_last(it);
  CheckIter(it, "d", "4");
  api->iter_version(it, &hlc, NULL);
  CheckCondition(hlc > hlcs[0] && hlc > hlcs[1] && hlc > hlcs[2]);
  api->iter_destroy(it);
  api->writebatch_destroy(load);
  api->readoptions_destroy(ro);

  /* Bad versioned writes. */
  cairn_writebatch_t* bad = api->writebatch_create();
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->writebatch_put_versioned(bad, "k", 1, "v", 1, 0, 1, &err),
                 &err, "hlc", NULL);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->writebatch_delete_versioned(bad, "k", 1, 0, 1, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->writebatch_put_versioned(NULL, "k", 1, "v", 1, 5, 1, &err),
              &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->writebatch_put_versioned(bad, NULL, 1, "v", 1, 5, 1, &err),
              &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->writebatch_put_versioned(bad, "k", 1, NULL, 1, 5, 1, &err),
              &err);
  CheckCondition(api->writebatch_count(bad) == 0);
  /* Mixed batches and a zero node id are refused by cairn_write. */
  CheckOk(api->writebatch_put(bad, "k", 1, "v", 1, &err), &err);
  CheckOk(api->writebatch_put_versioned(bad, "k2", 2, "v", 1, 5, 1, &err),
          &err);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT, api->write(db, NULL, bad, &err), &err,
                 "mixes", NULL);
  api->writebatch_clear(bad);
  CheckOk(api->writebatch_put_versioned(bad, "k3", 2, "v", 1, 5, 0, &err),
          &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->write(db, NULL, bad, &err), &err);
  CheckGet(db, NULL, "k", NULL);
  CheckGet(db, NULL, "k3", NULL);
  api->writebatch_destroy(bad);

  /* Integer properties. */
  uint64_t value = 99;
  CheckOk(api->property_int(db, "cairn.stats.puts", &value, &err), &err);
  CheckCondition(value == 3);
  CheckOk(api->property_int(db, "cairn.stats.deletes", &value, &err), &err);
  CheckCondition(value == 1);
  CheckOk(api->property_int(db, "cairn.stats.last_sequence", &value, &err),
          &err);
  CheckCondition(value == 4);
  CheckOk(api->property_int(copy, "cairn.stats.last_sequence", &value, &err),
          &err);
  CheckCondition(value == 4); /* three loaded records, one put */
  CheckOk(api->property_int(db, "cairn.cache.capacity_bytes", &value, &err),
          &err);
  CheckCondition(value > 0);
  CheckOk(api->property_int(db, "leveldb.num-files-at-level0", &value, &err),
          &err);
  value = 99;
  CheckStatusMsg(CAIRN_NOT_FOUND,
                 api->property_int(db, "cairn.stats.nope", &value, &err), &err,
                 "cairn.stats.nope", NULL);
  CheckCondition(value == 0);
  CheckStatus(CAIRN_NOT_FOUND,
              api->property_int(db, "cairn.stats", &value, &err), &err);
  CheckStatus(CAIRN_NOT_FOUND,
              api->property_int(db, "cairn.cache.nope", &value, &err), &err);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->property_int(db, "leveldb.stats", &value, &err), &err,
                 "not an integer", NULL);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->property_int(db, NULL, &value, &err),
              &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->property_int(db, "cairn.stats.puts", NULL, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->property_int(NULL, "cairn.stats.puts", &value, &err), &err);

  /* Compaction: whole database, a range; data survives. */
  CheckOk(api->compact_range(db, NULL, 0, NULL, 0, &err), &err);
  CheckOk(api->compact_range(db, "a", 1, "b", 1, &err), &err);
  CheckOk(api->compact_range(db, "a", 1, NULL, 0, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->compact_range(db, "b", 1, "a", 1, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->compact_range(db, NULL, 1, NULL, 0, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->compact_range(NULL, NULL, 0, NULL, 0, &err), &err);
  CheckGet(db, NULL, "a", "1");
  CheckGet(db, NULL, "b", NULL);
  CheckGet(db, NULL, "c", "3");
  api->close(copy);
  api->close(db);
}

int main(int argc, char** argv) {
  static const Phase kPhases[] = {
      {"tools", TestTools},
  };
  return RunPhases(argc, argv, kPhases, sizeof kPhases / sizeof kPhases[0]);
}
