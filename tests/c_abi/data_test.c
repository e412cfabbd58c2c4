/* data_test: Point operations, limits and write batches. (harness.h). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "harness.h"

static void TestPointOperations(void) {
  char* err = NULL;
  char path[PATH_MAX];
  StartPhase("put_get_delete");
  cairn_db_t* db = OpenNew("point", path, sizeof path);

  Put(db, "k1", "v1");
  CheckGet(db, NULL, "k1", "v1");
  Put(db, "k1", "v2");
  CheckGet(db, NULL, "k1", "v2");
  CheckGet(db, NULL, "missing", NULL);

  /* Keys and values are byte strings: embedded NULs and high bytes. */
  static const char kBinKey[] = {'b', '\0', 'k', (char)0xff};
  static const char kBinValue[] = {'\0', '\x01', (char)0x80, '\0', 'z'};
  CheckOk(api->put(db, NULL, kBinKey, sizeof kBinKey, kBinValue,
                   sizeof kBinValue, &err),
          &err);
  CheckGetAt(__FILE__, __LINE__, db, NULL, kBinKey, sizeof kBinKey, kBinValue,
             sizeof kBinValue);
  CheckGetAt(__FILE__, __LINE__, db, NULL, kBinKey, 1, NULL, 0); /* "b" */

  /* An empty value is a value: non-NULL buffer, length 0. */
  CheckOk(api->put(db, NULL, "empty", 5, "", 0, &err), &err);
  {
    char* value = NULL;
    size_t len = 99;
    CheckOk(api->get(db, NULL, "empty", 5, &value, &len, &err), &err);
    CheckCondition(value != NULL);
    CheckCondition(len == 0);
    api->free_fn(value);
  }

  /* Keys and values are copied. */
  {
    char* key = Strdup("copied-key");
    char* value = Strdup("copied-value");
    CheckOk(api->put(db, NULL, key, strlen(key), value, strlen(value), &err),
            &err);
    Scribble(key);
    Scribble(value);
    CheckGet(db, NULL, "copied-key", "copied-value");
  }

  /* Delete, including a missing key, which is OK. */
  Del(db, "k1");
  CheckGet(db, NULL, "k1", NULL);
  Del(db, "never-written");
  CheckGet(db, NULL, "never-written", NULL);
  Put(db, "k1", "v3"); /* a deleted key can come back */
  CheckGet(db, NULL, "k1", "v3");

  /* Write and read options. */
  cairn_writeoptions_t* wo = api->writeoptions_create();
  CheckCondition(wo != NULL);
  api->writeoptions_set_sync(wo, 1);
  CheckOk(api->put(db, wo, "synced", 6, "yes", 3, &err), &err);
  CheckOk(api->del(db, wo, "k1", 2, &err), &err);
  api->writeoptions_set_sync(wo, 0);
  CheckOk(api->put(db, wo, "unsynced", 8, "yes", 3, &err), &err);
  cairn_readoptions_t* ro = api->readoptions_create();
  CheckCondition(ro != NULL);
  api->readoptions_set_verify_checksums(ro, 1);
  api->readoptions_set_fill_cache(ro, 0);
  CheckGet(db, ro, "synced", "yes");
  CheckGet(db, ro, "unsynced", "yes");
  CheckGet(db, ro, "k1", NULL);
  api->readoptions_set_verify_checksums(ro, 0);
  api->readoptions_set_fill_cache(ro, 1);
  CheckGet(db, ro, "synced", "yes");

  /* NULL errmsg is accepted everywhere. */
  {
    char* value = NULL;
    size_t len = 0;
    CheckCondition(api->put(db, NULL, "nullerr", 7, "v", 1, NULL) == CAIRN_OK);
    CheckCondition(api->get(db, NULL, "nullerr", 7, &value, &len, NULL) ==
                   CAIRN_OK);
    CheckCondition(value != NULL && len == 1 && value[0] == 'v');
    api->free_fn(value);
    value = NULL;
    CheckCondition(api->del(db, NULL, "nullerr", 7, NULL) == CAIRN_OK);
    CheckCondition(api->get(db, NULL, "nullerr", 7, &value, &len, NULL) ==
                   CAIRN_NOT_FOUND);
    CheckCondition(value == NULL && len == 0);
    CheckCondition(api->put(NULL, NULL, "k", 1, "v", 1, NULL) ==
                   CAIRN_INVALID_ARGUMENT);
    CheckCondition(api->put(db, NULL, NULL, 1, "v", 1, NULL) ==
                   CAIRN_INVALID_ARGUMENT);
  }

  /* Bad arguments: NULL handle, NULL buffers with a length, empty key. */
  {
    char* value = (char*)"sentinel";
    size_t len = 7;
    CheckStatus(CAIRN_INVALID_ARGUMENT,
                api->put(NULL, NULL, "k", 1, "v", 1, &err), &err);
    CheckStatus(CAIRN_INVALID_ARGUMENT, api->del(NULL, NULL, "k", 1, &err),
                &err);
    CheckStatus(CAIRN_INVALID_ARGUMENT,
                api->get(NULL, NULL, "k", 1, &value, &len, &err), &err);
    CheckCondition(value == NULL && len == 0);
    CheckStatus(CAIRN_INVALID_ARGUMENT,
                api->put(db, NULL, NULL, 3, "v", 1, &err), &err);
    CheckStatus(CAIRN_INVALID_ARGUMENT,
                api->put(db, NULL, "nullvalue", 9, NULL, 4, &err), &err);
    CheckGet(db, NULL, "nullvalue", NULL);
    CheckStatus(CAIRN_INVALID_ARGUMENT, api->del(db, NULL, NULL, 3, &err),
                &err);
    value = (char*)"sentinel";
    len = 7;
    CheckStatus(CAIRN_INVALID_ARGUMENT,
                api->get(db, NULL, NULL, 3, &value, &len, &err), &err);
    CheckCondition(value == NULL && len == 0);
    CheckStatus(CAIRN_INVALID_ARGUMENT,
                api->get(db, NULL, "synced", 6, NULL, &len, &err), &err);
    CheckStatus(CAIRN_INVALID_ARGUMENT,
                api->get(db, NULL, "synced", 6, &value, NULL, &err), &err);
    CheckStatus(CAIRN_INVALID_ARGUMENT, api->put(db, NULL, "", 0, "v", 1, &err),
                &err);
    CheckStatus(CAIRN_INVALID_ARGUMENT, api->del(db, NULL, "", 0, &err), &err);
    CheckStatus(CAIRN_INVALID_ARGUMENT,
                api->put(db, NULL, NULL, 0, "v", 1, &err), &err);
  }

  /* On success *errmsg is untouched, whatever it held. */
  {
    char marker[] = "untouched";
    char* kept = marker;
    char* value = NULL;
    size_t len = 0;
    CheckCondition(api->put(db, NULL, "m", 1, "v", 1, &kept) == CAIRN_OK);
    CheckCondition(kept == marker);
    CheckCondition(api->get(db, NULL, "m", 1, &value, &len, &kept) == CAIRN_OK);
    CheckCondition(kept == marker);
    api->free_fn(value);
    CheckCondition(api->del(db, NULL, "m", 1, &kept) == CAIRN_OK);
    CheckCondition(kept == marker);
  }

  api->readoptions_destroy(ro);
  api->writeoptions_destroy(wo);
  api->close(db);
}

/* Counts the keys an iterator over the whole database shows. */

static void TestLimits(void) {
  char* err = NULL;
  char path[PATH_MAX];
  cairn_db_t* db = NULL;
  static const char k16[] = "0123456789abcdef";
  static const char k17[] = "0123456789abcdefg";
  StartPhase("limits");
  cairn_options_t* options = CreateOptions();
  CheckOk(api->options_set(options, "max_key_size", "16", &err), &err);
  CheckOk(api->options_set(options, "max_value_size", "8", &err), &err);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->options_set(options, "max_key_size", "-1", &err), &err,
                 "max_key_size", "-1");
  MakePath(path, sizeof path, "limits");
  CheckOk(api->open(options, path, &db, &err), &err);
  api->options_destroy(options); /* the database keeps its own copy */

  CheckOk(api->put(db, NULL, k16, 16, "v", 1, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->put(db, NULL, k17, 17, "v", 1, &err),
              &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->del(db, NULL, k17, 17, &err), &err);
  CheckOk(api->put(db, NULL, "v8", 2, "12345678", 8, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->put(db, NULL, "v9", 2, "123456789", 9, &err), &err);
  CheckGet(db, NULL, "v9", NULL);
  CheckCondition(CountKeys(db) == 2); /* nothing of the rejected puts */

  /* A batch is checked as a whole by cairn_write: nothing of it lands. */
  cairn_writebatch_t* batch = api->writebatch_create();
  CheckOk(api->writebatch_put(batch, "ok", 2, "v", 1, &err), &err);
  CheckOk(api->writebatch_delete(batch, k16, 16, &err), &err);
  CheckOk(api->writebatch_put(batch, k17, 17, "v", 1, &err), &err);
  CheckCondition(api->writebatch_count(batch) == 3);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->write(db, NULL, batch, &err), &err);
  CheckGet(db, NULL, "ok", NULL);
  CheckGet(db, NULL, k16, "v");
  CheckCondition(CountKeys(db) == 2);
  api->writebatch_clear(batch);
  CheckOk(api->writebatch_put(batch, "big", 3, "123456789", 9, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->write(db, NULL, batch, &err), &err);
  CheckCondition(CountKeys(db) == 2);
  api->writebatch_destroy(batch);

  /* The effective options show the limits this database was opened with. */
  char* json = NULL;
  CheckOk(api->property(db, "cairn.options", &json, &err), &err);
  CheckCondition(json != NULL && strstr(json, "\"max_key_size\"") != NULL);
  CheckCondition(strstr(json, "\"max_key_size\":16") != NULL ||
                 strstr(json, "\"max_key_size\": 16") != NULL);
  api->free_fn(json);
  api->close(db);
}

static void TestWriteBatch(void) {
  char* err = NULL;
  char path[PATH_MAX];
  StartPhase("writebatch");
  cairn_db_t* db = OpenNew("batch", path, sizeof path);
  Put(db, "pre", "existing");

  CheckCondition(api->writebatch_count(NULL) == 0);
  cairn_writebatch_t* batch = api->writebatch_create();
  CheckCondition(batch != NULL);
  CheckCondition(api->writebatch_count(batch) == 0);

  char* key = Strdup("a");
  char* value = Strdup("1");
  CheckOk(api->writebatch_put(batch, key, 1, value, 1, &err), &err);
  Scribble(key); /* the batch keeps copies */
  Scribble(value);
  CheckOk(api->writebatch_put(batch, "b", 1, "2", 1, &err), &err);
  CheckOk(api->writebatch_put(batch, "c", 1, "3", 1, &err), &err);
  CheckOk(api->writebatch_delete(batch, "b", 1, &err), &err);
  CheckOk(api->writebatch_delete(batch, "pre", 3, &err), &err);
  CheckOk(api->writebatch_put(batch, "x", 1, "first", 5, &err), &err);
  CheckOk(api->writebatch_put(batch, "x", 1, "second", 6, &err), &err);
  CheckOk(api->writebatch_put(batch, "e", 1, "", 0, &err), &err);
  CheckCondition(api->writebatch_count(batch) == 8);

  /* Nothing is visible before the write. */
  CheckGet(db, NULL, "a", NULL);
  CheckGet(db, NULL, "pre", "existing");

  CheckOk(api->write(db, NULL, batch, &err), &err);
  CheckGet(db, NULL, "a", "1");
  CheckGet(db, NULL, "b", NULL); /* a later operation on a key wins */
  CheckGet(db, NULL, "c", "3");
  CheckGet(db, NULL, "x", "second");
  CheckGet(db, NULL, "e", "");
  CheckGet(db, NULL, "pre", NULL);

  /* The batch is unchanged by the write and can be applied again. */
  CheckCondition(api->writebatch_count(batch) == 8);
  Del(db, "a");
  Put(db, "pre", "again");
  cairn_writeoptions_t* wo = api->writeoptions_create();
  api->writeoptions_set_sync(wo, 1);
  CheckOk(api->write(db, wo, batch, &err), &err);
  api->writeoptions_destroy(wo);
  CheckGet(db, NULL, "a", "1");
  CheckGet(db, NULL, "pre", NULL);

  /* Clear empties it; an empty batch writes fine. */
  api->writebatch_clear(batch);
  CheckCondition(api->writebatch_count(batch) == 0);
  CheckOk(api->write(db, NULL, batch, &err), &err);
  CheckGet(db, NULL, "a", "1");

  /* Reuse after clear. */
  CheckOk(api->writebatch_delete(batch, "a", 1, &err), &err);
  CheckOk(api->writebatch_put(batch, "d", 1, "4", 1, &err), &err);
  CheckCondition(api->writebatch_count(batch) == 2);
  CheckOk(api->write(db, NULL, batch, &err), &err);
  CheckGet(db, NULL, "a", NULL);
  CheckGet(db, NULL, "d", "4");

  /* An empty key in a batch is refused when added or when written; either
   * way none of the batch lands. */
  api->writebatch_clear(batch);
  CheckOk(api->writebatch_put(batch, "f", 1, "5", 1, &err), &err);
  cairn_status_t st = api->writebatch_put(batch, "", 0, "v", 1, &err);
  if (st == CAIRN_OK) {
    CheckCondition(err == NULL);
    CheckStatus(CAIRN_INVALID_ARGUMENT, api->write(db, NULL, batch, &err),
                &err);
  } else {
    CheckStatus(CAIRN_INVALID_ARGUMENT, st, &err);
    CheckCondition(api->writebatch_count(batch) == 1);
  }
  CheckGet(db, NULL, "f", NULL);

  /* Bad arguments; a refused operation leaves the batch as it was. */
  api->writebatch_clear(batch);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->writebatch_put(NULL, "k", 1, "v", 1, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->writebatch_put(batch, NULL, 1, "v", 1, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->writebatch_put(batch, "k", 1, NULL, 1, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->writebatch_delete(NULL, "k", 1, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->writebatch_delete(batch, NULL, 1, &err), &err);
  CheckCondition(api->writebatch_put(batch, NULL, 1, "v", 1, NULL) ==
                 CAIRN_INVALID_ARGUMENT);
  CheckCondition(api->writebatch_count(batch) == 0);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->write(db, NULL, NULL, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->write(NULL, NULL, batch, &err),
              &err);
  CheckCondition(api->writebatch_put(batch, "g", 1, "6", 1, NULL) == CAIRN_OK);
  CheckCondition(api->write(db, NULL, batch, NULL) == CAIRN_OK);
  CheckGet(db, NULL, "g", "6");

  api->writebatch_destroy(batch);
  api->close(db);
}

int main(int argc, char** argv) {
  static const Phase kPhases[] = {
      {"put_get_delete", TestPointOperations},
      {"limits", TestLimits},
      {"writebatch", TestWriteBatch},
  };
  return RunPhases(argc, argv, kPhases, sizeof kPhases / sizeof kPhases[0]);
}
